/**
 * The command line: `aiemp <command>`, parsed with commander. Each command is a thin shell over the
 * orchestrator, vault and scheduler parts; errors become one line on stderr and a non-zero exit.
 * @module
 */
import { Command, CommanderError, Option } from "commander";
import { ConfigError, type Environment, readEnvironment, resolveVaultPath } from "../config/mod.ts";
import {
  healthProblems,
  lastRunsOf,
  loadVaultSchedules,
  readState,
  readStatus,
  StartError,
  startOrchestrator,
  stopOrchestrator,
  triggerTask,
  VERSION,
} from "../orchestrator/mod.ts";
import { dueTasks, nextRunTime, ScheduleError } from "../scheduler/mod.ts";
import {
  initVault,
  NoteError,
  type VaultLayout,
  vaultLayout,
  VaultLockedError,
} from "../vault/mod.ts";
import { type CliOutput, duration, table, terminal } from "./_output.ts";

export type { CliOutput } from "./_output.ts";

/** Errors whose message is the whole story: shown as one line, without a stack. */
const EXPECTED_ERRORS = [ConfigError, ScheduleError, StartError, VaultLockedError, NoteError];

/**
 * Runs the CLI with `args` (without the program name) and returns the exit code.
 *
 * @example
 * ```ts
 * const code = await runCli(["status", "--json", "--vault", "/tmp/v"]);
 * ```
 */
export async function runCli(
  args: string[],
  output: CliOutput = terminal,
  env: Environment = readEnvironment(),
): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(output, env, (code) => exitCode = code);
  try {
    await program.parseAsync(args, { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    const verbose = args.includes("--verbose");
    const expected = EXPECTED_ERRORS.some((kind) => error instanceof kind);
    const text = error instanceof Error ? error.message : String(error);
    output.err(`aiemp: ${text}${expected || verbose ? "" : " (run with --verbose for details)"}`);
    if (verbose && error instanceof Error && error.stack) output.err(error.stack);
    return 1;
  }
}

function buildProgram(out: CliOutput, env: Environment, setExit: (code: number) => void): Command {
  const program = new Command("aiemp")
    .description(
      "Your personal AI employee: watches your vault, drafts with an AI agent, acts only on what you approve.",
    )
    .version(VERSION, "-V, --version")
    .option("--vault <dir>", "the vault (default: $AIEMP_VAULT, then ~/AI_Employee_Vault)")
    .option("--verbose", "show details (a stack trace) on errors")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => out.out(s.trimEnd()),
      writeErr: (s) => out.err(s.trimEnd()),
    })
    .showHelpAfterError("(run 'aiemp --help' for usage)");
  const vault = () => vaultLayout(resolveVaultPath(program.opts().vault, env));
  const json = (value: unknown) => out.out(JSON.stringify(value, null, 2));

  const vaultCommand = program.command("vault").description("create and look after vaults");
  vaultCommand.command("init")
    .description(
      "create a vault from the template, or add what is missing to one (never overwrites)",
    )
    .option(
      "--path <dir>",
      "where to create it (default: the vault resolved as for other commands)",
    )
    .action(async (options) => {
      const root = options.path ?? resolveVaultPath(program.opts().vault, env);
      const report = await initVault(root);
      out.out(
        `Vault at ${report.root}: ${report.created.length} created, ${report.kept.length} kept as they were.`,
      );
      for (const name of report.created) out.out(`  + ${name}`);
    });

  program.command("start")
    .description("run the orchestrator on the vault until stopped (creates the vault if missing)")
    .option("--once", "sweep once (files waiting, due schedules), print a JSON summary, exit")
    .option("--dry-run", "contact nothing outside; record what would be sent (also DRY_RUN=true)")
    .option("--no-watchers", "start no watchers; approvals and schedules still run")
    .addOption(
      new Option("--log-format <format>", "log lines as text or JSON").choices(["text", "json"]),
    )
    .action(async (options) => {
      const summary = await startOrchestrator(resolveVaultPath(program.opts().vault, env), {
        env,
        once: options.once,
        dryRun: options.dryRun,
        noWatchers: options.watchers === false,
        logFormat: options.logFormat,
        print: out.out,
      });
      if (summary) json(summary);
    });

  program.command("stop")
    .description("stop the orchestrator running on the vault, gracefully")
    .action(async () => {
      const pid = await stopOrchestrator(vault());
      out.out(pid ? `Stopped aiemp (PID ${pid}).` : "aiemp is not running on this vault.");
    });

  program.command("status")
    .description("whether aiemp runs, its components, and the items in each folder")
    .option("--json", "print JSON")
    .action(async (options) => {
      const status = await readStatus(vault());
      if (options.json) return json(status);
      out.out(
        status.running
          ? `aiemp is running on ${status.vault} (PID ${status.pid}, up ${
            duration(status.uptime_s ?? 0)
          })`
          : `aiemp is not running on ${status.vault}`,
      );
      if (status.dry_run && status.running) out.out("Dry run: on (nothing is sent)");
      if (status.components.length) {
        out.out("Components:");
        const rows = status.components.map((c) => [
          `  ${c.description}`,
          c.state,
          `since ${c.since.slice(0, 19).replace("T", " ")}`,
          `restarts ${c.restarts}`,
        ]);
        table(rows).forEach((line) => out.out(line));
      }
      out.out("Items: " + Object.entries(status.counts).map(([f, n]) => `${f} ${n}`).join(" · "));
      for (const alert of status.alerts) out.out(`Alert: ${alert}`);
    });

  program.command("health")
    .description("exit 0 when aiemp runs and every component is up, 1 otherwise")
    .option("--json", "print JSON")
    .action(async (options) => {
      const status = await readStatus(vault());
      const problems = healthProblems(status);
      if (options.json) {
        json({
          healthy: problems.length === 0,
          running: status.running,
          problems,
          components: status.components,
        });
      } else {out.out(
          problems.length === 0
            ? "healthy"
            : `not healthy:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
        );}
      setExit(problems.length === 0 ? 0 : 1);
    });

  const schedules = program.command("schedules").description("the scheduled tasks of the vault");
  schedules.command("list")
    .description("every scheduled task, when it runs, when it last ran and runs next")
    .option("--json", "print JSON")
    .action(async (options) => {
      const { tasks, lastRuns } = await schedulesOf(vault());
      const now = new Date();
      const rows = tasks.map((task) => {
        const last = lastRuns[task.name];
        const next = nextRunTime(task, last ? new Date(last) : undefined, now);
        return { ...task, last_run: last ?? null, next_run: next?.toISOString() ?? null };
      });
      if (options.json) return json(rows);
      table([
        ["NAME", "WHEN", "ENABLED", "LAST RUN", "NEXT RUN"],
        ...rows.map((r) => [
          r.name,
          describeWhen(r),
          r.enabled ? "yes" : "no",
          r.last_run?.slice(0, 16).replace("T", " ") ?? "never",
          r.next_run?.slice(0, 16).replace("T", " ") ?? "-",
        ]),
      ]).forEach((line) => out.out(line));
    });
  schedules.command("check")
    .description("the scheduled tasks that are due now")
    .option("--json", "print JSON")
    .action(async (options) => {
      const { tasks, lastRuns } = await schedulesOf(vault());
      const due = dueTasks(tasks, lastRuns, new Date());
      if (options.json) return json(due.map((task) => task.name));
      out.out(
        due.length ? `Due now: ${due.map((task) => task.name).join(", ")}` : "Nothing is due now.",
      );
    });

  program.command("trigger")
    .description("run a scheduled task now")
    .argument("<name>", "the task's name (see 'aiemp schedules list')")
    .option("--dry-run", "contact nothing outside; the agent gets DRY_RUN=true")
    .action(async (name, options) => {
      const result = await triggerTask(vault(), name, { dryRun: options.dryRun ?? false, env });
      out.out(`${name}: ${result.ok ? "ok" : "failed"}: ${result.summary}`);
      setExit(result.ok ? 0 : 1);
    });
  return program;
}

/** A vault's schedules and when each last ran. */
async function schedulesOf(layout: VaultLayout) {
  const [tasks, state] = await Promise.all([loadVaultSchedules(layout), readState(layout.state)]);
  return { tasks, lastRuns: lastRunsOf(state) };
}

function describeWhen(
  task: {
    frequency: string;
    time_of_day?: string;
    day_of_week?: string | number;
    interval_minutes?: number;
  },
) {
  switch (task.frequency) {
    case "every_n_minutes":
      return `every ${task.interval_minutes} min`;
    case "hourly":
      return "hourly";
    case "weekly":
      return `${task.day_of_week} ${task.time_of_day}`;
    default:
      return `${task.frequency} ${task.time_of_day}`;
  }
}
