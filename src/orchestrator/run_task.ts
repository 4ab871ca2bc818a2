import { runAgent } from "../agent/mod.ts";
import type { Config } from "../config/mod.ts";
import { type ScheduledTask, TASK_TRIGGERS, type TaskResult } from "../scheduler/mod.ts";
import type { VaultLayout } from "../vault/mod.ts";
import type { StatusBoard } from "./board.ts";

/** What running a scheduled task needs. */
export interface RunTaskOptions {
  layout: VaultLayout;
  config: Config;
  board: StatusBoard;
  dryRun: boolean;
  now: Date;
  signal?: AbortSignal;
}

/**
 * Runs one scheduled task now and records it (last run, outcome, activity). A task that fails or
 * throws gives `ok: false` with the reason; it never throws.
 */
export async function runScheduledTask(
  task: ScheduledTask,
  options: RunTaskOptions,
): Promise<TaskResult> {
  const { layout, config, board, dryRun, now } = options;
  const trigger = TASK_TRIGGERS[task.name];
  let result: TaskResult;
  try {
    result = trigger
      ? await trigger({
        layout,
        config,
        dryRun,
        now,
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
      })
      : { ok: false, summary: `no built-in task is named '${task.name}'` };
  } catch (error) {
    result = { ok: false, summary: error instanceof Error ? error.message : String(error) };
  }
  board.recordSchedule(task.name, { ok: result.ok, summary: result.summary }, now);
  board.addActivity(`Schedule ${task.name}: ${result.ok ? "" : "failed: "}${result.summary}`);
  return result;
}
