import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { createAuditLog } from "../../src/audit/mod.ts";
import type { Checkpoint } from "../../src/tasks/mod.ts";
import { aiemp, makeVault, type TestVault, waitFor } from "./_harness.ts";

const HOUR = 3_600_000;

/** The vault's settings: the loop off (no agent runs in these tests), a small daily budget. */
const SETTINGS =
  "tasks:\n  enabled: false\n  daily_budget:\n    agent_runs: 7\n    agent_minutes: 30\n";

/**
 * Writes a task loop's traces into `vault`, timed back from `now`: a checkpoint with four items
 * not ended (running, two queued, one failed) and one that ended; a real chained audit log of the
 * last day (one item received before it); the approval records with the requests waiting.
 */
async function writeFixture(vault: TestVault, now: number): Promise<void> {
  const at = (hoursAgo: number) => new Date(now - hoursAgo * HOUR).toISOString();
  const checkpoint: Checkpoint = {
    iteration: 40,
    updated: at(0),
    items: {
      low: {
        state: "queued",
        file: "Needs_Action/low.md",
        score: 0.1,
        received: at(5),
        state_since: at(5),
        attempts: 0,
        errors: [],
      },
      high: {
        state: "queued",
        file: "Needs_Action/high.md",
        score: 0.9,
        received: at(1),
        state_since: at(1),
        attempts: 0,
        errors: [],
      },
      broken: {
        state: "failed",
        file: "Needs_Action/broken.md",
        score: 0.5,
        received: at(3),
        state_since: at(2),
        attempts: 2,
        next_attempt_at: at(-1),
        errors: ["the agent timed out", "the agent exited with code 2"],
      },
      busy: {
        state: "running",
        file: "Needs_Action/busy.md",
        score: 0.3,
        received: at(2),
        state_since: at(0.5),
        attempts: 1,
        errors: [],
        agent_pid: 999_999,
      },
    },
    recent_exits: [{ id: "a", state: "done", at: at(20), attempts: 1, why: "plan done" }],
    usage: { day: new Date(now).toISOString().slice(0, 10), agent_runs: 3, agent_seconds: 150 },
  };
  await Deno.writeTextFile(vault.file(".aiemp", "checkpoint.json"), JSON.stringify(checkpoint));

  let clock = 0;
  const audit = createAuditLog(vault.file(".aiemp", "audit.jsonl"), {
    now: () => new Date(clock),
  });
  const write = async (hoursAgo: number, entry: Record<string, unknown>) => {
    clock = now - hoursAgo * HOUR;
    await audit.append({ event: "task", who: "orchestrator", ...entry });
  };
  await write(30, { event: "received", who: "watcher", id: "a" }); // before the last 24h
  await write(21, { event: "agent_run", id: "a", ok: true, seconds: 90 });
  await write(20, { id: "a", from: "running", to: "done", why: "plan done" });
  await write(10, { event: "received", who: "watcher", id: "b" });
  await write(9, { event: "agent_run", id: "b", ok: true, seconds: 60 });
  await write(8, { id: "b", from: "running", to: "done", why: "plan done" });
  await write(5, { event: "received", who: "watcher", id: "low" });
  await write(3, { event: "received", who: "watcher", id: "broken" });
  await write(2.5, { event: "agent_run", id: "broken", ok: false, seconds: 600 });
  await write(2.5, { id: "broken", from: "running", to: "failed", why: "the agent timed out" });
  await write(2, { event: "received", who: "watcher", id: "busy" });
  await write(1, { event: "received", who: "watcher", id: "high" });

  await Deno.writeTextFile(
    vault.file(".aiemp", "approvals.json"),
    JSON.stringify({
      requests: {
        "EMAIL_waiting.md": {
          id: "w",
          hash: "h",
          first_seen: at(4),
          last_edited: at(4),
          state: "pending",
        },
        "EMAIL_gone.md": {
          id: "g",
          hash: "h",
          first_seen: at(9),
          last_edited: at(9),
          state: "pending",
        },
      },
    }),
  );
  await Deno.writeTextFile(
    vault.file("Pending_Approval", "EMAIL_waiting.md"),
    "---\nid: w\ntype: approval_request\naction: email\n---\nHello\n",
  );
}

Deno.test("queue --json lists the items not ended by state and priority, with their age", async () => {
  const vault = await makeVault(SETTINGS);
  try {
    const empty = await aiemp(["queue", "--vault", vault.path]);
    assert.equal(empty.code, 0, empty.stderr);
    assert.match(empty.stdout, /The queue is empty/);

    const now = Date.now();
    await writeFixture(vault, now);
    const result = await aiemp(["queue", "--json", "--vault", vault.path]);
    assert.equal(result.code, 0, result.stderr);
    const rows = JSON.parse(result.stdout);
    assert.deepEqual(
      rows.map((row: { id: string; state: string }) => `${row.state} ${row.id}`),
      ["running busy", "queued high", "queued low", "failed broken"],
    );
    const low = rows[2];
    assert.ok(low.age_s >= 5 * 3600 && low.age_s < 5 * 3600 + 120, `age ${low.age_s}`);
    assert.equal(rows[3].attempts, 2);
    assert.equal(rows[3].next_attempt_at, new Date(now + HOUR).toISOString());
    assert.equal(rows[3].last_error, "the agent exited with code 2");

    const text = await aiemp(["queue", "--vault", vault.path]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^STATE\s+SCORE\s+ID\s+AGE\s+ATTEMPTS\s+NEXT ATTEMPT\s+APPROVALS$/m);
    assert.match(text.stdout, /^failed\s+0\.500\s+broken\s+3h 0m\s+2\s+in (59m|1h 0m)/m);
    assert.ok(!text.stdout.includes("\x1b"), "no escape codes when stdout is not a terminal");
  } finally {
    await vault.cleanup();
  }
});

Deno.test("metrics --json --since 24h counts the audit log's last day and the approvals waiting", async () => {
  const vault = await makeVault(SETTINGS);
  try {
    await writeFixture(vault, Date.now());
    const result = await aiemp(["metrics", "--json", "--since", "24h", "--vault", vault.path]);
    assert.equal(result.code, 0, result.stderr);
    const { since, oldest_approval_age_s, ...figures } = JSON.parse(result.stdout);
    assert.deepEqual(figures, {
      items_in: 5,
      done: 2,
      rejected: 0,
      failed: 1,
      failure_rate: 0.333,
      agent_runs: 3,
      agent_seconds: 750,
      time_to_done_p50_s: 2 * 3600,
      time_to_done_p95_s: 10 * 3600,
      approvals_waiting: 1,
    });
    assert.ok(Math.abs(Date.now() - 24 * HOUR - Date.parse(since)) < 120_000, since);
    assert.ok(
      oldest_approval_age_s >= 4 * 3600 && oldest_approval_age_s < 4 * 3600 + 120,
      `a request whose file left Pending_Approval/ does not wait: ${oldest_approval_age_s}`,
    );

    const text = await aiemp(["metrics", "--since", "7d", "--vault", vault.path]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      /^ {2}Items in\s+6$/m,
      "the item received 30 h ago counts over 7 days",
    );
    assert.match(text.stdout, /^ {2}Time to done\s+p50 2h 0m, p95 10h 0m$/m);
  } finally {
    await vault.cleanup();
  }
});

Deno.test("metrics with a bad --since says which forms work, on one line, and exits 1", async () => {
  const vault = await makeVault(SETTINGS);
  try {
    const result = await aiemp(["metrics", "--since", "last tuesday", "--vault", vault.path]);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, "");
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0], /^aiemp: Cannot read --since 'last tuesday': use .*24h.*2026-11-20/);
  } finally {
    await vault.cleanup();
  }
});

Deno.test("dashboard prints one plain-text frame when stdout is not a terminal, then exits", async () => {
  const vault = await makeVault(SETTINGS);
  try {
    await writeFixture(vault, Date.now());
    const result = await aiemp(["dashboard", "--vault", vault.path]);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(!result.stdout.includes("\x1b"), "no escape codes");
    const lines = result.stdout.trimEnd().split("\n");
    assert.equal(lines.filter((line) => line.startsWith("aiemp · ")).length, 1, "one frame");
    assert.equal(lines[1], "Not running (start it with 'aiemp start')");
    assert.ok(lines.includes("Queue: 4 (1 running, 2 queued, 1 failed)"), result.stdout);
    assert.match(result.stdout, /^ {2}running\s+0\.300\s+busy\s+2h 0m$/m);
    assert.match(result.stdout, /^Items: Inbox 0 · Needs_Action 0 · .*Pending_Approval 1/m);
    assert.ok(lines.includes("Agent today: 3 of 7 runs, 2m 30s of 30m"), "budget from aiemp.yaml");
    assert.match(
      result.stdout,
      /^Last 24h: 5 in, 2 done, 0 rejected, 1 failed \(failure rate 33\.3%\)/m,
    );
    assert.match(result.stdout, /^Approvals waiting: 1, oldest 4h 0m$/m);
  } finally {
    await vault.cleanup();
  }
});

Deno.test("dashboard --watch when not a terminal prints plain frames until Ctrl+C, then exits 0", async () => {
  const vault = await makeVault(SETTINGS);
  const root = fileURLToPath(new URL("../../", import.meta.url));
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-P=aiemp",
        "--quiet",
        "main.ts",
        "dashboard",
        "--watch",
        "--vault",
        vault.path,
      ],
      cwd: root,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let text = "";
    const pump = (async () => {
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) text += chunk;
    })();
    const errors = new Response(child.stderr).text();
    await waitFor(() => text.includes("Approvals waiting:"), `a first frame\n${text}`, 15_000);
    child.kill("SIGINT");
    const status = await child.status;
    await pump;
    assert.equal(status.code, 0, await errors);
    assert.ok(!text.includes("\x1b"), "no escape codes when stdout is not a terminal");
    assert.ok(text.startsWith("aiemp · "), text);
  } finally {
    await vault.cleanup();
  }
});
