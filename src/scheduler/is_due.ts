import { anchorOf, coveredUntil, type MissedRun, type TaskRecord } from "./record.ts";
import type { ScheduledTask } from "./registry.ts";
import {
  dateIn,
  intervalMs,
  latestScheduledTime,
  nextScheduledTime,
  scheduledTimesBetween,
} from "./timing.ts";

/**
 * What to do about one task at one moment:
 * - `wait`: not due;
 * - `run`: due for the period that began at `due`; `missed` is set when that time (and perhaps
 *   earlier ones) passed while aiemp was not watching, and the task catches up once;
 * - `skip`: a miss under `catch_up: skip`, recorded but not run; the next period runs normally.
 */
export type TaskPlan =
  | { action: "wait" }
  | { action: "run"; due: Date; missed?: MissedRun }
  | { action: "skip"; due: Date; missed: MissedRun };

/**
 * Decides whether `task` runs at `now`, from its record (when it last ran and until when that run
 * covered it). The rules of the orchestrator spec:
 *
 * - a calendar or cron task is due once per period: its latest scheduled time has passed and no
 *   run covers it; a run that spanned later periods covers them (it does not run again at once);
 * - a task that never ran is due only if its latest scheduled time was today, in its time zone
 *   (a daily 08:00 task first started at 07:00 waits for 08:00);
 * - an interval task (`hourly`, `every_n_minutes`) is due when it never ran or a whole interval
 *   has passed since its last start, again unless a long run covered that time;
 * - a disabled task never runs.
 *
 * With `watchingSince` (since when the scheduler has been looking, without a gap), a period whose
 * time came before it was missed: whatever the number of missed periods, the task runs once
 * (`catch_up: once`) or not at all (`skip`), and the plan carries the miss so it can be recorded.
 *
 * @example
 * ```ts
 * planTask(dailyAt8, { last_run: "2026-03-02T08:00:00Z" }, new Date("2026-03-04T09:00:00Z"),
 *   new Date("2026-03-04T08:59:00Z"));
 * // { action: "run", due: 2026-03-04T08:00Z, missed: { count: 2, first: "…03T08:00…", … } }
 * ```
 */
export function planTask(
  task: ScheduledTask,
  record: TaskRecord | undefined,
  now: Date,
  watchingSince?: Date,
): TaskPlan {
  if (!task.enabled) return { action: "wait" };
  const covered = coveredUntil(record);
  const interval = intervalMs(task);
  let due: Date;
  let first: Date;
  let missedUntil: Date | undefined; // the last scheduled time that passed unwatched
  let count = 0;
  if (interval !== undefined) {
    const anchor = anchorOf(record);
    if (anchor === undefined || covered === undefined) return { action: "run", due: now };
    const firstSlot = Math.max(
      1,
      Math.floor((covered.getTime() - anchor.getTime()) / interval) + 1,
    );
    const lastSlot = Math.floor((now.getTime() - anchor.getTime()) / interval);
    if (lastSlot < firstSlot) return { action: "wait" };
    due = new Date(anchor.getTime() + lastSlot * interval);
    first = new Date(anchor.getTime() + firstSlot * interval);
    if (watchingSince && first < watchingSince) {
      count = Math.min(
        lastSlot - firstSlot + 1,
        Math.ceil((watchingSince.getTime() - first.getTime()) / interval),
      );
      missedUntil = new Date(first.getTime() + (count - 1) * interval);
    }
  } else {
    const latest = latestScheduledTime(task, now);
    if (!latest) return { action: "wait" };
    if (covered === undefined) {
      return dateIn(task.timezone, latest) === dateIn(task.timezone, now)
        ? { action: "run", due: latest }
        : { action: "wait" };
    }
    if (covered.getTime() >= latest.getTime()) return { action: "wait" };
    due = latest;
    first = nextScheduledTime(task, covered) ?? latest;
    if (watchingSince && first < watchingSince) {
      const until = new Date(Math.min(watchingSince.getTime() - 1, latest.getTime()));
      const times = scheduledTimesBetween(task, covered, until);
      count = times.length;
      missedUntil = times.at(-1);
    }
  }
  if (!missedUntil || count === 0) return { action: "run", due };
  const missed: MissedRun = {
    due: missedUntil.toISOString(),
    first: first.toISOString(),
    count,
    noticed: now.toISOString(),
    catch_up: task.catch_up,
  };
  // A period that began while aiemp was already watching again still runs normally.
  if (task.catch_up === "skip" && missedUntil.getTime() === due.getTime()) {
    return { action: "skip", due, missed };
  }
  return { action: "run", due, missed };
}

/**
 * Whether `task` should run at `now` given when it last ran (no miss detection): the spec's
 * `is_due`. See {@linkcode planTask} for the rules.
 *
 * @example
 * ```ts
 * isDue(morningTriage, new Date("2026-11-19T08:00"), new Date("2026-11-21T09:00")); // true (once)
 * ```
 */
export function isDue(task: ScheduledTask, lastRun: Date | undefined, now: Date): boolean {
  const record = lastRun ? { last_run: lastRun.toISOString() } : undefined;
  return planTask(task, record, now).action === "run";
}

/**
 * The next time the task will be due at or after `now` (now itself when it is due), for
 * `aiemp schedules list` and the scheduler's sleep; undefined for a disabled task.
 */
export function nextRunTime(
  task: ScheduledTask,
  record: TaskRecord | undefined,
  now: Date,
): Date | undefined {
  if (!task.enabled) return undefined;
  if (planTask(task, record, now).action !== "wait") return now;
  const interval = intervalMs(task);
  if (interval !== undefined) {
    const anchor = anchorOf(record)!;
    const covered = coveredUntil(record)!;
    const slot = Math.max(1, Math.floor((covered.getTime() - anchor.getTime()) / interval) + 1);
    return new Date(anchor.getTime() + slot * interval);
  }
  return nextScheduledTime(task, now);
}

/**
 * The tasks due at `now` (including misses to catch up once), in registry order: the order they
 * run in, one after another. The spec's `get_due_tasks`.
 */
export function dueTasks(
  tasks: readonly ScheduledTask[],
  records: Readonly<Record<string, TaskRecord | undefined>>,
  now: Date,
): ScheduledTask[] {
  return tasks.filter((task) => planTask(task, records[task.name], now).action === "run");
}
