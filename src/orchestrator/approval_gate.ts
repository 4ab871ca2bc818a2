import { basename, join } from "node:path";
import { actionOf, type ApprovedItem } from "../actions/mod.ts";
import { type ApprovalRegistry, readRequest } from "../approvals/mod.ts";
import type { ExecutionOutcome } from "../executor/mod.ts";
import { storageProblemOf, type VaultLayout } from "../vault/mod.ts";

/** The main thread's check of each approved item before anything is sent. */
export interface ApprovalGate {
  /**
   * Reads the claimed file itself (from `.aiemp/inflight/`) and lets it through only when it was
   * pending with exactly this content and has not expired: then the item to perform is the one
   * read here, not the one the executor's worker sent. Otherwise the outcome that refuses it.
   */
  admit(item: ApprovedItem): Promise<{ item: ApprovedItem } | { outcome: ExecutionOutcome }>;
  /** After an attempt: once the item's execution is over, its pending record is spent. */
  settle(item: ApprovedItem, attempt: number, outcome: ExecutionOutcome): Promise<void>;
}

/**
 * Creates the gate over the vault's approval registry. Every action this build performs reaches
 * outside the machine, so every one needs a pending-then-approved history.
 */
export function createApprovalGate(
  layout: VaultLayout,
  registry: ApprovalRegistry,
  maxAttempts: number,
): ApprovalGate {
  const refuse = (reason: string): { outcome: ExecutionOutcome } => ({
    outcome: { ok: false, retryable: false, reason, refused: "unapproved" },
  });
  async function admit(
    item: ApprovedItem,
  ): Promise<{ item: ApprovedItem } | { outcome: ExecutionOutcome }> {
    const name = item.fileName;
    if (name !== basename(name) || name.startsWith(".") || name.includes("\0")) {
      return refuse(`'${name}' is not a plain file name in Approved/`);
    }
    const path = join(layout.inflight, name);
    const info = await Deno.lstat(path);
    if (!info.isFile) {
      return refuse(
        "it is not a regular file (a symbolic link?); aiemp performs only requests " +
          "that are files in the vault: put a copy in Pending_Approval/ and approve that",
      );
    }
    if ((info.nlink ?? 1) > 1) {
      return refuse(
        `it is a hard link (${info.nlink} names), so it may also live outside the ` +
          "vault; put a copy in Pending_Approval/ and approve that",
      );
    }
    let request;
    try {
      request = await readRequest(path);
    } catch (error) {
      return refuse(`it cannot be read as a request: ${(error as Error).message ?? error}`);
    }
    const verdict = await registry.judge(name, request, true);
    if (verdict.verdict === "refuse") return refuse(verdict.reason);
    if (verdict.verdict === "expired") {
      return {
        outcome: { ok: false, retryable: false, reason: verdict.reason, refused: "expired" },
      };
    }
    const action = actionOf(name, request.note.frontMatter) ?? item.action;
    return { item: { id: request.id, action, fileName: name, ...request.note } };
  }

  return {
    async admit(item) {
      try {
        return await admit(item);
      } catch (error) {
        // A full disk or a read-only vault: nothing was sent, and the item waits for the fix.
        const problem = storageProblemOf(error);
        const reason = `cannot check its approval: ${problem ? problem.what : error}`;
        return {
          outcome: problem
            ? { ok: false, retryable: true, reason, notStarted: problem }
            : { ok: false, retryable: false, reason },
        };
      }
    },

    async settle(item, attempt, outcome) {
      if (outcome.refused) return; // the registry has dealt with it
      const over = outcome.ok || !outcome.retryable || attempt >= maxAttempts;
      if (over && !outcome.notStarted) await registry.concluded(item.fileName);
    },
  };
}
