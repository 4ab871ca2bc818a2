import assert from "node:assert/strict";
import {
  dateIn,
  loadSchedules,
  localTime,
  nextRunTime,
  planTask,
  type ScheduledTask,
  type TaskRecord,
  withMiss,
  withRun,
} from "../../src/scheduler/mod.ts";

/** One task from a YAML entry (indented as a list item's fields). */
function taskOf(fields: string): ScheduledTask {
  const { tasks, errors } = loadSchedules(`tasks:\n  - name: t\n${fields}`);
  assert.deepEqual(errors, []);
  return tasks[0];
}

const daily = (time: string, timezone: string, extra = "") =>
  taskOf(
    `    frequency: daily\n    time_of_day: "${time}"\n    timezone: ${timezone}\n${extra}`,
  );

const ok = { ok: true, summary: "done" };
const MIN = 60_000;

/**
 * Steps the pure core through time: a look every `stepMs` from `from` to `to` while `up(now)`,
 * each run taking `runMs`. Returns the start times of the runs and the final record.
 */
function simulate(
  task: ScheduledTask,
  from: Date,
  to: Date,
  options: { stepMs?: number; runMs?: number; record?: TaskRecord; up?: (t: Date) => boolean } = {},
) {
  const { stepMs = 5 * MIN, runMs = 0, up = () => true } = options;
  let record = options.record;
  const runs: Date[] = [];
  let watchingSince: Date | undefined;
  let busyUntil = 0;
  for (let t = from.getTime(); t <= to.getTime(); t += stepMs) {
    const now = new Date(t);
    if (!up(now)) {
      watchingSince = undefined;
      continue;
    }
    if (t < busyUntil) continue;
    watchingSince ??= now;
    const plan = planTask(task, record, now, watchingSince);
    if (plan.action !== "wait" && plan.missed) record = withMiss(record, plan.missed, now);
    if (plan.action !== "run") continue;
    runs.push(now);
    busyUntil = t + runMs;
    record = withRun(record, {
      started: now,
      finished: new Date(busyUntil),
      result: ok,
      startedBy: "schedule",
    });
  }
  return { runs, record };
}

function runsPerLocalDay(runs: Date[], timezone: string): Record<string, string[]> {
  const days: Record<string, string[]> = {};
  for (const run of runs) (days[dateIn(timezone, run)] ??= []).push(localTime(run, timezone));
  return days;
}

// ---------------------------------------------------------------------------------------------
// DST: 2026 transitions. Europe/Berlin: Mar 29 02:00 → 03:00, Oct 25 03:00 → 02:00.
// America/New_York: Mar 8 02:00 → 03:00, Nov 1 02:00 → 01:00.

Deno.test("a daily 02:30 task in Europe/Berlin runs once on the spring-forward day (at 03:00), not zero times", () => {
  const task = daily("02:30", "Europe/Berlin");
  const { runs } = simulate(
    task,
    new Date("2026-03-27T12:00:00Z"),
    new Date("2026-03-31T12:00:00Z"),
    { record: { last_run: "2026-03-27T01:30:00Z" } },
  );
  assert.deepEqual(runsPerLocalDay(runs, "Europe/Berlin"), {
    "2026-03-28": ["2026-03-28 02:30"],
    "2026-03-29": ["2026-03-29 03:00"],
    "2026-03-30": ["2026-03-30 02:30"],
    "2026-03-31": ["2026-03-31 02:30"],
  });
});

Deno.test("a daily 02:30 task in Europe/Berlin runs once on the fall-back day, although 02:30 happens twice", () => {
  const task = daily("02:30", "Europe/Berlin");
  const { runs } = simulate(
    task,
    new Date("2026-10-23T12:00:00Z"),
    new Date("2026-10-27T12:00:00Z"),
    { record: { last_run: "2026-10-23T00:30:00Z" } },
  );
  const days = runsPerLocalDay(runs, "Europe/Berlin");
  assert.deepEqual(Object.keys(days), ["2026-10-24", "2026-10-25", "2026-10-26", "2026-10-27"]);
  for (const [day, times] of Object.entries(days)) assert.equal(times.length, 1, day);
});

Deno.test("a daily 08:00 task keeps its local time across both New York transitions, once a day", () => {
  const task = daily("08:00", "America/New_York");
  for (const [from, to] of [["2026-03-06", "2026-03-10"], ["2026-10-30", "2026-11-03"]]) {
    const { runs } = simulate(task, new Date(`${from}T18:00:00Z`), new Date(`${to}T18:00:00Z`), {
      record: { last_run: `${from}T13:00:00Z` },
    });
    const days = runsPerLocalDay(runs, "America/New_York");
    assert.equal(Object.keys(days).length, 4, JSON.stringify(days));
    for (const times of Object.values(days)) {
      assert.deepEqual(times.map((t) => t.slice(11)), ["08:00"]);
    }
  }
});

Deno.test("a daily 01:30 task in New York runs once on the fall-back night (01:30 happens twice)", () => {
  const task = daily("01:30", "America/New_York");
  const { runs } = simulate(
    task,
    new Date("2026-10-31T12:00:00Z"),
    new Date("2026-11-02T12:00:00Z"),
    { record: { last_run: "2026-10-31T05:30:00Z" } },
  );
  assert.deepEqual(Object.values(runsPerLocalDay(runs, "America/New_York")).map((t) => t.length), [
    1,
    1,
  ]);
});

// ---------------------------------------------------------------------------------------------
// Downtime and catch-up

const MON_8 = new Date("2026-03-02T08:00:00Z");
const WED_9 = new Date("2026-03-04T09:00:00Z");

Deno.test("planTask() runs a daily task missed for two days once on return, and records the miss with its times", () => {
  const task = daily("08:00", "UTC");
  const plan = planTask(task, { last_run: MON_8.toISOString() }, WED_9, WED_9);
  assert.equal(plan.action, "run");
  assert.ok(plan.action === "run" && plan.missed);
  assert.deepEqual(plan.missed, {
    due: "2026-03-04T08:00:00.000Z",
    first: "2026-03-03T08:00:00.000Z",
    count: 2,
    noticed: WED_9.toISOString(),
    catch_up: "once",
  });
  const after = withRun(withMiss({ last_run: MON_8.toISOString() }, plan.missed, WED_9), {
    started: WED_9,
    finished: WED_9,
    result: ok,
    startedBy: "catch_up",
  });
  assert.equal(planTask(task, after, new Date("2026-03-04T23:59:00Z"), WED_9).action, "wait");
  assert.equal(planTask(task, after, new Date("2026-03-05T08:00:00Z"), WED_9).action, "run");
  assert.equal(after.missed?.length, 1, "the miss stays on record");
});

Deno.test("planTask() with catch_up: skip records the miss, does not run, and runs the next period", () => {
  const task = daily("08:00", "UTC", "    catch_up: skip\n");
  const plan = planTask(task, { last_run: MON_8.toISOString() }, WED_9, WED_9);
  assert.equal(plan.action, "skip");
  assert.ok(plan.action === "skip");
  assert.equal(plan.missed.count, 2);
  assert.equal(plan.missed.catch_up, "skip");
  const after = withMiss({ last_run: MON_8.toISOString() }, plan.missed, WED_9);
  assert.equal(after.skipped_through, WED_9.toISOString());
  assert.equal(after.last_run, MON_8.toISOString(), "the last run stays the real one");
  assert.equal(planTask(task, after, new Date("2026-03-04T20:00:00Z"), WED_9).action, "wait");
  assert.equal(planTask(task, after, new Date("2026-03-05T08:00:00Z"), WED_9).action, "run");
});

Deno.test("planTask() is not a miss when the scheduler was watching at the task's time", () => {
  const task = daily("08:00", "UTC");
  const plan = planTask(
    task,
    { last_run: "2026-03-03T08:00:00Z" },
    new Date("2026-03-04T08:00:30Z"),
    new Date("2026-03-04T07:00:00Z"),
  );
  assert.equal(plan.action, "run");
  assert.ok(plan.action === "run" && plan.missed === undefined);
});

Deno.test("planTask() records the missed slots of an interval task and runs it once", () => {
  const task = taskOf("    frequency: every_n_minutes\n    interval_minutes: 15\n");
  const back = new Date("2026-03-02T11:07:00Z");
  const plan = planTask(task, { last_run: "2026-03-02T10:00:00Z" }, back, back);
  assert.ok(plan.action === "run" && plan.missed);
  assert.equal(plan.missed.count, 4, "10:15, 10:30, 10:45, 11:00");
  assert.equal(plan.missed.first, "2026-03-02T10:15:00.000Z");
  assert.equal(plan.missed.due, "2026-03-02T11:00:00.000Z");
});

Deno.test("a never-run task after downtime is not a miss: it runs when its time has come today", () => {
  const task = daily("08:00", "UTC");
  const plan = planTask(task, undefined, WED_9, WED_9);
  assert.deepEqual(plan, { action: "run", due: new Date("2026-03-04T08:00:00Z") });
});

Deno.test("a task up and down every few hours runs once a day and every miss is recorded", () => {
  const task = daily("08:00", "UTC");
  // Up 00:00-06:00 and 12:00-24:00 each day: 08:00 always falls in the downtime.
  const { runs, record } = simulate(
    task,
    new Date("2026-03-02T00:00:00Z"),
    new Date("2026-03-05T23:55:00Z"),
    {
      record: { last_run: "2026-03-01T08:00:00Z" },
      up: (t) => t.getUTCHours() < 6 || t.getUTCHours() >= 12,
    },
  );
  assert.deepEqual(runs.map((r) => r.toISOString().slice(0, 16)), [
    "2026-03-02T12:00",
    "2026-03-03T12:00",
    "2026-03-04T12:00",
    "2026-03-05T12:00",
  ]);
  assert.equal(record?.missed?.length, 4);
  assert.ok(record?.missed?.every((m) => m.count === 1 && m.due.endsWith("T08:00:00.000Z")));
});

// ---------------------------------------------------------------------------------------------
// Long runs, intervals, cron

Deno.test("a long task spanning its next period runs once, then the following period is judged normally", () => {
  const task = taskOf("    frequency: cron\n    cron: '0 * * * *'\n    timezone: UTC\n");
  const { runs } = simulate(
    task,
    new Date("2026-03-02T10:00:00Z"),
    new Date("2026-03-02T13:30:00Z"),
    { record: { last_run: "2026-03-02T09:00:00Z" }, runMs: 80 * MIN },
  );
  // 10:00 runs until 11:20 (covering 11:00); 12:00 runs until 13:20 (covering 13:00).
  assert.deepEqual(runs.map((r) => r.toISOString().slice(11, 16)), ["10:00", "12:00"]);
});

Deno.test("an interval task that runs longer than its interval is not started again on finishing", () => {
  const task = taskOf("    frequency: every_n_minutes\n    interval_minutes: 15\n");
  const { runs } = simulate(
    task,
    new Date("2026-03-02T10:00:00Z"),
    new Date("2026-03-02T11:00:00Z"),
    { record: { last_run: "2026-03-02T09:45:00Z" }, runMs: 20 * MIN, stepMs: MIN },
  );
  assert.deepEqual(runs.map((r) => r.toISOString().slice(11, 16)), ["10:00", "10:30", "11:00"]);
});

Deno.test("an hourly task runs once per hour", () => {
  const task = taskOf("    frequency: hourly\n");
  const { runs } = simulate(
    task,
    new Date("2026-03-02T10:00:00Z"),
    new Date("2026-03-02T14:59:00Z"),
    { stepMs: MIN },
  );
  assert.equal(runs.length, 5);
});

Deno.test("a cron task with a time zone runs at its local times on weekdays only", () => {
  const task = taskOf(
    "    frequency: cron\n    cron: '0 9 * * 1-5'\n    timezone: America/New_York\n",
  );
  const { runs } = simulate(
    task,
    new Date("2026-03-05T00:00:00Z"), // Thursday
    new Date("2026-03-10T23:00:00Z"), // the next Tuesday, after New York's spring-forward
    { record: { last_run: "2026-03-04T14:00:00Z" } },
  );
  assert.deepEqual(runs.map((r) => localTime(r, "America/New_York")), [
    "2026-03-05 09:00",
    "2026-03-06 09:00",
    "2026-03-09 09:00",
    "2026-03-10 09:00",
  ]);
});

Deno.test("nextRunTime() gives the next local time, now for a due task, none for a disabled one", () => {
  const task = daily("08:00", "Europe/Berlin");
  const record = { last_run: "2026-03-02T07:00:00Z" };
  const next = nextRunTime(task, record, new Date("2026-03-02T12:00:00Z"));
  assert.equal(next?.toISOString(), "2026-03-03T07:00:00.000Z");
  const late = new Date("2026-03-03T09:00:00Z");
  assert.equal(nextRunTime(task, record, late)?.getTime(), late.getTime());
  assert.equal(nextRunTime({ ...task, enabled: false }, record, late), undefined);
  const interval = taskOf("    frequency: every_n_minutes\n    interval_minutes: 15\n");
  assert.equal(
    nextRunTime(interval, { last_run: "2026-03-02T10:00:00Z" }, new Date("2026-03-02T10:05:00Z"))
      ?.toISOString(),
    "2026-03-02T10:15:00.000Z",
  );
});
