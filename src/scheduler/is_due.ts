import { Cron } from "croner";
import { type ScheduledTask, weekdayIndex } from "./registry.ts";

/**
 * The cron pattern of a calendar task (daily, weekdays, mwf, weekly), in the machine's local time;
 * undefined for interval tasks.
 */
export function cronPattern(task: ScheduledTask): string | undefined {
  if (!task.time_of_day) return undefined;
  const [hour, minute] = task.time_of_day.split(":").map(Number);
  const days: Record<string, string | undefined> = {
    daily: "*",
    weekdays: "1-5",
    mwf: "1,3,5",
    // cron counts 0 = Sunday; the registry counts 0 = Monday.
    weekly: task.day_of_week === undefined
      ? undefined
      : String((weekdayIndex(task.day_of_week) + 1) % 7),
  };
  const day = days[task.frequency];
  return day === undefined ? undefined : `${minute} ${hour} * * ${day}`;
}

function intervalMinutes(task: ScheduledTask): number | undefined {
  if (task.frequency === "hourly") return 60;
  if (task.frequency === "every_n_minutes") return task.interval_minutes;
  return undefined;
}

/**
 * Whether `task` should run at `now`, given when it last ran (the spec's rules):
 *
 * - a calendar task is due once its latest scheduled time has passed and it has not run since;
 *   a task that never ran is due only if that time was today (a daily 08:00 task first started at
 *   07:00 waits for 08:00);
 * - an interval task is due when it never ran or its interval has passed;
 * - a task missed while aiemp was down runs once, not once per miss; a disabled task never runs.
 *
 * @example
 * ```ts
 * isDue(morningTriage, new Date("2026-11-19T08:00"), new Date("2026-11-21T09:00")); // true (once)
 * ```
 */
export function isDue(task: ScheduledTask, lastRun: Date | undefined, now: Date): boolean {
  if (!task.enabled) return false;
  const interval = intervalMinutes(task);
  if (interval !== undefined) {
    return lastRun === undefined || now.getTime() - lastRun.getTime() >= interval * 60_000;
  }
  const latest = latestScheduledTime(task, now);
  if (!latest) return false;
  if (lastRun === undefined) return latest.toDateString() === now.toDateString();
  return lastRun.getTime() < latest.getTime();
}

/** The most recent time at or before `now` that the calendar task was scheduled for. */
export function latestScheduledTime(task: ScheduledTask, now: Date): Date | undefined {
  const pattern = cronPattern(task);
  if (!pattern) return undefined;
  const cron = new Cron(pattern, { paused: true });
  // previousRuns looks strictly before its reference: add a second so "exactly now" counts.
  return cron.previousRuns(1, new Date(now.getTime() + 1000))[0] ?? undefined;
}

/** The next time the task will be due after `now`, for `aiemp schedules list`. */
export function nextRunTime(
  task: ScheduledTask,
  lastRun: Date | undefined,
  now: Date,
): Date | undefined {
  if (!task.enabled) return undefined;
  const interval = intervalMinutes(task);
  if (interval !== undefined) {
    return lastRun ? new Date(Math.max(now.getTime(), lastRun.getTime() + interval * 60_000)) : now;
  }
  if (isDue(task, lastRun, now)) return now;
  return new Cron(cronPattern(task)!, { paused: true }).nextRun(now) ?? undefined;
}

/** The tasks due at `now`, in registry order (the order they run in, one after another). */
export function dueTasks(
  tasks: ScheduledTask[],
  lastRuns: Record<string, string | undefined>,
  now: Date,
): ScheduledTask[] {
  return tasks.filter((task) => {
    const last = lastRuns[task.name];
    return isDue(task, last ? new Date(last) : undefined, now);
  });
}
