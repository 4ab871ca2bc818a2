/**
 * `aiemp doctor [--json]`: every check of src/doctor on the vault and its machine, one line each
 * with the fix under each problem; exit 0 only when every required check passes.
 * @module
 */
import type { Command } from "commander";
import type { CommandContext } from "./_output.ts";

/** Adds `aiemp doctor [--json]` to the program. */
export function registerDoctorCommand(program: Command, context: CommandContext): void {
  const { out, env, setExit } = context;
  program.command("doctor")
    .description(
      "check the vault, the agent, the channels' credentials, the service, disk space and the clock, each with its fix (exit 1 when a required check fails)",
    )
    .option("--json", "print JSON")
    .action(async (options) => {
      // Loaded when asked for: its checks reach into every part, which no other command needs.
      const { failedRequired, renderDoctorReport, runDoctor } = await import("../doctor/mod.ts");
      const layout = context.vault();
      const checks = await runDoctor({ vault: layout.root, env, now: context.now });
      const ok = failedRequired(checks).length === 0;
      if (options.json) {
        out.out(JSON.stringify({ ok, vault: layout.root, checks }, null, 2));
      } else {
        for (const line of renderDoctorReport(checks)) out.out(line);
      }
      setExit(ok ? 0 : 1);
    });
}
