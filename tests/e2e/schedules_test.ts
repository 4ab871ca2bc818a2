import assert from "node:assert/strict";
import { aiemp, makeVault, startAiemp, waitFor } from "./_harness.ts";

Deno.test("schedules list --json shows every default task with its next run; a vault's schedules.yaml overrides by name", async () => {
  const vault = await makeVault();
  try {
    await Deno.writeTextFile(
      vault.file("schedules.yaml"),
      "tasks:\n  - name: linkedin_post\n    enabled: false\n",
    );
    const result = await aiemp(["schedules", "list", "--json", "--vault", vault.path]);
    assert.equal(result.code, 0, result.stderr);
    const tasks = JSON.parse(result.stdout);
    assert.deepEqual(tasks.map((t: { name: string }) => t.name), [
      "morning_triage",
      "linkedin_post",
      "stale_approval_check",
      "daily_rollover",
      "weekly_audit_prep",
      "health_dashboard_update",
      "done_archive",
    ]);
    const linkedin = tasks.find((t: { name: string }) => t.name === "linkedin_post");
    assert.equal(linkedin.enabled, false);
    assert.equal(linkedin.frequency, "mwf", "the default's other fields are kept");
    assert.equal(linkedin.next_run, null);
    const text = await aiemp(["schedules", "list", "--vault", vault.path]);
    assert.match(text.stdout, /stale_approval_check\s+every 360 min\s+yes\s+never/);
  } finally {
    await vault.cleanup();
  }
});

Deno.test("schedules check --json lists what is due; after a run it is no longer due", async () => {
  const vault = await makeVault();
  try {
    const before = JSON.parse(
      (await aiemp(["schedules", "check", "--json", "--vault", vault.path])).stdout,
    );
    assert.ok(before.includes("health_dashboard_update"), "an interval task that never ran is due");
    const trigger = await aiemp(["trigger", "health_dashboard_update", "--vault", vault.path]);
    assert.equal(trigger.code, 0, trigger.stderr);
    const { duration_ms, ...result } = JSON.parse(trigger.stdout);
    assert.deepEqual(result, {
      name: "health_dashboard_update",
      ok: true,
      summary: "Dashboard refreshed",
    });
    assert.equal(typeof duration_ms, "number", "the result says how long the task took");
    const after = JSON.parse(
      (await aiemp(["schedules", "check", "--json", "--vault", vault.path])).stdout,
    );
    assert.ok(!after.includes("health_dashboard_update"));
  } finally {
    await vault.cleanup();
  }
});

Deno.test("trigger runs an agent task with the agent CLI in the vault; --dry-run passes DRY_RUN=true", async () => {
  const vault = await makeVault();
  const log = vault.file(".fake-agent.log");
  try {
    await Deno.writeTextFile(
      vault.file("Needs_Action", "TASK_1.md"),
      "---\nid: t1\ntype: file_drop\n---\nDo it\n",
    );
    const result = await aiemp(["trigger", "morning_triage", "--dry-run", "--vault", vault.path], {
      FAKE_AGENT_LOG: log,
    });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const printed = JSON.parse(result.stdout);
    assert.equal(printed.ok, true);
    assert.equal(printed.items, 1);
    assert.match(printed.summary, /^agent finished/);
    const call = await Deno.readTextFile(log);
    assert.match(call, /^--print --settings \S+\/\.claude\/settings\.json You are the AI employee/);
    assert.match(call, /Never write to Approved\//);
    assert.match(await Deno.readTextFile(vault.file("Plans", "PLAN_fake.md")), /DRY_RUN=true/);
  } finally {
    await vault.cleanup();
  }
});

Deno.test("a failing agent makes the task fail with the reason, and a missing agent says how to fix it", async () => {
  const vault = await makeVault();
  try {
    await Deno.writeTextFile(vault.file("Needs_Action", "TASK_1.md"), "---\nid: t1\n---\nx\n");
    const failing = await aiemp(["trigger", "morning_triage", "--vault", vault.path], {
      FAKE_AGENT_EXIT: "3",
    });
    assert.equal(failing.code, 1);
    assert.equal(JSON.parse(failing.stdout).ok, false);
    assert.match(
      JSON.parse(failing.stdout).summary,
      /^the agent 'claude' failed: it exited with code 3/,
    );
    await vault.configure("agent:\n  command: no-such-agent-cli\n");
    const missing = await aiemp(["trigger", "morning_triage", "--vault", vault.path]);
    assert.equal(missing.code, 1);
    assert.match(
      JSON.parse(missing.stdout).summary,
      /not found on PATH; install Claude Code or set agent\.command in aiemp\.yaml/,
    );
    const list = JSON.parse(
      (await aiemp(["schedules", "list", "--json", "--vault", vault.path])).stdout,
    );
    const triage = list.find((t: { name: string }) => t.name === "morning_triage");
    assert.equal(triage.last_result, "failed", "the failed run is recorded");
  } finally {
    await vault.cleanup();
  }
});

Deno.test("trigger while aiemp runs is carried out by the running orchestrator", async () => {
  const vault = await makeVault();
  try {
    const run = await startAiemp(vault.path);
    const result = await aiemp(["trigger", "done_archive", "--vault", vault.path]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).summary, "0 item(s) from Done/ archived");
    await run.waitForOutput("Running done_archive on request");
    assert.equal(await run.stop(), 0);
  } finally {
    await vault.cleanup();
  }
});

Deno.test("a bad task in schedules.yaml is refused with the reason while the others run; a file that is not YAML stops start", async () => {
  const vault = await makeVault("dashboard:\n  refresh_ms: 50\n");
  try {
    await Deno.writeTextFile(
      vault.file("schedules.yaml"),
      "tasks:\n  - name: linkedin_post\n    time_of_day: '25:00'\n",
    );
    const reason =
      /Cannot load schedules\.yaml: task 'linkedin_post' has time_of_day "25:00"; use HH:MM/;
    const list = await aiemp(["schedules", "list", "--json", "--vault", vault.path]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stderr, reason);
    assert.equal(JSON.parse(list.stdout).length, 6, "the six other tasks");
    const run = await startAiemp(vault.path);
    await run.waitForOutput("time_of_day");
    assert.match(run.output(), reason);
    await waitFor(
      async () => reason.test(await Deno.readTextFile(vault.file("Dashboard.md"))),
      "the refusal on the Dashboard",
    );
    assert.match(await Deno.readTextFile(vault.file("Logs", "system.log")), reason);
    assert.equal(await run.stop(), 0);

    await Deno.writeTextFile(vault.file("schedules.yaml"), "tasks: [\n  - name: x");
    const bad = await aiemp(["start", "--vault", vault.path]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^aiemp: Cannot load schedules\.yaml: .*fix the YAML/);
    assert.equal(bad.stderr.trim().split("\n").length, 1, "one line");
    const unknown = await aiemp(["trigger", "make_coffee", "--vault", vault.path]);
    assert.equal(unknown.code, 1);
    await Deno.remove(vault.file("schedules.yaml"));
    const again = await aiemp(["trigger", "make_coffee", "--vault", vault.path]);
    assert.match(again.stderr, /No schedule named 'make_coffee'/);
  } finally {
    await vault.cleanup();
  }
});

Deno.test("due schedules run at start and show in the Dashboard's activity", async () => {
  const vault = await makeVault("dashboard:\n  refresh_ms: 50\n");
  try {
    const run = await startAiemp(vault.path);
    await waitFor(
      async () =>
        (await Deno.readTextFile(vault.file("Dashboard.md"))).includes(
          "Schedule stale_approval_check",
        ),
      "the schedule in the activity",
    );
    assert.equal(await run.stop(), 0);
  } finally {
    await vault.cleanup();
  }
});

Deno.test("scheduler.enabled: false runs no schedule, also with --once", async () => {
  const vault = await makeVault("scheduler:\n  enabled: false\n");
  try {
    const result = await aiemp(["start", "--once", "--vault", vault.path]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout).schedules, []);
  } finally {
    await vault.cleanup();
  }
});

Deno.test("trigger linkedin_post --dry-run drafts through the fake agent and prints its result as JSON", async () => {
  const vault = await makeVault();
  try {
    const result = await aiemp(["trigger", "linkedin_post", "--dry-run", "--vault", vault.path], {
      FAKE_AGENT_DRAFT: "LINKEDIN_draft",
    });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const printed = JSON.parse(result.stdout);
    assert.equal(printed.name, "linkedin_post");
    assert.equal(printed.ok, true);
    assert.equal(printed.drafted, true);
    assert.match(
      await Deno.readTextFile(vault.file("Pending_Approval", "LINKEDIN_draft.md")),
      /DRY_RUN=true/,
    );
    const second = JSON.parse(
      (await aiemp(["trigger", "linkedin_post", "--dry-run", "--vault", vault.path])).stdout,
    );
    assert.equal(second.drafted, false, "a draft made today is not made again");
  } finally {
    await vault.cleanup();
  }
});

Deno.test("schedules enable/disable edit the vault's schedules.yaml, keeping comments, and a running aiemp picks them up", async () => {
  const vault = await makeVault("scheduler:\n  tick_s: 1\ndashboard:\n  refresh_ms: 50\n");
  try {
    await Deno.writeTextFile(
      vault.file("schedules.yaml"),
      "# my schedules\ntasks:\n  - name: stale_approval_check # checked by hand for now\n" +
        "    enabled: false\n",
    );
    const run = await startAiemp(vault.path);
    const state = async () =>
      JSON.parse(await Deno.readTextFile(vault.file(".aiemp", "state.json")));
    await waitFor(
      async () => (await state()).schedules?.health_dashboard_update,
      "the first tick",
    );
    assert.equal((await state()).schedules.stale_approval_check, undefined, "disabled: not run");

    const enable = await aiemp([
      "schedules",
      "enable",
      "stale_approval_check",
      "--vault",
      vault.path,
    ]);
    assert.equal(enable.code, 0, enable.stderr);
    assert.match(enable.stdout, /Enabled stale_approval_check/);
    const text = await Deno.readTextFile(vault.file("schedules.yaml"));
    assert.match(text, /^# my schedules\n/);
    assert.ok(
      text.includes("- name: stale_approval_check # checked by hand for now\n    enabled: true\n"),
      text,
    );
    await waitFor(
      async () => (await state()).schedules?.stale_approval_check?.last_run,
      "the enabled task to run without a restart",
    );

    const disable = await aiemp(["schedules", "disable", "done_archive", "--vault", vault.path]);
    assert.equal(disable.code, 0, disable.stderr);
    await run.waitForOutput("Schedules reloaded from schedules.yaml: 5 of 7 enabled");
    await waitFor(
      async () =>
        (await Deno.readTextFile(vault.file("Dashboard.md"))).includes("| done_archive (off) |"),
      "the Dashboard's Schedules section to show it off",
    );
    const list = JSON.parse(
      (await aiemp(["schedules", "list", "--json", "--vault", vault.path])).stdout,
    );
    assert.equal(list.find((t: { name: string }) => t.name === "done_archive").enabled, false);
    const unknown = await aiemp(["schedules", "disable", "make_coffee", "--vault", vault.path]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /No schedule named 'make_coffee'/);
    assert.equal(await run.stop(), 0);
  } finally {
    await vault.cleanup();
  }
});

Deno.test("a run missed while aiemp was down runs once at start and is recorded in the list, on the Dashboard and in the log", async () => {
  // Schedules only: the components play no part here.
  const vault = await makeVault("inbox:\n  enabled: false\napprovals:\n  enabled: false\n");
  try {
    const threeDaysAgo = new Date(Date.now() - 3 * 86_400_000).toISOString();
    await Deno.mkdir(vault.file(".aiemp"), { recursive: true });
    await Deno.writeTextFile(
      vault.file(".aiemp", "state.json"),
      JSON.stringify({ schedules: { morning_triage: { last_run: threeDaysAgo, ok: true } } }),
    );
    const once = await aiemp(["start", "--once", "--vault", vault.path]);
    assert.equal(once.code, 0, once.stderr);
    const ran = JSON.parse(once.stdout).schedules.filter((s: { name: string }) =>
      s.name === "morning_triage"
    );
    assert.equal(ran.length, 1, "run once, not once per missed day");
    const list = JSON.parse(
      (await aiemp(["schedules", "list", "--json", "--vault", vault.path])).stdout,
    );
    const triage = list.find((t: { name: string }) => t.name === "morning_triage");
    assert.ok(triage.missed[0].count >= 2, JSON.stringify(triage.missed));
    assert.equal(triage.missed[0].catch_up, "once");
    const text = await aiemp(["schedules", "list", "--vault", vault.path]);
    assert.match(text.stdout, /morning_triage .*\(missed \d+, ran once\)/);
    const dashboard = await Deno.readTextFile(vault.file("Dashboard.md"));
    assert.match(dashboard, /\| morning_triage \|.*⚠️ .*\(missed \d+, ran once\)/);
    assert.match(dashboard, /Missed schedule morning_triage/);
    assert.match(
      await Deno.readTextFile(vault.file("Logs", "system.log")),
      /Scheduled task morning_triage missed \d+ runs due .* running it once now/,
    );
  } finally {
    await vault.cleanup();
  }
});
