/**
 * The command line: `aiemp <command>`, parsed with commander. Each command is a thin shell over the
 * orchestrator, vault and scheduler parts; errors become one line on stderr and a non-zero exit.
 * @module
 */
import { Command, CommanderError, Option } from "commander";
import { ConfigError, type Environment, readEnvironment, resolveVaultPath } from "../config/mod.ts";
import {
  healthProblems,
  readStatus,
  restartComponent,
  StartError,
  startOrchestrator,
  stopOrchestrator,
  versionText,
} from "../orchestrator/mod.ts";
import { ScheduleError } from "../scheduler/mod.ts";
import { initVault, NoteError, vaultLayout, VaultLockedError } from "../vault/mod.ts";
import { type CliOutput, duration, table, terminal } from "./_output.ts";
import { registerApprovalCommands } from "./_approvals.ts";
import { registerAuthCommands } from "./_auth.ts";
import { registerDoctorCommand } from "./_doctor.ts";
import { registerLoginCommands } from "./_login.ts";
import { registerServiceCommands } from "./_service.ts";
import { registerScheduleCommands } from "./_schedules.ts";
import { registerTaskCommands } from "./_tasks.ts";

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
    .version(versionText(), "-V, --version")
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

  program.command("restart")
    .description("resume a paused component, or restart a running one now")
    .argument("<name>", "the component's name (see 'aiemp status')")
    .action(async (name) => {
      out.out(await restartComponent(vault(), name));
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
      for (const session of status.sessions) {
        const state = session.state.replace("_", " ");
        out.out(
          `Session ${session.platform}: ${state} (checked ${
            session.checked_at.slice(0, 19).replace("T", " ")
          } UTC)${session.fix ? `; ${session.fix}` : ""}`,
        );
      }
      for (const account of status.social) {
        out.out(`Social ${account.platform} (${account.driver}): ${account.message}`);
      }
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

  registerScheduleCommands(program, { out, env, vault, setExit });
  registerApprovalCommands(program, { out, env, vault, setExit });
  registerTaskCommands(program, { out, env, vault, setExit });
  registerAuthCommands(program, { out, env, vault, setExit });
  registerDoctorCommand(program, { out, env, vault, setExit });
  registerLoginCommands(program, { out, env, vault, setExit });
  registerServiceCommands(program, { out, env, vault, setExit });
  return program;
}
