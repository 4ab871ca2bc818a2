/** A big vault: the housekeeping tasks on 100,000 items in Done/ and 1,000 pending approvals. */
import { aiemp, type RunningAiemp, type TestVault } from "../tests/e2e/_harness.ts";
import { treeUsage } from "./_measure.ts";

/** The figures at one size of Done/. */
export interface BigVaultStep {
  doneFiles: number;
  pending: number;
  dashboardMs: number;
  staleCheckMs: number;
  archiveMs: number;
  archived: number;
  rssMb: number;
}

const DAY = 86_400_000;

/**
 * Grows Done/ through `sizes` (5 % of each new batch older than the archive limit) next to
 * `pending` approval requests older than the stale limit, and at each size has the running
 * orchestrator refresh the Dashboard, check for stale approvals and archive Done/ (`aiemp trigger`,
 * which reports each task's own duration), then reads the orchestrator's memory.
 */
export async function bigVault(
  vault: TestVault,
  run: RunningAiemp,
  sizes: number[],
  pending: number,
): Promise<BigVaultStep[]> {
  const twoDaysAgo = new Date(Date.now() - 2 * DAY);
  for (let i = 0; i < pending; i++) {
    const path = vault.file("Pending_Approval", `WEBHOOK_big_${i}.md`);
    await Deno.writeTextFile(
      path,
      `---\nid: big-${i}\ntype: approval_request\naction: webhook\nurl: http://127.0.0.1:9/x\n---\nWaiting.\n`,
    );
    await Deno.utime(path, twoDaysAgo, twoDaysAgo);
  }
  const steps: BigVaultStep[] = [];
  let written = 0;
  const monthAgo = new Date(Date.now() - 30 * DAY);
  for (const size of sizes) {
    for (; written < size; written++) {
      const path = vault.file("Done", `WEBHOOK_done_${written}.md`);
      await Deno.writeTextFile(path, `---\nid: done-${written}\nstatus: done\n---\nSent.\n`);
      if (written % 20 === 0) await Deno.utime(path, monthAgo, monthAgo);
    }
    const doneFiles = await countFiles(vault.file("Done"));
    const dashboard = await trigger(vault, "health_dashboard_update");
    const stale = await trigger(vault, "stale_approval_check");
    const archive = await trigger(vault, "done_archive");
    steps.push({
      doneFiles,
      pending,
      dashboardMs: dashboard.duration_ms,
      staleCheckMs: stale.duration_ms,
      archiveMs: archive.duration_ms,
      archived: Number(archive.archived ?? 0),
      rssMb: (await treeUsage(run.pid)).rssBytes / 2 ** 20,
    });
  }
  return steps;
}

async function trigger(vault: TestVault, name: string) {
  const result = await aiemp(["trigger", name, "--vault", vault.path]);
  if (result.code !== 0) throw new Error(`${name} failed: ${result.stdout}${result.stderr}`);
  return JSON.parse(result.stdout) as { duration_ms: number; [key: string]: unknown };
}

async function countFiles(folder: string): Promise<number> {
  let n = 0;
  for await (const entry of Deno.readDir(folder)) if (entry.isFile) n++;
  return n;
}
