import { runAgent } from "../agent/mod.ts";
import type { Config } from "../config/mod.ts";
import {
  createScheduler,
  describeMiss,
  type RunRequest,
  type ScheduledTask,
  type Scheduler,
  TASK_TRIGGERS,
  type TaskResult,
} from "../scheduler/mod.ts";
import type { VaultLayout } from "../vault/mod.ts";
import type { StatusBoard } from "./board.ts";
import { createScheduleSource } from "./schedules.ts";

/** What running a scheduled task needs. */
export interface RunTaskOptions {
  /** The vault. */
  layout: VaultLayout;
  /** Its settings. */
  config: Config;
  /** The state and Dashboard writer. */
  board: StatusBoard;
  /** Cuts an agent run off (the end of the shutdown window). */
  signal?: AbortSignal;
}

/**
 * Runs one scheduled task now with its built-in trigger and notes it in the recent activity. A
 * task that fails or throws gives `ok: false` with the reason; it never throws. The run's record
 * (last run, result) is kept by the scheduler that asked for it.
 */
export async function runScheduledTask(
  task: ScheduledTask,
  request: RunRequest,
  options: RunTaskOptions,
): Promise<TaskResult> {
  const { layout, config, board } = options;
  const dryRun = config.dry_run || (request.dryRun ?? false);
  const trigger = TASK_TRIGGERS[task.trigger];
  const started = performance.now();
  let result: TaskResult;
  try {
    result = trigger
      ? await trigger({
        layout,
        config,
        dryRun,
        now: request.now,
        timezone: task.timezone,
        runAgent: (prompt) =>
          runAgent(prompt, {
            command: config.agent.command,
            args: config.agent.args,
            cwd: layout.root,
            timeoutMs: Math.min(task.timeout_minutes, config.agent.timeout_minutes) * 60_000,
            dryRun,
            signal: options.signal,
          }),
        refreshDashboard: () => board.flush(),
        alert: (text) => board.setAlert(task.name, text),
        rollActivity: (keep) => board.rollActivity(keep),
        resetDailyCounters: () => board.resetDailyCounters(),
      })
      : { ok: false, summary: `no built-in task is named '${task.trigger}'` };
  } catch (error) {
    result = { ok: false, summary: error instanceof Error ? error.message : String(error) };
  }
  result.duration_ms = Math.round(performance.now() - started);
  board.addActivity(
    `Schedule ${task.name}: ${result.ok ? "" : "failed: "}${result.summary}`,
    result.ok ? "tasks_run" : "tasks_failed",
  );
  return result;
}

/** What {@linkcode createVaultScheduler} needs. */
export interface VaultSchedulerOptions extends RunTaskOptions {
  /** The clock. */
  clock: () => Date;
  /** Where the scheduler's lines go (Logs/system.log). */
  log: (level: "info" | "warning" | "error", message: string) => void;
}

/**
 * The schedule engine of a vault: its registry re-read from schedules.yaml on every tick (refused
 * entries logged and shown as a Dashboard alert), records kept in the state file, misses told in
 * the recent activity, and tasks run by {@linkcode runScheduledTask}.
 */
export function createVaultScheduler(options: VaultSchedulerOptions): Scheduler {
  const { layout, board, log } = options;
  const source = createScheduleSource(layout, (errors) => {
    for (const error of errors) log("error", error);
    board.setAlert("schedules", errors.length === 0 ? "" : errors.join(" · "));
  });
  let loaded = false;
  const tasks = async () => {
    const current = await source();
    if (current !== board.scheduleTasks) {
      if (loaded) {
        log(
          "info",
          `Schedules reloaded from schedules.yaml: ${
            current.filter((t) => t.enabled).length
          } of ${current.length} enabled`,
        );
      }
      loaded = true;
      board.scheduleTasks = current;
      board.changed();
    }
    return current;
  };
  return createScheduler({
    clock: options.clock,
    tasks,
    store: board.scheduleStore,
    runTask: (task, request) => runScheduledTask(task, request, options),
    log,
    onMissed: (task, missed) =>
      board.addActivity(`Missed schedule ${task.name}: due ${describeMiss(missed)}`),
    tickMs: options.config.scheduler.tick_s * 1000,
  });
}
