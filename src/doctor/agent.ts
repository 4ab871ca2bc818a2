/**
 * The agent's checks: its CLI runs and says its version, and the vault's settings file keeps it
 * out of what it must not touch.
 * @module
 */
import { join } from "node:path";
import { AGENT_SETTINGS_FILE, agentSettingsProblem } from "../agent/mod.ts";
import type { Config } from "../config/mod.ts";
import type { ScheduledTask } from "../scheduler/mod.ts";
import { type InstalledService, LAUNCHD_LABEL, UNIT_NAME } from "../service/mod.ts";
import type { VaultLayout } from "../vault/mod.ts";
import { firstLine, shellWord } from "./_shell.ts";
import type { CommandRunner, DoctorCheck } from "./types.ts";

/** How long `<agent> --version` may take. */
const VERSION_TIMEOUT_MS = 15_000;

/** How to install Claude Code, the default agent. */
const INSTALL_CLAUDE = "install Claude Code (npm install -g @anthropic-ai/claude-code)";

/**
 * What runs the agent: the task loop when it is on, and each enabled schedule that requires the
 * agent when the scheduler is on. Pure.
 *
 * @example
 * ```ts
 * agentUsers(config, tasks); // ["the task loop", "the schedules morning_triage, linkedin_post"]
 * ```
 */
export function agentUsers(config: Config, tasks: readonly ScheduledTask[]): string[] {
  const users: string[] = [];
  if (config.tasks.enabled) users.push("the task loop");
  const scheduled = config.scheduler.enabled
    ? tasks.filter((task) => task.enabled && task.requires_agent).map((task) => task.name)
    : [];
  if (scheduled.length === 1) users.push(`the schedule ${scheduled[0]}`);
  if (scheduled.length > 1) users.push(`the schedules ${scheduled.join(", ")}`);
  return users;
}

/**
 * `agent.command --version` runs (in the vault, with a short timeout) and says a version.
 * Required when `users` (see {@linkcode agentUsers}) is not empty. When a service is installed,
 * a command given by name must also be on the service's `PATH` (the fixed one its unit or plist
 * sets, not this terminal's): found on this terminal's alone, it warns, with the full path to
 * set as `agent.command`.
 */
export async function agentCliCheck(
  config: Config,
  users: readonly string[],
  options: { run: CommandRunner; cwd?: string; service?: InstalledService },
): Promise<DoctorCheck> {
  const command = config.agent.command;
  const required = users.length > 0;
  const base = { id: "agent_cli", title: "Agent CLI", required };
  const why = required
    ? `needed by ${users.join(" and ")}`
    : "not needed now: the task loop and every agent schedule are off";
  const where = command.includes("/") ? `at ${command}` : "on PATH";
  const setIt = "set agent.command in aiemp.yaml to the agent's name on PATH or its path";
  const notFoundFix = command === "claude"
    ? `${INSTALL_CLAUDE}, or ${setIt}`
    : `${setIt}, or install the program '${command}'`;
  const brokenFix = `check that '${command} --version' works in a terminal; ${
    command === "claude" ? `if not, ${INSTALL_CLAUDE} again` : `if not, ${setIt}`
  }`;
  const failed = required ? false : "warn";
  const outcome = await options.run(command, ["--version"], {
    cwd: options.cwd,
    timeoutMs: VERSION_TIMEOUT_MS,
  });
  if (!outcome.ran) {
    const detail = outcome.reason === "not_found"
      ? `'${command}' is not found ${where}`
      : outcome.reason === "timeout"
      ? `'${command} --version' ${outcome.message}`
      : `cannot run '${command}': ${outcome.message}`;
    const fix = outcome.reason === "not_found"
      ? notFoundFix
      : outcome.reason === "denied"
      ? `make it executable: chmod +x ${shellWord(command)}`
      : brokenFix;
    return { ...base, ok: failed, detail: `${detail}; ${why}`, fix };
  }
  if (outcome.code !== 0) {
    const said = firstLine(outcome.stderr) || firstLine(outcome.stdout);
    return {
      ...base,
      ok: failed,
      detail: `'${command} --version' exited with ${outcome.code}${
        said ? `: ${said}` : ""
      }; ${why}`,
      fix: brokenFix,
    };
  }
  const version = firstLine(outcome.stdout) || firstLine(outcome.stderr);
  const found = `${command} ${where}, ${version ? `version ${version}` : "printed no version"}`;
  const service = options.service;
  if (
    !command.includes("/") && service?.installed && service.path !== undefined &&
    await onPath(command, service.path) === undefined
  ) {
    const full = await fullPath(command, options);
    return {
      ...base,
      ok: "warn",
      detail: `${found}, but not on the service's PATH (${service.path}), so the service ` +
        `cannot start it; ${why}`,
      fix: `set agent.command in aiemp.yaml to its full path, ${
        full ?? `which 'command -v ${shellWord(command)}' prints`
      }, then restart the service: ${restartCommand(service)}`,
    };
  }
  return { ...base, ok: true, detail: `${found}; ${why}` };
}

/** The executable file `command` names in one of the folders of `path`, if there is one. */
async function onPath(command: string, path: string): Promise<string | undefined> {
  for (const folder of path.split(":")) {
    if (!folder.startsWith("/")) continue; // The service's working folder is not this one.
    const file = join(folder, command);
    const info = await Deno.stat(file).catch(() => undefined);
    if (info?.isFile && ((info.mode ?? 0o755) & 0o111) !== 0) return file;
  }
  return undefined;
}

/** Where this terminal's PATH finds `command` (`command -v`), when it says. */
async function fullPath(
  command: string,
  options: { run: CommandRunner; cwd?: string },
): Promise<string | undefined> {
  const answer = await options.run("sh", ["-c", 'command -v -- "$1"', "sh", command], {
    cwd: options.cwd,
  });
  const line = answer.ran && answer.code === 0 ? firstLine(answer.stdout, 4096) : "";
  return line.startsWith("/") ? line : undefined;
}

/** The command that restarts the installed service, so it reads aiemp.yaml again. */
function restartCommand(service: InstalledService): string {
  const where = service.location;
  if (where.manager === "launchd") return `launchctl kickstart -k gui/$(id -u)/${LAUNCHD_LABEL}`;
  return where.scope === "system"
    ? `sudo systemctl restart ${UNIT_NAME}`
    : `systemctl --user restart ${UNIT_NAME}`;
}

/**
 * The vault's `.claude/settings.json` holds every deny rule that keeps the agent out of
 * Approved/, Done/, Rejected/, `.aiemp/` and the secrets, and no allow rule re-opens them: the
 * check aiemp makes before every agent run. Required: without it aiemp refuses to run the agent.
 */
export async function agentSettingsCheck(layout: VaultLayout): Promise<DoctorCheck> {
  const base = { id: "agent_settings", title: "Agent settings", required: true };
  const problem = await agentSettingsProblem(layout.root);
  if (!problem) {
    return {
      ...base,
      ok: true,
      detail: `${AGENT_SETTINGS_FILE} holds every required deny rule`,
    };
  }
  return {
    ...base,
    ok: false,
    // The message ends with its own fix, given here in full as `fix`.
    detail: problem.replace(/^the agent was not run: /, "").replace(/\. (Run|Fix it|Or) .*$/s, ""),
    fix:
      `restore the deny rules in ${layout.root}/${AGENT_SETTINGS_FILE}, or delete the file and ` +
      `run 'aiemp vault init --path ${shellWord(layout.root)}' to put the template's back`,
  };
}
