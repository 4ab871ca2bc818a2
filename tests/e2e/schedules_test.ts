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
    assert.match(trigger.stdout, /health_dashboard_update: ok: Dashboard refreshed/);
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
    assert.match(result.stdout, /morning_triage: ok: agent finished/);
    const call = await Deno.readTextFile(log);
    assert.match(call, /^--print You are the AI employee/);
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
    assert.match(failing.stdout, /failed: the agent 'claude' failed: it exited with code 3/);
    await vault.configure("agent:\n  command: no-such-agent-cli\n");
    const missing = await aiemp(["trigger", "morning_triage", "--vault", vault.path]);
    assert.equal(missing.code, 1);
    assert.match(
      missing.stdout,
      /not found on PATH; install Claude Code or set agent\.command in aiemp\.yaml/,
    );
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
    assert.match(result.stdout, /done_archive: ok: 0 item\(s\) from Done\/ archived/);
    await run.waitForOutput("Running done_archive on request");
    assert.equal(await run.stop(), 0);
  } finally {
    await vault.cleanup();
  }
});

Deno.test("a bad schedules.yaml stops start with one line naming the task and the fix; an unknown name is refused", async () => {
  const vault = await makeVault();
  try {
    await Deno.writeTextFile(
      vault.file("schedules.yaml"),
      "tasks:\n  - name: linkedin_post\n    time_of_day: '25:00'\n",
    );
    const bad = await aiemp(["start", "--vault", vault.path]);
    assert.equal(bad.code, 1);
    assert.match(
      bad.stderr,
      /Cannot load schedules\.yaml: task 'linkedin_post' has time_of_day "25:00"; use HH:MM/,
    );
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
