import { Cron } from "croner";
import { type ScheduledTask, weekdayIndex } from "./registry.ts";

/**
 * The cron pattern of a task: its own for `cron`, one built from time_of_day (and day_of_week) for
 * daily, weekdays, mwf and weekly; undefined for interval tasks (`hourly`, `every_n_minutes`).
 *
 * @example
 * ```ts
 * cronPattern({ frequency: "mwf", time_of_day: "09:30", ... }); // "30 9 * * 1,3,5"
 * ```
 */
export function cronPattern(task: ScheduledTask): string | undefined {
  if (task.frequency === "cron") return task.cron;
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

/** The interval of an `hourly` or `every_n_minutes` task in milliseconds; undefined otherwise. */
export function intervalMs(task: ScheduledTask): number | undefined {
  if (task.frequency === "hourly") return 3_600_000;
  if (task.frequency === "every_n_minutes" && task.interval_minutes) {
    return task.interval_minutes * 60_000;
  }
  return undefined;
}

function cronOf(task: ScheduledTask): Cron | undefined {
  const pattern = cronPattern(task);
  return pattern ? new Cron(pattern, { paused: true, timezone: task.timezone }) : undefined;
}

/**
 * The most recent time at or before `now` that a calendar or cron task was scheduled for, in its
 * time zone (croner handles DST: a time skipped by spring-forward falls on the first valid minute
 * after it, a time repeated by fall-back counts once).
 */
export function latestScheduledTime(task: ScheduledTask, now: Date): Date | undefined {
  // previousRuns looks strictly before its reference: a millisecond later, "exactly now" counts.
  return cronOf(task)?.previousRuns(1, new Date(now.getTime() + 1))[0] ?? undefined;
}

/** The first time strictly after `after` that a calendar or cron task is scheduled for. */
export function nextScheduledTime(task: ScheduledTask, after: Date): Date | undefined {
  return cronOf(task)?.nextRun(after) ?? undefined;
}

/**
 * The scheduled times of a calendar or cron task strictly after `after` and at or before `until`,
 * oldest first, at most `limit` of them.
 */
export function scheduledTimesBetween(
  task: ScheduledTask,
  after: Date,
  until: Date,
  limit = 1000,
): Date[] {
  const cron = cronOf(task);
  const times: Date[] = [];
  let cursor: Date | null | undefined = after;
  while (cron && times.length < limit) {
    cursor = cron.nextRun(cursor);
    if (!cursor || cursor.getTime() > until.getTime()) break;
    times.push(cursor);
  }
  return times;
}

/** The calendar date of `date` in `timezone`, as YYYY-MM-DD. */
export function dateIn(timezone: string, date: Date): string {
  // The en-CA locale writes dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: timezone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(date);
}

/** `date` in `timezone` as `YYYY-MM-DD HH:MM`, for people (lists, logs, the Dashboard). */
export function localTime(date: Date, timezone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", {
      timeZone: timezone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    }).formatToParts(date).map((part) => [part.type, part.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}
