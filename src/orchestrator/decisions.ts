import { createApprovalRegistry, type HumanDecision } from "../approvals/mod.ts";
import { createAuditLog } from "../audit/mod.ts";
import { redactValue } from "../secrets/mod.ts";
import { type Environment, loadConfig } from "../config/mod.ts";
import { runningOwner, type VaultLayout } from "../vault/mod.ts";
import { whileNotRunning } from "./offline.ts";
import { submitRequest } from "./requests.ts";

/** A human's decision on a pending request, from the command line. */
export interface Decision {
  /** `approve` moves it to Approved/; `reject` to Rejected/. */
  kind: "approve" | "reject";
  /** The request's id or file name. */
  id: string;
  /** For a rejection: why (written into the request and the audit log). */
  reason?: string;
}

/**
 * `aiemp approve ID` / `aiemp reject ID`: records the decision, naming the user, in the audit log
 * and moves the request. The running orchestrator does it (it is the audit log's only writer);
 * with none running, this process does, holding the vault's lock.
 */
export async function decideRequest(
  layout: VaultLayout,
  decision: Decision,
  env: Environment,
): Promise<HumanDecision> {
  const by = env.USER || "the owner";
  if (await runningOwner(layout.lock)) {
    const answer = await submitRequest(layout.requests, { ...decision, by }, 10_000) as
      | HumanDecision
      | undefined;
    if (!answer) throw new Error("The running aiemp did not answer within 10s");
    return answer;
  }
  const config = loadConfig(
    await Deno.readTextFile(layout.config).catch(() => undefined),
    env,
    {},
    layout.config,
  );
  return await whileNotRunning(layout, () => {
    const audit = createAuditLog(layout.audit, { filter: redactValue });
    const registry = createApprovalRegistry({
      layout,
      defaultExpiryHours: config.approvals.default_expiry_hours,
      keywords: config.approval_keywords,
      record: (entry) => audit.append(entry),
      alert: () => {},
    });
    return decision.kind === "approve"
      ? registry.approve(decision.id, by)
      : registry.reject(decision.id, by, decision.reason);
  });
}
