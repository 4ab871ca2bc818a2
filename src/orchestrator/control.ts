import { type Environment, loadConfig } from "../config/mod.ts";
import { ScheduleError, type TaskResult } from "../scheduler/mod.ts";
import { restartsToday } from "../supervisor/mod.ts";
import { runningOwner, type VaultLayout } from "../vault/mod.ts";
import { whileNotRunning } from "./offline.ts";
import { countItems, StatusBoard } from "./board.ts";
import { submitRequest } from "./requests.ts";
import { createVaultScheduler } from "./run_task.ts";
import { loadVaultSchedules } from "./schedules.ts";
import { readState, writeState } from "./state.ts";

/** What `aiemp status --json` prints. */
export interface StatusReport {
  /** The vault's root folder. */
  vault: string;
  /** Whether an orchestrator holds the vault's lock. */
  running: boolean;
  /** The running orchestrator's process id. */
  pid?: number;
  /** When the running orchestrator started (ISO 8601). */
  started?: string;
  /** Seconds since it started. */
  uptime_s?: number;
  /** Whether the orchestrator runs (or last ran) in dry-run mode. */
  dry_run: boolean;
  /** Each component as last reported; `stopped` when no orchestrator runs. */
  components: {
    id: string;
    description: string;
    state: string;
    since: string;
    restarts: number;
    restarts_today: number;
    last_error?: string;
  }[];
  /** Items per vault folder, counted now. */
  counts: Record<string, number>;
  /** Open alerts, as on the Dashboard. */
  alerts: string[];
  /** Each social platform set up, how it posts and how its token stands, as last checked. */
  social: { platform: string; driver: string; state: string; message: string }[];
  /** Each browser channel's session as last seen: logged in, logged out or broken. */
  sessions: {
    platform: string;
    state: string;
    checked_at: string;
    detail?: string;
    fix?: string;
  }[];
}

/**
 * Reads the state of a vault's orchestrator without disturbing it: whether it runs (by its lock),
 * its components as it last reported them, and the items per folder now.
 */
export async function readStatus(layout: VaultLayout, now = new Date()): Promise<StatusReport> {
  const owner = await runningOwner(layout.lock);
  const state = await readState(layout.state);
  const running = owner !== undefined;
  return {
    vault: layout.root,
    running,
    ...(running
      ? {
        pid: owner.pid,
        started: owner.started,
        uptime_s: Math.max(0, Math.round((now.getTime() - Date.parse(owner.started)) / 1000)),
      }
      : {}),
    dry_run: state.dry_run,
    components: state.components.map((c) => ({
      id: c.id,
      description: c.description,
      state: running || c.state === "paused" ? c.state : "stopped",
      since: c.since,
      restarts: c.restarts,
      restarts_today: restartsToday(c, now),
      ...(c.lastError ? { last_error: c.lastError } : {}),
    })),
    counts: await countItems(layout),
    alerts: Object.values(state.alerts),
    social: (state.social_accounts ?? []).map(({ platform, driver, state, message }) => ({
      platform,
      driver,
      state,
      message,
    })),
    sessions: Object.values(state.sessions ?? {}).map((s) => ({
      platform: s.platform,
      state: s.state,
      checked_at: s.checkedAt,
      ...(s.detail ? { detail: s.detail } : {}),
      ...(s.fix ? { fix: s.fix } : {}),
    })),
  };
}

/** What is wrong with a status, in the owner's words; none means healthy. */
export function healthProblems(status: StatusReport): string[] {
  if (!status.running) return ["aiemp is not running on this vault; start it with 'aiemp start'"];
  const problems = status.components
    .filter((c) => c.state !== "running")
    .map((c) =>
      `${c.description} is ${c.state}${c.last_error ? ` (${c.last_error})` : ""}${
        c.state === "paused" ? `; fix the cause, then run 'aiemp restart ${c.id}'` : ""
      }`
    );
  if (status.components.length === 0) problems.push("no component has reported yet");
  return problems;
}

/**
 * Asks the orchestrator on this vault to stop (SIGTERM) and waits until it has released the lock.
 * Returns the PID it stopped, or undefined when none was running.
 */
export async function stopOrchestrator(
  layout: VaultLayout,
  timeoutMs = 15_000,
): Promise<number | undefined> {
  const owner = await runningOwner(layout.lock);
  if (!owner) return undefined;
  Deno.kill(owner.pid, Deno.build.os === "windows" ? "SIGINT" : "SIGTERM");
  const deadline = Date.now() + timeoutMs;
  while (await runningOwner(layout.lock)) {
    if (Date.now() > deadline) {
      throw new Error(
        `aiemp (PID ${owner.pid}) did not stop within ${timeoutMs / 1000}s; check Logs/system.log`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return owner.pid;
}

/**
 * Runs a scheduled task now (`aiemp trigger`), whether due or not. When an orchestrator runs on the
 * vault, it runs the task (after any task in progress, so a task never overlaps itself, and it stays
 * the only writer of the Dashboard); otherwise this process does, holding the vault's lock.
 */
export async function triggerTask(
  layout: VaultLayout,
  name: string,
  options: { dryRun: boolean; env: Environment; now?: () => Date },
): Promise<TaskResult> {
  const tasks = await loadVaultSchedules(layout);
  const task = tasks.find((t) => t.name === name);
  if (!task) {
    throw new ScheduleError(
      `No schedule named '${name}'; 'aiemp schedules list' shows them: ${
        tasks.map((t) => t.name).join(", ")
      }`,
    );
  }
  if (await runningOwner(layout.lock)) {
    // It may first wait for a task in progress: one at a time, never overlapping.
    const longest = Math.max(...tasks.map((t) => t.timeout_minutes));
    const timeoutMs = (task.timeout_minutes + longest) * 60_000 + 30_000;
    const answer = await submitRequest(layout.requests, {
      kind: "trigger",
      name,
      dryRun: options.dryRun,
    }, timeoutMs);
    if (answer === undefined) {
      throw new Error(`The running aiemp did not answer within ${timeoutMs / 1000}s`);
    }
    return answer as TaskResult;
  }
  const config = loadConfig(
    await Deno.readTextFile(layout.config).catch(() => undefined),
    options.env,
    { dryRun: options.dryRun },
    layout.config,
  );
  const clock = options.now ?? (() => new Date());
  return await whileNotRunning(layout, async () => {
    const board = new StatusBoard(layout, config, await readState(layout.state), clock);
    const scheduler = createVaultScheduler({
      layout,
      config,
      board,
      clock,
      log: () => {},
    });
    const result = await scheduler.trigger(name, { dryRun: options.dryRun }) ??
      { ok: false, summary: `no schedule named '${name}'` };
    await board.flush();
    return result;
  }, clock);
}

/**
 * `aiemp restart NAME`: the running orchestrator resumes the paused component (or restarts a
 * running one). With no orchestrator running, a pause saved in the state file is lifted, so the
 * component starts with the next `aiemp start`.
 */
export async function restartComponent(layout: VaultLayout, name: string): Promise<string> {
  if (await runningOwner(layout.lock)) {
    const answer = await submitRequest(layout.requests, { kind: "restart", name }, 10_000) as
      | { ok: boolean; summary: string }
      | undefined;
    if (!answer) throw new Error("The running aiemp did not answer within 10s");
    if (!answer.ok) throw new Error(answer.summary);
    return answer.summary;
  }
  return await whileNotRunning(layout, async () => {
    const state = await readState(layout.state);
    const component = state.components.find((c) => c.id === name);
    if (!component || component.state !== "paused") {
      return `aiemp is not running; ${name} ${
        component ? "is not paused and " : ""
      }starts with 'aiemp start'`;
    }
    component.state = "stopped";
    component.history = { restarts: [], streak: 0 };
    delete state.alerts[`component:${name}`];
    await writeState(layout.state, state);
    return `${name} is no longer paused; it starts with the next 'aiemp start'`;
  });
}
