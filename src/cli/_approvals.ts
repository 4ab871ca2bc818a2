import type { Command } from "commander";
import { historyOf, readAuditLog, verifyAuditLog } from "../audit/mod.ts";
import { decideRequest } from "../orchestrator/mod.ts";
import { type CommandContext, table } from "./_output.ts";

/** What the approval and audit commands need from the program. */
export type ApprovalCommandContext = CommandContext;

/**
 * Adds `aiemp approve ID`, `aiemp reject ID [--reason TEXT]`, `aiemp audit verify` and
 * `aiemp audit show ID [--json]` to the program.
 */
export function registerApprovalCommands(program: Command, context: ApprovalCommandContext): void {
  const { out, env, vault, setExit } = context;
  const decided = (result: { ok: boolean; summary: string }) => {
    (result.ok ? out.out : out.err)(result.ok ? result.summary : `aiemp: ${result.summary}`);
    setExit(result.ok ? 0 : 1);
  };

  program.command("approve")
    .description("approve a pending request (moves it to Approved/; the audit log names you)")
    .argument("<id>", "the request's id or file name in Pending_Approval/")
    .action(async (id) => decided(await decideRequest(vault(), { kind: "approve", id }, env)));

  program.command("reject")
    .description("reject a pending request (moves it to Rejected/ with your reason)")
    .argument("<id>", "the request's id or file name in Pending_Approval/")
    .option("--reason <text>", "why, written into the request and the audit log")
    .action(async (id, options) =>
      decided(await decideRequest(vault(), { kind: "reject", id, reason: options.reason }, env))
    );

  const audit = program.command("audit").description("check and read the audit log");
  audit.command("verify")
    .description("check that no entry of .aiemp/audit.jsonl was changed, removed or inserted")
    .action(async () => {
      const verdict = await verifyAuditLog(vault().audit);
      const unfinished = verdict.unfinished
        ? ` (plus an unfinished last entry of ${verdict.unfinished} bytes, being written or cut off by a crash)`
        : "";
      if (verdict.ok) {
        out.out(
          `The audit log is intact: ${verdict.entries} entries, each chained to the one before${unfinished}.`,
        );
        return setExit(0);
      }
      const broken = verdict.broken!;
      out.err(
        `aiemp: the audit log is broken at entry ${broken.line} (line ${broken.line} of ${vault().audit}): ${broken.problem}. The ${verdict.entries} entries before it are intact.`,
      );
      out.err(`  ${broken.text}`);
      setExit(1);
    });

  audit.command("show")
    .description("print the history of one item: every change, who made it, when and why")
    .argument("<id>", "the item's id (or file name)")
    .option("--json", "print JSON")
    .action(async (id, options) => {
      const history = historyOf(await readAuditLog(vault().audit), id);
      if (options.json) return out.out(JSON.stringify(history, null, 2));
      if (history.length === 0) {
        out.err(`aiemp: no entries for '${id}' in the audit log`);
        return setExit(1);
      }
      const rows = history.map((e) => [
        e.ts.slice(0, 19).replace("T", " "),
        String(e.who ?? ""),
        e.event,
        e.from || e.to ? `${e.from ?? "·"} → ${e.to ?? "·"}` : "",
        String(e.why ?? e.reason ?? e.detail ?? ""),
      ]);
      table(rows).forEach((line) => out.out(line));
    });
}
