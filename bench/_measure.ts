/** Small measuring tools for the bench: summaries, the machine, a process's CPU time and memory. */

/** Median, p99 and extremes of some samples (milliseconds, or any unit). */
export interface Summary {
  n: number;
  min: number;
  median: number;
  p99: number;
  max: number;
}

/** Summarises samples with nearest-rank percentiles. */
export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  return { n: sorted.length, min: sorted[0], median: rank(50), p99: rank(99), max: sorted.at(-1)! };
}

/** "2 cores, 24 GiB" */
export function machine(): string {
  const memGiB = Math.round(Deno.systemMemoryInfo().total / 2 ** 30);
  return `${navigator.hardwareConcurrency} cores, ${memGiB} GiB of memory, ${Deno.build.os}/${Deno.build.arch}`;
}

/** CPU time (seconds) and resident memory (bytes) of a process and all its descendants. */
export interface Usage {
  cpuSeconds: number;
  rssBytes: number;
}

/** Reads the CPU time and memory of `pid` and its descendants from /proc (Linux) or `ps`. */
export async function treeUsage(pid: number): Promise<Usage> {
  const pids = [pid, ...await descendants(pid)];
  let cpuSeconds = 0;
  let rssBytes = 0;
  for (const p of pids) {
    const stat = await Deno.readTextFile(`/proc/${p}/stat`).catch(() => undefined);
    if (stat === undefined) continue;
    // Fields after the command name: utime and stime are the 12th and 13th, rss the 22nd.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    cpuSeconds += (Number(fields[11]) + Number(fields[12])) / 100;
    rssBytes += Number(fields[21]) * 4096;
  }
  return { cpuSeconds, rssBytes };
}

async function descendants(pid: number): Promise<number[]> {
  const out = await new Deno.Command("ps", { args: ["-o", "pid=", "--ppid", String(pid)] })
    .output();
  const children = new TextDecoder().decode(out.stdout).trim().split(/\s+/).filter(Boolean).map(
    Number,
  );
  const deeper = await Promise.all(children.map(descendants));
  return [...children, ...deeper.flat()];
}

/** Waits until `probe` returns something truthy, polling every `everyMs`. */
export async function until<T>(
  probe: () => Promise<T>,
  what: string,
  timeoutMs: number,
  everyMs = 50,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`bench: timed out waiting for ${what}`);
}
