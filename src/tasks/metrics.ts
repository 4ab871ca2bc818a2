import type { AuditEntry } from "../audit/mod.ts";

/** An approval request still waiting for the owner, as the caller knows it. */
export interface PendingApproval {
  /** The request's file name in Pending_Approval/. */
  name: string;
  /** When it was first seen pending: an ISO date-time or a Date. */
  first_seen: string | Date;
}

/** What {@linkcode computeMetrics} looks at besides the audit entries. */
export interface MetricsOptions {
  /** The start of the period; entries before it are left out. */
  since: Date;
  /** The end of the period (entries after it are left out) and the time approvals are aged at. */
  now: Date;
  /** The approval requests waiting now. @default [] */
  pending?: readonly PendingApproval[];
}

/** The task loop's figures over a period (`aiemp metrics`). Times are in seconds. */
export interface TaskMetrics {
  /** The start of the period, ISO. */
  since: string;
  /**
   * Items that entered Needs_Action/: `received` entries, and for items without one (written there
   * by hand or another tool) their first queuing by the task loop.
   */
  items_in: number;
  /** Moves to done (`task` entries). */
  done: number;
  /** Moves to rejected. */
  rejected: number;
  /** Moves to failed; an item that fails twice counts twice. */
  failed: number;
  /** (rejected + failed) / (done + rejected + failed), 3 decimals; 0 when there were none. */
  failure_rate: number;
  /** Agent runs (`agent_run` entries). */
  agent_runs: number;
  /** The seconds those runs took, 3 decimals. */
  agent_seconds: number;
  /** Median time from `received` to done (nearest rank); null when nothing was done. */
  time_to_done_p50_s: number | null;
  /** 95th percentile time from `received` to done (nearest rank); null when nothing was done. */
  time_to_done_p95_s: number | null;
  /** Approval requests waiting now. */
  approvals_waiting: number;
  /** The age of the oldest waiting request; null when none wait. */
  oldest_approval_age_s: number | null;
}

/**
 * The task loop's figures for the period from `since` to `now`, from the audit entries (as
 * `readAuditLog` returns them; entries without a readable `ts` are left out). An item's time to
 * done runs from its latest `received` entry before the move to done, even one before `since`.
 *
 * @example
 * ```ts
 * const entries = await readAuditLog(path);
 * computeMetrics(entries, { since: new Date(now.getTime() - 86_400_000), now, pending });
 * ```
 */
export function computeMetrics(
  entries: readonly AuditEntry[],
  options: MetricsOptions,
): TaskMetrics {
  const since = options.since.getTime();
  const now = options.now.getTime();
  const received = new Map<string, number[]>();
  const inPeriod: { entry: AuditEntry; at: number }[] = [];
  // An item written into Needs_Action/ by hand or another tool has no `received` entry: it comes
  // in when the task loop first queues it.
  const watched = new Set(
    entries.filter((e) => e.event === "received" && typeof e.id === "string").map((e) => e.id),
  );
  const arrival = (entry: AuditEntry) =>
    entry.event === "received" ||
    (entry.event === "task" && entry.from === "new" && !watched.has(entry.id));
  for (const entry of entries) {
    const at = typeof entry.ts === "string" ? Date.parse(entry.ts) : Number.NaN;
    if (Number.isNaN(at)) continue;
    if (arrival(entry) && typeof entry.id === "string") {
      const times = received.get(entry.id) ?? [];
      times.push(at);
      received.set(entry.id, times);
    }
    if (at >= since && at <= now) inPeriod.push({ entry, at });
  }

  let itemsIn = 0, done = 0, rejected = 0, failed = 0, agentRuns = 0, agentSeconds = 0;
  const timesToDone: number[] = [];
  for (const { entry, at } of inPeriod) {
    if (arrival(entry)) itemsIn++;
    if (entry.event === "received") continue;
    else if (entry.event === "agent_run") {
      agentRuns++;
      if (typeof entry.seconds === "number" && Number.isFinite(entry.seconds)) {
        agentSeconds += Math.max(0, entry.seconds);
      }
    } else if (entry.event === "task") {
      if (entry.to === "rejected") rejected++;
      else if (entry.to === "failed") failed++;
      else if (entry.to === "done") {
        done++;
        const start = latestAtOrBefore(received.get(String(entry.id)) ?? [], at);
        if (start !== undefined) timesToDone.push((at - start) / 1000);
      }
    }
  }

  const ended = done + rejected + failed;
  const pending = options.pending ?? [];
  const ages = pending
    .map((request) => timeOf(request.first_seen))
    .filter((at) => !Number.isNaN(at))
    .map((at) => Math.max(0, (now - at) / 1000));
  return {
    since: options.since.toISOString(),
    items_in: itemsIn,
    done,
    rejected,
    failed,
    failure_rate: ended === 0 ? 0 : round3((rejected + failed) / ended),
    agent_runs: agentRuns,
    agent_seconds: round3(agentSeconds),
    time_to_done_p50_s: percentile(timesToDone, 50),
    time_to_done_p95_s: percentile(timesToDone, 95),
    approvals_waiting: pending.length,
    oldest_approval_age_s: ages.length === 0 ? null : round3(Math.max(...ages)),
  };
}

/**
 * The nearest-rank percentile of `values`: the smallest value with at least `p`% of the values at
 * or below it; null for no values.
 *
 * @example
 * ```ts
 * percentile([10, 20, 30, 40], 50); // 20
 * percentile([10, 20, 30, 40], 95); // 40
 * ```
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return round3(sorted[rank - 1]);
}

function latestAtOrBefore(times: readonly number[], at: number): number | undefined {
  let latest: number | undefined;
  for (const time of times) {
    if (time <= at && (latest === undefined || time > latest)) latest = time;
  }
  return latest;
}

function timeOf(value: string | Date): number {
  return value instanceof Date ? value.getTime() : Date.parse(value);
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
