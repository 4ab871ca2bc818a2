/**
 * Scenario 4b: the wall clock jumps forward an hour under a running orchestrator, then back.
 * libfaketime changes the time the orchestrator sees while it runs (FAKETIME_TIMESTAMP_FILE,
 * re-read on every call); the monotonic clock, which timers use, is left alone as a real jump
 * would leave it. Schedules must run at most once per period, and nothing may break.
 * @module
 */
import { join } from "node:path";
import { TASK_TRIGGERS } from "../src/scheduler/mod.ts";
import {
  aiemp,
  approve,
  makeVault,
  type RunningAiemp,
  startAiemp,
  type TestVault,
  waitFor,
  webhookRequest,
} from "../tests/e2e/_harness.ts";
import { type Check, check, type Scenario } from "./_scenario.ts";
import { countingServer, sleep, visibleFiles } from "./_tools.ts";

const LIBRARIES = [
  "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
  "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
  "/usr/lib/faketime/libfaketime.so.1",
  "/usr/local/lib/faketime/libfaketime.so.1",
];

const SETTINGS = [
  "inbox:",
  "  settle_ms: 50",
  "dashboard:",
  "  refresh_ms: 100",
  "scheduler:",
  "  tick_s: 1",
].join("\n") + "\n";

/** HH:MM of `date` on the machine's clock, as schedules.yaml wants it. */
function clockTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/**
 * The vault's schedules: the defaults off, a daily task due 30 minutes from now (so only the
 * jump reaches it) and a 30-minute interval task, both running the Dashboard refresh.
 */
function schedules(now: Date): string {
  const defaults = Object.keys(TASK_TRIGGERS);
  return [
    "tasks:",
    ...defaults.flatMap((name) => [`  - name: ${name}`, "    enabled: false"]),
    "  - name: chaos_daily",
    "    frequency: daily",
    `    time_of_day: "${clockTime(new Date(now.getTime() + 30 * 60_000))}"`,
    "    trigger: health_dashboard_update",
    "  - name: chaos_interval",
    "    frequency: every_n_minutes",
    "    interval_minutes: 30",
    "    trigger: health_dashboard_update",
  ].join("\n") + "\n";
}

/** How many times the orchestrator ran `task`, by its own log. */
function runsOf(run: RunningAiemp, task: string): number {
  return run.output().split("\n").filter((l) => l.includes(`Running scheduled task ${task}`))
    .length;
}

/** Drops a file and approves an item, and waits until both are dealt with. */
async function exercise(vault: TestVault, url: string, tag: string): Promise<boolean> {
  await Deno.writeTextFile(vault.file("Inbox", `${tag}.txt`), `dropped ${tag}\n`);
  await approve(vault, `WEBHOOK_${tag}.md`, webhookRequest(`WEBHOOK_${tag}`, `${url}/${tag}`));
  return await waitFor(
    async () => {
      const notes = await visibleFiles(vault.file("Needs_Action"));
      const done = await visibleFiles(vault.file("Done"));
      return notes.some((n) => n.includes(tag.replace(/_/g, "-"))) &&
        done.includes(`WEBHOOK_${tag}.md`);
    },
    `the ${tag} drop and approval dealt with`,
    15_000,
  ).then(() => true, () => false);
}

/** The clock-jump scenario; skipped where libfaketime is missing or does not reach Deno. */
export const clockJump: Scenario = {
  id: "4b clock-jump",
  title: "The clock jumps forward an hour and back under a running orchestrator",
  quick: false,
  async run(context) {
    const library = LIBRARIES.find((path) => {
      try {
        return Deno.statSync(path).isFile;
      } catch {
        return false;
      }
    });
    if (!library) {
      return {
        injected: [],
        checks: [],
        skipped: "libfaketime not installed: apt-get install -y faketime",
      };
    }
    const parent = await Deno.makeTempDir({ prefix: "aiemp-chaos-" });
    const offsetFile = join(parent, "faketime");
    await Deno.writeTextFile(offsetFile, "+0\n");
    const env = {
      LD_PRELOAD: library,
      FAKETIME_TIMESTAMP_FILE: offsetFile,
      FAKETIME_NO_CACHE: "1",
      FAKETIME_DONT_FAKE_MONOTONIC: "1",
    };
    const server = countingServer();
    let orchestrator: RunningAiemp | undefined;
    try {
      // Does it reach Deno here? (A static build or a vDSO-only clock would ignore it.)
      await Deno.writeTextFile(offsetFile, "+1h\n");
      const probe = await new Deno.Command(Deno.execPath(), {
        args: ["eval", "console.log(Date.now())"],
        env,
      }).output();
      const skew = Number(new TextDecoder().decode(probe.stdout)) - Date.now();
      await Deno.writeTextFile(offsetFile, "+0\n");
      if (!(Math.abs(skew - 3_600_000) < 60_000)) {
        return {
          injected: [],
          checks: [],
          skipped: `libfaketime does not change Deno's clock here (skew ${skew} ms)`,
        };
      }
      const vault = await makeVault(SETTINGS, { parent });
      await Deno.writeTextFile(vault.file("schedules.yaml"), schedules(new Date()));
      orchestrator = await startAiemp(vault.path, [], { env });
      await waitFor(() => runsOf(orchestrator!, "chaos_interval") === 1, "the first interval run");
      const before = await exercise(vault, server.url, "before");

      await Deno.writeTextFile(offsetFile, "+1h\n");
      context.progress("clock +1 h");
      await waitFor(
        () =>
          runsOf(orchestrator!, "chaos_daily") >= 1 && runsOf(orchestrator!, "chaos_interval") >= 2,
        "the tasks due after the jump",
        15_000,
      ).catch(() => {});
      await sleep(3000); // a few more ticks at +1 h
      const ahead = await exercise(vault, server.url, "ahead");
      const afterForward = {
        daily: runsOf(orchestrator, "chaos_daily"),
        interval: runsOf(orchestrator, "chaos_interval"),
      };

      await Deno.writeTextFile(offsetFile, "+0\n");
      context.progress("clock back");
      await sleep(5000); // several ticks back at the real time
      const back = await exercise(vault, server.url, "back");
      const afterBack = {
        daily: runsOf(orchestrator, "chaos_daily"),
        interval: runsOf(orchestrator, "chaos_interval"),
      };
      const health = await aiemp(["health", "--vault", vault.path], env);
      const list = await aiemp(["schedules", "list", "--json", "--vault", vault.path], env);
      const failures = orchestrator.output().split("\n").filter((l) =>
        /Scheduler tick failed|\[ERR\]|has died/.test(l)
      );
      const sentTwice = [...server.byKey()].filter(([, n]) => n > 1).map(([key]) => key);
      const code = await orchestrator.stop();
      const checks: Check[] = [
        check(
          "jumping forward runs what came due once: the daily task once, the interval task once more",
          afterForward.daily === 1 && afterForward.interval === 2,
          `daily ${afterForward.daily}, interval ${afterForward.interval} (1 before the jump)`,
        ),
        check(
          "jumping back runs nothing again",
          afterBack.daily === afterForward.daily && afterBack.interval === afterForward.interval,
          `daily ${afterBack.daily}, interval ${afterBack.interval} after 5 s back`,
        ),
        check(
          "drops and approvals are dealt with before, during and after the jumps, each sent once",
          before && ahead && back && sentTwice.length === 0,
          `before ${before}, at +1 h ${ahead}, back ${back}${
            sentTwice.length ? `; sent twice: ${sentTwice.join(", ")}` : ""
          }`,
        ),
        check(
          "nothing crashed: no component died, no tick failed, healthy, schedules list works",
          failures.length === 0 && health.code === 0 && list.code === 0,
          failures.length ? failures.slice(0, 2).join(" | ") : `health exit ${health.code}`,
        ),
        check("aiemp stops cleanly afterwards (exit 0)", code === 0, `exit ${code}`),
      ];
      return {
        injected: [
          "the orchestrator's wall clock moved +1 h while running (libfaketime), held there ~6 s, " +
          "then moved back; a daily task due in 30 min and a 30-min interval task enabled",
        ],
        checks,
      };
    } finally {
      await orchestrator?.stop("SIGKILL");
      await server.close();
      await Deno.remove(parent, { recursive: true }).catch(() => {});
    }
  },
};
