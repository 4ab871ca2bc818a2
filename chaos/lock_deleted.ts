/**
 * Scenario 4c: the lock file `.aiemp/lock` is deleted under a running orchestrator, and a second
 * `aiemp start` follows at once or a little later. The second must always be refused, and the
 * first must still be the one `aiemp status` and `aiemp stop` find.
 * @module
 */
import { aiemp, makeVault, type RunningAiemp, startAiemp } from "../tests/e2e/_harness.ts";
import { type Check, check, sample, type Scenario } from "./_scenario.ts";
import { sleep, statusOf } from "./_tools.ts";

/** The deleted-lock scenario. */
export const lockDeleted: Scenario = {
  id: "4c lock-deleted",
  title: "The lock file is deleted under a running orchestrator; a second start follows",
  quick: false,
  async run(context) {
    const rounds = context.quick ? 3 : 20;
    const vault = await makeVault("scheduler:\n  enabled: false\n");
    const seconds: RunningAiemp[] = [];
    let first: RunningAiemp | undefined;
    try {
      first = await startAiemp(vault.path);
      const admitted: string[] = [];
      let refusedRightly = 0;
      for (let i = 1; i <= rounds; i++) {
        await Deno.remove(vault.file(".aiemp", "lock")).catch(() => {});
        // At once, or after the orchestrator had a moment to notice.
        const delay = i % 2 === 0 ? 0 : Math.round(context.random() * 500);
        await sleep(delay);
        const second = await startAiemp(vault.path, [], { waitReady: false });
        seconds.push(second);
        const code = await Promise.race([second.exited, sleep(8000).then(() => undefined)]);
        if (code === undefined) {
          admitted.push(
            `round ${i} (after ${delay} ms): a second orchestrator (PID ${second.pid}) started`,
          );
          await second.stop("SIGKILL");
        } else if (code !== 0 && /already running on .*PID/.test(second.output())) {
          refusedRightly++;
        } else {
          admitted.push(`round ${i}: exit ${code}: ${second.output().trim().split("\n").at(-1)}`);
        }
      }
      const status = await statusOf(vault);
      const warned = /lock file .* was deleted/i.test(first.output());
      const stop = await aiemp(["stop", "--vault", vault.path]);
      const code = await Promise.race([first.exited, sleep(10_000).then(() => undefined)]);
      const checks: Check[] = [
        check(
          "a second 'aiemp start' is refused every time",
          admitted.length === 0 && refusedRightly === rounds,
          admitted.length ? sample(admitted, 2) : `${refusedRightly}/${rounds} refused`,
        ),
        check(
          "the running orchestrator re-creates the lock and says so in its log",
          warned,
        ),
        check(
          "status still finds the first orchestrator; 'aiemp stop' stops it (exit 0)",
          status.running && status.pid === first.pid && stop.code === 0 && code === 0,
          `status running ${status.running} PID ${status.pid} (first ${first.pid}); stop exit ${stop.code}; orchestrator exit ${code}`,
        ),
      ];
      return {
        injected: [
          `${rounds} deletions of .aiemp/lock, each followed by a second 'aiemp start' (at once or within 0.5 s)`,
        ],
        checks,
      };
    } finally {
      for (const second of seconds) await second.stop("SIGKILL");
      await first?.stop("SIGKILL");
      await vault.cleanup();
    }
  },
};
