import type { Command } from "commander";
import {
  loadVaultRegistry,
  readState,
  setScheduleEnabled,
  triggerTask,
} from "../orchestrator/mod.ts";
import { describeMiss, describeWhen, scheduleRows } from "../scheduler/mod.ts";
import type { VaultLayout } from "../vault/mod.ts";
import { type CliOutput, type CommandContext, table } from "./_output.ts";

/** What the schedule commands need from the program. */
export type ScheduleCommandContext = CommandContext;

/** A vault's schedules, their records, and the entries that were refused (told on stderr). */
async function schedulesOf(layout: VaultLayout, out: CliOutput, now: Date) {
  const [{ tasks, errors }, state] = await Promise.all([
    loadVaultRegistry(layout),
    readState(layout.state),
  ]);
  for (const error of errors) out.err(`aiemp: ${error}`);
  return scheduleRows(tasks, state.schedules, now);
}

/**
 * Adds `aiemp schedules list|check|enable|disable` and `aiemp trigger` to the program.
 */
export function registerScheduleCommands(program: Command, context: ScheduleCommandContext): void {
  const { out, env, vault, setExit } = context;
  const now = context.now ?? (() => new Date());
  const json = (value: unknown) => out.out(JSON.stringify(value, null, 2));
  const schedules = program.command("schedules").description("the scheduled tasks of the vault");

  schedules.command("list")
    .description(
      "every scheduled task: when it runs, its last run and result, missed runs, next run",
    )
    .option("--json", "print JSON")
    .action(async (options) => {
      const rows = await schedulesOf(vault(), out, now());
      if (options.json) return json(rows);
      table([
        ["NAME", "WHEN", "ENABLED", "LAST RUN", "RESULT", "NEXT RUN", "LAST MISSED"],
        ...rows.map((r) => [
          r.name,
          describeWhen(r),
          r.enabled ? "yes" : "no",
          r.last_run ? r.last_run.slice(0, 16).replace("T", " ") + "Z" : "never",
          r.last_result ?? "-",
          r.next_run_local ?? "-",
          r.missed[0] ? describeMiss(r.missed[0]) : "-",
        ]),
      ]).forEach((line) => out.out(line));
      const failed = rows.filter((r) => r.last_result === "failed");
      for (const r of failed) out.out(`${r.name} last failed: ${r.last_summary}`);
    });

  schedules.command("check")
    .description("the scheduled tasks that are due now")
    .option("--json", "print JSON")
    .action(async (options) => {
      const due = (await schedulesOf(vault(), out, now())).filter((r) => r.due);
      if (options.json) return json(due.map((r) => r.name));
      out.out(due.length ? `Due now: ${due.map((r) => r.name).join(", ")}` : "Nothing is due now.");
    });

  for (const [verb, enabled] of [["enable", true], ["disable", false]] as const) {
    schedules.command(verb)
      .description(`${verb} a task in this vault's schedules.yaml (a running aiemp picks it up)`)
      .argument("<name>", "the task's name (see 'aiemp schedules list')")
      .option("--json", "print JSON")
      .action(async (name, options) => {
        const message = await setScheduleEnabled(vault(), name, enabled);
        if (options.json) return json({ name, enabled, file: vault().schedules });
        out.out(message);
      });
  }

  program.command("trigger")
    .description("run a scheduled task now (also a disabled one) and print its result as JSON")
    .argument("<name>", "the task's name (see 'aiemp schedules list')")
    .option("--dry-run", "contact nothing outside; the agent gets DRY_RUN=true")
    .action(async (name, options) => {
      const result = await triggerTask(vault(), name, { dryRun: options.dryRun ?? false, env });
      json({ name, ...result });
      setExit(result.ok ? 0 : 1);
    });
}
