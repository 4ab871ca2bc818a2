import assert from "node:assert/strict";
import fc from "fast-check";
import {
  createScheduler,
  latestScheduledTime,
  loadSchedules,
  nextScheduledTime,
  type ScheduledTask,
  type SchedulerOptions,
  type ScheduleStore,
  type TaskRecord,
  type TaskResult,
} from "../../src/scheduler/mod.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;

/** A clock that moves only when told to. */
class FakeClock {
  constructor(public time: number) {}
  now = () => new Date(this.time);
  advance(ms: number) {
    this.time += ms;
  }
}

/** The scheduler's records, in memory. */
class MemoryStore implements ScheduleStore {
  records: Record<string, TaskRecord> = {};
  get = (name: string) => this.records[name];
  set = (name: string, record: TaskRecord) => void (this.records[name] = record);
}

function tasksOf(yaml: string): ScheduledTask[] {
  const { tasks, errors } = loadSchedules(yaml);
  assert.deepEqual(errors, []);
  return tasks;
}

const REGISTRY = tasksOf(`tasks:
  - name: morning
    frequency: daily
    time_of_day: "08:00"
    timezone: UTC
  - name: health
    frequency: every_n_minutes
    interval_minutes: 15
  - name: weekly
    frequency: weekly
    day_of_week: sunday
    time_of_day: "22:00"
    enabled: false
`);

function setup(overrides: Partial<SchedulerOptions> & { start?: string } = {}) {
  const clock = new FakeClock(Date.parse(overrides.start ?? "2026-03-02T09:00:00Z"));
  const store = new MemoryStore();
  const ran: { name: string; at: string; startedBy: string; dryRun?: boolean }[] = [];
  const logs: string[] = [];
  const scheduler = createScheduler({
    clock: clock.now,
    tasks: () => REGISTRY,
    store,
    runTask: (task, request) => {
      ran.push({
        name: task.name,
        at: request.now.toISOString(),
        startedBy: request.startedBy,
        dryRun: request.dryRun,
      });
      return Promise.resolve({ ok: true, summary: "done" });
    },
    log: (level, message) => logs.push(`${level}: ${message}`),
    ...overrides,
  });
  return { clock, store, ran, logs, scheduler };
}

Deno.test("tick() runs what is due, in registry order, and records each run", async () => {
  const { store, ran, scheduler, clock } = setup();
  const report = await scheduler.tick();
  assert.deepEqual(report.ran.map((r) => r.task.name), ["morning", "health"]);
  assert.deepEqual(ran.map((r) => r.startedBy), ["schedule", "schedule"]);
  assert.equal(store.records.morning.last_run, "2026-03-02T09:00:00.000Z");
  assert.equal(store.records.morning.ok, true);
  clock.advance(10 * MIN);
  assert.deepEqual((await scheduler.tick()).ran, [], "nothing is due again within its period");
  clock.advance(5 * MIN);
  assert.deepEqual((await scheduler.tick()).ran.map((r) => r.task.name), ["health"]);
});

Deno.test("tick() records a task that throws as a failed run, logs it, and goes on to the next", async () => {
  const { store, scheduler, logs } = setup({
    runTask: (task) =>
      task.name === "morning"
        ? Promise.reject(new Error("the agent 'claude' was not found on PATH"))
        : Promise.resolve({ ok: true, summary: "fine" }),
  });
  const report = await scheduler.tick();
  assert.equal(report.ran.length, 2);
  assert.equal(store.records.morning.ok, false);
  assert.match(store.records.morning.summary ?? "", /not found on PATH/);
  assert.ok(logs.some((l) => /^warning: Scheduled task morning failed: .*not found/.test(l)));
  assert.equal(store.records.health.ok, true);
});

Deno.test("a task never overlaps itself: ticks and triggers that arrive during a run wait for it", async () => {
  let running = 0;
  let most = 0;
  const releases: (() => void)[] = [];
  const { ran, scheduler } = setup({
    tasks: () => REGISTRY.filter((t) => t.name === "morning"),
    runTask: async (task, request) => {
      running++;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => releases.push(resolve));
      running--;
      return { ok: true, summary: `${task.name} by ${request.startedBy}` };
    },
  });
  let settled = false;
  const all = Promise.all([scheduler.tick(), scheduler.tick(), scheduler.trigger("morning")])
    .finally(() => settled = true);
  while (!settled) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    releases.shift()?.(); // let one run finish at a time
  }
  const [a, b, c] = await all;
  assert.equal(most, 1, "never two runs at once");
  assert.equal(a.ran.length, 1);
  assert.equal(b.ran.length, 0, "the second tick judged again after the first run: not due");
  assert.equal(c?.summary, "morning by trigger");
  assert.deepEqual(ran, []);
});

Deno.test("trigger() runs a task whether due or not, also a disabled one, with dry-run; none for an unknown name", async () => {
  const { ran, scheduler, store } = setup();
  assert.equal((await scheduler.trigger("weekly", { dryRun: true }))?.ok, true);
  assert.deepEqual(ran, [{
    name: "weekly",
    at: "2026-03-02T09:00:00.000Z",
    startedBy: "trigger",
    dryRun: true,
  }]);
  assert.equal(store.records.weekly.started_by, "trigger");
  assert.equal(await scheduler.trigger("make_coffee"), undefined);
});

Deno.test("after downtime, a missed task runs once and the miss is recorded, logged and told", async () => {
  const told: string[] = [];
  const { store, scheduler, logs, ran } = setup({
    start: "2026-03-04T09:00:00Z",
    onMissed: (task, missed) => told.push(`${task.name} ${missed.count}`),
  });
  store.records.morning = { last_run: "2026-03-02T08:00:00Z", ok: true };
  store.records.health = { last_run: "2026-03-04T08:50:00Z", ok: true };
  const report = await scheduler.tick();
  assert.deepEqual(report.missed.map((m) => [m.task.name, m.missed.count]), [["morning", 2]]);
  assert.deepEqual(ran.map((r) => `${r.name} ${r.startedBy}`), ["morning catch_up"]);
  assert.deepEqual(told, ["morning 2"]);
  assert.equal(store.records.morning.missed?.[0].due, "2026-03-04T08:00:00.000Z");
  assert.ok(
    logs.some((l) => /^warning: Scheduled task morning missed 2 runs due/.test(l)),
    logs.join("\n"),
  );
});

Deno.test("a machine that slept through a task's time counts it as missed on waking", async () => {
  const { store, scheduler, clock } = setup({ start: "2026-03-02T07:00:00Z", tickMs: 30_000 });
  store.records.morning = { last_run: "2026-03-01T08:00:00Z" };
  store.records.health = { last_run: "2026-03-02T06:59:00Z" };
  await scheduler.tick();
  clock.advance(30_000);
  await scheduler.tick();
  clock.advance(2 * HOUR); // suspended: no tick for two hours
  const report = await scheduler.tick();
  assert.deepEqual(report.missed.map((m) => m.task.name), ["morning", "health"]);
  assert.equal(store.records.morning.started_by, "catch_up");
});

Deno.test("tick() asks for the registry each time, so a task disabled meanwhile does not run", async () => {
  let registry = REGISTRY;
  const { scheduler, ran } = setup({ tasks: () => registry });
  registry = REGISTRY.map((t) => t.name === "morning" ? { ...t, enabled: false } : t);
  await scheduler.tick();
  assert.deepEqual(ran.map((r) => r.name), ["health"]);
});

Deno.test("run() sleeps until the next due time, never longer than tickMs, re-reading the clock", async () => {
  const controller = new AbortController();
  const sleeps: number[] = [];
  const { clock, scheduler, ran } = setup({
    start: "2026-03-02T07:59:10Z",
    tickMs: 30_000,
    tasks: () => REGISTRY.filter((t) => t.name === "morning"),
    sleep: (ms) => {
      sleeps.push(ms);
      clock.advance(ms);
      if (sleeps.length === 4) controller.abort();
      return Promise.resolve();
    },
  });
  await scheduler.run(controller.signal);
  assert.deepEqual(sleeps.slice(0, 2), [30_000, 20_000], "capped, then exactly to 08:00");
  assert.deepEqual(ran.map((r) => r.at), ["2026-03-02T08:00:00.000Z"]);
  assert.deepEqual(sleeps.slice(2), [30_000, 30_000]);
});

// ---------------------------------------------------------------------------------------------
// Property: for random schedules and random downtime, each task runs at most once per period and
// at least once in every period the orchestrator was up after the task's time.

const TICK = 15 * MIN;
const START = Date.parse("2026-03-02T00:00:00Z");
const SPAN = 8 * 24 * HOUR;

const calendarTask = fc.record({
  frequency: fc.constantFrom("daily", "weekdays", "mwf", "weekly"),
  hour: fc.integer({ min: 0, max: 23 }),
  minute: fc.integer({ min: 0, max: 59 }),
  day: fc.constantFrom("monday", "wednesday", "sunday"),
  timezone: fc.constantFrom("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"),
  catchUp: fc.constantFrom("once", "skip"),
});

/** Up windows: alternating up/down stretches of random length, starting up. */
const windows = fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 2, maxLength: 12 }).map(
  (lengths) => {
    const list: [number, number][] = [];
    let t = START;
    lengths.forEach((ticks, i) => {
      const end = Math.min(t + ticks * 2 * HOUR, START + SPAN);
      if (i % 2 === 0 && end > t) list.push([t, end]);
      t = end;
    });
    return list;
  },
);

Deno.test("property: at most once per period, and at least once in every period aiemp was up after the task's time", async () => {
  await fc.assert(
    fc.asyncProperty(calendarTask, windows, async (spec, ups) => {
      const pad = (n: number) => String(n).padStart(2, "0");
      const [task] = tasksOf(`tasks:
  - name: t
    frequency: ${spec.frequency}
    time_of_day: "${pad(spec.hour)}:${pad(spec.minute)}"
    day_of_week: ${spec.day}
    timezone: ${spec.timezone}
    catch_up: ${spec.catchUp}
`);
      const store = new MemoryStore();
      store.records.t = { last_run: new Date(START - 8 * 24 * HOUR).toISOString() };
      const runs: number[] = [];
      const ticks: number[] = [];
      for (const [from, to] of ups) {
        // Each up window is a fresh orchestrator sharing the state file.
        const clock = new FakeClock(from);
        const scheduler = createScheduler({
          clock: clock.now,
          tasks: () => [task],
          store,
          tickMs: TICK,
          runTask: (_task, request): Promise<TaskResult> => {
            runs.push(request.now.getTime());
            return Promise.resolve({ ok: true, summary: "" });
          },
        });
        for (; clock.time < to; clock.advance(TICK)) {
          ticks.push(clock.time);
          await scheduler.tick();
        }
      }
      const periodOf = (t: number) => latestScheduledTime(task, new Date(t))!.getTime();
      // At most once per period.
      const periods = runs.map(periodOf);
      assert.equal(new Set(periods).size, periods.length, `two runs in one period: ${runs}`);
      // At least once in every period the orchestrator was up after the task's time (catch_up:
      // once), or up at the task's time itself (catch_up: skip).
      for (
        let s = nextScheduledTime(task, new Date(START))!.getTime();
        s < START + SPAN;
        s = nextScheduledTime(task, new Date(s))!.getTime()
      ) {
        const end = nextScheduledTime(task, new Date(s))!.getTime();
        // Watched at the time: up at s, and that same run ticked before it stopped (the
        // simulation ticks every TICK; a window that ends before its next tick saw nothing due).
        const watchedAtTime = ups.some(([from, to]) =>
          from <= s && s < to && ticks.some((t) => t >= s && t < Math.min(to, end))
        );
        const upAfter = ticks.some((t) => t >= s && t < end);
        const wanted = spec.catchUp === "once" ? upAfter : watchedAtTime;
        if (wanted) {
          assert.ok(
            runs.some((r) => r >= s && r < end),
            `no run in the period starting ${new Date(s).toISOString()}`,
          );
        }
      }
    }),
    { numRuns: 60 },
  );
});
