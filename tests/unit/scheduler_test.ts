import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../src/config/mod.ts";
import {
  dueTasks,
  isDue,
  loadSchedules,
  type ScheduledTask,
  ScheduleError,
  TASK_TRIGGERS,
  type TaskContext,
} from "../../src/scheduler/mod.ts";
import { initVault, listNames, vaultLayout } from "../../src/vault/mod.ts";

// March 2026, local time: Sun 1, Mon 2, Tue 3, Wed 4, Thu 5, Fri 6, Sat 7, Sun 8.
const at = (day: number, hour: number, minute = 0) => new Date(2026, 2, day, hour, minute);
const MON = 2, TUE = 3, WED = 4, THU = 5, FRI = 6, SAT = 7, SUN = 8;

const SCHEDULES = `
tasks:
  - name: morning
    frequency: daily
    time_of_day: "08:00"
  - name: post
    frequency: mwf
    time_of_day: "09:30"
  - name: weekly_review
    frequency: weekly
    day_of_week: sunday
    time_of_day: "22:00"
  - name: health
    frequency: every_n_minutes
    interval_minutes: 15
  - name: off
    frequency: daily
    time_of_day: "08:00"
    enabled: false
`;

function task(name: string): ScheduledTask {
  const found = loadSchedules(SCHEDULES).tasks.find((t) => t.name === name);
  assert.ok(found, `task ${name} is defined`);
  return found;
}

/** The one refusal of an entry, checking that a valid task beside it still loads. */
function scheduleErrorOf(text: string, vaultText?: string): string {
  const valid = "  - name: still_runs\n    frequency: hourly\n";
  const { tasks, errors } = loadSchedules(text + valid, vaultText);
  assert.equal(errors.length, 1, `expected one refused entry, got ${JSON.stringify(errors)}`);
  assert.ok(tasks.some((t) => t.name === "still_runs"), "the valid task still loads");
  return errors[0];
}

Deno.test("the test calendar starts on the weekdays it claims", () => {
  assert.deepEqual([MON, TUE, WED, THU, FRI, SAT, SUN].map((d) => at(d, 12).getDay()), [
    1,
    2,
    3,
    4,
    5,
    6,
    0,
  ]);
});

// ---------------------------------------------------------------------------------------------
// isDue()

Deno.test("isDue() runs a daily task once its time has passed and it has not run today", () => {
  assert.equal(isDue(task("morning"), at(MON, 8, 0), at(TUE, 8, 1)), true);
  assert.equal(isDue(task("morning"), at(MON, 8, 0), at(TUE, 8, 0)), true, "exactly on time");
});

Deno.test("isDue() does not run a daily task before its time", () => {
  assert.equal(isDue(task("morning"), at(MON, 8, 0), at(TUE, 7, 59)), false);
});

Deno.test("isDue() does not run a daily task again once it ran today", () => {
  assert.equal(isDue(task("morning"), at(TUE, 8, 2), at(TUE, 17, 0)), false);
});

Deno.test("isDue() runs an mwf task on Monday, Wednesday and Friday", () => {
  assert.equal(isDue(task("post"), new Date(2026, 1, 27, 9, 30), at(MON, 10, 0)), true, "Monday");
  assert.equal(isDue(task("post"), at(MON, 9, 30), at(WED, 10, 0)), true, "Wednesday");
  assert.equal(isDue(task("post"), at(WED, 9, 30), at(FRI, 10, 0)), true, "Friday");
});

Deno.test("isDue() does not run an mwf task on Tuesday", () => {
  assert.equal(isDue(task("post"), at(MON, 9, 31), at(TUE, 10, 0)), false);
  assert.equal(isDue(task("post"), undefined, at(TUE, 10, 0)), false, "even if it never ran");
});

Deno.test("isDue() runs a weekly task on its day after its time", () => {
  assert.equal(isDue(task("weekly_review"), at(1, 22, 0), at(SUN, 22, 30)), true);
  assert.equal(isDue(task("weekly_review"), at(1, 22, 0), at(SUN, 21, 59)), false, "before");
});

Deno.test("isDue() does not run a weekly task on the other days", () => {
  for (const day of [MON, TUE, WED, THU, FRI, SAT]) {
    assert.equal(isDue(task("weekly_review"), at(1, 22, 5), at(day, 23, 0)), false, `day ${day}`);
    assert.equal(isDue(task("weekly_review"), undefined, at(day, 23, 0)), false, `never, ${day}`);
  }
});

Deno.test("isDue() runs an every_n_minutes task when its interval has passed", () => {
  assert.equal(isDue(task("health"), at(MON, 10, 0), at(MON, 10, 15)), true);
  assert.equal(isDue(task("health"), at(MON, 10, 0), at(MON, 13, 0)), true);
});

Deno.test("isDue() does not run an every_n_minutes task within its interval", () => {
  assert.equal(isDue(task("health"), at(MON, 10, 0), at(MON, 10, 14)), false);
});

Deno.test("isDue() runs an every_n_minutes task that never ran", () => {
  assert.equal(isDue(task("health"), undefined, at(MON, 3, 7)), true);
});

Deno.test("isDue() never runs a disabled task", () => {
  assert.equal(isDue(task("off"), undefined, at(MON, 9, 0)), false);
  assert.equal(isDue(task("off"), at(1, 8, 0), at(MON, 9, 0)), false);
});

Deno.test("isDue() runs a task that never ran once today's time has passed", () => {
  assert.equal(isDue(task("morning"), undefined, at(MON, 9, 0)), true);
});

Deno.test("isDue() makes a task that never ran wait for today's time", () => {
  assert.equal(isDue(task("morning"), undefined, at(MON, 7, 0)), false);
});

Deno.test("isDue() runs a daily task missed for two days once, not once per miss", () => {
  const morning = task("morning");
  const now = at(WED, 9, 0);
  assert.equal(isDue(morning, at(MON, 8, 0), now), true);
  assert.equal(isDue(morning, now, now), false, "after running it is not due again");
  assert.equal(isDue(morning, now, at(WED, 23, 59)), false);
  assert.equal(isDue(morning, now, at(THU, 8, 0)), true, "the next day it runs again");
});

Deno.test("dueTasks() returns the due tasks in registry order", () => {
  const { tasks } = loadSchedules(SCHEDULES);
  const now = at(FRI, 10, 0);
  const ran = (date: Date) => ({ last_run: date.toISOString() });
  const due = dueTasks(tasks, {
    morning: ran(at(THU, 8, 0)),
    post: ran(at(WED, 9, 30)),
    health: ran(at(FRI, 9, 59)),
  }, now);
  assert.deepEqual(due.map((t) => t.name), ["morning", "post"]);
  const all = dueTasks(tasks, {}, at(SUN, 23, 0));
  assert.deepEqual(all.map((t) => t.name), ["morning", "weekly_review", "health"]);
});

// ---------------------------------------------------------------------------------------------
// loadSchedules()

Deno.test("loadSchedules() fills in the defaults of each task", () => {
  const morning = task("morning");
  assert.equal(morning.enabled, true);
  assert.equal(morning.requires_agent, false);
  assert.equal(morning.timeout_minutes, 10);
});

Deno.test("loadSchedules() names the task and the form for a bad time_of_day", () => {
  const message = scheduleErrorOf(
    "tasks:\n  - name: x\n    frequency: daily\n    time_of_day: '25:00'\n",
  );
  assert.ok(message.includes("task 'x'"), message);
  assert.ok(message.includes("HH:MM"), message);
});

Deno.test("loadSchedules() names an unknown setting of a task", () => {
  const message = scheduleErrorOf(
    "tasks:\n  - name: x\n    frequency: daily\n    time_of_day: '08:00'\n    tme: 1\n",
  );
  assert.ok(message.includes("unknown setting"), message);
  assert.ok(message.includes("'tme'"), message);
});

Deno.test("loadSchedules() asks for what a frequency needs", () => {
  assert.match(scheduleErrorOf("tasks:\n  - name: x\n    frequency: daily\n"), /time_of_day/);
  assert.match(
    scheduleErrorOf("tasks:\n  - name: x\n    frequency: weekly\n    time_of_day: '08:00'\n"),
    /day_of_week/,
  );
  assert.match(
    scheduleErrorOf("tasks:\n  - name: x\n    frequency: every_n_minutes\n"),
    /interval_minutes/,
  );
});

Deno.test("loadSchedules() lets a vault override one field of a default task", () => {
  const defaults =
    "tasks:\n  - name: linkedin_post\n    frequency: mwf\n    time_of_day: '09:30'\n" +
    "  - name: morning_triage\n    frequency: daily\n    time_of_day: '08:00'\n";
  const { tasks } = loadSchedules(
    defaults,
    "tasks:\n  - name: linkedin_post\n    enabled: false\n",
  );
  assert.equal(tasks.length, 2);
  const post = tasks.find((t) => t.name === "linkedin_post")!;
  assert.equal(post.enabled, false);
  assert.equal(post.frequency, "mwf");
  assert.equal(post.time_of_day, "09:30");
  assert.equal(tasks.find((t) => t.name === "morning_triage")!.enabled, true);
});

Deno.test("loadSchedules() adds the vault's own tasks after the defaults", () => {
  const { tasks } = loadSchedules(
    SCHEDULES,
    "tasks:\n  - name: invoices\n    frequency: hourly\n",
  );
  assert.equal(tasks.at(-1)?.name, "invoices");
  assert.equal(tasks.length, 6);
});

Deno.test("loadSchedules() accepts the shipped schedules.yaml", async () => {
  const text = await Deno.readTextFile(new URL("../../schedules.yaml", import.meta.url));
  const { tasks, errors } = loadSchedules(text, undefined, {
    triggers: Object.keys(TASK_TRIGGERS),
  });
  assert.deepEqual(errors, []);
  assert.equal(tasks.length, 7);
  for (const t of tasks) assert.ok(t.trigger in TASK_TRIGGERS, `${t.name} has a trigger`);
});

Deno.test("loadSchedules() fills in trigger (the name), catch_up (once) and timezone (the machine's)", () => {
  const morning = task("morning");
  assert.equal(morning.trigger, "morning");
  assert.equal(morning.catch_up, "once");
  assert.equal(morning.timezone, Intl.DateTimeFormat().resolvedOptions().timeZone);
  const { tasks } = loadSchedules(
    "tasks:\n  - name: evening_triage\n    frequency: daily\n    time_of_day: '18:00'\n" +
      "    trigger: morning_triage\n    timezone: America/New_York\n    catch_up: skip\n",
    undefined,
    { timezone: "Europe/Berlin", triggers: ["morning_triage"] },
  );
  assert.equal(tasks[0].trigger, "morning_triage", "several tasks may share a trigger");
  assert.equal(tasks[0].timezone, "America/New_York");
  assert.equal(tasks[0].catch_up, "skip");
});

Deno.test("loadSchedules() refuses an unknown time zone, a bad cron pattern and an unknown trigger, one by one", () => {
  assert.match(
    scheduleErrorOf(
      "tasks:\n  - name: x\n    frequency: daily\n    time_of_day: '08:00'\n    timezone: Mars/Olympus\n",
    ),
    /task 'x' has timezone "Mars\/Olympus"; use an IANA time zone/,
  );
  assert.match(
    scheduleErrorOf("tasks:\n  - name: x\n    frequency: cron\n    cron: '61 8 * * *'\n"),
    /task 'x' has cron "61 8 \* \* \*".*use five fields/,
  );
  assert.match(scheduleErrorOf("tasks:\n  - name: x\n    frequency: cron\n"), /needs cron/);
  const { errors } = loadSchedules("tasks:\n  - name: make_coffee\n    frequency: hourly\n", "", {
    triggers: ["morning_triage"],
  });
  assert.match(errors[0], /task 'make_coffee' has trigger 'make_coffee', which is not a built-in/);
});

Deno.test("loadSchedules() names the vault's file for an entry it refuses, and keeps the defaults", () => {
  const { tasks, errors } = loadSchedules(
    SCHEDULES,
    "tasks:\n  - name: morning\n    time_of_day: '25:00'\n",
  );
  assert.deepEqual(errors, [
    `Cannot load schedules.yaml: task 'morning' has time_of_day "25:00"; use HH:MM`,
  ]);
  assert.equal(tasks.length, 4, "the other four tasks still run");
});

Deno.test("loadSchedules() throws one clear line for a file that is not YAML", () => {
  assert.throws(
    () => loadSchedules(SCHEDULES, "tasks: [\n  - name: x"),
    (error: unknown) =>
      error instanceof ScheduleError && /^Cannot load schedules\.yaml: .*fix the YAML/.test(
        error.message,
      ),
  );
});

// ---------------------------------------------------------------------------------------------
// Triggers

interface ContextFixture {
  context: TaskContext;
  prompts: string[];
  alerts: string[];
}

async function withContext(
  options: { now: Date; dryRun?: boolean },
  fn: (fixture: ContextFixture, root: string) => Promise<void>,
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "aiemp_scheduler_test_" });
  try {
    await initVault(root);
    const prompts: string[] = [];
    const alerts: string[] = [];
    const context: TaskContext = {
      layout: vaultLayout(root),
      config: loadConfig(undefined, {}),
      dryRun: options.dryRun ?? false,
      now: options.now,
      runAgent(prompt) {
        prompts.push(prompt);
        return Promise.resolve({ ok: true, output: "", durationMs: 1200 });
      },
      refreshDashboard: () => Promise.resolve(),
      alert: (text) => alerts.push(text),
      rollActivity: () => [],
      resetDailyCounters: () => undefined,
      timezone: "UTC",
    };
    await fn({ context, prompts, alerts }, root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

async function writeAged(path: string, now: Date, ageMs: number): Promise<void> {
  await Deno.writeTextFile(path, "---\nid: x\n---\nbody\n");
  const when = new Date(now.getTime() - ageMs);
  await Deno.utime(path, when, when);
}

const DAY = 86_400_000;
const NOW = new Date(2026, 2, 20, 12, 0);

Deno.test("done_archive moves old items from Done/ into Done/Archive/YYYY-MM/ and keeps fresh ones", async () => {
  await withContext({ now: NOW }, async ({ context }, root) => {
    const done = join(root, "Done");
    await writeAged(join(done, "old.md"), NOW, 10 * DAY);
    await writeAged(join(done, "fresh.md"), NOW, 1 * DAY);
    const result = await TASK_TRIGGERS.done_archive(context);
    assert.equal(result.ok, true);
    assert.equal(result.archived, 1);
    assert.deepEqual(await listNames(done), ["Archive", "fresh.md"]);
    assert.deepEqual(await listNames(join(done, "Archive", "2026-03")), ["old.md"]);
  });
});

Deno.test("done_archive in dry-run mode moves nothing", async () => {
  await withContext({ now: NOW, dryRun: true }, async ({ context }, root) => {
    const done = join(root, "Done");
    await writeAged(join(done, "old.md"), NOW, 10 * DAY);
    const result = await TASK_TRIGGERS.done_archive(context);
    assert.equal(result.archived, 1);
    assert.match(result.summary, /would be archived/);
    assert.deepEqual(await listNames(done), ["old.md"]);
  });
});

Deno.test("stale_approval_check alerts about requests waiting too long", async () => {
  await withContext({ now: NOW }, async ({ context, alerts }, root) => {
    const pending = join(root, "Pending_Approval");
    await writeAged(join(pending, "EMAIL_old_client.md"), NOW, 2 * DAY);
    await writeAged(join(pending, "EMAIL_new_client.md"), NOW, 3_600_000);
    const result = await TASK_TRIGGERS.stale_approval_check(context);
    assert.equal(result.stale_count, 1);
    assert.equal(alerts.length, 1);
    assert.ok(alerts[0].includes("EMAIL_old_client.md"), alerts[0]);
    assert.ok(!alerts[0].includes("EMAIL_new_client.md"), alerts[0]);
  });
});

Deno.test("stale_approval_check clears its alert when nothing waits too long", async () => {
  await withContext({ now: NOW }, async ({ context, alerts }, root) => {
    await writeAged(join(root, "Pending_Approval", "EMAIL_new.md"), NOW, 3_600_000);
    const result = await TASK_TRIGGERS.stale_approval_check(context);
    assert.equal(result.stale_count, 0);
    assert.deepEqual(alerts, [""]);
  });
});

Deno.test("morning_triage does not wake the agent when Needs_Action/ is empty", async () => {
  await withContext({ now: NOW }, async ({ context, prompts }) => {
    const result = await TASK_TRIGGERS.morning_triage(context);
    assert.equal(result.ok, true);
    assert.equal(result.items, 0);
    assert.deepEqual(prompts, []);
  });
});

Deno.test("morning_triage runs the agent once over the pending notes, forbidding approvals", async () => {
  await withContext({ now: NOW }, async ({ context, prompts }, root) => {
    await Deno.writeTextFile(join(root, "Needs_Action", "FILE_a.md"), "a");
    await Deno.writeTextFile(join(root, "Needs_Action", "EMAIL_b.md"), "b");
    const result = await TASK_TRIGGERS.morning_triage(context);
    assert.equal(result.ok, true);
    assert.equal(result.items, 2);
    assert.equal(prompts.length, 1);
    assert.ok(prompts[0].includes("Needs_Action"), prompts[0]);
    assert.ok(prompts[0].includes("Never write to Approved"), prompts[0]);
  });
});

Deno.test("linkedin_post does not draft more while two drafts await approval", async () => {
  await withContext({ now: NOW }, async ({ context, prompts }, root) => {
    await Deno.writeTextFile(join(root, "Pending_Approval", "LINKEDIN_20260310_a.md"), "a");
    await Deno.writeTextFile(join(root, "Pending_Approval", "LINKEDIN_20260311_b.md"), "b");
    const result = await TASK_TRIGGERS.linkedin_post(context);
    assert.equal(result.drafted, false);
    assert.deepEqual(prompts, []);
  });
});

Deno.test("linkedin_post asks the agent for a draft when none waits", async () => {
  await withContext({ now: NOW }, async ({ context, prompts }) => {
    const result = await TASK_TRIGGERS.linkedin_post(context);
    assert.equal(result.drafted, true);
    assert.equal(prompts.length, 1);
    assert.match(prompts[0], /LinkedIn/);
  });
});

Deno.test("stale_approval_check flags a stale request in its own front matter and leaves the rest as it was", async () => {
  await withContext({ now: NOW }, async ({ context }, root) => {
    const path = join(root, "Pending_Approval", "EMAIL_old_client.md");
    const original = "---\nid: EMAIL_old_client # the client from March\n" +
      "type: approval_request\nto: a@example.com\n---\n## Why\nThey asked twice.\n";
    await Deno.writeTextFile(path, original);
    const created = new Date(NOW.getTime() - 2 * DAY);
    await Deno.utime(path, created, created);
    const result = await TASK_TRIGGERS.stale_approval_check(context);
    assert.equal(result.flagged, 1);
    assert.equal(
      await Deno.readTextFile(path),
      original.replace(
        "---\n## Why",
        `stale: true\nstale_since: ${NOW.toISOString()}\n---\n## Why`,
      ),
    );
    const again = await TASK_TRIGGERS.stale_approval_check(context);
    assert.equal(again.stale_count, 1, "a flagged request stays stale although its mtime changed");
    assert.equal(again.flagged, 0, "and is not flagged twice");
  });
});

Deno.test("stale_approval_check counts from a request's 'created', and flags nothing in dry-run", async () => {
  await withContext({ now: NOW, dryRun: true }, async ({ context }, root) => {
    const path = join(root, "Pending_Approval", "WEBHOOK_x.md");
    const text = `---\nid: x\ncreated: ${
      new Date(NOW.getTime() - 30 * 3_600_000).toISOString()
    }\n---\n`;
    await Deno.writeTextFile(path, text); // mtime now, but created 30 h ago
    const result = await TASK_TRIGGERS.stale_approval_check(context);
    assert.equal(result.stale_count, 1);
    assert.equal(await Deno.readTextFile(path), text);
  });
});

Deno.test("linkedin_post skips when a LinkedIn post was already drafted today", async () => {
  await withContext({ now: NOW }, async ({ context, prompts }, root) => {
    await Deno.writeTextFile(
      join(root, "Pending_Approval", "SOCIAL_launch.md"),
      `---\naction: linkedin\ncreated: ${NOW.toISOString()}\n---\nPost\n`,
    );
    const result = await TASK_TRIGGERS.linkedin_post(context);
    assert.equal(result.drafted, false);
    assert.match(result.summary, /already drafted today/);
    assert.deepEqual(prompts, []);
  });
  await withContext({ now: NOW }, async ({ context, prompts }, root) => {
    await Deno.writeTextFile(join(root, "Done", "LINKEDIN_20260320_launch.md"), "---\n---\n");
    assert.equal((await TASK_TRIGGERS.linkedin_post(context)).drafted, false, "already posted");
    assert.deepEqual(prompts, []);
  });
});

Deno.test("linkedin_post drafts when the only waiting draft is from another day", async () => {
  await withContext({ now: NOW }, async ({ context, prompts }, root) => {
    const path = join(root, "Pending_Approval", "LINKEDIN_20260318_old.md");
    await writeAged(path, NOW, 2 * DAY);
    const result = await TASK_TRIGGERS.linkedin_post(context);
    assert.equal(result.drafted, true);
    assert.match(prompts[0], /LINKEDIN_20260320_/);
  });
});

Deno.test("daily_rollover moves activity beyond 50 entries into a monthly note in Logs/ with the day's counters", async () => {
  await withContext({ now: NOW }, async ({ context }, root) => {
    const activity = Array.from({ length: 53 }, (_, i) => ({
      when: new Date(NOW.getTime() - i * 60_000).toISOString(),
      text: `event ${i}`,
    }));
    let refreshed = 0;
    const result = await TASK_TRIGGERS.daily_rollover({
      ...context,
      rollActivity: (keep) => activity.splice(keep).reverse(),
      resetDailyCounters: () => ({
        date: "2026-03-19",
        counts: { files_received: 4, approvals_executed: 2 },
      }),
      refreshDashboard: () => Promise.resolve(void refreshed++),
    });
    assert.equal(result.rolled, 3);
    assert.equal(activity.length, 50);
    assert.equal(refreshed, 1);
    const note = await Deno.readTextFile(join(root, "Logs", "activity-2026-03.md"));
    assert.match(note, /^---\ntype: activity_archive\nmonth: "2026-03"\n---\n# Activity 2026-03/);
    assert.deepEqual(note.match(/event \d+/g), ["event 52", "event 51", "event 50"]);
    assert.match(note, /\*\*2026-03-19 counters:\*\* files received 4, approvals executed 2/);
  });
});

Deno.test("weekly_audit_prep gathers the week's Done/ items and log problems into Briefings/, then asks the agent", async () => {
  await withContext({ now: NOW }, async ({ context, prompts }, root) => {
    await Deno.writeTextFile(
      join(root, "Done", "WEBHOOK_deploy.md"),
      `---\naction: webhook\noutcome: sent\ncompleted: ${
        new Date(NOW.getTime() - DAY).toISOString()
      }\n---\n`,
    );
    await Deno.writeTextFile(
      join(root, "Done", "WEBHOOK_old.md"),
      `---\naction: webhook\noutcome: sent\ncompleted: ${
        new Date(NOW.getTime() - 9 * DAY).toISOString()
      }\n---\n`,
    );
    const stamp = (ms: number) =>
      new Date(NOW.getTime() - ms).toISOString().slice(0, 23).replace("T", " ");
    await Deno.writeTextFile(
      join(root, "Logs", "system.log"),
      `${stamp(DAY)} [WRN] aiemp: something odd\n${stamp(DAY)} [INF] aiemp: fine\n` +
        `${stamp(10 * DAY)} [ERR] aiemp: long ago\n`,
    );
    const result = await TASK_TRIGGERS.weekly_audit_prep(context);
    assert.equal(result.ok, true);
    assert.equal(result.done, 1);
    const note = await Deno.readTextFile(join(root, "Briefings", "2026-03-20_Weekly_Audit.md"));
    assert.match(note, /type: weekly_audit/);
    assert.match(note, /WEBHOOK_deploy\.md/);
    assert.doesNotMatch(note, /WEBHOOK_old\.md/);
    assert.match(note, /something odd/);
    assert.doesNotMatch(note, /long ago|fine/);
    assert.equal(prompts.length, 1);
    assert.match(prompts[0], /Briefings\/2026-03-20_CEO_Briefing\.md/);
  });
});

Deno.test("health_dashboard_update rewrites the Dashboard", async () => {
  await withContext({ now: NOW }, async ({ context }) => {
    let refreshed = 0;
    const result = await TASK_TRIGGERS.health_dashboard_update({
      ...context,
      refreshDashboard: () => Promise.resolve(void refreshed++),
    });
    assert.equal(result.ok, true);
    assert.equal(refreshed, 1);
  });
});

Deno.test("done_archive files an old item under the month of its 'completed' time rather than the file's", async () => {
  await withContext({ now: NOW }, async ({ context }, root) => {
    const done = join(root, "Done");
    const path = join(done, "EMAIL_a.md");
    await Deno.writeTextFile(
      path,
      `---\ncompleted: ${new Date(NOW.getTime() - 40 * DAY).toISOString()}\n---\n`,
    );
    const touched = new Date(NOW.getTime() - 10 * DAY); // changed later, still past the limit
    await Deno.utime(path, touched, touched);
    const result = await TASK_TRIGGERS.done_archive(context);
    assert.equal(result.archived, 1);
    assert.deepEqual(await listNames(join(done, "Archive", "2026-02")), ["EMAIL_a.md"]);
  });
});

Deno.test("done_archive keeps an item changed since the limit, whatever its 'completed' says (only old files are read)", async () => {
  await withContext({ now: NOW }, async ({ context }, root) => {
    const done = join(root, "Done");
    const path = join(done, "EMAIL_b.md");
    await Deno.writeTextFile(
      path,
      `---\ncompleted: ${new Date(NOW.getTime() - 40 * DAY).toISOString()}\n---\n`,
    );
    const recent = new Date(NOW.getTime() - DAY);
    await Deno.utime(path, recent, recent);
    const result = await TASK_TRIGGERS.done_archive(context);
    assert.equal(result.archived, 0);
    assert.deepEqual(await listNames(done, { includeHidden: false }), ["EMAIL_b.md"]);
  });
});
