import { nextRunTime, planTask } from "./is_due.ts";
import type { MissedRun, TaskRecord } from "./record.ts";
import { machineTimezone, type ScheduledTask } from "./registry.ts";
import { localTime } from "./timing.ts";

/** One task as `aiemp schedules list --json` prints it: its settings, record and next run. */
export interface ScheduleRow extends ScheduledTask {
  /** When its last run started (ISO 8601), or null when it never ran. */
  last_run: string | null;
  /** The last run's result: `ok`, `failed`, or null when it never ran. */
  last_result: "ok" | "failed" | null;
  /** One line on what the last run did. */
  last_summary: string | null;
  /** When it runs next (ISO 8601); now when due; null when disabled. */
  next_run: string | null;
  /** The next run in `local_timezone`, `YYYY-MM-DD HH:MM`; null when disabled. */
  next_run_local: string | null;
  /** Whether it is due now (including a missed run that catches up). */
  due: boolean;
  /** Recorded misses, newest first. */
  missed: MissedRun[];
}

/** The rows of `aiemp schedules list` (and the Dashboard's Schedules section). */
export function scheduleRows(
  tasks: readonly ScheduledTask[],
  records: Readonly<Record<string, TaskRecord | undefined>>,
  now: Date,
  localTimezone = machineTimezone(),
): ScheduleRow[] {
  return tasks.map((task) => {
    const record = records[task.name];
    const next = nextRunTime(task, record, now);
    return {
      ...task,
      last_run: record?.last_run ?? null,
      last_result: record?.ok === undefined ? null : record.ok ? "ok" : "failed",
      last_summary: record?.summary ?? null,
      next_run: next?.toISOString() ?? null,
      next_run_local: next ? localTime(next, localTimezone) : null,
      due: planTask(task, record, now).action === "run",
      missed: record?.missed ?? [],
    };
  });
}

/** A task's timing in words: `daily 08:00`, `every 15 min`, `cron 0 9 * * 1-5 (Europe/Berlin)`. */
export function describeWhen(task: ScheduledTask, localTimezone = machineTimezone()): string {
  const zone = task.timezone === localTimezone ? "" : ` (${task.timezone})`;
  switch (task.frequency) {
    case "every_n_minutes":
      return `every ${task.interval_minutes} min`;
    case "hourly":
      return "hourly";
    case "weekly":
      return `${task.day_of_week} ${task.time_of_day}${zone}`;
    case "cron":
      return `cron ${task.cron}${zone}`;
    default:
      return `${task.frequency} ${task.time_of_day}${zone}`;
  }
}

/** A missed run in words: `2026-03-02 08:00 (missed 2, ran once)`. */
export function describeMiss(miss: MissedRun, localTimezone = machineTimezone()): string {
  const when = localTime(new Date(miss.due), localTimezone);
  const count = miss.count > 1 ? `missed ${miss.count}, ` : "";
  return `${when} (${count}${miss.catch_up === "once" ? "ran once" : "skipped"})`;
}

/**
 * The Dashboard's Schedules section: each enabled task's last run and result and its last missed
 * run, in `localTimezone`. Stable between runs (no "next run" column), so it is rewritten only when
 * a task runs or misses.
 */
export function renderScheduleSection(
  rows: readonly ScheduleRow[],
  localTimezone = machineTimezone(),
): string {
  const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\s+/g, " ").slice(0, 120);
  const lines = rows.filter((row) => row.enabled || row.last_run).map((row) =>
    `| ${row.name}${row.enabled ? "" : " (off)"} | ${cell(describeWhen(row, localTimezone))} | ${
      row.last_run ? localTime(new Date(row.last_run), localTimezone) : "never"
    } | ${
      row.last_result === null
        ? ""
        : `${row.last_result === "ok" ? "✅" : "❌"} ${cell(row.last_summary ?? "")}`
    } | ${row.missed[0] ? `⚠️ ${describeMiss(row.missed[0], localTimezone)}` : ""} |`
  );
  if (lines.length === 0) return "_No schedules._";
  return [
    `| Task | When | Last run (${localTimezone}) | Result | Last missed run |`,
    "|---|---|---|---|---|",
    ...lines,
  ].join("\n");
}
