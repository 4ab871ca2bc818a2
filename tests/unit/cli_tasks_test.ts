import assert from "node:assert/strict";
import type { AuditEntry } from "../../src/audit/mod.ts";
import type { StatusReport } from "../../src/orchestrator/mod.ts";
import type { Checkpoint, CheckpointItem, TaskMetrics } from "../../src/tasks/mod.ts";
import {
  dashboardText,
  metricsLines,
  metricsReport,
  parseSince,
  pendingApprovals,
  queueLines,
  queueRows,
} from "../../src/cli/_task_views.ts";
import { showFrames } from "../../src/cli/_tasks.ts";
import type { CliOutput } from "../../src/cli/mod.ts";

const NOW = new Date("2026-11-21T12:00:00Z");

function item(fields: Partial<CheckpointItem> & Pick<CheckpointItem, "state">): CheckpointItem {
  return {
    file: "Needs_Action/x.md",
    score: 0.5,
    received: "2026-11-21T10:00:00Z",
    state_since: "2026-11-21T10:00:00Z",
    attempts: 0,
    errors: [],
    ...fields,
  };
}

function checkpointOf(items: Record<string, CheckpointItem>, extra: Partial<Checkpoint> = {}) {
  return { iteration: 3, updated: NOW.toISOString(), items, recent_exits: [], ...extra };
}

/** Every state group, several items in some, one item that ended (left out). */
const QUEUE = checkpointOf({
  q1: item({ state: "queued", score: 0.5, received: "2026-11-21T10:00:00Z" }),
  w1: item({
    state: "waiting_approval",
    state_since: "2026-11-21T11:00:00Z",
    approvals: ["EMAIL_w1.md"],
    attempts: 1,
  }),
  f1: item({
    state: "failed",
    score: 0.8,
    received: "2026-11-21T06:00:00Z",
    attempts: 2,
    next_attempt_at: "2026-11-21T12:05:00Z",
    errors: ["the agent timed out", "the agent exited with code 1"],
  }),
  q2: item({ state: "queued", score: 0.9, received: "2026-11-21T11:00:00Z" }),
  d1: item({ state: "done", score: 1 }),
  r1: item({ state: "running", score: 0.1, received: "2026-11-21T11:30:00Z", attempts: 1 }),
  w2: item({
    state: "waiting_approval",
    state_since: "2026-11-21T10:00:00Z",
    approvals: ["EMAIL_w2.md", "WEBHOOK_w2.md"],
    attempts: 1,
  }),
  f2: item({
    state: "failed",
    score: 0.2,
    received: "2026-11-21T07:00:00Z",
    attempts: 1,
    next_attempt_at: "2026-11-21T11:55:00Z",
    errors: ["the plan was missing"],
  }),
  q3: item({ state: "queued", score: 0.5, received: "2026-11-21T09:00:00Z" }),
  n1: item({ state: "new", score: 0, received: "2026-11-21T11:59:00Z" }),
});

// --- queue ---

Deno.test("queueRows() groups running, queued by priority, new, failed by next attempt, then waiting approval longest first", () => {
  assert.deepEqual(
    queueRows(QUEUE, NOW).map((row) => row.id),
    ["r1", "q2", "q3", "q1", "n1", "f2", "f1", "w2", "w1"],
  );
});

Deno.test("queueRows() ages items from received at the given now, and leaves out items that ended", () => {
  const rows = queueRows(QUEUE, NOW);
  assert.ok(!rows.some((row) => row.id === "d1"), "a done item is not in the queue");
  const byId = Object.fromEntries(rows.map((row) => [row.id, row]));
  assert.equal(byId.q1.age_s, 7200);
  assert.equal(byId.n1.age_s, 60);
  assert.deepEqual(byId.f1, {
    id: "f1",
    state: "failed",
    score: 0.8,
    received: "2026-11-21T06:00:00Z",
    age_s: 6 * 3600,
    state_since: "2026-11-21T10:00:00Z",
    attempts: 2,
    next_attempt_at: "2026-11-21T12:05:00Z",
    approvals: [],
    last_error: "the agent exited with code 1",
    file: "Needs_Action/x.md",
  });
  assert.deepEqual(byId.w2.approvals, ["EMAIL_w2.md", "WEBHOOK_w2.md"]);
});

Deno.test("queueRows() shows a next attempt only for failed items and an unreadable received as no age", () => {
  const rows = queueRows(
    checkpointOf({
      a: item({ state: "queued", next_attempt_at: "2026-11-21T13:00:00Z", received: "soon" }),
    }),
    NOW,
  );
  assert.equal(rows[0].next_attempt_at, null);
  assert.equal(rows[0].age_s, null);
});

Deno.test("queueLines() prints a table with ages, next attempts and approvals, then why failed items failed", () => {
  assert.deepEqual(queueLines(queueRows(QUEUE, NOW), NOW), [
    "STATE             SCORE  ID  AGE     ATTEMPTS  NEXT ATTEMPT  APPROVALS",
    "running           0.100  r1  30m 0s  1         -             -",
    "queued            0.900  q2  1h 0m   0         -             -",
    "queued            0.500  q3  3h 0m   0         -             -",
    "queued            0.500  q1  2h 0m   0         -             -",
    "new               0.000  n1  1m 0s   0         -             -",
    "failed            0.200  f2  5h 0m   1         due now       -",
    "failed            0.800  f1  6h 0m   2         in 5m 0s      -",
    "waiting_approval  0.500  w2  2h 0m   1         -             EMAIL_w2.md, WEBHOOK_w2.md",
    "waiting_approval  0.500  w1  2h 0m   1         -             EMAIL_w1.md",
    "f2 last failed: the plan was missing",
    "f1 last failed: the agent exited with code 1",
  ]);
});

Deno.test("queueLines() says so when the queue is empty", () => {
  assert.deepEqual(queueLines(queueRows(checkpointOf({}), NOW), NOW), [
    "The queue is empty: no item is waiting or being worked on.",
  ]);
});

// --- --since ---

Deno.test("parseSince() reads a span back from now in minutes, hours, days or weeks", () => {
  const back = (text: string) => {
    const result = parseSince(text, NOW);
    assert.ok(result.ok, text);
    return (NOW.getTime() - result.since.getTime()) / 1000;
  };
  assert.equal(back("30m"), 1800);
  assert.equal(back("24h"), 86_400);
  assert.equal(back("7d"), 7 * 86_400);
  assert.equal(back("2W"), 14 * 86_400);
});

Deno.test("parseSince() reads ISO dates and date-times, a time without a zone as UTC", () => {
  const at = (text: string) => {
    const result = parseSince(text, NOW);
    assert.ok(result.ok, text);
    return result.since.toISOString();
  };
  assert.equal(at("2026-11-20"), "2026-11-20T00:00:00.000Z");
  assert.equal(at("2026-11-20T09:30:00Z"), "2026-11-20T09:30:00.000Z");
  assert.equal(at("2026-11-20T09:30"), "2026-11-20T09:30:00.000Z");
  assert.equal(at("2026-11-20 09:30:15"), "2026-11-20T09:30:15.000Z");
  assert.equal(at("2026-11-20T09:30:00+02:00"), "2026-11-20T07:30:00.000Z");
});

Deno.test("parseSince() refuses other forms, a zero span and a time in the future, naming the accepted forms", () => {
  for (const text of ["3x", "yesterday", "0h", "-2h", "24", "2026-13-45", "2026-11-22T00:00:00Z"]) {
    const result = parseSince(text, NOW);
    assert.equal(result.ok, false, text);
    if (result.ok) continue;
    assert.ok(result.why.includes(`'${text}'`), result.why);
    assert.ok(result.why.includes("30m, 24h, 7d"), result.why);
    assert.ok(result.why.includes("2026-11-20T09:00:00Z"), result.why);
  }
  const future = parseSince("2026-11-22", NOW);
  assert.ok(!future.ok && future.why.includes("in the future"));
});

// --- metrics ---

/** A day of the loop: a received before the period, three in it, two done, one failed, one rejected. */
const ENTRIES: AuditEntry[] = [
  { event: "received", who: "watcher", id: "a", ts: "2026-11-20T10:00:00Z" },
  {
    event: "agent_run",
    who: "orchestrator",
    id: "a",
    ok: true,
    seconds: 120.5,
    ts: "2026-11-20T13:59:00Z",
  },
  {
    event: "task",
    who: "orchestrator",
    id: "a",
    from: "running",
    to: "done",
    ts: "2026-11-20T14:00:00Z",
  },
  { event: "received", who: "watcher", id: "b", ts: "2026-11-21T08:00:00Z" },
  {
    event: "agent_run",
    who: "orchestrator",
    id: "b",
    ok: false,
    seconds: 30,
    ts: "2026-11-21T08:30:00Z",
  },
  {
    event: "task",
    who: "orchestrator",
    id: "b",
    from: "running",
    to: "failed",
    ts: "2026-11-21T08:30:00Z",
  },
  {
    event: "task",
    who: "orchestrator",
    id: "b",
    from: "failed",
    to: "queued",
    ts: "2026-11-21T08:40:00Z",
  },
  {
    event: "task",
    who: "orchestrator",
    id: "b",
    from: "running",
    to: "done",
    ts: "2026-11-21T09:00:00Z",
  },
  { event: "received", who: "watcher", id: "c", ts: "2026-11-21T09:00:00Z" },
  {
    event: "agent_run",
    who: "orchestrator",
    id: "c",
    ok: true,
    seconds: 45.25,
    ts: "2026-11-21T09:59:00Z",
  },
  {
    event: "task",
    who: "orchestrator",
    id: "c",
    from: "running",
    to: "rejected",
    ts: "2026-11-21T10:00:00Z",
  },
  { event: "received", who: "watcher", id: "d", ts: "2026-11-21T11:00:00Z" },
  { event: "pending", who: "unknown", id: "EMAIL_x", ts: "2026-11-21T09:00:00Z" },
];

/** Two pending requests still there, one approved, one pending whose file is gone. */
const RECORDS = {
  "EMAIL_x.md": { id: "x", state: "pending", first_seen: "2026-11-21T09:00:00Z" },
  "EMAIL_y.md": { id: "y", state: "pending", first_seen: "2026-11-21T11:30:00Z" },
  "EMAIL_z.md": { id: "z", state: "approved", first_seen: "2026-11-21T01:00:00Z" },
  "EMAIL_gone.md": { id: "gone", state: "pending", first_seen: "2026-11-20T01:00:00Z" },
};
const PENDING_NAMES = ["EMAIL_y.md", "EMAIL_x.md", "EMAIL_z.md", "notes.txt"];

Deno.test("pendingApprovals() keeps records still pending whose file is in Pending_Approval/, oldest first", () => {
  assert.deepEqual(pendingApprovals(RECORDS, PENDING_NAMES), [
    { name: "EMAIL_x.md", first_seen: "2026-11-21T09:00:00Z" },
    { name: "EMAIL_y.md", first_seen: "2026-11-21T11:30:00Z" },
  ]);
  assert.deepEqual(pendingApprovals(undefined, PENDING_NAMES), []);
});

Deno.test("metricsReport() counts the period's items, outcomes, agent time, times to done and approvals waiting", () => {
  const since = new Date(NOW.getTime() - 86_400_000);
  const metrics = metricsReport(ENTRIES, {
    since,
    now: NOW,
    records: RECORDS,
    pendingNames: PENDING_NAMES,
  });
  assert.deepEqual(metrics, {
    since: "2026-11-20T12:00:00.000Z",
    items_in: 3,
    done: 2,
    rejected: 1,
    failed: 1,
    failure_rate: 0.5,
    agent_runs: 3,
    agent_seconds: 195.75,
    time_to_done_p50_s: 3600,
    time_to_done_p95_s: 4 * 3600,
    approvals_waiting: 2,
    oldest_approval_age_s: 3 * 3600,
  });
});

const METRICS: TaskMetrics = {
  since: "2026-11-20T12:00:00.000Z",
  items_in: 3,
  done: 2,
  rejected: 1,
  failed: 1,
  failure_rate: 0.5,
  agent_runs: 3,
  agent_seconds: 195.75,
  time_to_done_p50_s: 3600,
  time_to_done_p95_s: 14_400,
  approvals_waiting: 2,
  oldest_approval_age_s: 10_800,
};

Deno.test("metricsLines() prints one figure a line, durations in words", () => {
  assert.deepEqual(metricsLines(METRICS), [
    "Since 2026-11-20 12:00:00Z:",
    "  Items in           3",
    "  Done               2",
    "  Rejected           1",
    "  Failed attempts    1",
    "  Failure rate       50.0% of 4 outcomes",
    "  Agent runs         3, 3m 16s in all",
    "  Time to done       p50 1h 0m, p95 4h 0m",
    "  Approvals waiting  2, oldest 3h 0m",
  ]);
});

Deno.test("metricsLines() says when nothing was done and nothing waits", () => {
  const lines = metricsLines({
    ...METRICS,
    done: 0,
    rejected: 0,
    failed: 0,
    failure_rate: 0,
    time_to_done_p50_s: null,
    time_to_done_p95_s: null,
    approvals_waiting: 0,
    oldest_approval_age_s: null,
  });
  assert.ok(lines.includes("  Failure rate       0.0%"), lines.join("\n"));
  assert.ok(lines.includes("  Time to done       - (nothing done)"), lines.join("\n"));
  assert.ok(lines.includes("  Approvals waiting  0"), lines.join("\n"));
});

// --- dashboard ---

const RUNNING: StatusReport = {
  vault: "/home/ana/AI_Employee_Vault",
  running: true,
  pid: 4242,
  started: "2026-11-21T09:55:00Z",
  uptime_s: 7500,
  dry_run: true,
  components: [
    {
      id: "inbox",
      description: "Inbox watcher",
      state: "running",
      since: "2026-11-21T09:55:00Z",
      restarts: 0,
      restarts_today: 0,
    },
    {
      id: "gmail",
      description: "Gmail watcher",
      state: "paused",
      since: "2026-11-21T10:30:00Z",
      restarts: 5,
      restarts_today: 5,
      last_error: "the token has expired",
    },
  ],
  counts: { Inbox: 0, Needs_Action: 9, Pending_Approval: 3, Done: 12 },
  alerts: ["Gmail watcher is paused after 5 restarts"],
  sessions: [],
  social: [],
};

Deno.test("dashboardText() shows the orchestrator, components, items, alerts, the top of the queue, the budget and the last 24h", () => {
  const text = dashboardText({
    status: RUNNING,
    checkpoint: { ...QUEUE, usage: { day: "2026-11-21", agent_runs: 50, agent_seconds: 3600 } },
    metrics: METRICS,
    budget: { agent_runs: 50, agent_minutes: 120 },
    now: NOW,
    queueTop: 3,
  });
  assert.equal(
    text,
    [
      "aiemp · /home/ana/AI_Employee_Vault · 2026-11-21 12:00:00Z",
      "Running: PID 4242, up 2h 5m (dry run: nothing is sent)",
      "Components:",
      "  Inbox watcher  running  restarts 0",
      "  Gmail watcher  paused   restarts 5  the token has expired",
      "Items: Inbox 0 · Needs_Action 9 · Pending_Approval 3 · Done 12",
      "Alert: Gmail watcher is paused after 5 restarts",
      "Queue: 9 (1 running, 3 queued, 1 new, 2 failed, 2 waiting approval)",
      "  running  0.100  r1  30m 0s",
      "  queued   0.900  q2  1h 0m",
      "  queued   0.500  q3  3h 0m",
      "  … and 6 more ('aiemp queue' lists them all)",
      "Agent today: 50 of 50 runs, 1h 0m of 120m — the daily budget of 50 agent runs is spent; it resets at midnight",
      "Last 24h: 3 in, 2 done, 1 rejected, 1 failed (failure rate 50.0%); agent 3 runs, 3m 16s; time to done p50 1h 0m, p95 4h 0m",
      "Approvals waiting: 2, oldest 3h 0m",
    ].join("\n"),
  );
});

Deno.test("dashboardText() when not running: no components, an empty queue, yesterday's usage counts as none today", () => {
  const text = dashboardText({
    status: { ...RUNNING, running: false, pid: undefined, components: [], alerts: [] },
    checkpoint: checkpointOf({}, {
      usage: { day: "2026-11-20", agent_runs: 9, agent_seconds: 600 },
    }),
    metrics: { ...METRICS, approvals_waiting: 0, oldest_approval_age_s: null },
    budget: { agent_runs: 50, agent_minutes: 120 },
    now: NOW,
  });
  const lines = text.split("\n");
  assert.equal(lines[1], "Not running (start it with 'aiemp start')");
  assert.ok(!text.includes("Components:"));
  assert.ok(lines.includes("Alerts: none"));
  assert.ok(lines.includes("Queue: empty"));
  assert.ok(lines.includes("Agent today: 0 of 50 runs, 0s of 120m"), text);
  assert.ok(lines.includes("Approvals waiting: 0"));
  assert.ok(!text.includes("\x1b"), "plain text, no escape codes");
});

// --- frames (--watch) ---

function recording(): CliOutput & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (line) => lines.push(line), err: (line) => lines.push(`ERR ${line}`) };
}

/** A wait that returns at once and ends the watch after `frames` frames. */
function stopAfter(frames: number, controller: AbortController) {
  let waits = 0;
  return (_ms: number, _signal: AbortSignal) => {
    if (++waits >= frames) controller.abort();
    return Promise.resolve();
  };
}

Deno.test("showFrames() without --watch shows one frame and returns", async () => {
  const out = recording();
  let made = 0;
  await showFrames(out, () => Promise.resolve(`frame ${++made}`), {
    watch: false,
    terminal: true,
    signal: new AbortController().signal,
  });
  assert.deepEqual(out.lines, ["frame 1"]);
});

Deno.test("showFrames() with --watch on a terminal clears the screen before each frame until stopped", async () => {
  const out = recording();
  const controller = new AbortController();
  let made = 0;
  const waited: number[] = [];
  const stop = stopAfter(3, controller);
  await showFrames(out, () => Promise.resolve(`frame ${++made}`), {
    watch: true,
    terminal: true,
    signal: controller.signal,
    wait: (ms, signal) => {
      waited.push(ms);
      return stop(ms, signal);
    },
  });
  assert.deepEqual(out.lines, [
    "\x1b[H\x1b[2Jframe 1",
    "\x1b[H\x1b[2Jframe 2",
    "\x1b[H\x1b[2Jframe 3",
  ]);
  assert.deepEqual(waited, [5000, 5000, 5000], "a frame every 5 s");
});

Deno.test("showFrames() with --watch when not a terminal prints plain frames one after another", async () => {
  const out = recording();
  const controller = new AbortController();
  let made = 0;
  await showFrames(out, () => Promise.resolve(`frame ${++made}`), {
    watch: true,
    terminal: false,
    signal: controller.signal,
    wait: stopAfter(2, controller),
  });
  assert.deepEqual(out.lines, ["frame 1", "\nframe 2"]);
  assert.ok(out.lines.every((line) => !line.includes("\x1b")));
});
