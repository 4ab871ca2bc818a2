/** Start-up: `aiemp start` to all components up, and the wall time of `aiemp status --json`. */
import { aiemp, makeVault, startAiemp } from "../tests/e2e/_harness.ts";

/** Start-up times in milliseconds. */
export interface StartupResult {
  start: number[];
  status: number[];
}

/** Starts aiemp `runs` times on a fresh vault (after one unmeasured warm-up) and times it. */
export async function startup(runs: number): Promise<StartupResult> {
  const vault = await makeVault();
  const result: StartupResult = { start: [], status: [] };
  try {
    for (let i = -1; i < runs; i++) {
      const began = performance.now();
      const run = await startAiemp(vault.path);
      const up = performance.now() - began;
      const statusBegan = performance.now();
      const status = await aiemp(["status", "--json", "--vault", vault.path]);
      const statusTook = performance.now() - statusBegan;
      if (status.code !== 0) throw new Error(`status failed: ${status.stderr}`);
      await run.stop();
      if (i < 0) continue; // the warm-up fills Deno's caches
      result.start.push(up);
      result.status.push(statusTook);
    }
  } finally {
    await vault.cleanup();
  }
  return result;
}
