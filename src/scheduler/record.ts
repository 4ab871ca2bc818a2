import type { TaskResult } from "./tasks.ts";

/** A run (or several) that should have happened while aiemp was down or the machine slept. */
export interface MissedRun {
  /** The latest time it should have run (ISO 8601). */
  due: string;
  /** The earliest time it should have run, when several periods were missed (ISO 8601). */
  first: string;
  /** How many scheduled runs were missed. */
  count: number;
  /** When aiemp noticed (ISO 8601). */
  noticed: string;
  /** What was done about it: `once` ran it once on notice, `skip` waited for the next period. */
  catch_up: "once" | "skip";
}

/** What `.aiemp/state.json` keeps of one scheduled task. */
export interface TaskRecord {
  /** When its last run started (ISO 8601). */
  last_run?: string;
  /** When its last run ended (ISO 8601); a run spanning later periods counts for them. */
  finished?: string;
  /** Whether the last run succeeded. */
  ok?: boolean;
  /** One line on what the last run did, or why it failed. */
  summary?: string;
  /** What started the last run: its schedule, a catch-up after downtime, or `aiemp trigger`. */
  started_by?: "schedule" | "catch_up" | "trigger";
  /** A missed run skipped (`catch_up: skip`) counts as handled up to this time (ISO 8601). */
  skipped_through?: string;
  /** Recorded misses, newest first (at most {@linkcode MISSED_KEPT}). */
  missed?: MissedRun[];
}

/** How many misses a task's record keeps. */
export const MISSED_KEPT = 5;

const time = (iso: string | undefined) => iso === undefined ? undefined : new Date(iso);

function latest(...dates: (Date | undefined)[]): Date | undefined {
  const known = dates.filter((d): d is Date => d !== undefined && !Number.isNaN(d.getTime()));
  return known.length === 0 ? undefined : new Date(Math.max(...known.map((d) => d.getTime())));
}

/** Where an interval task's periods are counted from: its last start, or the end of a skip. */
export function anchorOf(record: TaskRecord | undefined): Date | undefined {
  return latest(time(record?.last_run), time(record?.skipped_through));
}

/**
 * Until when the task is up to date: the end of its last run (a long run covers the periods it
 * spans), or the end of a skip; undefined when it never ran.
 */
export function coveredUntil(record: TaskRecord | undefined): Date | undefined {
  return latest(
    time(record?.finished),
    time(record?.last_run),
    time(record?.skipped_through),
  );
}

/** The record after a run that started at `started` and ended at `finished` with `result`. */
export function withRun(
  record: TaskRecord | undefined,
  run: {
    started: Date;
    finished: Date;
    result: TaskResult;
    startedBy: NonNullable<TaskRecord["started_by"]>;
  },
): TaskRecord {
  return {
    ...record,
    last_run: run.started.toISOString(),
    finished: run.finished.toISOString(),
    ok: run.result.ok,
    summary: run.result.summary,
    started_by: run.startedBy,
  };
}

/** The record after noticing `miss` at `now`; a skipped miss counts as handled up to `now`. */
export function withMiss(record: TaskRecord | undefined, miss: MissedRun, now: Date): TaskRecord {
  return {
    ...record,
    ...(miss.catch_up === "skip" ? { skipped_through: now.toISOString() } : {}),
    missed: [miss, ...(record?.missed ?? [])].slice(0, MISSED_KEPT),
  };
}
