import assert from "node:assert/strict";
import { aiemp, makeVault, startAiemp, type TestVault, waitFor } from "./_harness.ts";

/** aiemp.yaml with one external watcher running `script` under sh, and quick restarts. */
function watcherConfig(script: string, extra = ""): string {
  return [
    "supervisor:",
    "  backoff_initial_s: 0.05",
    "  backoff_max_s: 0.2",
    "watchers:",
    "  - name: probe",
    "    command: sh",
    `    args: ["-c", ${JSON.stringify(script)}]`,
    "    grace_s: 1",
    extra,
  ].join("\n") + "\n";
}

/** The PID of the running `probe` watcher, from its PID file. */
async function watcherPid(vault: TestVault): Promise<number | undefined> {
  const text = await Deno.readTextFile(vault.file(".aiemp", "pids", "probe.json")).catch(() => "");
  return text ? JSON.parse(text).pid : undefined;
}

function alive(pid: number): boolean {
  const out = new Deno.Command("ps", { args: ["-o", "stat=", "-p", String(pid)] }).outputSync();
  const stat = new TextDecoder().decode(out.stdout).trim();
  return out.success && stat !== "" && !stat.startsWith("Z");
}

async function status(vault: TestVault) {
  return JSON.parse((await aiemp(["status", "--json", "--vault", vault.path])).stdout);
}

const STAY = 'echo "watching from $$"; trap "echo bye; exit 0" TERM; while :; do sleep 0.05; done';

Deno.test({
  name:
    "an external watcher runs under aiemp: its output goes to Logs/NAME.log, status shows it, and SIGTERM stops it",
  ignore: Deno.build.os === "windows",
  async fn() {
    const vault = await makeVault(watcherConfig(STAY));
    try {
      const run = await startAiemp(vault.path);
      assert.match(run.output(), /Started Watcher probe/);
      const pid = await waitFor(() => watcherPid(vault), "the watcher's PID file");
      await waitFor(
        async () =>
          (await Deno.readTextFile(vault.file("Logs", "probe.log")).catch(() => "")).includes(
            `watching from ${pid}`,
          ),
        "the watcher's output in Logs/probe.log",
      );
      const probe = await waitFor(
        async () =>
          (await status(vault)).components.find((c: { id: string; state: string }) =>
            c.id === "probe" && c.state === "running"
          ),
        "status to show the watcher running",
      );
      assert.equal(probe.description, "Watcher probe");
      assert.equal(await run.stop("SIGTERM"), 0);
      assert.equal(alive(pid), false, "no watcher left behind");
      assert.match(await Deno.readTextFile(vault.file("Logs", "probe.log")), /bye/);
    } finally {
      await vault.cleanup();
    }
  },
});

Deno.test({
  name: "killing a watcher 50 times at random brings it back every time within its backoff bound",
  ignore: Deno.build.os === "windows",
  async fn() {
    const vault = await makeVault(watcherConfig(STAY, "    max_restarts: 1000"));
    try {
      const run = await startAiemp(vault.path);
      let pid = await waitFor(() => watcherPid(vault), "the watcher's PID file");
      let slowest = 0;
      for (let i = 0; i < 50; i++) {
        // A random moment in its life: right away, or after it has run a little.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 40));
        const killed = Date.now();
        Deno.kill(pid, "SIGKILL");
        const previous = pid;
        pid = await waitFor(
          async () => {
            const next = await watcherPid(vault);
            return next !== undefined && next !== previous && alive(next) && next;
          },
          `the watcher back after kill #${i + 1}`,
          5000,
        );
        slowest = Math.max(slowest, Date.now() - killed);
      }
      // The backoff is capped at 0.2 s; starting a shell takes a few milliseconds more.
      assert.ok(slowest < 2000, `slowest recovery ${slowest} ms`);
      await waitFor(
        async () =>
          (await status(vault)).components.find((c: { id: string }) => c.id === "probe")
            .restarts === 50,
        "status to count 50 restarts",
      );
      assert.equal(await run.stop(), 0);
    } finally {
      await vault.cleanup();
    }
  },
});

Deno.test({
  name: "a crash loop pauses the watcher with an alert; health says so; aiemp restart resumes it",
  ignore: Deno.build.os === "windows",
  async fn() {
    // It fails until the file `fixed` exists in the vault.
    const script =
      'if [ -e fixed ]; then echo fixed; while :; do sleep 0.05; done; else echo "no config" >&2; exit 2; fi';
    const vault = await makeVault(
      watcherConfig(script, "    max_restarts: 3") + "dashboard:\n  refresh_ms: 50\n",
    );
    try {
      const run = await startAiemp(vault.path, [], { waitReady: false });
      await run.waitForOutput("paused. Fix the cause, then run 'aiemp restart probe'");
      const dashboard = await waitFor(async () => {
        const text = await Deno.readTextFile(vault.file("Dashboard.md"));
        return text.includes("⏸️ paused") && text;
      }, "the Dashboard to show the pause");
      assert.match(
        dashboard,
        /⚠️ Watcher probe failed 4 times within 10 min \(last error: exited with code 2/,
      );
      assert.match(
        await Deno.readTextFile(vault.file("Logs", "system.log")),
        /Watcher probe failed 4 times .* paused/,
      );
      const health = await aiemp(["health", "--vault", vault.path]);
      assert.equal(health.code, 1);
      assert.match(health.stdout, /Watcher probe is paused .*aiemp restart probe/);
      const inbox = (await status(vault)).components.find((c: { id: string }) => c.id === "inbox");
      assert.equal(inbox.state, "running", "the other components keep running");
      await Deno.writeTextFile(vault.file("fixed"), "");
      const restart = await aiemp(["restart", "probe", "--vault", vault.path]);
      assert.equal(restart.code, 0, restart.stderr);
      assert.match(restart.stdout, /probe is restarting/);
      await waitFor(
        async () =>
          (await status(vault)).components.find((c: { id: string }) => c.id === "probe").state ===
            "running",
        "the watcher running again",
      );
      await waitFor(
        async () =>
          !(await Deno.readTextFile(vault.file("Dashboard.md"))).includes("⚠️ Watcher probe"),
        "the alert cleared",
      );
      const unknown = await aiemp(["restart", "nope", "--vault", vault.path]);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /no component named 'nope'/);
      assert.equal(await run.stop(), 0);
    } finally {
      await vault.cleanup();
    }
  },
});

Deno.test({
  name:
    "after the orchestrator is SIGKILLed, the next start stops the leftover watcher and runs exactly one; counts and pauses persist",
  ignore: Deno.build.os === "windows",
  async fn() {
    const vault = await makeVault(watcherConfig(STAY));
    try {
      const first = await startAiemp(vault.path);
      const leftover = await waitFor(() => watcherPid(vault), "the watcher's PID file");
      Deno.kill(leftover, "SIGKILL");
      const restarted = await waitFor(async () => {
        const next = await watcherPid(vault);
        return next !== undefined && next !== leftover && next;
      }, "the watcher restarted once");
      await waitFor(
        async () =>
          (await status(vault)).components.find((c: { id: string }) => c.id === "probe")
            .restarts === 1,
        "one restart recorded",
      );
      await first.stop("SIGKILL");
      assert.equal(alive(restarted), true, "the watcher outlived the killed orchestrator");
      const second = await startAiemp(vault.path);
      await second.waitForOutput(
        `probe was still running from a previous run (PID ${restarted}); stopping it first`,
      );
      const fresh = await waitFor(async () => {
        const next = await watcherPid(vault);
        return next !== undefined && next !== restarted && next;
      }, "a fresh watcher");
      assert.equal(alive(restarted), false);
      assert.equal(alive(fresh), true);
      const probe = (await status(vault)).components.find((c: { id: string }) => c.id === "probe");
      assert.equal(probe.restarts, 1, "the restart count survived the orchestrator's restart");
      assert.equal(await second.stop(), 0);
      assert.equal(alive(fresh), false);
    } finally {
      await vault.cleanup();
    }
  },
});

Deno.test("a watcher named like a built-in component is refused with the fix", async () => {
  const vault = await makeVault("watchers:\n  - name: inbox\n    command: sh\n");
  try {
    const result = await aiemp(["start", "--vault", vault.path]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /setting 'watchers\.0\.name': the name 'inbox' is taken; give each watcher its own name/,
    );
  } finally {
    await vault.cleanup();
  }
});

Deno.test({
  name:
    "a pause survives a restart of aiemp; 'aiemp restart' while aiemp is stopped lifts it for the next start",
  ignore: Deno.build.os === "windows",
  async fn() {
    const script = "if [ -e fixed ]; then while :; do sleep 0.05; done; else exit 2; fi";
    const vault = await makeVault(watcherConfig(script, "    max_restarts: 2"));
    try {
      const first = await startAiemp(vault.path);
      await first.waitForOutput("paused. Fix the cause, then run 'aiemp restart probe'");
      assert.equal(await first.stop(), 0);
      const second = await startAiemp(vault.path);
      assert.match(second.output(), /Watcher probe is paused \(it was when aiemp stopped\)/);
      assert.match(second.output(), /except the paused probe/);
      assert.equal(await watcherPid(vault), undefined, "a paused watcher is not started");
      assert.equal(await second.stop(), 0);
      await Deno.writeTextFile(vault.file("fixed"), "");
      const lifted = await aiemp(["restart", "probe", "--vault", vault.path]);
      assert.equal(lifted.code, 0, lifted.stderr);
      assert.match(
        lifted.stdout,
        /probe is no longer paused; it starts with the next 'aiemp start'/,
      );
      const third = await startAiemp(vault.path);
      assert.match(third.output(), /All components started\. Press Ctrl\+C/);
      assert.ok(await waitFor(() => watcherPid(vault), "the watcher running again"));
      assert.equal(await third.stop(), 0);
    } finally {
      await vault.cleanup();
    }
  },
});
