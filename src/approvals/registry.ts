import { basename, extname, join } from "node:path";
import { type AuditEntry, sha256Hex } from "../audit/mod.ts";
import {
  exists,
  isTemporaryName,
  listNames,
  moveInto,
  type Note,
  NoteError,
  parseNote,
  renderNote,
  replaceSection,
  storageProblemOf,
  type VaultLayout,
  watchSettledFiles,
  writeFileAtomic,
} from "../vault/mod.ts";
import { expiryOf } from "./expiry.ts";
import { type ApprovalVerdict, judgeApproved } from "./gate.ts";
import { approvalKeywordsIn } from "./keywords.ts";
import {
  type PendingRecords,
  recordOf,
  recordSighting,
  type Sighting,
  withoutRecord,
} from "./records.ts";
import { requestHash } from "./request_hash.ts";

/** The approval registry's settings and its links to the rest of aiemp. */
export interface ApprovalRegistryOptions {
  /** The vault. */
  layout: VaultLayout;
  /** Hours a request without `expires` stays approvable after aiemp first saw it pending. */
  defaultExpiryHours: number;
  /** Words that make any item need a pending-then-approved history (`approval_keywords`). */
  keywords: readonly string[];
  /** Appends to the audit log. */
  record(entry: AuditEntry): Promise<void>;
  /** Shows (or with an empty text clears) an alert on the Dashboard under `key`. */
  alert(key: string, text: string): void;
  /** Where log lines go. @default discards them */
  log?: (level: "debug" | "info" | "warning" | "error", message: string) => void;
  /** The clock. @default () => new Date() */
  now?: () => Date;
}

/** A request as read from its file: its note, id and content hash. */
export interface ReadRequest {
  /** The parsed note. */
  note: Note;
  /** Its `id`, else its file name without `.md`. */
  id: string;
  /** Its content hash. */
  hash: string;
}

/** A pending request a human acted on with `aiemp approve` or `aiemp reject`. */
export interface HumanDecision {
  /** True when it was found and moved. */
  ok: boolean;
  /** What happened, or why nothing did. */
  summary: string;
}

/**
 * The record of every request seen in Pending_Approval/ (id, content hash, first seen, last
 * edited), kept in `.aiemp/approvals.json` by the orchestrator's main thread, and the gate every
 * approved file passes before it is performed.
 */
export interface ApprovalRegistry {
  /** Records what is pending now and forgets requests gone from the vault's approval folders. */
  scan(): Promise<void>;
  /** Records each request that settles in Pending_Approval/, until `signal` aborts. */
  run(signal: AbortSignal): Promise<void>;
  /**
   * Judges a file claimed from Approved/ (`name` as it was approved): performed only when it was
   * pending with this very content and has not expired. A refusal is recorded and raises an alert.
   */
  judge(name: string, request: ReadRequest, historyRequired: boolean): Promise<ApprovalVerdict>;
  /** Forgets an approved request whose execution is over (performed, failed or refused). */
  concluded(name: string): Promise<void>;
  /** `aiemp approve ID`: records the human's approval of a pending request and moves it. */
  approve(id: string, by: string): Promise<HumanDecision>;
  /** `aiemp reject ID`: moves a pending request to Rejected/ with the human's reason. */
  reject(id: string, by: string, reason?: string): Promise<HumanDecision>;
}

/** Reads a request file into its note, id and hash; throws when it is not a readable note. */
export async function readRequest(path: string): Promise<ReadRequest> {
  const note = parseNote(await Deno.readTextFile(path));
  const rawId = note.frontMatter.id;
  const id = typeof rawId === "string" || typeof rawId === "number"
    ? String(rawId)
    : basename(path).replace(/\.md$/i, "");
  return { note, id, hash: requestHash(note) };
}

/** Creates the approval registry over `layout` (see {@linkcode ApprovalRegistry}). */
export function createApprovalRegistry(options: ApprovalRegistryOptions): ApprovalRegistry {
  const { layout } = options;
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => {});
  const pendingFolder = layout.folder("Pending_Approval");
  let records: PendingRecords | undefined;
  /** Changes one after another: each reads the records the one before left. */
  let queue = Promise.resolve();
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work);
    queue = next.then(() => {}, () => {});
    return next;
  };

  async function load(): Promise<PendingRecords> {
    if (records) return records;
    try {
      const data = JSON.parse(await Deno.readTextFile(layout.approvals));
      records = (data?.requests ?? {}) as PendingRecords;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        log("warning", `.aiemp/approvals.json cannot be read (${error}); starting it afresh`);
      }
      records = {};
    }
    return records;
  }

  /** True while the records on disk lag behind the ones in memory (a full disk, a read-only vault). */
  let unsaved = false;

  /**
   * Makes `next` the records. They count at once; when the vault cannot be written just now they
   * are kept in memory (said once) and written by the next change or sweep.
   */
  async function save(next: PendingRecords) {
    records = next;
    try {
      await writeFileAtomic(layout.approvals, `${JSON.stringify({ requests: next }, null, 1)}\n`);
      if (unsaved) log("info", ".aiemp/approvals.json is written again");
      unsaved = false;
    } catch (error) {
      const problem = storageProblemOf(error);
      if (!problem) throw error;
      if (!unsaved) {
        log(
          "error",
          `Cannot write .aiemp/approvals.json: ${problem.what}; ${problem.fix}. ` +
            "Pending requests are kept in memory meanwhile",
        );
      }
      unsaved = true;
    }
  }

  /** Records one file found in Pending_Approval/. */
  async function sight(path: string): Promise<Sighting | undefined> {
    const name = basename(path);
    if (extname(name).toLowerCase() !== ".md") return undefined;
    let request: Pick<ReadRequest, "id" | "hash"> | ReadRequest;
    try {
      request = await readRequest(path);
    } catch (error) {
      if (!(error instanceof NoteError)) {
        if (!(error instanceof Deno.errors.NotFound)) {
          log("warning", `Pending_Approval/${name} cannot be read: ${errorText(error)}`);
        }
        return undefined;
      }
      // Recorded all the same: it was pending, and the executor says what is wrong with it.
      const text = await Deno.readTextFile(path).catch(() => undefined);
      if (text === undefined) return undefined;
      request = { id: name.replace(/\.md$/i, ""), hash: sha256Hex(text) };
    }
    const current = await load();
    const { records: next, sighting } = recordSighting(current, name, request, now());
    if (sighting === "unchanged") return sighting;
    await save(next);
    // A request drafted by the task loop's agent run names its task; aiemp's own carry its id.
    const task = "note" in request ? request.note.frontMatter.task : undefined;
    const drafter = typeof task !== "string"
      ? "unknown"
      : /^(CONFIRM|QUESTION)_/.test(name)
      ? "orchestrator"
      : "agent";
    await options.record({
      event: sighting === "new" ? "pending" : "edited",
      who: sighting === "new" ? drafter : "unknown",
      ...(typeof task === "string" ? { task } : {}),
      id: request.id,
      file: name,
      to: "Pending_Approval",
      hash: request.hash,
      why: sighting === "new"
        ? "a request appeared in Pending_Approval/ (drafted by the agent or written by hand)"
        : "the pending request was edited",
    });
    return sighting;
  }

  /** Forgets requests that left the approval folders without being executed. */
  async function forgetGone() {
    const current = await load();
    const here = new Set([
      ...await listNames(pendingFolder),
      ...await listNames(layout.folder("Approved")),
      ...await listNames(layout.inflight),
    ]);
    let next = current;
    for (const [name, record] of Object.entries(current)) {
      if (here.has(name)) continue;
      next = withoutRecord(next, name);
      // An approved one was executed or refused: the executor recorded where it went.
      if (record.state === "approved") continue;
      const rejected = await exists(join(layout.folder("Rejected"), name));
      await options.record({
        event: rejected ? "rejected" : "withdrawn",
        who: rejected ? "human" : "unknown",
        id: record.id,
        file: name,
        from: "Pending_Approval",
        to: rejected ? "Rejected" : undefined,
        hash: record.hash,
        why: rejected
          ? "moved from Pending_Approval/ to Rejected/"
          : "it left the approval folders without being executed (deleted or moved elsewhere)",
      });
    }
    if (next !== current || unsaved) await save(next);
    // A refusal's alert stays until the refused file is dealt with (moved or deleted).
    for (const key of refusalAlerts) {
      const places = [layout.folder("Rejected"), layout.inflight, layout.folder("Approved")];
      if (!(await anyExists(places.map((folder) => join(folder, key))))) {
        refusalAlerts.delete(key);
        options.alert(`refused:${key}`, "");
      }
    }
  }
  const refusalAlerts = new Set<string>();

  async function findPending(id: string): Promise<string | undefined> {
    const names = (await listNames(pendingFolder)).filter((n) =>
      extname(n).toLowerCase() === ".md"
    );
    const byName = names.find((n) => n === id || n.replace(/\.md$/i, "") === id);
    if (byName) return join(pendingFolder, byName);
    for (const name of names) {
      const request = await readRequest(join(pendingFolder, name)).catch(() => undefined);
      if (request?.id === id) return join(pendingFolder, name);
    }
    return undefined;
  }

  const notFound = (id: string) => ({
    ok: false,
    summary:
      `no request '${id}' in Pending_Approval/ (give its id or file name; see 'aiemp queue')`,
  });

  const registry: ApprovalRegistry = {
    scan: () =>
      serially(async () => {
        for (const name of await listNames(pendingFolder)) {
          if (!isTemporaryName(name)) await sight(join(pendingFolder, name));
        }
        await forgetGone();
      }),

    async run(signal) {
      await registry.scan();
      const sweep = setInterval(() => serially(forgetGone).catch(() => {}), 5000);
      try {
        await watchSettledFiles({
          folders: [pendingFolder],
          settleMs: 100,
          skip: isTemporaryName,
          onSettled: (path) => serially(() => sight(path)).then(() => {}),
        }, signal);
      } finally {
        clearInterval(sweep);
      }
    },

    judge: (name, request, historyRequired) =>
      serially(async () => {
        const current = await load();
        const record = recordOf(current, name);
        const keywords = approvalKeywordsIn(request.note, options.keywords);
        const verdict = judgeApproved({
          record,
          hash: request.hash,
          expiry: expiryOf(
            request.note.frontMatter,
            new Date(record?.first_seen ?? now()),
            options.defaultExpiryHours,
          ),
          historyRequired: historyRequired || keywords.length > 0,
          keywords,
          now: now(),
        });
        const base = { id: request.id, file: name, hash: request.hash };
        if (verdict.verdict === "perform") {
          if (record && verdict.firstApproval) {
            await save({ ...current, [name]: { ...record, state: "approved" } });
            if (!record.approved_by) {
              await options.record({
                event: "approved",
                who: "human",
                ...base,
                from: "Pending_Approval",
                to: "Approved",
                why: "moved from Pending_Approval/ to Approved/",
              });
            }
          }
        } else if (verdict.verdict === "refuse") {
          if (record) await save(withoutRecord(current, name));
          await options.record({
            event: "refused",
            who: "executor",
            ...base,
            from: "Approved",
            to: "Rejected",
            why: verdict.reason,
          });
          refusalAlerts.add(name);
          options.alert(
            `refused:${name}`,
            `${name} appeared in Approved/ but was not performed: ${
              verdict.why === "never_pending"
                ? "it was never pending, so no human approved it"
                : "it differs from what was pending"
            }. It is in Rejected/ with the reason; this alert goes when you move or delete it.`,
          );
          log("warning", `${name} refused: ${verdict.reason}`);
        } else {
          await options.record({
            event: "expired",
            who: "executor",
            ...base,
            from: "Approved",
            to: "Pending_Approval",
            why: verdict.reason,
          });
        }
        return verdict;
      }),

    concluded: (name) =>
      serially(async () => {
        const current = await load();
        if (current[name]) await save(withoutRecord(current, name));
      }),

    approve: (id, by) =>
      serially(async () => {
        const path = await findPending(id);
        if (!path) return notFound(id);
        const name = basename(path);
        await sight(path);
        let request: ReadRequest;
        try {
          request = await readRequest(path);
        } catch (error) {
          return {
            ok: false,
            summary: `${name} cannot be approved: ${errorText(error)}; fix it in ` +
              "Pending_Approval/ first",
          };
        }
        const current = await load();
        const at = now().toISOString();
        await save({ ...current, [name]: { ...current[name], approved_by: by, approved_at: at } });
        await options.record({
          event: "approved",
          who: "human",
          by,
          via: "aiemp approve",
          id: request.id,
          file: name,
          from: "Pending_Approval",
          to: "Approved",
          hash: request.hash,
          why: `approved by ${by} with 'aiemp approve'`,
        });
        const target = await moveInto(path, layout.folder("Approved"));
        return { ok: true, summary: `approved ${basename(target)}; it is performed next` };
      }),

    reject: (id, by, reason) =>
      serially(async () => {
        const path = await findPending(id);
        if (!path) return notFound(id);
        const name = basename(path);
        const request = await readRequest(path).catch(() => undefined);
        const why = reason?.trim() || "rejected by the owner";
        if (request) {
          const { note } = request;
          const body = replaceSection(
            note.body,
            "rejected",
            `Rejected by ${by} on ${now().toISOString()}: ${why}`,
            "## Rejected",
          );
          await writeFileAtomic(
            path,
            renderNote({ ...note.frontMatter, status: "rejected", rejected_reason: why }, body),
          );
        }
        const target = await moveInto(path, layout.folder("Rejected"));
        const current = await load();
        if (current[name]) await save(withoutRecord(current, name));
        await options.record({
          event: "rejected",
          who: "human",
          by,
          via: "aiemp reject",
          id: request?.id ?? name,
          file: basename(target),
          from: "Pending_Approval",
          to: "Rejected",
          why,
        });
        return { ok: true, summary: `rejected ${basename(target)}: ${why}` };
      }),
  };
  return registry;
}

async function anyExists(paths: string[]): Promise<boolean> {
  for (const path of paths) if (await exists(path)) return true;
  return false;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
