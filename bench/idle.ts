/** The cost of waiting: CPU and memory of the whole process tree while nothing happens. */
import type { RunningAiemp } from "../tests/e2e/_harness.ts";
import { treeUsage } from "./_measure.ts";

/** What idling cost. */
export interface IdleResult {
  seconds: number;
  cpuPercent: number;
  rssMaxMb: number;
}

/** Samples the orchestrator's tree every second for `seconds` after a short settling pause. */
export async function idleFootprint(run: RunningAiemp, seconds: number): Promise<IdleResult> {
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const first = await treeUsage(run.pid);
  let rssMax = first.rssBytes;
  const began = performance.now();
  for (let i = 0; i < seconds; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    rssMax = Math.max(rssMax, (await treeUsage(run.pid)).rssBytes);
  }
  const last = await treeUsage(run.pid);
  const elapsed = (performance.now() - began) / 1000;
  return {
    seconds: elapsed,
    cpuPercent: ((last.cpuSeconds - first.cpuSeconds) / elapsed) * 100,
    rssMaxMb: rssMax / 2 ** 20,
  };
}
