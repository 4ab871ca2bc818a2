/**
 * `deno task bench`: runs the real CLI on a temporary vault and measures how fast aiemp reacts to
 * a dropped file and to an approval. Prints a table and rewrites BENCHMARKS.md. It reports; it
 * never asserts a target.
 */
import { join } from "node:path";
import { makeVault, startAiemp, webhookRequest, webhookServer } from "../tests/e2e/_harness.ts";

const runs = Deno.args.includes("--quick") ? 20 : 200;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1)!,
  };
}

/** Waits for `path` to exist, by watching its folder; returns when it does. */
async function appeared(folder: string, name: string): Promise<void> {
  const watcher = Deno.watchFs(folder, { recursive: false });
  try {
    if (await Deno.stat(join(folder, name)).then(() => true, () => false)) return;
    for await (const event of watcher) {
      if (event.paths.some((p) => p.endsWith(name))) return;
    }
  } finally {
    watcher.close();
  }
}

async function inboxReaction(vault: string, settleMs: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const name = `bench-${i}.txt`;
    const noteSeen = new Promise<number>((resolve) => {
      const watcher = Deno.watchFs(join(vault, "Needs_Action"), { recursive: false });
      (async () => {
        for await (const event of watcher) {
          if (event.kind === "create" || event.kind === "rename" || event.kind === "modify") {
            for (const path of event.paths) {
              if (path.endsWith(".md") && path.includes(`bench-${i}-txt`)) {
                resolve(performance.now());
                watcher.close();
                return;
              }
            }
          }
        }
      })();
    });
    const start = performance.now();
    await Deno.writeTextFile(join(vault, "Inbox", name), `file ${i}\n`);
    samples.push((await noteSeen) - start);
    await new Promise((resolve) => setTimeout(resolve, 100)); // 10 files per second
  }
  console.error(`inbox: settle window ${settleMs} ms`);
  return samples;
}

async function approvalReaction(vault: Awaited<ReturnType<typeof makeVault>>): Promise<number[]> {
  let resolveHit: (t: number) => void = () => {};
  const server = webhookServer(() => {
    resolveHit(performance.now());
    return Response.json({ id: "bench" });
  });
  const samples: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const hit = new Promise<number>((resolve) => resolveHit = resolve);
      const name = `WEBHOOK_bench_${i}.md`;
      const pending = vault.file("Pending_Approval", name);
      await Deno.writeTextFile(pending, webhookRequest(`bench-${i}`, server.url));
      const start = performance.now();
      await Deno.rename(pending, vault.file("Approved", name));
      samples.push((await hit) - start);
      await appeared(vault.file("Done"), name);
    }
  } finally {
    await server.close();
  }
  return samples;
}

const vault = await makeVault();
try {
  const run = await startAiemp(vault.path);
  const inbox = summary(await inboxReaction(vault.path, 200));
  const approval = summary(await approvalReaction(vault));
  await run.stop();
  const cores = navigator.hardwareConcurrency;
  const memGiB = (Deno.systemMemoryInfo().total / 2 ** 30).toFixed(0);
  const command = `deno task bench${Deno.args.includes("--quick") ? " --quick" : ""}`;
  const row = (name: string, s: ReturnType<typeof summary>, goal: string) =>
    `| ${name} | ${s.n} | ${s.median.toFixed(1)} | ${s.p99.toFixed(1)} | ${
      s.max.toFixed(1)
    } | ${goal} |`;
  const table = [
    "| figure | runs | median ms | p99 ms | max ms | goal |",
    "|---|---|---|---|---|---|",
    row(
      "inbox reaction (file written → task note in Needs_Action/)",
      inbox,
      "p99 ≤ settle window (200 ms) + 50 ms",
    ),
    row("approval reaction (rename into Approved/ → webhook received)", approval, "p99 ≤ 100 ms"),
  ].join("\n");
  console.log(table);
  const text = `# Benchmarks\n\nMeasured by \`${command}\` on ${
    new Date().toISOString().slice(0, 10)
  }, on a machine with ${cores} cores and ${memGiB} GiB of memory, against the real CLI (\`aiemp start\`) on a temporary vault with default settings. Files were dropped one at a time at 10 per second; approvals one at a time. The inbox figure includes the 200 ms settle window by design.\n\n${table}\n\nThese machines are shared and noisy: compare medians, and rerun before drawing conclusions.\n`;
  await Deno.writeTextFile(new URL("../BENCHMARKS.md", import.meta.url), text);
} finally {
  await vault.cleanup();
}
