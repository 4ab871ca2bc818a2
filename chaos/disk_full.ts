/**
 * Scenario 3: the vault lives on a tiny filesystem (a 2 MB tmpfs) that fills up while files drop
 * into Inbox/ and approvals arrive. aiemp must say so clearly, never leave a truncated or
 * half-written note, lose nothing, and catch up by itself once space is freed.
 * @module
 */
import { join } from "node:path";
import {
  makeVault,
  type RunningAiemp,
  startAiemp,
  waitFor,
  waitUntilPending,
  webhookRequest,
} from "../tests/e2e/_harness.ts";
import { type Check, check, sample, type Scenario } from "./_scenario.ts";
import {
  countingServer,
  damaged,
  entriesIn,
  leftoverTempFiles,
  mountTmpfs,
  QUICK_SETTINGS,
  sleep,
  statusOf,
  unmount,
  visibleFiles,
} from "./_tools.ts";

/** Writes `path` until the filesystem is full; returns the bytes written. */
async function fillUp(path: string): Promise<number> {
  using file = await Deno.open(path, { write: true, create: true, append: true });
  let written = 0;
  for (const size of [65536, 4096, 512, 1]) {
    const chunk = new Uint8Array(size).fill(120);
    while (true) {
      try {
        written += await file.write(chunk);
      } catch {
        break;
      }
    }
  }
  return written;
}

/** The disk-full scenario; skipped where a tmpfs cannot be mounted. */
export const diskFull: Scenario = {
  id: "3 disk-full",
  title: "The vault's filesystem fills up while files drop and approvals arrive",
  quick: false,
  async run(context) {
    const parent = await Deno.makeTempDir({ prefix: "aiemp-chaos-" });
    const mount = join(parent, "fs");
    await Deno.mkdir(mount);
    const refused = await mountTmpfs(mount, "2m");
    if (refused) {
      await Deno.remove(parent, { recursive: true });
      return { injected: [], checks: [], skipped: `cannot mount: ${refused}` };
    }
    const server = countingServer();
    let run: RunningAiemp | undefined;
    try {
      const vault = await makeVault(QUICK_SETTINGS, { parent: mount });
      run = await startAiemp(vault.path);
      const drops = 20;
      const approvals = 10;
      // Made while there is room: the drops wait outside Inbox/, the requests in Pending_Approval/.
      const staging = join(mount, "staging");
      await Deno.mkdir(staging);
      for (let i = 1; i <= drops; i++) {
        const text = `drop ${i} made while the disk was full\n`.repeat(20 + i * 10);
        await Deno.writeTextFile(join(staging, `full ${i}.txt`), text);
      }
      for (let i = 1; i <= approvals; i++) {
        await Deno.writeTextFile(
          vault.file("Pending_Approval", `WEBHOOK_full_${i}.md`),
          webhookRequest(`WEBHOOK_full_${i}`, `${server.url}/full`),
        );
        await waitUntilPending(vault, `WEBHOOK_full_${i}.md`);
      }
      const filled = await fillUp(join(mount, "filler"));
      const fullAt = Date.now();
      context.progress(`filled the 2 MB filesystem (${Math.round(filled / 1024)} KB of filler)`);
      for (let i = 1; i <= drops; i++) {
        await Deno.rename(join(staging, `full ${i}.txt`), vault.file("Inbox", `full ${i}.txt`));
      }
      for (let i = 1; i <= approvals; i++) {
        await Deno.rename(
          vault.file("Pending_Approval", `WEBHOOK_full_${i}.md`),
          vault.file("Approved", `WEBHOOK_full_${i}.md`),
        );
      }
      // What aiemp says while full (its stderr goes to the service manager's journal).
      const said = await waitFor(
        () => /No space left on device.*free disk space/i.test(run!.output()),
        "a disk-full message naming the fix",
        10_000,
      ).then(() => true, () => false);
      await sleep(6000); // it keeps trying (every 5 s) while the disk stays full
      const whileFull = await damaged(vault);
      const tempsWhileFull = await leftoverTempFiles(vault.path);
      const aliveWhileFull = await Promise.race([
        run.exited.then(() => false),
        sleep(0).then(() => true),
      ]);
      const sentWhileFull = server.requests.length;
      const lines = run.output().split("\n").filter((l) => /No space left/i.test(l));

      await Deno.remove(join(mount, "filler"));
      context.progress("freed the space");
      const freedAt = Date.now();
      const recovered = await waitFor(
        async () => {
          const notes = (await visibleFiles(vault.file("Needs_Action"))).length;
          const done = (await visibleFiles(vault.file("Done"))).length;
          const waiting = (await entriesIn(vault.file(".aiemp", "inflight"))).length +
            (await entriesIn(vault.file(".aiemp", "inbox-claims"))).length +
            (await visibleFiles(vault.file("Inbox"))).length +
            (await visibleFiles(vault.file("Approved"))).length;
          return notes === drops && done === approvals && waiting === 0;
        },
        "every drop and approval dealt with after space was freed",
        30_000,
      ).then(
        () => true,
        () => false,
      );
      const recoveryMs = Date.now() - freedAt;
      const status = await waitFor(
        async () => {
          const now = await statusOf(vault);
          return now.alerts.every((a) => !/space/i.test(a)) && now;
        },
        "the disk-full alert cleared",
        10_000,
      ).catch(() => undefined);
      const afterFree = await damaged(vault);
      const byKey = server.byKey();
      const notSentOnce = [...Array(approvals).keys()].map((i) => `WEBHOOK_full_${i + 1}`)
        .filter((id) => byKey.get(id) !== 1);
      const originals = await visibleFiles(vault.file("Needs_Action", "attachments"));
      const code = await run.stop();
      const temps = await leftoverTempFiles(vault.path);
      const checks: Check[] = [
        check(
          "a clear message while full, naming the fix (free disk space)",
          said,
          lines.length ? `${lines.length} line(s), e.g. ${lines[0].trim()}` : "none",
        ),
        check("aiemp kept running while the disk was full", aliveWhileFull),
        check(
          "no truncated or half-written note, Dashboard or state file while full",
          whileFull.length === 0 && tempsWhileFull.length === 0,
          [...whileFull, ...tempsWhileFull].length
            ? sample([...whileFull, ...tempsWhileFull])
            : undefined,
        ),
        check(
          "once space is freed, every drop made while full gets its note and every approval is sent, without a restart",
          recovered,
          `${drops} drops, ${approvals} approvals; ${
            recovered ? `caught up ${recoveryMs} ms after space was freed` : "not caught up in 30 s"
          }; ${sentWhileFull} sent while full`,
        ),
        check(
          "each approval sent exactly once; each original kept",
          notSentOnce.length === 0 && originals.length === drops,
          notSentOnce.length
            ? `not sent exactly once: ${
              sample(notSentOnce.map((id) => `${id} ×${byKey.get(id) ?? 0}`))
            }`
            : `${originals.length} originals kept`,
        ),
        check(
          "the alert is cleared once space is back; nothing damaged; no temporary files left",
          status !== undefined && afterFree.length === 0 && temps.length === 0,
          status === undefined
            ? "the alert stayed"
            : [...afterFree, ...temps].length
            ? sample([...afterFree, ...temps])
            : undefined,
        ),
        check("aiemp stops cleanly afterwards (exit 0)", code === 0, `exit ${code}`),
      ];
      return {
        injected: [
          `a 2 MB tmpfs filled to the last byte, then ${drops} files dropped into Inbox/ and ${approvals} approvals made; the disk stayed full for ${
            ((freedAt - fullAt) / 1000).toFixed(1)
          } s`,
        ],
        checks,
      };
    } finally {
      await run?.stop("SIGKILL");
      await server.close();
      await unmount(mount);
      await Deno.remove(parent, { recursive: true }).catch(() => {});
    }
  },
};
