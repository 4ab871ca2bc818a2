/**
 * Scenario 2: components die at random. External watchers are SIGKILLed by PID; the built-in
 * Workers cannot be killed from outside, so they are crashed by a real fault (their watched folder
 * is removed). Each must come back within its backoff bound. Then a crash loop of each kind must
 * pause the component with an alert, and `aiemp restart` must resume it.
 * @module
 */
import {
  aiemp,
  makeVault,
  type RunningAiemp,
  startAiemp,
  type TestVault,
  waitFor,
} from "../tests/e2e/_harness.ts";
import { type ChaosContext, type Check, check, type Scenario } from "./_scenario.ts";
import { alive, sleep, statusOf, visibleFiles } from "./_tools.ts";

const STAY = 'trap "exit 0" TERM; while :; do sleep 0.05; done';

/** aiemp.yaml: quick restarts, the Dashboard written at once, the named external watchers. */
function settings(backoff: string, maxRestarts: number, watchers: string[]): string {
  return [
    "supervisor:",
    backoff,
    `  max_restarts: ${maxRestarts}`,
    "dashboard:",
    "  refresh_ms: 50",
    "scheduler:",
    "  enabled: false",
    "watchers:",
    ...watchers.flatMap((name) => [
      `  - name: ${name}`,
      "    command: sh",
      `    args: ["-c", ${JSON.stringify(STAY)}]`,
      "    grace_s: 1",
    ]),
  ].join("\n") + "\n";
}

const INITIAL_S = 0.1;
const MAX_S = 0.4;
/** What starting a component may take on top of its backoff: a Worker loads its modules. */
const START_ALLOWANCE_MS = 1500;

/** A component as `.aiemp/state.json` last reported it. */
interface ComponentState {
  id: string;
  state: string;
  restarts: number;
}

async function components(vault: TestVault): Promise<ComponentState[]> {
  const text = await Deno.readTextFile(vault.file(".aiemp", "state.json")).catch(() => "{}");
  try {
    return JSON.parse(text).components ?? [];
  } catch {
    return []; // read while being replaced: the next look sees it whole
  }
}

async function componentOf(vault: TestVault, id: string): Promise<ComponentState | undefined> {
  return (await components(vault)).find((c) => c.id === id);
}

async function watcherPid(vault: TestVault, name: string): Promise<number | undefined> {
  const text = await Deno.readTextFile(vault.file(".aiemp", "pids", `${name}.json`)).catch(() =>
    ""
  );
  try {
    return text ? JSON.parse(text).pid : undefined;
  } catch {
    return undefined;
  }
}

/** The folder whose removal crashes a built-in component. */
const WATCHED: Record<string, string> = { inbox: "Inbox", executor: "Approved" };

/**
 * Injects one fault into `id` and waits until it is back (running, one more restart); returns
 * how long that took.
 */
async function crashOnce(vault: TestVault, id: string): Promise<number> {
  const before = (await componentOf(vault, id))!.restarts;
  const folder = WATCHED[id];
  let previousPid: number | undefined;
  const injected = Date.now();
  if (folder) {
    await Deno.remove(vault.file(folder));
  } else {
    previousPid = await waitFor(() => watcherPid(vault, id), `${id}'s PID file`);
    Deno.kill(previousPid, "SIGKILL");
  }
  await waitFor(
    async () => {
      const now = await componentOf(vault, id);
      if (!now || now.state !== "running" || now.restarts <= before) return false;
      if (folder) return (await Deno.stat(vault.file(folder)).catch(() => undefined))?.isDirectory;
      const pid = await watcherPid(vault, id);
      return pid !== undefined && pid !== previousPid && alive(pid);
    },
    `${id} back after a crash`,
    15_000,
  );
  return Date.now() - injected;
}

/** The random kills: every component, in random order, recovery timed against its bound. */
async function randomKills(context: ChaosContext) {
  const perWatcher = context.quick ? 3 : 20;
  const perWorker = context.quick ? 2 : 8;
  const vault = await makeVault(
    settings(
      `  backoff_initial_s: ${INITIAL_S}\n  backoff_max_s: ${MAX_S}`,
      1000,
      ["alpha", "beta"],
    ),
  );
  let run: RunningAiemp | undefined;
  try {
    run = await startAiemp(vault.path);
    const plan = [
      ...Array(perWatcher).fill("alpha"),
      ...Array(perWatcher).fill("beta"),
      ...Array(perWorker).fill("inbox"),
      ...Array(perWorker).fill("executor"),
    ].sort(() => context.random() - 0.5);
    const times: Record<string, number[]> = {};
    await waitFor(
      async () => (await components(vault)).filter((c) => c.state === "running").length === 4,
      "all four components running",
    );
    for (const [i, id] of plan.entries()) {
      await sleep(context.random() * 300);
      (times[id] ??= []).push(await crashOnce(vault, id));
      if ((i + 1) % 10 === 0) context.progress(`${i + 1}/${plan.length} crashes`);
    }
    const final = await components(vault);
    const health = await aiemp(["health", "--vault", vault.path]);
    const bound = MAX_S * 1000 + START_ALLOWANCE_MS;
    const slowest = Math.max(...Object.values(times).flat());
    const checks: Check[] = [
      check(
        `each came back within its backoff bound (≤ ${MAX_S} s backoff + ${
          START_ALLOWANCE_MS / 1000
        } s to start)`,
        slowest <= bound,
        Object.entries(times).map(([id, ms]) =>
          `${id}: ${ms.length} crashes, back in ${Math.min(...ms)}–${Math.max(...ms)} ms`
        ).join("; "),
      ),
      check(
        "every crash counted as one restart",
        final.every((c) => c.restarts === (times[c.id]?.length ?? 0)),
        final.map((c) => `${c.id} ${c.restarts}`).join(", "),
      ),
      check(
        "all components healthy afterwards (aiemp health exits 0)",
        health.code === 0,
        health.code === 0 ? undefined : health.stdout.trim(),
      ),
    ];
    const code = await run.stop();
    checks.push(check("aiemp stops cleanly afterwards (exit 0)", code === 0, `exit ${code}`));
    return {
      injected: `${perWatcher * 2} SIGKILLs of external watchers (alpha, beta) and ${
        perWorker * 2
      } crashes of built-in Workers (Inbox/ or Approved/ removed under the inbox watcher or the executor), in random order`,
      checks,
    };
  } finally {
    await run?.stop("SIGKILL");
    await vault.cleanup();
  }
}

/** Crashes `id` each time it is back until it is paused; returns how many crashes it took. */
async function crashUntilPaused(vault: TestVault, id: string): Promise<number> {
  let crashes = 0;
  while ((await componentOf(vault, id))?.state !== "paused") {
    if (crashes > 20) throw new Error(`${id} was never paused after ${crashes} crashes`);
    const before = (await componentOf(vault, id))!.restarts;
    const folder = WATCHED[id];
    if (folder) await Deno.remove(vault.file(folder));
    else Deno.kill(await waitFor(() => watcherPid(vault, id), `${id}'s PID file`), "SIGKILL");
    crashes++;
    await waitFor(
      async () => {
        const now = await componentOf(vault, id);
        if (now?.state === "paused") return true;
        if (now?.state !== "running" || now.restarts <= before) return false;
        return folder ? await Deno.stat(vault.file(folder)).then(() => true, () => false) : true;
      },
      `${id} back or paused`,
      15_000,
    );
  }
  return crashes;
}

/** A crash loop of an external watcher and of a built-in Worker: pause, alert, resume. */
async function crashLoops(): Promise<{ injected: string; checks: Check[] }> {
  const maxRestarts = 3;
  const vault = await makeVault(
    settings("  backoff_initial_s: 0.05\n  backoff_max_s: 0.1", maxRestarts, ["gamma"]),
  );
  let run: RunningAiemp | undefined;
  const checks: Check[] = [];
  const counts: string[] = [];
  try {
    run = await startAiemp(vault.path);
    for (const [id, description] of [["gamma", "Watcher gamma"], ["inbox", "Inbox watcher"]]) {
      const crashes = await crashUntilPaused(vault, id);
      counts.push(`${id}: ${crashes}`);
      const status = await statusOf(vault);
      const state = status.components.find((c) => c.id === id)?.state;
      const alert = status.alerts.find((a) => a.startsWith(`${description} failed`));
      const dashboard = await waitFor(async () => {
        const text = await Deno.readTextFile(vault.file("Dashboard.md"));
        return alert && text.includes(alert) && text;
      }, "the alert on the Dashboard").catch(() => "");
      const health = await aiemp(["health", "--vault", vault.path]);
      const others = status.components.filter((c) => c.id !== id && c.state !== "running");
      checks.push(check(
        `a crash loop of ${id} pauses it and alerts (status --json paused, Dashboard alert, health exit 1); the others run on`,
        state === "paused" && alert !== undefined && dashboard !== "" && health.code === 1 &&
          health.stdout.includes(`aiemp restart ${id}`) && others.length === 0 &&
          crashes === maxRestarts + 1,
        `paused after ${crashes} crashes (max_restarts ${maxRestarts}); alert: ${
          alert ?? "none"
        }; health exit ${health.code}${
          others.length ? `; also down: ${others.map((c) => c.id).join(", ")}` : ""
        }`,
      ));
      const restart = await aiemp(["restart", id, "--vault", vault.path]);
      const resumed = await waitFor(
        async () => (await componentOf(vault, id))?.state === "running",
        `${id} running again`,
      ).then(() => true, () => false);
      const cleared = await waitFor(
        async () => !(await Deno.readTextFile(vault.file("Dashboard.md"))).includes(alert ?? "?"),
        "the alert cleared",
      ).then(() => true, () => false);
      checks.push(check(
        `'aiemp restart ${id}' resumes it and clears the alert`,
        restart.code === 0 && resumed && cleared,
        `restart exit ${restart.code}, running again: ${resumed}, alert cleared: ${cleared}`,
      ));
    }
    // The resumed inbox watcher works: a file dropped now gets its note.
    await Deno.writeTextFile(vault.file("Inbox", "after.txt"), "after the crash loop\n");
    const noted = await waitFor(
      async () => (await visibleFiles(vault.file("Needs_Action"))).length === 1,
      "a note for a file dropped after the resume",
    ).then(() => true, () => false);
    checks.push(check("the resumed inbox watcher turns a new drop into a note", noted));
    const code = await run.stop();
    checks.push(check("aiemp stops cleanly afterwards (exit 0)", code === 0, `exit ${code}`));
    return {
      injected: `crash loops until paused (max_restarts ${maxRestarts}): ${
        counts.join(", ")
      } crashes`,
      checks,
    };
  } finally {
    await run?.stop("SIGKILL");
    await vault.cleanup();
  }
}

/** The component-crash scenario. */
export const killComponents: Scenario = {
  id: "2 kill-components",
  title: "Kill workers and external watchers at random; crash loops pause and alert",
  quick: false,
  async run(context) {
    const random = await randomKills(context);
    context.progress("crash loops");
    const loops = await crashLoops();
    return {
      injected: [random.injected, loops.injected],
      checks: [...random.checks, ...loops.checks],
    };
  },
};
