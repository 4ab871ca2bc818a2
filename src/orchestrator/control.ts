import { hostname } from "node:os";
import { type Environment, loadConfig } from "../config/mod.ts";
import type { TaskResult } from "../scheduler/mod.ts";
import { acquireVaultLock, runningOwner, type VaultLayout } from "../vault/mod.ts";
import { countItems, StatusBoard } from "./board.ts";
import { submitRequest } from "./requests.ts";
import { runScheduledTask } from "./run_task.ts";
import { loadVaultSchedules } from "./schedules.ts";
import { readState } from "./state.ts";

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
    last_error?: string;
  }[];
  /** Items per vault folder, counted now. */
  counts: Record<string, number>;
  /** Open alerts, as on the Dashboard. */
  alerts: string[];
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
      state: running ? c.state : "stopped",
      since: c.since,
      restarts: c.restarts,
      ...(c.lastError ? { last_error: c.lastError } : {}),
    })),
    counts: await countItems(layout),
    alerts: Object.values(state.alerts),
  };
}

/** What is wrong with a status, in the owner's words; none means healthy. */
export function healthProblems(status: StatusReport): string[] {
  if (!status.running) return ["aiemp is not running on this vault; start it with 'aiemp start'"];
  const problems = status.components
    .filter((c) => c.state !== "running")
    .map((c) => `${c.description} is ${c.state}${c.last_error ? ` (${c.last_error})` : ""}`);
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
 * Runs a scheduled task now. When an orchestrator runs on the vault, it runs the task (so it stays
 * the only writer of the Dashboard); otherwise this process does, holding the vault's lock.
 */
export async function triggerTask(
  layout: VaultLayout,
  name: string,
  options: { dryRun: boolean; env: Environment },
): Promise<TaskResult> {
  const tasks = await loadVaultSchedules(layout);
  const task = tasks.find((t) => t.name === name);
  if (!task) {
    throw new Error(
      `No schedule named '${name}'; 'aiemp schedules list' shows them: ${
        tasks.map((t) => t.name).join(", ")
      }`,
    );
  }
  if (await runningOwner(layout.lock)) {
    const timeoutMs = (task.timeout_minutes * 60 + 10) * 1000;
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
  const lock = await acquireVaultLock(layout.lock, layout.root, {
    pid: Deno.pid,
    started: new Date().toISOString(),
    hostname: hostname(),
  });
  try {
    const board = new StatusBoard(layout, config, await readState(layout.state));
    const result = await runScheduledTask(task, {
      layout,
      config,
      board,
      dryRun: config.dry_run,
      now: new Date(),
    });
    await board.flush();
    return result;
  } finally {
    lock.release();
  }
}
