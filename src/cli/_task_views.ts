/**
 * What `aiemp queue`, `aiemp metrics` and `aiemp dashboard` show, as plain functions of what the
 * vault holds (checkpoint, audit entries, approval records, status) and the time. The commands in
 * `_tasks.ts` read the files and print.
 * @module
 */
import type { AuditEntry } from "../audit/mod.ts";
import type { StatusReport } from "../orchestrator/mod.ts";
import {
  budgetLeft,
  type Checkpoint,
  computeMetrics,
  type DailyBudget,
  isFinal,
  isTaskState,
  orderByPriority,
  type PendingApproval,
  type TaskMetrics,
  usageFor,
} from "../tasks/mod.ts";
import { duration, table } from "./_output.ts";

/** One item of `aiemp queue`: an item that has not ended yet. */
export interface QueueRow {
  /** The item's id. */
  id: string;
  /** Its state (`running`, `queued`, `new`, `failed`, `waiting_approval`). */
  state: string;
  /** Its priority score, 0..1. */
  score: number;
  /** When it came in (ISO), as the checkpoint has it. */
  received: string;
  /** Seconds since it came in; null when `received` cannot be read. */
  age_s: number | null;
  /** When it entered its state (ISO). */
  state_since: string;
  /** Attempts made so far. */
  attempts: number;
  /** When a failed item may be tried again (ISO); null for items in other states. */
  next_attempt_at: string | null;
  /** The approval requests it waits for (file names in Pending_Approval/). */
  approvals: string[];
  /** Why its last attempt failed; null when none did. */
  last_error: string | null;
  /** Its note, relative to the vault. */
  file: string;
}

/** The order of the state groups in the queue; a state not listed comes last. */
const GROUP_ORDER = ["running", "queued", "new", "failed", "waiting_approval"];

/**
 * The items of the checkpoint that have not ended, grouped by state — running, queued (by
 * priority, as the loop takes them), new, failed (soonest next attempt first), waiting for
 * approval (longest waiting first) — with their age at `now`.
 *
 * @example
 * ```ts
 * queueRows(await readCheckpoint(layout.checkpoint), new Date()).map((row) => row.id);
 * ```
 */
export function queueRows(checkpoint: Checkpoint, now: Date): QueueRow[] {
  const rows: QueueRow[] = [];
  for (const [id, item] of Object.entries(checkpoint.items ?? {})) {
    if (!item || typeof item !== "object") continue;
    if (isTaskState(item.state) && isFinal(item.state)) continue;
    const state = String(item.state ?? "unknown");
    const errors = Array.isArray(item.errors) ? item.errors.map(String) : [];
    rows.push({
      id,
      state,
      score: Number(item.score) || 0,
      received: String(item.received ?? ""),
      age_s: secondsBetween(item.received, now),
      state_since: String(item.state_since ?? ""),
      attempts: Number(item.attempts) || 0,
      next_attempt_at: state === "failed" && typeof item.next_attempt_at === "string"
        ? item.next_attempt_at
        : null,
      approvals: Array.isArray(item.approvals) ? item.approvals.map(String) : [],
      last_error: errors.length ? errors[errors.length - 1] : null,
      file: String(item.file ?? ""),
    });
  }
  const group = (row: QueueRow) => {
    const at = GROUP_ORDER.indexOf(row.state);
    return at < 0 ? GROUP_ORDER.length : at;
  };
  const withinGroup = (row: QueueRow) => {
    if (row.state === "failed") return timeOr(row.next_attempt_at, Number.MIN_SAFE_INTEGER);
    if (row.state === "waiting_approval") return timeOr(row.state_since, Number.MAX_SAFE_INTEGER);
    return 0; // the priority order below stands
  };
  // A stable sort over the priority order: within a group, ties keep it.
  return orderByPriority(rows).sort((a, b) =>
    group(a) - group(b) || withinGroup(a) - withinGroup(b)
  );
}

/** `aiemp queue` as text: a table of the rows, then why each failed item failed last. */
export function queueLines(rows: readonly QueueRow[], now: Date): string[] {
  if (rows.length === 0) return ["The queue is empty: no item is waiting or being worked on."];
  const lines = table([
    ["STATE", "SCORE", "ID", "AGE", "ATTEMPTS", "NEXT ATTEMPT", "APPROVALS"],
    ...rows.map((row) => [
      row.state,
      row.score.toFixed(3),
      row.id,
      row.age_s === null ? "?" : duration(row.age_s),
      String(row.attempts),
      nextAttemptText(row, now),
      row.approvals.length ? row.approvals.join(", ") : "-",
    ]),
  ]);
  for (const row of rows) {
    if (row.state === "failed" && row.last_error) {
      lines.push(`${row.id} last failed: ${row.last_error}`);
    }
  }
  return lines;
}

function nextAttemptText(row: QueueRow, now: Date): string {
  if (row.state !== "failed") return "-";
  const wait = row.next_attempt_at === null ? null : secondsBetween(now, row.next_attempt_at);
  if (wait === null) return "?";
  return wait > 0 ? `in ${duration(wait)}` : "due now";
}

/** How far back `--since` reaches, as a Date, or why the text cannot be read. */
export type SinceResult = { ok: true; since: Date } | { ok: false; why: string };

const UNIT_SECONDS: Record<string, number> = { m: 60, h: 3600, d: 86_400, w: 604_800 };
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;
const SINCE_FORMS = "use a span back from now such as 30m, 24h, 7d or 2w, " +
  "or an ISO date or date-time such as 2026-11-20 or 2026-11-20T09:00:00Z";

/**
 * Reads `--since`: a span back from `now` (`30m`, `24h`, `7d`, `2w`) or an ISO date or date-time
 * (read as UTC when it names no time zone). A time after `now` is refused.
 *
 * @example
 * ```ts
 * parseSince("24h", new Date("2026-11-21T10:00:00Z"));
 * // { ok: true, since: 2026-11-20T10:00:00.000Z }
 * ```
 */
export function parseSince(text: string, now: Date): SinceResult {
  const trimmed = text.trim();
  const span = /^(\d+)\s*([mhdw])$/i.exec(trimmed);
  if (span) {
    const amount = Number(span[1]);
    if (amount === 0) return { ok: false, why: `Cannot read --since '${text}': ${SINCE_FORMS}` };
    return {
      ok: true,
      since: new Date(now.getTime() - amount * UNIT_SECONDS[span[2].toLowerCase()] * 1000),
    };
  }
  const iso = ISO_DATE.exec(trimmed);
  if (iso) {
    const normal = trimmed.replace(" ", "T");
    const at = Date.parse(iso[1] && !iso[4] ? `${normal}Z` : normal);
    if (Number.isNaN(at)) {
      return { ok: false, why: `Cannot read --since '${text}': no such date; ${SINCE_FORMS}` };
    }
    if (at > now.getTime()) {
      return {
        ok: false,
        why: `Cannot use --since '${text}': it is in the future; ${SINCE_FORMS}`,
      };
    }
    return { ok: true, since: new Date(at) };
  }
  return { ok: false, why: `Cannot read --since '${text}': ${SINCE_FORMS}` };
}

/**
 * The approval requests waiting now: the records of `.aiemp/approvals.json` (its `requests`) still
 * pending whose file is still in Pending_Approval/ (`pendingNames`), oldest first.
 */
export function pendingApprovals(
  records: unknown,
  pendingNames: readonly string[],
): PendingApproval[] {
  if (!records || typeof records !== "object") return [];
  const here = new Set(pendingNames);
  return Object.entries(records as Record<string, { state?: unknown; first_seen?: unknown }>)
    .filter(([name, record]) =>
      here.has(name) && record?.state === "pending" && typeof record.first_seen === "string"
    )
    .map(([name, record]) => ({ name, first_seen: record.first_seen as string }))
    .sort((a, b) => timeOr(a.first_seen, 0) - timeOr(b.first_seen, 0));
}

/** What {@linkcode metricsReport} reads besides the audit entries. */
export interface MetricsInputs {
  /** The start of the period. */
  since: Date;
  /** The end of the period, and the time approvals are aged at. */
  now: Date;
  /** The `requests` of `.aiemp/approvals.json`. @default none */
  records?: unknown;
  /** The file names in Pending_Approval/ now. @default [] */
  pendingNames?: readonly string[];
}

/** The task loop's figures from `since` to `now`, with the approval requests waiting now. */
export function metricsReport(
  entries: readonly AuditEntry[],
  inputs: MetricsInputs,
): TaskMetrics {
  return computeMetrics(entries, {
    since: inputs.since,
    now: inputs.now,
    pending: pendingApprovals(inputs.records, inputs.pendingNames ?? []),
  });
}

/** `aiemp metrics` as text: one figure a line. */
export function metricsLines(metrics: TaskMetrics): string[] {
  const ended = metrics.done + metrics.rejected + metrics.failed;
  return [
    `Since ${timeText(metrics.since)}:`,
    ...table([
      ["  Items in", String(metrics.items_in)],
      ["  Done", String(metrics.done)],
      ["  Rejected", String(metrics.rejected)],
      ["  Failed attempts", String(metrics.failed)],
      [
        "  Failure rate",
        `${percent(metrics.failure_rate)}${ended ? ` of ${ended} outcomes` : ""}`,
      ],
      ["  Agent runs", `${metrics.agent_runs}, ${seconds(metrics.agent_seconds)} in all`],
      ["  Time to done", timeToDone(metrics)],
      ["  Approvals waiting", approvalsText(metrics)],
    ]),
  ];
}

/** What the dashboard shows, read at one moment. */
export interface DashboardSnapshot {
  /** The orchestrator's status (`readStatus`). */
  status: StatusReport;
  /** The task loop's checkpoint. */
  checkpoint: Checkpoint;
  /** The figures of the last 24 hours. */
  metrics: TaskMetrics;
  /** The agent's daily budget (`tasks.daily_budget`). */
  budget: DailyBudget;
  /** The time of the snapshot. */
  now: Date;
  /** How many queue items to show. @default 5 */
  queueTop?: number;
}

/**
 * `aiemp dashboard`: the orchestrator, its components, the items per folder, alerts, the top of
 * the queue, today's agent use against the daily budget and the last 24 hours, as plain text.
 */
export function dashboardText(snapshot: DashboardSnapshot): string {
  const { status, checkpoint, metrics, budget, now } = snapshot;
  const lines = [`aiemp · ${status.vault} · ${timeText(now.toISOString())}`];
  lines.push(
    status.running
      ? `Running: PID ${status.pid}, up ${duration(status.uptime_s ?? 0)}${
        status.dry_run ? " (dry run: nothing is sent)" : ""
      }`
      : "Not running (start it with 'aiemp start')",
  );
  if (status.components.length) {
    lines.push("Components:");
    lines.push(
      ...table(status.components.map((c) => [
        `  ${c.description}`,
        c.state,
        `restarts ${c.restarts}`,
        c.last_error ?? "",
      ])),
    );
  }
  lines.push(
    "Items: " + Object.entries(status.counts).map(([folder, n]) => `${folder} ${n}`).join(" · "),
  );
  lines.push(
    ...(status.alerts.length ? status.alerts.map((a) => `Alert: ${a}`) : ["Alerts: none"]),
  );

  const rows = queueRows(checkpoint, now);
  const top = rows.slice(0, snapshot.queueTop ?? 5);
  lines.push(rows.length ? `Queue: ${rows.length} (${stateCounts(rows)})` : "Queue: empty");
  if (top.length) {
    lines.push(
      ...table(top.map((row) => [
        `  ${row.state}`,
        row.score.toFixed(3),
        row.id,
        row.age_s === null ? "?" : duration(row.age_s),
      ])),
    );
  }
  if (rows.length > top.length) {
    lines.push(`  … and ${rows.length - top.length} more ('aiemp queue' lists them all)`);
  }

  const usage = usageFor(checkpoint.usage, now);
  const verdict = budgetLeft(usage, budget);
  lines.push(
    `Agent today: ${usage.agent_runs} of ${budget.agent_runs} runs, ${
      seconds(usage.agent_seconds)
    } of ${budget.agent_minutes}m${verdict.ok ? "" : ` — ${verdict.why}`}`,
  );
  lines.push(
    `Last 24h: ${metrics.items_in} in, ${metrics.done} done, ${metrics.rejected} rejected, ` +
      `${metrics.failed} failed (failure rate ${percent(metrics.failure_rate)}); ` +
      `agent ${metrics.agent_runs} runs, ${seconds(metrics.agent_seconds)}; ` +
      `time to done ${timeToDone(metrics)}`,
  );
  lines.push(`Approvals waiting: ${approvalsText(metrics)}`);
  return lines.join("\n");
}

function stateCounts(rows: readonly QueueRow[]): string {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.state, (counts.get(row.state) ?? 0) + 1);
  return [...counts].map(([state, n]) => `${n} ${state.replace("_", " ")}`).join(", ");
}

function timeToDone(metrics: TaskMetrics): string {
  if (metrics.time_to_done_p50_s === null || metrics.time_to_done_p95_s === null) {
    return "- (nothing done)";
  }
  return `p50 ${seconds(metrics.time_to_done_p50_s)}, p95 ${seconds(metrics.time_to_done_p95_s)}`;
}

function approvalsText(metrics: TaskMetrics): string {
  if (metrics.approvals_waiting === 0) return "0";
  const oldest = metrics.oldest_approval_age_s;
  return `${metrics.approvals_waiting}${oldest === null ? "" : `, oldest ${seconds(oldest)}`}`;
}

/** Seconds (maybe with decimals) as `duration()` words, to the whole second. */
function seconds(value: number): string {
  return duration(Math.round(value));
}

function percent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

/** An ISO time as `2026-11-21 10:00:00Z`. */
function timeText(iso: string): string {
  return `${iso.slice(0, 19).replace("T", " ")}Z`;
}

/** Whole seconds from `from` to `to` (0 at least); null when either cannot be read. */
function secondsBetween(from: unknown, to: unknown): number | null {
  const start = timeOr(from, Number.NaN);
  const end = timeOr(to, Number.NaN);
  if (Number.isNaN(start) || Number.isNaN(end)) return null;
  return Math.max(0, Math.floor((end - start) / 1000));
}

function timeOr(value: unknown, fallback: number): number {
  const at = value instanceof Date
    ? value.getTime()
    : typeof value === "string"
    ? Date.parse(value)
    : Number.NaN;
  return Number.isNaN(at) ? fallback : at;
}
