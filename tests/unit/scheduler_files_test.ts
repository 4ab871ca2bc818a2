import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import { StatusBoard } from "../../src/orchestrator/board.ts";
import { readState } from "../../src/orchestrator/state.ts";
import { loadSchedules, ScheduleError, setTaskEnabled } from "../../src/scheduler/mod.ts";
import { setFrontMatterKeys } from "../../src/scheduler/_front_matter.ts";
import { initVault, vaultLayout } from "../../src/vault/mod.ts";

Deno.test("setTaskEnabled() sets enabled on the task's entry and keeps comments and other fields", () => {
  const text = "# mine\ntasks:\n  - name: linkedin_post # Mon/Wed/Fri\n    time_of_day: '10:00'\n" +
    "  - name: done_archive\n    enabled: false # noisy\n";
  const off = setTaskEnabled(text, "linkedin_post", false);
  assert.equal(
    off,
    "# mine\ntasks:\n  - name: linkedin_post # Mon/Wed/Fri\n    time_of_day: '10:00'\n" +
      "    enabled: false\n  - name: done_archive\n    enabled: false # noisy\n",
  );
  const on = setTaskEnabled(off, "done_archive", true);
  assert.ok(on.includes("- name: done_archive\n    enabled: true # noisy\n"), on);
});

Deno.test("setTaskEnabled() adds an entry for a default task, and creates the file when missing", () => {
  const created = setTaskEnabled(undefined, "weekly_audit_prep", true);
  assert.match(created, /^# This vault's schedules/);
  assert.deepEqual(loadSchedules("tasks: []\n", created).tasks, []);
  const defaults =
    "tasks:\n  - name: weekly_audit_prep\n    frequency: hourly\n    enabled: false\n";
  assert.equal(loadSchedules(defaults, created).tasks[0].enabled, true);
  const added = setTaskEnabled("tasks:\n  - name: a\n    enabled: true\n", "b", false);
  assert.ok(added.endsWith("- name: b\n    enabled: false\n"), added);
  assert.throws(() => setTaskEnabled("tasks: [", "a", true), ScheduleError);
});

Deno.test("setFrontMatterKeys() adds or replaces keys and leaves every other character as it was", () => {
  const note = "---\nid: a # mine\nstale: false\n---\nBody --- here\n";
  assert.equal(
    setFrontMatterKeys(note, { stale: true, stale_since: "2026-03-20T12:00:00.000Z" }),
    "---\nid: a # mine\nstale: true\nstale_since: 2026-03-20T12:00:00.000Z\n---\nBody --- here\n",
  );
  assert.equal(
    setFrontMatterKeys("Just text\n", { stale: true }),
    "---\nstale: true\n---\nJust text\n",
  );
  assert.equal(
    setFrontMatterKeys("---\r\nid: a\r\n---\r\nx\r\n", { stale: true }),
    "---\r\nid: a\r\nstale: true\r\n---\r\nx\r\n",
  );
});

Deno.test("the board counts the day's events, starts a new day by itself, and the rollover returns the finished day", async () => {
  const root = await Deno.makeTempDir({ prefix: "aiemp_board_test_" });
  try {
    await initVault(root);
    let now = new Date("2026-03-02T10:00:00Z");
    const board = new StatusBoard(
      vaultLayout(root),
      loadConfig(undefined, {}),
      await readState(`${root}/missing.json`),
      () => now,
    );
    board.addActivity("File dropped: a → FILE_a", "files_received");
    board.addActivity("File dropped: b → FILE_b", "files_received");
    board.addActivity("System Online: all components active");
    assert.deepEqual(
      board.state.counters?.counts,
      { files_received: 2 },
      "only counted events count",
    );
    const finished = board.resetDailyCounters();
    assert.deepEqual(finished?.counts, { files_received: 2 });
    assert.deepEqual(board.state.counters?.counts, {});
    now = new Date("2026-03-05T10:00:00Z");
    board.count("tasks_run");
    assert.equal(board.state.counters?.date.slice(0, 8), "2026-03-");
    assert.deepEqual(board.state.counters?.counts, { tasks_run: 1 });
    await board.flush();
    const dashboard = await Deno.readTextFile(`${root}/Dashboard.md`);
    assert.match(
      dashboard,
      /## Today\n<!-- aiemp:begin today -->\n\| Today \(2026-03-05\) \| Count \|/,
    );
    assert.match(dashboard, /\| Scheduled tasks run \| 1 \|/);
    assert.match(dashboard, /## Schedules\n<!-- aiemp:begin schedules -->/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
