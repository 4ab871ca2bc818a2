import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type ChildSpec,
  type ChildStatus,
  createSupervisor,
  DEFAULT_RESTART_POLICY,
  nextRestart,
  type RestartHistory,
  runSubprocessComponent,
  runWorkerComponent,
  type SubprocessComponent,
  type SupervisorOptions,
} from "../../src/supervisor/mod.ts";

const BEHAVING = new URL("../fixtures/workers/behaving.ts", import.meta.url);
type Mode = "stay" | "crash" | "hang" | "exit" | "owner";

// ---- the restart policy, as a plain function of (history, now, uptime) ----

Deno.test("nextRestart() backs off 2, 4, 8, 16, 32 s and caps at 60 s", () => {
  const policy = { ...DEFAULT_RESTART_POLICY, maxRestarts: 100 };
  let history: RestartHistory = { restarts: [], streak: 0 };
  const delays: number[] = [];
  let now = 0;
  for (let i = 0; i < 7; i++) {
    const decision = nextRestart(history, now, 1000, policy);
    assert.equal(decision.action, "restart");
    if (decision.action !== "restart") return;
    delays.push(decision.delayMs / 1000);
    history = decision.history;
    now += decision.delayMs + 1000;
  }
  assert.deepEqual(delays, [2, 4, 8, 16, 32, 60, 60]);
});

Deno.test("nextRestart() starts the backoff again after a stable run", () => {
  const policy = DEFAULT_RESTART_POLICY;
  const history: RestartHistory = { restarts: [], streak: 4 };
  const unstable = nextRestart(history, 10_000_000, 60_000, policy);
  const stable = nextRestart(history, 10_000_000, policy.stableAfterMs, policy);
  assert.equal(unstable.action === "restart" && unstable.delayMs, 32_000);
  assert.equal(stable.action === "restart" && stable.delayMs, 2_000);
});

Deno.test("nextRestart() pauses a child after 5 restarts within 10 minutes, not after 5 spread wider", () => {
  const policy = DEFAULT_RESTART_POLICY;
  const minute = 60_000;
  const now = 100 * minute;
  const crowded = { restarts: [91, 93, 95, 97, 99].map((m) => m * minute), streak: 5 };
  const decision = nextRestart(crowded, now, 1000, policy);
  assert.equal(decision.action, "pause");
  assert.equal(decision.action === "pause" && decision.recentRestarts, 5);
  const spread = { restarts: [50, 70, 91, 95, 99].map((m) => m * minute), streak: 5 };
  const later = nextRestart(spread, now, 1000, policy);
  assert.equal(later.action, "restart");
  assert.deepEqual(
    later.history.restarts.slice(0, 3),
    [91, 95, 99].map((m) => m * minute),
    "old restarts are forgotten",
  );
});

// ---- the supervisor with real Workers ----

function workerChild(
  id: string,
  modes: () => Mode,
  restart: ChildSpec["restart"] = "permanent",
): ChildSpec {
  return {
    id,
    description: `Test ${id}`,
    restart,
    start: (run) =>
      runWorkerComponent({
        module: BEHAVING,
        permissions: "none",
        init: { mode: modes() },
        shutdownMs: 200,
        setProbe: run.setProbe,
        onMessage: (message) => {
          if (message.kind === "ready") run.ready();
        },
      }, run.signal),
  };
}

/** Runs a supervisor until `until` says stop, collecting its log lines and statuses. */
async function supervise(
  children: ChildSpec[],
  options: SupervisorOptions,
  until: (lines: string[], statuses: ChildStatus[]) => boolean,
  act?: (supervisor: ReturnType<typeof createSupervisor>, lines: string[]) => void,
  afterStart?: (supervisor: ReturnType<typeof createSupervisor>) => void,
) {
  const lines: string[] = [];
  const pauses: string[] = [];
  const stop = new AbortController();
  let seen: ChildStatus[] | undefined;
  const supervisor = createSupervisor(children, {
    ...options,
    log: (level, message) => lines.push(`${level}: ${message}`),
    onPause: (_status, why) => pauses.push(why),
    onChange: () => {
      act?.(supervisor, lines);
      check();
    },
  });
  function check() {
    if (!stop.signal.aborted && until(lines, supervisor.status())) {
      seen = supervisor.status();
      stop.abort();
    }
  }
  // The condition may also come true between status changes (a file a child writes): poll it.
  const poll = setInterval(check, 25);
  const guard = setTimeout(() => stop.abort(), 20_000);
  const running = supervisor.run(stop.signal);
  afterStart?.(supervisor);
  await running;
  clearInterval(poll);
  clearTimeout(guard);
  // The statuses when the condition held (shutdown sets every child to stopped afterwards).
  return { lines, pauses, statuses: seen ?? supervisor.status() };
}

const FAST = {
  initialDelayMs: 20,
  maxDelayMs: 80,
  stableAfterMs: 60_000,
  maxRestarts: 4,
  periodMs: 60_000,
};

Deno.test("a worker that needs its owner (a revoked token) is paused at once with the reason, not restarted", async () => {
  let starts = 0;
  const { lines, pauses, statuses } = await supervise(
    [workerChild("mail", () => (starts++, "owner"))],
    { policy: FAST },
    (_lines, statuses) => statuses[0].state === "paused",
  );
  assert.equal(statuses[0].state, "paused");
  assert.equal(starts, 1, "never restarted into the same wall");
  assert.equal(pauses.length, 1);
  assert.match(pauses[0], /revoked; run 'aiemp auth gmail'.*'aiemp restart mail'/);
  assert.ok(!lines.some((line) => /restarting/.test(line)), lines.join("\n"));
});

Deno.test("a worker that keeps crashing is restarted with growing waits, then paused with the reason", async () => {
  const { lines, pauses, statuses } = await supervise(
    [workerChild("crashy", () => "crash")],
    { policy: FAST },
    (_lines, statuses) => statuses[0].state === "paused",
  );
  const waits = lines.filter((l) => l.includes("Waiting")).map((l) => l.replace(/^info: /, ""));
  assert.deepEqual(waits, [
    "Waiting 0.02s before restart...",
    "Waiting 0.04s before restart...",
    "Waiting 0.08s before restart...",
    "Waiting 0.08s before restart...",
  ]);
  assert.ok(
    lines.includes("warning: Test crashy has died (the test worker crashed), restarting..."),
  );
  assert.equal(statuses[0].state, "paused");
  assert.equal(statuses[0].restarts, 4);
  assert.equal(statuses[0].lastError, "the test worker crashed");
  assert.match(
    pauses[0],
    /Test crashy failed 5 times within 1 min \(last error: the test worker crashed\); paused\. .*'aiemp restart crashy'/,
  );
});

Deno.test("a paused child does not block the others, and restart() resumes it", async () => {
  let starts = 0;
  const { lines, statuses } = await supervise(
    [
      workerChild("flaky", () => ++starts <= 5 ? "crash" : "stay"),
      workerChild("steady", () => "stay"),
    ],
    { policy: FAST },
    (_lines, statuses) => statuses[0].state === "running" && starts > 5,
    (supervisor) => {
      const [flaky, steady] = supervisor.status();
      if (flaky.state === "paused") {
        assert.equal(steady.state, "running", "the other child keeps running");
        supervisor.restart("flaky");
      }
    },
  );
  assert.equal(statuses[0].state, "running");
  assert.equal(statuses[1].state, "running");
  assert.ok(lines.some((l) => l.includes("paused")));
});

Deno.test("restarted successfully is logged with the restart number", async () => {
  let starts = 0;
  const { lines } = await supervise(
    [workerChild("twice", () => ++starts <= 2 ? "crash" : "stay")],
    { policy: FAST },
    (lines) => lines.some((l) => l.includes("restart #2")),
  );
  assert.ok(lines.includes("info: Test twice restarted successfully (restart #1)"));
  assert.ok(lines.includes("info: Test twice restarted successfully (restart #2)"));
});

Deno.test("a worker that stops answering the health check is restarted", async () => {
  let starts = 0;
  const { lines, statuses } = await supervise(
    [workerChild("stuck", () => ++starts === 1 ? "hang" : "stay")],
    { policy: FAST, healthCheckMs: 50, probeTimeoutMs: 100 },
    (_lines, statuses) => starts === 2 && statuses[0].state === "running",
  );
  assert.ok(
    lines.some((l) =>
      /Test stuck is not responding: it did not answer a health check within 0\.1s; restarting/
        .test(l)
    ),
    lines.join("\n"),
  );
  assert.equal(statuses[0].restarts, 1);
  assert.match(String(statuses[0].lastError), /^hung: /);
});

Deno.test("transient children are not restarted after a clean exit; temporary ones never", async () => {
  const { statuses } = await supervise(
    [
      workerChild("done", () => "exit", "transient"),
      workerChild("once", () => "crash", "temporary"),
    ],
    { policy: FAST },
    (_lines, statuses) => statuses[0].state === "exited" && statuses[1].state === "failed",
  );
  assert.deepEqual(statuses.map((s) => [s.state, s.restarts]), [["exited", 0], ["failed", 0]]);
});

Deno.test("a pause saved by a previous run holds until restart()", async () => {
  const previous: ChildStatus[] = [{
    id: "held",
    description: "Test held",
    state: "paused",
    since: "2026-11-20T10:00:00.000Z",
    restarts: 6,
    lastError: "boom",
  }];
  let started = 0;
  let pausedAtStart = "";
  const { statuses, lines } = await supervise(
    [workerChild("held", () => (started++, "stay"))],
    { policy: FAST, previous },
    (_lines, statuses) => statuses[0].state === "running",
    undefined,
    (supervisor) => {
      pausedAtStart = supervisor.status()[0].state;
      assert.equal(started, 0, "not started while paused");
      supervisor.restart("held");
    },
  );
  assert.equal(pausedAtStart, "paused");
  assert.equal(statuses[0].restarts, 6, "the count carries over");
  assert.equal(started, 1);
  assert.ok(lines.some((l) => l.includes("'aiemp restart held' resumes it")));
});

// ---- external watchers: real subprocesses ----

async function withTemp(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "aiemp-sup-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

function shWatcher(
  dir: string,
  name: string,
  script: string,
  extra: Partial<SubprocessComponent> = {},
): SubprocessComponent {
  return {
    name,
    command: "sh",
    args: ["-c", script],
    env: {},
    cwd: dir,
    logFile: join(dir, `${name}.log`),
    pidFile: join(dir, "pids", `${name}.json`),
    graceMs: 300,
    log: () => {},
    ...extra,
  };
}

function subprocessChild(
  spec: () => SubprocessComponent,
  restart: ChildSpec["restart"] = "permanent",
): ChildSpec {
  return {
    id: spec().name,
    description: `Watcher ${spec().name}`,
    restart,
    start: (run) => runSubprocessComponent(spec(), run),
  };
}

/** How many lines a file has now (0 when it does not exist yet). */
function recorded(path: string): number {
  try {
    return Deno.readTextFileSync(path).trim().split("\n").filter(Boolean).length;
  } catch {
    return 0;
  }
}

/** True while the process exists and is not a zombie (killed, waiting to be collected). */
const alive = (pid: number) => {
  const out = new Deno.Command("ps", { args: ["-o", "stat=", "-p", String(pid)] }).outputSync();
  const stat = new TextDecoder().decode(out.stdout).trim();
  return out.success && stat !== "" && !stat.startsWith("Z");
};

Deno.test({
  name:
    "an external watcher's output goes to its log; a crash is restarted; stopping it leaves no process behind",
  ignore: Deno.build.os === "windows",
  fn: () =>
    withTemp(async (dir) => {
      // Each run starts a grandchild and records its PID; the first run crashes.
      const script = `echo "run $$"; sleep 1000 & echo $! >> grandchildren; ` +
        `if [ ! -e crashed ]; then touch crashed; echo "oops" >&2; exit 3; fi; wait`;
      const { lines, statuses } = await supervise(
        [subprocessChild(() => shWatcher(dir, "w1", script))],
        { policy: FAST },
        // Running again after one restart, and that second run has started its grandchild.
        (_lines, statuses) =>
          statuses[0].state === "running" && statuses[0].restarts === 1 &&
          recorded(join(dir, "grandchildren")) === 2,
      );
      assert.ok(
        lines.some((l) =>
          l.includes("Watcher w1 has died (exited with code 3 (see Logs/w1.log)), restarting")
        ),
        lines.join("\n"),
      );
      assert.equal(statuses[0].restarts, 1);
      const log = await Deno.readTextFile(join(dir, "w1.log"));
      assert.match(log, /run \d+\noops\n|oops\nrun \d+\n/);
      assert.equal((log.match(/^run /gm) ?? []).length, 2);
      const grandchildren = (await Deno.readTextFile(join(dir, "grandchildren"))).trim().split("\n")
        .map(Number);
      assert.equal(grandchildren.length, 2);
      for (const pid of grandchildren) {
        assert.equal(alive(pid), false, `grandchild ${pid} was stopped`);
      }
      await assert.rejects(Deno.stat(join(dir, "pids", "w1.json")), Deno.errors.NotFound);
    }),
});

Deno.test({
  name: "a watcher that ignores SIGTERM is killed after its grace period",
  ignore: Deno.build.os === "windows",
  fn: () =>
    withTemp(async (dir) => {
      const spec = shWatcher(
        dir,
        "stubborn",
        `trap '' TERM; echo $$ > pid; while :; do sleep 0.05; done`,
        { graceMs: 200 },
      );
      const stop = new AbortController();
      const running = runSubprocessComponent(spec, {
        signal: stop.signal,
        ready: () => {},
        setProbe: () => {},
      });
      const pidFile = join(dir, "pid");
      while (!(await Deno.stat(pidFile).then(() => true, () => false))) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const pid = Number((await Deno.readTextFile(pidFile)).trim());
      const began = Date.now();
      stop.abort();
      await running;
      assert.ok(Date.now() - began >= 150, "it got its grace period");
      assert.equal(alive(pid), false);
    }),
});

Deno.test({
  name: "a watcher left running by a killed orchestrator is stopped before a new one starts",
  ignore: Deno.build.os === "windows",
  fn: () =>
    withTemp(async (dir) => {
      const leftover = new Deno.Command("sleep", { args: ["1000"], detached: true }).spawn();
      const spec = shWatcher(dir, "sleeper", "exec sleep 1000", {
        command: "sleep",
        args: ["1000"],
      });
      await Deno.mkdir(join(dir, "pids"));
      await Deno.writeTextFile(
        spec.pidFile,
        JSON.stringify({ pid: leftover.pid, command: "sleep", started: "2026-11-20T00:00:00Z" }),
      );
      const lines: string[] = [];
      const stop = new AbortController();
      let newPid = 0;
      const running = runSubprocessComponent({ ...spec, log: (_l, m) => lines.push(m) }, {
        signal: stop.signal,
        ready: () => stop.abort(),
        setProbe: () => {},
      });
      await running;
      newPid = JSON.parse(await Deno.readTextFile(spec.pidFile).catch(() => "{}")).pid ?? 0;
      await leftover.status;
      assert.ok(
        lines.some((l) =>
          l.includes(
            `sleeper was still running from a previous run (PID ${leftover.pid}); stopping it first`,
          )
        ),
      );
      assert.equal(alive(leftover.pid), false);
      assert.notEqual(newPid, leftover.pid);
    }),
});

Deno.test({
  name: "a PID file whose PID now belongs to another program leaves that program alone",
  ignore: Deno.build.os === "windows",
  fn: () =>
    withTemp(async (dir) => {
      const other = new Deno.Command("sleep", { args: ["1000"] }).spawn();
      try {
        const spec = shWatcher(dir, "quick", "exit 0");
        await Deno.mkdir(join(dir, "pids"));
        await Deno.writeTextFile(
          spec.pidFile,
          JSON.stringify({ pid: other.pid, command: "my-watcher", started: "x" }),
        );
        await runSubprocessComponent(spec, {
          signal: new AbortController().signal,
          ready: () => {},
          setProbe: () => {},
        });
        assert.equal(alive(other.pid), true);
      } finally {
        other.kill("SIGKILL");
        await other.status;
      }
    }),
});

Deno.test({
  name: "a watcher whose heartbeat goes stale is restarted",
  ignore: Deno.build.os === "windows",
  fn: () =>
    withTemp(async (dir) => {
      let starts = 0;
      const spec = () => {
        starts++;
        // The first run beats once and goes quiet; the second keeps beating.
        const script = starts === 1
          ? `touch "$AIEMP_HEARTBEAT_FILE"; sleep 1000`
          : `while :; do touch "$AIEMP_HEARTBEAT_FILE"; sleep 0.05; done`;
        return shWatcher(dir, "beating", script, {
          heartbeatFile: join(dir, "hb"),
          heartbeatTimeoutMs: 200,
        });
      };
      const { lines, statuses } = await supervise(
        [{
          id: "beating",
          description: "Watcher beating",
          restart: "permanent",
          start: (run) => runSubprocessComponent(spec(), run),
        }],
        { policy: FAST, healthCheckMs: 100, probeTimeoutMs: 1000 },
        (_lines, statuses) => starts === 2 && statuses[0].state === "running",
      );
      assert.ok(
        lines.some((l) =>
          /Watcher beating is not responding: its heartbeat file was last touched \d+s ago/.test(l)
        ),
        lines.join("\n"),
      );
      assert.equal(statuses[0].restarts, 1);
    }),
});

Deno.test("a watcher never runs without its PID record, so one started just before aiemp is killed is found", () =>
  withTemp(async (dir) => {
    // The watcher's first act: print its own PID, the record it finds, and any AIEMP_PID_ variable.
    const spec = shWatcher(
      dir,
      "early",
      'echo "me=$$"; cat "$RECORD"; echo; env | grep AIEMP_PID_ || echo "no AIEMP_PID_ variables"',
    );
    spec.env = { RECORD: spec.pidFile };
    await runSubprocessComponent(spec, {
      signal: new AbortController().signal,
      ready: () => {},
      setProbe: () => {},
    });
    const log = await Deno.readTextFile(spec.logFile);
    const me = Number(/me=(\d+)/.exec(log)?.[1]);
    const record = JSON.parse(log.split("\n")[1]);
    assert.equal(record.pid, me, "the record names the watcher itself, written before it ran");
    assert.equal(record.command, "sh");
    assert.match(log, /no AIEMP_PID_ variables/, "the record's variables do not reach the watcher");
  }));

Deno.test("a watcher whose program does not exist fails with the fix", () =>
  withTemp(async (dir) => {
    const spec = shWatcher(dir, "missing", "", { command: "no-such-program-here", args: [] });
    await assert.rejects(
      runSubprocessComponent(spec, {
        signal: new AbortController().signal,
        ready: () => {},
        setProbe: () => {},
      }),
      /'no-such-program-here' was not found; check watchers → missing → command in aiemp\.yaml/,
    );
  }));
