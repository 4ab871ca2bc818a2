/** Reaction times: a dropped file to its task note, and an approval to the webhook request. */
import {
  type TestVault,
  waitFor,
  waitUntilPending,
  webhookRequest,
  webhookServer,
} from "../tests/e2e/_harness.ts";

/**
 * Drops files one at a time, 10 per second. The reaction is the task note's modification time
 * minus the moment the file was written: both wall-clock readings, so no watcher in the bench can
 * miss an event and skew it.
 */
export async function inboxReaction(vault: TestVault, runs: number): Promise<number[]> {
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

/** Approves webhook items one at a time; the reaction is rename → request at the loopback server. */
export async function approvalReaction(vault: TestVault, runs: number): Promise<number[]> {
  let hit: (at: number) => void = () => {};
  const server = webhookServer(() => {
    hit(performance.now());
    return Response.json({ id: "bench" });
  });
  const samples: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const received = new Promise<number>((resolve) => hit = resolve);
      const name = `WEBHOOK_bench_${i}.md`;
      const pending = vault.file("Pending_Approval", name);
      await Deno.writeTextFile(pending, webhookRequest(`bench-${i}`, server.url));
      await waitUntilPending(vault, name);
      const start = performance.now();
      await Deno.rename(pending, vault.file("Approved", name));
      samples.push((await received) - start);
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
