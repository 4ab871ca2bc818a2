import { delay } from "../abort/mod.ts";
import { nextRunTime, planTask } from "./is_due.ts";
import { type MissedRun, type TaskRecord, withMiss, withRun } from "./record.ts";
import type { ScheduledTask } from "./registry.ts";
import type { TaskResult } from "./tasks.ts";

/** Where the scheduler keeps each task's record (the orchestrator: `.aiemp/state.json`). */
export interface ScheduleStore {
  /** The task's record, or undefined when it never ran. */
  get(name: string): TaskRecord | undefined;
  /** Replaces the task's record. */
  set(name: string, record: TaskRecord): void;
}

/** How one run was asked for. */
export interface RunRequest {
  /** The time the run starts (read once). */
  now: Date;
  /** What started it. */
  startedBy: "schedule" | "catch_up" | "trigger";
  /** A dry run asked for by `aiemp trigger --dry-run`. @default false */
  dryRun?: boolean;
}

/** What the scheduler needs; everything that sleeps, spawns or writes is passed in. */
export interface SchedulerOptions {
  /** The wall clock, read once per decision. */
  clock: () => Date;
  /** The current registry, asked for on every tick (so an edited schedules.yaml is picked up). */
  tasks: () => readonly ScheduledTask[] | Promise<readonly ScheduledTask[]>;
  /** Where last runs, results and misses are kept. */
  store: ScheduleStore;
  /** Runs one task and reports what it did; a throw counts as a failed run. */
  runTask: (task: ScheduledTask, request: RunRequest) => Promise<TaskResult>;
  /** Where decisions and failures are told. @default discards them */
  log?: (level: "info" | "warning" | "error", message: string) => void;
  /** Told about each miss when it is noticed (for the Dashboard's activity). @default nothing */
  onMissed?: (task: ScheduledTask, missed: MissedRun) => void;
  /** The longest sleep between two looks at the clock, in ms (`scheduler.tick_s`). @default 30000 */
  tickMs?: number;
  /**
   * A pause between two ticks longer than this (ms) means the machine slept or the process was
   * stopped: times scheduled in it count as missed. @default 2 × tickMs + 60000
   */
  gapMs?: number;
  /** Sleeps `ms` or until `signal` aborts. @default a timer */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** What one tick did. */
export interface TickReport {
  /** The time the tick looked at the clock. */
  now: Date;
  /** The tasks it ran, in order, with their results. */
  ran: { task: ScheduledTask; result: TaskResult }[];
  /** The misses it noticed (run once or skipped, per each task's catch_up). */
  missed: { task: ScheduledTask; missed: MissedRun }[];
}

/** The schedule engine: decides with {@linkcode planTask}, runs tasks one at a time, records. */
export interface Scheduler {
  /**
   * Runs every task due at `now`, one after another, recording each run and each miss. Ticks and
   * triggers never overlap: a second call waits for the first, then judges again.
   */
  tick(now?: Date, signal?: AbortSignal): Promise<TickReport>;
  /**
   * Runs the named task now, whether due or not (also a disabled one), after any run in progress;
   * undefined when no task has that name.
   */
  trigger(name: string, options?: { dryRun?: boolean }): Promise<TaskResult | undefined>;
  /** Ticks until `signal` aborts, sleeping until the next due time but never more than tickMs. */
  run(signal: AbortSignal): Promise<void>;
}

/**
 * Creates the schedule engine.
 *
 * @example
 * ```ts
 * const scheduler = createScheduler({ clock, tasks: () => registry, store, runTask });
 * await scheduler.tick(); // runs what is due now
 * await scheduler.run(controller.signal); // until aborted
 * ```
 */
export function createScheduler(options: SchedulerOptions): Scheduler {
  const { clock, store, log = () => {} } = options;
  const tickMs = options.tickMs ?? 30_000;
  const gapMs = options.gapMs ?? 2 * tickMs + 60_000;
  const sleep = options.sleep ?? ((ms, signal) => delay(ms, signal).then(() => {}));
  /** Since when the scheduler has been looking without a gap; set by the first tick. */
  let watchingSince: Date | undefined;
  /** When the scheduler last looked at the clock: the end of a tick or of a run. */
  let lastLook: Date | undefined;
  /** Runs one at a time: every tick and trigger waits for the one before. */
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => {});
    return next;
  };

  async function execute(task: ScheduledTask, request: RunRequest): Promise<TaskResult> {
    let result: TaskResult;
    try {
      result = await options.runTask(task, request);
    } catch (error) {
      result = { ok: false, summary: error instanceof Error ? error.message : String(error) };
    }
    lastLook = clock();
    store.set(
      task.name,
      withRun(store.get(task.name), {
        started: request.now,
        finished: lastLook,
        result,
        startedBy: request.startedBy,
      }),
    );
    log(
      result.ok ? "info" : "warning",
      `Scheduled task ${task.name}${result.ok ? "" : " failed"}: ${result.summary}`,
    );
    return result;
  }

  function noteMiss(task: ScheduledTask, missed: MissedRun, now: Date): void {
    store.set(task.name, withMiss(store.get(task.name), missed, now));
    const what = missed.count === 1
      ? `its run due ${missed.due}`
      : `${missed.count} runs due ${missed.first} … ${missed.due}`;
    log(
      "warning",
      `Scheduled task ${task.name} missed ${what} while aiemp was not running; ${
        missed.catch_up === "once" ? "running it once now" : "skipped (catch_up: skip)"
      }`,
    );
    options.onMissed?.(task, missed);
  }

  const tick = (at?: Date, signal?: AbortSignal) =>
    serially(async (): Promise<TickReport> => {
      const now = at ?? clock();
      if (
        watchingSince === undefined ||
        (lastLook && now.getTime() - lastLook.getTime() > gapMs)
      ) {
        watchingSince = now;
      }
      const report: TickReport = { now, ran: [], missed: [] };
      for (const task of await options.tasks()) {
        if (signal?.aborted) break;
        // Judged at this moment: an earlier task of this tick may have run long.
        const moment = at ?? clock();
        const plan = planTask(task, store.get(task.name), moment, watchingSince);
        if (plan.action === "wait") continue;
        if (plan.missed) {
          noteMiss(task, plan.missed, moment);
          report.missed.push({ task, missed: plan.missed });
        }
        if (plan.action === "skip") continue;
        log("info", `Running scheduled task ${task.name}`);
        const startedBy = plan.missed ? "catch_up" : "schedule";
        const result = await execute(task, { now: moment, startedBy });
        report.ran.push({ task, result });
      }
      lastLook = at ?? clock();
      return report;
    });

  const trigger = (name: string, { dryRun = false } = {}) =>
    serially(async () => {
      const task = (await options.tasks()).find((t) => t.name === name);
      if (!task) return undefined;
      log("info", `Running ${task.name} on request (aiemp trigger)`);
      return await execute(task, { now: clock(), startedBy: "trigger", dryRun });
    });

  async function run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await tick(undefined, signal);
      } catch (error) {
        log("error", `Scheduler tick failed: ${error instanceof Error ? error.message : error}`);
      }
      if (signal.aborted) break;
      await sleep(await msUntilNextLook(), signal);
    }
  }

  /** Until the next due time, between 1 s and tickMs. */
  async function msUntilNextLook(): Promise<number> {
    const now = clock();
    let wait = tickMs;
    try {
      for (const task of await options.tasks()) {
        const next = nextRunTime(task, store.get(task.name), now);
        if (next) wait = Math.min(wait, next.getTime() - now.getTime());
      }
    } catch { /* the next tick reports it */ }
    return Math.max(Math.min(wait, tickMs), Math.min(1000, tickMs));
  }

  return { tick, trigger, run };
}
