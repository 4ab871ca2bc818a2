import assert from "node:assert/strict";
import { join } from "node:path";
import { aiemp, filesIn, makeVault, removeTree, startAiemp, waitFor } from "./_harness.ts";

Deno.test("vault init creates every folder and file, and a second run overwrites nothing", async () => {
  const vault = await makeVault();
  try {
    for (
      const folder of [
        "Inbox",
        "Needs_Action",
        "Plans",
        "Pending_Approval",
        "Approved",
        "Rejected",
        "Done",
        "Logs",
        "Briefings",
      ]
    ) {
      assert.ok((await Deno.stat(vault.file(folder))).isDirectory, `${folder}/ exists`);
    }
    for (
      const file of [
        "Dashboard.md",
        "Company_Handbook.md",
        "Business_Goals.md",
        "aiemp.yaml",
        ".claude/settings.json",
      ]
    ) {
      assert.ok((await Deno.stat(vault.file(file))).isFile, `${file} exists`);
    }
    assert.equal((await Deno.stat(vault.file(".aiemp"))).mode! & 0o777, 0o700);
    await Deno.writeTextFile(vault.file("Company_Handbook.md"), "My own rules\n");
    await Deno.remove(vault.file("Business_Goals.md"));
    const again = await aiemp(["vault", "init", "--path", vault.path]);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /1 created/);
    assert.match(again.stdout, /\+ Business_Goals\.md/);
    assert.equal(await Deno.readTextFile(vault.file("Company_Handbook.md")), "My own rules\n");
  } finally {
    await vault.cleanup();
  }
});

Deno.test("start creates a missing vault and says so, then stops on SIGTERM: exit 0, System Offline, lock released", async () => {
  const parent = await Deno.makeTempDir({ prefix: "aiemp-test-" });
  const path = join(parent, "new-vault");
  try {
    const run = await startAiemp(path);
    assert.match(run.output(), /No vault at .*new-vault: created one/);
    assert.match(run.output(), new RegExp(`Vault path: ${path}`));
    assert.match(run.output(), /Started Inbox watcher/);
    assert.match(run.output(), /Started Approval executor/);
    const dashboard = await waitFor(async () => {
      const text = await Deno.readTextFile(join(path, "Dashboard.md"));
      return text.includes("System Online: all components active") && text;
    }, "the Dashboard to say System Online: all components active");
    assert.match(dashboard, /Inbox watcher \| 🟢 running/);
    const started = Date.now();
    assert.equal(await run.stop("SIGTERM"), 0);
    assert.ok(Date.now() - started < 5000, "graceful shutdown within 5 s");
    assert.match(run.output(), /Received SIGTERM, initiating graceful shutdown/);
    assert.match(run.output(), /All components stopped/);
    assert.match(
      await Deno.readTextFile(join(path, "Dashboard.md")),
      /System Offline: orchestrator stopped/,
    );
    const status = JSON.parse((await aiemp(["status", "--json", "--vault", path])).stdout);
    assert.equal(status.running, false);
  } finally {
    await removeTree(parent);
  }
});

Deno.test("a second start on the same vault is refused and names the running PID", async () => {
  const vault = await makeVault();
  try {
    const run = await startAiemp(vault.path);
    const second = await aiemp(["start", "--vault", vault.path]);
    assert.notEqual(second.code, 0);
    assert.match(second.stderr, new RegExp(`already running on .*PID ${run.pid}`));
    assert.equal(second.stderr.trim().split("\n").length, 1, "one line, no stack trace");
    assert.equal(await run.stop(), 0);
  } finally {
    await vault.cleanup();
  }
});

Deno.test("a lock left by a killed orchestrator is taken over with a warning", async () => {
  const vault = await makeVault();
  try {
    const first = await startAiemp(vault.path);
    await first.stop("SIGKILL");
    const second = await startAiemp(vault.path);
    await second.waitForOutput(`Took over the lock left by PID ${first.pid}`);
    assert.equal(await second.stop(), 0);
  } finally {
    await vault.cleanup();
  }
});

// Found by `deno task chaos` (scenario 4): the lock lives on the file, so once `.aiemp/lock` was
// deleted a second `aiemp start` locked a new file and ran beside the first.
Deno.test("deleting the lock file under a running orchestrator does not let a second one start", async () => {
  const vault = await makeVault();
  try {
    const run = await startAiemp(vault.path);
    await Deno.remove(vault.file(".aiemp", "lock"));
    await run.waitForOutput("was deleted or replaced; re-created it and locked it again");
    const second = await aiemp(["start", "--vault", vault.path]);
    assert.notEqual(second.code, 0);
    assert.match(second.stderr, new RegExp(`already running on .*PID ${run.pid}`));
    const status = JSON.parse((await aiemp(["status", "--json", "--vault", vault.path])).stdout);
    assert.equal(status.pid, run.pid);
    assert.equal(await run.stop(), 0);
  } finally {
    await vault.cleanup();
  }
});

// Found by `deno task chaos` (scenario 1): a SIGKILL between writing an atomic write's temporary
// file and renaming it left `.NAME.<id>.tmp` files behind in the vault for good.
Deno.test("a start removes the temporary files that writes cut off by a crash left behind", async () => {
  const vault = await makeVault();
  try {
    const leftovers = [
      ".Dashboard.md.0a1b2c3d.tmp",
      ".aiemp/.state.json.deadbeef.tmp",
      "Needs_Action/.FILE_20260101-000000_a-txt_abc123.md.12345678.tmp",
      "Done/.WEBHOOK_x.md.9abcdef0.tmp",
    ];
    for (const path of leftovers) await Deno.writeTextFile(vault.file(path), "cut off");
    await Deno.writeTextFile(
      vault.file("Inbox", ".mine.12345678.tmp"),
      "the owner's, still copying",
    );
    const run = await startAiemp(vault.path);
    await run.waitForOutput("Removed 4 temporary file(s) of writes a crash interrupted");
    for (const path of leftovers) {
      assert.equal(await Deno.stat(vault.file(path)).then(() => true, () => false), false, path);
    }
    assert.ok(await Deno.stat(vault.file("Inbox", ".mine.12345678.tmp")), "Inbox/ is the owner's");
    assert.equal(await run.stop(), 0);
  } finally {
    await vault.cleanup();
  }
});

Deno.test("aiemp stop shuts the running orchestrator down gracefully", async () => {
  const vault = await makeVault();
  try {
    const run = await startAiemp(vault.path);
    const stop = await aiemp(["stop", "--vault", vault.path]);
    assert.equal(stop.code, 0);
    assert.match(stop.stdout, new RegExp(`Stopped aiemp \\(PID ${run.pid}\\)`));
    assert.equal(await run.exited, 0);
    const again = await aiemp(["stop", "--vault", vault.path]);
    assert.match(again.stdout, /not running/);
  } finally {
    await vault.cleanup();
  }
});

Deno.test("a .claude_stop file shuts aiemp down, and start refuses while it is there", async () => {
  const vault = await makeVault();
  try {
    const run = await startAiemp(vault.path);
    await Deno.writeTextFile(vault.file(".claude_stop"), "");
    assert.equal(await run.exited, 0);
    assert.match(run.output(), /stop file/);
    const refused = await aiemp(["start", "--vault", vault.path]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Emergency stop is on: .*\.claude_stop exists\. Remove it/);
  } finally {
    await vault.cleanup();
  }
});

Deno.test("status and health: not running is unhealthy (exit 1); running with all components up is healthy (exit 0)", async () => {
  const vault = await makeVault();
  try {
    const before = await aiemp(["health", "--vault", vault.path]);
    assert.equal(before.code, 1);
    assert.match(before.stdout, /not running/);
    const run = await startAiemp(vault.path);
    const health = await waitFor(async () => {
      const result = await aiemp(["health", "--json", "--vault", vault.path]);
      return result.code === 0 && JSON.parse(result.stdout);
    }, "health to report healthy");
    assert.equal(health.healthy, true);
    const status = JSON.parse((await aiemp(["status", "--json", "--vault", vault.path])).stdout);
    assert.equal(status.running, true);
    assert.equal(status.pid, run.pid);
    assert.deepEqual(status.components.map((c: { id: string; state: string }) => [c.id, c.state]), [
      ["inbox", "running"],
      ["executor", "running"],
    ]);
    assert.equal(typeof status.counts.Needs_Action, "number");
    const text = await aiemp(["status", "--vault", vault.path]);
    assert.match(text.stdout, new RegExp(`aiemp is running on .* \\(PID ${run.pid}`));
    assert.equal(await run.stop(), 0);
  } finally {
    await vault.cleanup();
  }
});

Deno.test("--once handles waiting files and due schedules, prints a JSON summary and exits 0", async () => {
  const vault = await makeVault();
  try {
    await Deno.writeTextFile(vault.file("Inbox", "waiting.txt"), "left while stopped\n");
    await Deno.utime(
      vault.file("Inbox", "waiting.txt"),
      new Date(Date.now() - 60_000),
      new Date(Date.now() - 60_000),
    );
    const result = await aiemp(["start", "--once", "--vault", vault.path]);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.equal(summary.components.inbox.notes, 1);
    assert.equal(summary.components.executor.finished, 0);
    assert.ok(
      summary.schedules.some((s: { name: string }) => s.name === "health_dashboard_update"),
    );
    assert.equal(summary.counts.Needs_Action, 1);
    assert.equal((await filesIn(vault.file("Needs_Action"))).length, 1);
    assert.deepEqual(await filesIn(vault.file("Inbox")), []);
  } finally {
    await vault.cleanup();
  }
});

Deno.test("a component that dies is restarted: removing Inbox/ crashes the inbox watcher, which comes back and recreates it", async () => {
  const vault = await makeVault("supervisor:\n  backoff_initial_s: 0.2\n");
  try {
    const run = await startAiemp(vault.path);
    await Deno.remove(vault.file("Inbox"), { recursive: true });
    await run.waitForOutput("Inbox watcher has died");
    await run.waitForOutput("Inbox watcher restarted successfully (restart #1)");
    await Deno.writeTextFile(vault.file("Inbox", "after.txt"), "after the restart\n");
    await waitFor(
      async () => (await filesIn(vault.file("Needs_Action"))).length === 1,
      "a note for the file dropped after the restart",
    );
    await waitFor(async () => {
      const status = JSON.parse((await aiemp(["status", "--json", "--vault", vault.path])).stdout);
      const inbox = status.components.find((c: { id: string }) => c.id === "inbox");
      return inbox.restarts === 1 && inbox.state === "running";
    }, "status to show the inbox watcher running after one restart");
    assert.equal(await run.stop(), 0);
  } finally {
    await vault.cleanup();
  }
});

Deno.test("the Dashboard keeps the owner's text outside its markers, and is recreated when deleted", async () => {
  const vault = await makeVault("dashboard:\n  refresh_ms: 50\n");
  try {
    const original = await Deno.readTextFile(vault.file("Dashboard.md"));
    await Deno.writeTextFile(
      vault.file("Dashboard.md"),
      original.replace("## My notes", "## My notes\n\nCall the bank on Monday."),
    );
    const run = await startAiemp(vault.path);
    await Deno.writeTextFile(vault.file("Inbox", "a.txt"), "a\n");
    const text = await waitFor(async () => {
      const t = await Deno.readTextFile(vault.file("Dashboard.md"));
      return t.includes("File dropped: a.txt") && t;
    }, "the drop to show in recent activity");
    assert.match(text, /Call the bank on Monday\./);
    assert.match(text, /\| Needs_Action\/ \| 1 \|/);
    await Deno.remove(vault.file("Dashboard.md"));
    await Deno.writeTextFile(vault.file("Inbox", "b.txt"), "b\n");
    await waitFor(
      async () =>
        (await Deno.readTextFile(vault.file("Dashboard.md"))).includes("File dropped: b.txt"),
      "the Dashboard to be recreated",
    );
    assert.equal(await run.stop(), 0);
  } finally {
    await vault.cleanup();
  }
});

Deno.test("logs: Logs/system.log and one log per component; --log-format json writes JSON lines", async () => {
  const vault = await makeVault();
  try {
    const run = await startAiemp(vault.path, ["--log-format", "json"]);
    await Deno.writeTextFile(vault.file("Inbox", "logged.txt"), "x\n");
    await waitFor(
      async () =>
        (await Deno.readTextFile(vault.file("Logs", "inbox.log")).catch(() => "")).includes(
          "logged.txt",
        ),
      "the inbox log to mention the file",
    );
    assert.equal(await run.stop(), 0);
    for (const name of ["system.log", "inbox.log", "executor.log"]) {
      const lines = (await Deno.readTextFile(vault.file("Logs", name))).trim().split("\n").filter(
        Boolean,
      );
      for (const line of lines) JSON.parse(line);
    }
    assert.match(await Deno.readTextFile(vault.file("Logs", "system.log")), /System Online/);
  } finally {
    await vault.cleanup();
  }
});

Deno.test("a wrong setting stops start with one line naming the key and the expected form", async () => {
  const vault = await makeVault("inbox:\n  settle_ms: soon\n");
  try {
    const result = await aiemp(["start", "--vault", vault.path]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /setting 'inbox\.settle_ms': expected a whole number of milliseconds, got "soon"/,
    );
    assert.equal(result.stderr.trim().split("\n").length, 1);
    const verbose = await aiemp(["start", "--verbose", "--vault", vault.path]);
    assert.match(verbose.stderr, /at /, "a stack trace with --verbose");
  } finally {
    await vault.cleanup();
  }
});
