import assert from "node:assert/strict";
import type { AuditEntry } from "../../src/audit/mod.ts";
import {
  budgetLeft,
  canMove,
  computeMetrics,
  dayOf,
  isFinal,
  isTaskState,
  MAX_RETRY_WAIT_S,
  nextAttemptAt,
  percentile,
  TASK_STATES,
  type TaskState,
  usageFor,
  withRun,
} from "../../src/tasks/mod.ts";

// --- states ---

const ALLOWED: [TaskState, TaskState][] = [
  ["new", "queued"],
  ["queued", "running"],
  ["running", "queued"],
  ["running", "waiting_approval"],
  ["running", "done"],
  ["running", "rejected"],
  ["running", "failed"],
  ["waiting_approval", "done"],
  ["waiting_approval", "rejected"],
  ["waiting_approval", "queued"],
  ["failed", "queued"],
  ["failed", "rejected"],
];

Deno.test("TASK_STATES lists the seven states in order", () => {
  assert.deepEqual(TASK_STATES, [
    "new",
    "queued",
    "running",
    "waiting_approval",
    "done",
    "rejected",
    "failed",
  ]);
});

Deno.test("canMove() allows every listed move", () => {
  for (const [from, to] of ALLOWED) assert.equal(canMove(from, to), true, `${from} → ${to}`);
});

Deno.test("canMove() refuses every move not listed", () => {
  const allowed = new Set(ALLOWED.map(([from, to]) => `${from}>${to}`));
  for (const from of TASK_STATES) {
    for (const to of TASK_STATES) {
      if (allowed.has(`${from}>${to}`)) continue;
      assert.equal(canMove(from, to), false, `${from} → ${to}`);
    }
  }
});

Deno.test("canMove() refuses skipping the queue, leaving a final state and standing still", () => {
  assert.equal(canMove("new", "running"), false);
  assert.equal(canMove("new", "done"), false);
  assert.equal(canMove("queued", "done"), false);
  assert.equal(canMove("done", "queued"), false);
  assert.equal(canMove("rejected", "queued"), false);
  assert.equal(canMove("failed", "done"), false);
  assert.equal(canMove("running", "running"), false);
});

Deno.test("isFinal() is true for done and rejected only", () => {
  assert.deepEqual(TASK_STATES.filter(isFinal), ["done", "rejected"]);
});

Deno.test("isTaskState() accepts the seven states and nothing else", () => {
  assert.ok(TASK_STATES.every(isTaskState));
  for (const value of ["Done", "pending", "", undefined, 3]) {
    assert.equal(isTaskState(value), false);
  }
});

// --- backoff ---

const FAILED_AT = new Date("2026-11-21T10:00:00Z");
const waitS = (attempts: number, backoffS = 30) =>
  (nextAttemptAt(attempts, backoffS, FAILED_AT).getTime() - FAILED_AT.getTime()) / 1000;

Deno.test("nextAttemptAt() doubles the wait: attempt 2 waits backoff, 3 twice, 4 four times", () => {
  assert.deepEqual([1, 2, 3, 4].map((attempts) => waitS(attempts)), [30, 60, 120, 240]);
});

Deno.test("nextAttemptAt() gives the time as a date after the failure", () => {
  assert.equal(
    nextAttemptAt(2, 30, FAILED_AT).toISOString(),
    "2026-11-21T10:01:00.000Z",
  );
});

Deno.test("nextAttemptAt() does not wait before any attempt or with no backoff", () => {
  assert.equal(waitS(0), 0);
  assert.equal(waitS(3, 0), 0);
});

Deno.test("nextAttemptAt() caps the wait at a day however many attempts were made", () => {
  assert.equal(waitS(20), MAX_RETRY_WAIT_S);
  assert.equal(waitS(5000), MAX_RETRY_WAIT_S);
});

// --- budget ---

const BUDGET = { agent_runs: 50, agent_minutes: 120 };

Deno.test("dayOf() gives the UTC day by default and the local day in a time zone", () => {
  const lateUtc = new Date("2026-11-21T23:30:00Z");
  assert.equal(dayOf(lateUtc), "2026-11-21");
  assert.equal(dayOf(lateUtc, "Asia/Tokyo"), "2026-11-22");
  assert.equal(dayOf(new Date("2026-11-22T03:00:00Z"), "America/Los_Angeles"), "2026-11-21");
});

Deno.test("dayOf() says how to write a time zone it does not know", () => {
  assert.throws(
    () => dayOf(new Date(), "Mars/Olympus"),
    (error: unknown) =>
      error instanceof RangeError &&
      error.message ===
        "Cannot tell the day: 'Mars/Olympus' is not a time zone; use an IANA name such as Europe/Lisbon",
  );
});

Deno.test("usageFor() starts a fresh count when there is none", () => {
  assert.deepEqual(usageFor(undefined, new Date("2026-11-21T08:00:00Z")), {
    day: "2026-11-21",
    agent_runs: 0,
    agent_seconds: 0,
  });
});

Deno.test("usageFor() keeps the count on the same day and resets it the next day", () => {
  const usage = { day: "2026-11-21", agent_runs: 7, agent_seconds: 400 };
  assert.equal(usageFor(usage, new Date("2026-11-21T23:59:59Z")), usage);
  assert.deepEqual(usageFor(usage, new Date("2026-11-22T00:00:00Z")), {
    day: "2026-11-22",
    agent_runs: 0,
    agent_seconds: 0,
  });
});

Deno.test("usageFor() rolls over at local midnight in the given time zone", () => {
  const usage = { day: "2026-11-21", agent_runs: 7, agent_seconds: 400 };
  const at = new Date("2026-11-21T15:30:00Z"); // 00:30 on the 22nd in Tokyo
  assert.equal(usageFor(usage, at), usage);
  assert.deepEqual(usageFor(usage, at, "Asia/Tokyo"), {
    day: "2026-11-22",
    agent_runs: 0,
    agent_seconds: 0,
  });
});

Deno.test("withRun() adds one run and its seconds, never negative seconds", () => {
  const usage = { day: "2026-11-21", agent_runs: 2, agent_seconds: 100 };
  assert.deepEqual(withRun(usage, 42.5), {
    day: "2026-11-21",
    agent_runs: 3,
    agent_seconds: 142.5,
  });
  assert.deepEqual(withRun(usage, -5), { day: "2026-11-21", agent_runs: 3, agent_seconds: 100 });
  assert.deepEqual(usage, { day: "2026-11-21", agent_runs: 2, agent_seconds: 100 });
});

Deno.test("budgetLeft() is ok below both limits", () => {
  assert.deepEqual(
    budgetLeft({ day: "2026-11-21", agent_runs: 49, agent_seconds: 7199 }, BUDGET),
    { ok: true },
  );
});

Deno.test("budgetLeft() is spent when the runs reach the limit, and says when it resets", () => {
  assert.deepEqual(budgetLeft({ day: "2026-11-21", agent_runs: 50, agent_seconds: 0 }, BUDGET), {
    ok: false,
    why: "the daily budget of 50 agent runs is spent; it resets at midnight",
  });
});

Deno.test("budgetLeft() is spent when the seconds reach the minutes", () => {
  assert.deepEqual(budgetLeft({ day: "2026-11-21", agent_runs: 3, agent_seconds: 7200 }, BUDGET), {
    ok: false,
    why: "the daily budget of 120 agent minutes is spent; it resets at midnight",
  });
});

Deno.test("budgetLeft() writes a budget of one in the singular", () => {
  const verdict = budgetLeft(
    { day: "2026-11-21", agent_runs: 1, agent_seconds: 0 },
    { agent_runs: 1, agent_minutes: 1 },
  );
  assert.deepEqual(verdict, {
    ok: false,
    why: "the daily budget of 1 agent run is spent; it resets at midnight",
  });
});

// --- metrics ---

const task = (id: string, from: TaskState, to: TaskState, ts: string): AuditEntry => ({
  event: "task",
  who: "orchestrator",
  id,
  from,
  to,
  why: "test",
  ts,
});
const received = (id: string, ts: string): AuditEntry => ({
  event: "received",
  who: "watcher",
  id,
  ts,
});
const agentRun = (id: string, seconds: unknown, ts: string): AuditEntry => ({
  event: "agent_run",
  who: "orchestrator",
  id,
  ok: true,
  seconds,
  ts,
});

/**
 * The period is 2026-11-21 00:00Z to 12:00Z.
 * - a: received the day before (not an item in), done at 01:00 → 3 h = 10800 s
 * - b: received 01:00, done 01:10 → 600 s
 * - c: received 02:00, failed 02:30, retried, done 04:00 → 2 h = 7200 s
 * - d: received 03:00, rejected 05:00
 * - e: received 06:00, still running
 * - f: received 13:00, after now (left out)
 * - g: done 07:00 with no received entry (counted, no time to done)
 * - z: done the day before (left out)
 * - agent runs in the period: 30 + 45.5 + 60 s, and one without seconds; one the day before
 *
 * items_in 4 (b c d e); done 4 (a b c g); rejected 1; failed 1; failure_rate 2/6 = 0.333;
 * agent_runs 4, agent_seconds 135.5; times to done [600, 7200, 10800]: p50 = rank ⌈1.5⌉ = 2 →
 * 7200, p95 = rank ⌈2.85⌉ = 3 → 10800.
 */
const ENTRIES: AuditEntry[] = [
  received("z", "2026-11-19T10:00:00Z"),
  task("z", "running", "done", "2026-11-20T09:00:00Z"),
  agentRun("z", 100, "2026-11-20T09:00:00Z"),
  received("a", "2026-11-20T22:00:00Z"),
  task("a", "running", "done", "2026-11-21T01:00:00Z"),
  received("b", "2026-11-21T01:00:00Z"),
  task("b", "new", "queued", "2026-11-21T01:00:01Z"),
  task("b", "queued", "running", "2026-11-21T01:00:02Z"),
  agentRun("b", 30, "2026-11-21T01:09:00Z"),
  task("b", "running", "done", "2026-11-21T01:10:00Z"),
  received("c", "2026-11-21T02:00:00Z"),
  agentRun("c", 45.5, "2026-11-21T02:29:00Z"),
  task("c", "running", "failed", "2026-11-21T02:30:00Z"),
  task("c", "failed", "queued", "2026-11-21T03:00:00Z"),
  agentRun("c", 60, "2026-11-21T03:59:00Z"),
  task("c", "running", "done", "2026-11-21T04:00:00Z"),
  received("d", "2026-11-21T03:00:00Z"),
  agentRun("d", "n/a", "2026-11-21T04:59:00Z"),
  task("d", "running", "rejected", "2026-11-21T05:00:00Z"),
  received("e", "2026-11-21T06:00:00Z"),
  task("e", "queued", "running", "2026-11-21T06:00:05Z"),
  { event: "pending", who: "orchestrator", id: "e", ts: "2026-11-21T06:30:00Z" },
  task("g", "waiting_approval", "done", "2026-11-21T07:00:00Z"),
  { event: "received", who: "watcher", id: "bad", ts: "not a time" },
  received("f", "2026-11-21T13:00:00Z"),
];

const SINCE = new Date("2026-11-21T00:00:00Z");
const NOW = new Date("2026-11-21T12:00:00Z");

Deno.test("computeMetrics() counts a hand-built day of audit entries", () => {
  const metrics = computeMetrics(ENTRIES, {
    since: SINCE,
    now: NOW,
    pending: [
      { name: "EMAIL_reply_e.md", first_seen: "2026-11-21T11:00:00Z" },
      { name: "WEBHOOK_ping.md", first_seen: new Date("2026-11-21T09:30:00Z") },
    ],
  });
  assert.deepEqual(metrics, {
    since: "2026-11-21T00:00:00.000Z",
    items_in: 4,
    done: 4,
    rejected: 1,
    failed: 1,
    failure_rate: 0.333,
    agent_runs: 4,
    agent_seconds: 135.5,
    time_to_done_p50_s: 7200,
    time_to_done_p95_s: 10800,
    approvals_waiting: 2,
    oldest_approval_age_s: 9000, // 09:30 → 12:00
  });
});

Deno.test("computeMetrics() leaves out what happened before since", () => {
  // From 03:30: items in e; done c (04:00, its time still counted from 02:00 → 7200 s);
  // rejected d; failed none (02:30); agent runs c 60 s and d without seconds.
  const metrics = computeMetrics(ENTRIES, {
    since: new Date("2026-11-21T03:30:00Z"),
    now: NOW,
    pending: [],
  });
  assert.deepEqual(metrics, {
    since: "2026-11-21T03:30:00.000Z",
    items_in: 1,
    done: 2,
    rejected: 1,
    failed: 0,
    failure_rate: 0.333,
    agent_runs: 2,
    agent_seconds: 60,
    time_to_done_p50_s: 7200,
    time_to_done_p95_s: 7200,
    approvals_waiting: 0,
    oldest_approval_age_s: null,
  });
});

Deno.test("computeMetrics() gives zero rates and null times when nothing happened", () => {
  assert.deepEqual(computeMetrics([], { since: SINCE, now: NOW }), {
    since: "2026-11-21T00:00:00.000Z",
    items_in: 0,
    done: 0,
    rejected: 0,
    failed: 0,
    failure_rate: 0,
    agent_runs: 0,
    agent_seconds: 0,
    time_to_done_p50_s: null,
    time_to_done_p95_s: null,
    approvals_waiting: 0,
    oldest_approval_age_s: null,
  });
});

Deno.test("computeMetrics() times an item received twice from the receipt before its done", () => {
  const metrics = computeMetrics([
    received("r", "2026-11-21T01:00:00Z"),
    task("r", "running", "done", "2026-11-21T02:00:00Z"),
    received("r", "2026-11-21T05:00:00Z"),
    task("r", "running", "done", "2026-11-21T05:30:00Z"),
  ], { since: SINCE, now: NOW });
  assert.equal(metrics.time_to_done_p50_s, 1800);
  assert.equal(metrics.time_to_done_p95_s, 3600);
});

Deno.test("percentile() takes the nearest rank", () => {
  assert.equal(percentile([40, 10, 30, 20], 50), 20);
  assert.equal(percentile([40, 10, 30, 20], 95), 40);
  assert.equal(percentile([40, 10, 30, 20], 0), 10);
  assert.equal(percentile([7], 95), 7);
  const twenty = Array.from({ length: 20 }, (_, i) => i + 1);
  assert.equal(percentile(twenty, 95), 19);
  assert.equal(percentile(twenty, 50), 10);
  assert.equal(percentile([], 50), null);
});

Deno.test("computeMetrics() counts an item written into Needs_Action/ by hand from its first queuing, and times it from there", () => {
  const entries: AuditEntry[] = [
    { ts: "2026-11-21T08:00:00.000Z", event: "received", who: "watcher", id: "drop" },
    { ts: "2026-11-21T08:00:01.000Z", event: "task", id: "drop", from: "new", to: "queued" },
    { ts: "2026-11-21T09:00:00.000Z", event: "task", id: "hand", from: "new", to: "queued" },
    { ts: "2026-11-21T09:30:00.000Z", event: "task", id: "hand", from: "running", to: "done" },
  ];
  const metrics = computeMetrics(entries, {
    since: new Date("2026-11-21T00:00:00.000Z"),
    now: new Date("2026-11-21T12:00:00.000Z"),
  });
  assert.equal(metrics.items_in, 2, "the dropped file once, the hand-written note once");
  assert.equal(metrics.done, 1);
  assert.equal(metrics.time_to_done_p50_s, 1800);
});
