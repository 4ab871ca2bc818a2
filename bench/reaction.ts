/**
 * `deno task bench`: runs the real CLI on a temporary vault and measures how fast aiemp reacts to
 * a dropped file and to an approval. Prints a table and rewrites BENCHMARKS.md. It reports; it
 * never asserts a target.
 */
import {
  makeVault,
  startAiemp,
  waitFor,
  webhookRequest,
  webhookServer,
} from "../tests/e2e/_harness.ts";

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

/**
 * Drops files one at a time, 10 per second. The reaction is the task note's modification time
 * minus the moment the file was written: both are wall-clock readings, and reading the note's own
 * time avoids depending on a watcher in the bench (which may miss an event in its first instant).
 */
async function inboxReaction(vault: Awaited<ReturnType<typeof makeVault>>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dropped = Date.now();
    await Deno.writeTextFile(vault.file("Inbox", `bench-${i}.txt`), `file ${i}\n`);
    const note = await waitFor(async () => {
      for await (const entry of Deno.readDir(vault.file("Needs_Action"))) {
        if (entry.name.includes(`_bench-${i}-txt_`)) return entry.name;
      }
    }, `the note of bench-${i}.txt`);
    const written = (await Deno.stat(vault.file("Needs_Action", note))).mtime!.getTime();
    samples.push(written - dropped);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
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
      await waitFor(
        () => Deno.stat(vault.file("Done", name)).then(() => true, () => false),
        `${name} in Done/`,
      );
    }
  } finally {
    await server.close();
  }
  return samples;
}

const vault = await makeVault();
try {
  const run = await startAiemp(vault.path);
  const inbox = summary(await inboxReaction(vault));
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
