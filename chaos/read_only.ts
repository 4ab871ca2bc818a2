/**
 * Scenario 4a: the vault is made read-only (`chmod -R a-w`) under a running orchestrator while
 * files drop and approvals arrive, then writable again. Root ignores permission bits, so the
 * orchestrator runs as the unprivileged user `nobody` on a vault it owns.
 * @module
 */
import {
  aiemp,
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
  QUICK_SETTINGS,
  run,
  sleep,
  statusOf,
  unprivilegedUser,
  visibleFiles,
} from "./_tools.ts";

/** The read-only vault scenario; skipped where aiemp cannot be run as another user. */
export const readOnlyVault: Scenario = {
  id: "4a read-only-vault",
  title: "The vault is made read-only under a running orchestrator, then writable again",
  quick: false,
  async run(context) {
    const parent = await Deno.makeTempDir({ prefix: "aiemp-chaos-" });
    const server = countingServer();
    let orchestrator: RunningAiemp | undefined;
    try {
      const user = await unprivilegedUser(parent);
      if ("reason" in user) {
        return { injected: [], checks: [], skipped: `cannot run as another user: ${user.reason}` };
      }
      const vault = await makeVault(QUICK_SETTINGS, { parent });
      await user.give(vault.path);
      const as = { prefix: user.prefix, env: user.env };
      orchestrator = await startAiemp(vault.path, [], as);
      const drops = 10;
      const approvals = 5;

      // Drafted while the vault can be written, so aiemp has them on record as pending.
      for (let i = 1; i <= approvals; i++) {
        const name = `WEBHOOK_ro_${i}.md`;
        await Deno.writeTextFile(
          vault.file("Pending_Approval", name),
          webhookRequest(`WEBHOOK_ro_${i}`, `${server.url}/ro`),
        );
        await waitUntilPending(vault, name);
      }

      const locked = await run("chmod", ["-R", "a-w", vault.path]);
      if (!locked.ok) throw new Error(`chmod -R a-w failed: ${locked.stderr}`);
      const lockedAt = Date.now();
      // Root can still write: these are the owner's drops and approvals arriving meanwhile.
      for (let i = 1; i <= drops; i++) {
        await Deno.writeTextFile(
          vault.file("Inbox", `ro ${i}.txt`),
          `dropped while read-only ${i}\n`,
        );
      }
      for (let i = 1; i <= approvals; i++) {
        const name = `WEBHOOK_ro_${i}.md`;
        await Deno.rename(vault.file("Pending_Approval", name), vault.file("Approved", name));
      }
      const said = await waitFor(
        () => /Permission denied.*chmod -R u\+w/.test(orchestrator!.output()),
        "a read-only message naming the fix",
        10_000,
      ).then(() => true, () => false);
      await sleep(6000); // past a rescan and a retry (every 5 s) while still read-only
      const aliveWhileLocked = await Promise.race([
        orchestrator.exited.then(() => false),
        sleep(0).then(() => true),
      ]);
      const lines = orchestrator.output().split("\n").filter((l) => /Permission denied/.test(l));
      const sentWhileLocked = server.requests.length;

      const unlocked = await run("chmod", ["-R", "u+w", vault.path]);
      if (!unlocked.ok) throw new Error(`chmod -R u+w failed: ${unlocked.stderr}`);
      const unlockedAt = Date.now();
      context.progress(
        `read-only for ${((unlockedAt - lockedAt) / 1000).toFixed(1)} s, writable again`,
      );
      const recovered = await waitFor(
        async () => {
          const waiting = (await visibleFiles(vault.file("Inbox"))).length +
            (await visibleFiles(vault.file("Approved"))).length +
            (await entriesIn(vault.file(".aiemp", "inflight"))).length +
            (await entriesIn(vault.file(".aiemp", "inbox-claims"))).length;
          return waiting === 0 &&
            (await visibleFiles(vault.file("Needs_Action"))).length === drops &&
            (await visibleFiles(vault.file("Done"))).length === approvals;
        },
        "every drop and approval dealt with",
        30_000,
      ).then(() => true, () => false);
      const recoveryMs = Date.now() - unlockedAt;
      const status = await waitFor(
        async () => {
          const now = await statusOf(vault);
          return now.alerts.length === 0 && now;
        },
        "the alerts cleared",
        10_000,
      ).catch(() => undefined);
      const health = await aiemp(["health", "--vault", vault.path], user.env, as);
      const byKey = server.byKey();
      const notOnce = [...Array(approvals).keys()].map((i) => `WEBHOOK_ro_${i + 1}`)
        .filter((id) => byKey.get(id) !== 1);
      const broken = await damaged(vault);
      const code = await orchestrator.stop();
      const temps = await leftoverTempFiles(vault.path);
      const checks: Check[] = [
        check(
          "a clear message while read-only, naming the fix",
          said,
          lines.length ? `${lines.length} line(s), e.g. ${lines[0].trim()}` : "none",
        ),
        check(
          "aiemp kept running and sent nothing it could not record",
          aliveWhileLocked && sentWhileLocked === 0,
          `${sentWhileLocked} requests while read-only`,
        ),
        check(
          "writable again → every drop gets its note and every approval is sent once, without a restart",
          recovered && notOnce.length === 0,
          `${drops} drops, ${approvals} approvals; ${
            recovered ? `caught up ${recoveryMs} ms after chmod u+w` : "not caught up in 30 s"
          }${notOnce.length ? `; not sent once: ${sample(notOnce)}` : ""}`,
        ),
        check(
          "alerts cleared and healthy afterwards (aiemp health exits 0); nothing damaged or left over",
          status !== undefined && health.code === 0 && broken.length === 0 && temps.length === 0,
          [
            status === undefined ? "an alert stayed" : "",
            health.code === 0 ? "" : health.stdout.trim(),
            ...broken,
            ...temps,
          ].filter(Boolean).join("; ") || undefined,
        ),
        check("aiemp stops cleanly afterwards (exit 0)", code === 0, `exit ${code}`),
      ];
      return {
        injected: [
          `chmod -R a-w on the vault of an orchestrator running as 'nobody' for ${
            ((unlockedAt - lockedAt) / 1000).toFixed(1)
          } s, while ${drops} files dropped and ${approvals} approvals arrived; then chmod -R u+w`,
        ],
        checks,
      };
    } finally {
      await orchestrator?.stop("SIGKILL");
      await server.close();
      await run("chmod", ["-R", "u+w", parent]);
      await Deno.remove(parent, { recursive: true }).catch(() => {});
    }
  },
};
