/**
 * Scenario 1: the orchestrator is SIGKILLed at random moments — during start-up, while it claims
 * files, and exactly while a webhook request is on the wire — as approvals stream in and files drop
 * into Inbox/. Afterwards (and one clean start that lets recovery finish) nothing was sent twice,
 * nothing was lost, nothing was duplicated and nothing was left half done.
 * @module
 */
import { join } from "node:path";
import {
  isRecordedPending,
  makeVault,
  startAiemp,
  type TestVault,
  waitFor,
  webhookRequest,
} from "../tests/e2e/_harness.ts";
import { type ChaosContext, type Check, check, sample, type Scenario } from "./_scenario.ts";
import {
  type CountingServer,
  countingServer,
  entriesIn,
  incompleteNote,
  leftoverTempFiles,
  notesIn,
  sleep,
  visibleFiles,
} from "./_tools.ts";

/** Marks the external watcher's processes, so leftovers can be counted with `ps`. */
const MARKER = `aiemp-chaos-watcher-${crypto.randomUUID().slice(0, 8)}`;

const SETTINGS = [
  "inbox:",
  "  settle_ms: 100",
  "approvals:",
  "  retry_delay_s: 0",
  "dashboard:",
  "  refresh_ms: 200",
  "scheduler:",
  "  enabled: false",
  // An external watcher outlives a SIGKILLed orchestrator; the next start must stop it first.
  "watchers:",
  "  - name: sidecar",
  "    command: sh",
  `    args: ["-c", "trap 'exit 0' TERM; while :; do sleep 0.05; done", "${MARKER}"]`,
  "    grace_s: 1",
].join("\n") + "\n";

/** The PIDs of this run's external watcher processes that are alive. */
async function watcherPids(): Promise<number[]> {
  const out = await new Deno.Command("ps", { args: ["-eo", "pid=,stat=,args="] }).output();
  return new TextDecoder().decode(out.stdout).split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([, stat, ...args]) => !stat?.startsWith("Z") && args.includes(MARKER))
    .map(([pid]) => Number(pid));
}

async function watchersRunning(): Promise<number> {
  return (await watcherPids()).length;
}

/** What the producer put into the vault. */
interface Produced {
  /** Dropped file name → its content. */
  drops: Map<string, string>;
  /** Approved item id → whether it is declared idempotent. */
  approvals: Map<string, boolean>;
}

/** The SIGKILL scenario: 100 kills (5 with `--quick`). */
export const killOrchestrator: Scenario = {
  id: "1 kill-orchestrator",
  title: "SIGKILL the orchestrator at random moments while approvals stream in and files drop",
  quick: true,
  async run(context) {
    const kills = context.quick ? 5 : 100;
    // Answers take 0–20 ms, so a kill often lands while a request is on the wire.
    const server = countingServer(() => context.random() * 20);
    const vault = await makeVault(SETTINGS);
    const produced: Produced = { drops: new Map(), approvals: new Map() };
    const stopProducing = new AbortController();
    const producer = produce(vault, server, produced, context.random, stopProducing.signal);
    try {
      const moments = await killRepeatedly(vault, server, kills, context);
      stopProducing.abort();
      await producer;
      context.progress("final clean start: recovery runs to the end");
      const final = await startAiemp(vault.path);
      await waitFor(
        () => settled(vault, produced),
        "every drop and approval to be dealt with",
        60_000,
      ).catch(() => {});
      const watchersWhileRunning = await watchersRunning();
      const exitCode = await final.stop("SIGTERM");
      const watchersAfter = await watchersRunning();
      const checks = await verify(vault, server, produced);
      checks.push(check(
        "the external watcher never runs twice: one while aiemp runs, none after it stopped",
        watchersWhileRunning === 1 && watchersAfter === 0,
        `${watchersWhileRunning} running at the end, ${watchersAfter} after the stop`,
      ));
      checks.push(
        check("the final clean start and stop exit 0", exitCode === 0, `exit ${exitCode}`),
      );
      return {
        injected: [
          `${kills} SIGKILLs of the orchestrator: ${moments.timed} at a random moment ` +
          `(${moments.minMs}–${moments.maxMs} ms after spawn, start-up included), ` +
          `${moments.midRequest} while a webhook request was on the wire`,
          `meanwhile ${produced.approvals.size} approvals (` +
          `${[...produced.approvals.values()].filter(Boolean).length} declared idempotent) ` +
          `and ${produced.drops.size} files dropped into Inbox/`,
        ],
        checks,
      };
    } finally {
      stopProducing.abort();
      await producer.catch(() => {});
      for (const pid of await watcherPids()) {
        try {
          Deno.kill(pid, "SIGKILL"); // left by a failed run: ours, found by their marker
        } catch { /* gone */ }
      }
      await server.close();
      await vault.cleanup();
    }
  },
};

/** Starts and SIGKILLs the orchestrator `kills` times; returns where the kills landed. */
async function killRepeatedly(
  vault: TestVault,
  server: CountingServer,
  kills: number,
  context: ChaosContext,
) {
  const moments = { timed: 0, midRequest: 0, minMs: Infinity, maxMs: 0 };
  for (let i = 1; i <= kills; i++) {
    const spawned = Date.now();
    const run = await startAiemp(vault.path, [], { waitReady: false });
    // Every third kill waits for a request on the wire; the others land at a random moment.
    const midRequest = i % 3 === 2;
    if (midRequest) {
      // Killed the moment a request reaches the remote, before it is answered.
      const hit = new Promise<boolean>((resolve) =>
        server.onNextRequest(async () => {
          await run.stop("SIGKILL");
          resolve(true);
        })
      );
      const landed = await Promise.race([hit, sleep(4000).then(() => false)]);
      server.onNextRequest(async () => {});
      if (landed) moments.midRequest++;
      else moments.timed++;
    } else {
      await Promise.race([sleep(context.random() * 1500), run.exited]);
      moments.timed++;
    }
    const lived = Date.now() - spawned;
    moments.minMs = Math.min(moments.minMs, lived);
    moments.maxMs = Math.max(moments.maxMs, lived);
    await run.stop("SIGKILL");
    if (i % 10 === 0 || i === kills) context.progress(`${i}/${kills} kills`);
  }
  return moments;
}

/** Drops files and approves webhook items at random intervals until `signal` aborts. */
async function produce(
  vault: TestVault,
  server: CountingServer,
  produced: Produced,
  random: () => number,
  signal: AbortSignal,
): Promise<void> {
  let n = 0;
  while (!signal.aborted) {
    n++;
    if (random() < 0.5) {
      const name = `drop ${n}.txt`;
      const content = `chaos drop ${n} ${random().toString(36).slice(2)}\n`;
      produced.drops.set(name, content);
      await Deno.writeTextFile(vault.file("Inbox", name), content);
    } else {
      const id = `WEBHOOK_chaos_${n}`;
      const idempotent = random() < 0.25;
      const name = `${id}.md`;
      await Deno.writeTextFile(
        vault.file("Pending_Approval", name),
        webhookRequest(id, `${server.url}/chaos`, idempotent ? "idempotent: true\n" : ""),
      );
      // The owner approves what aiemp has shown as pending; aiemp may be down a while (killed).
      if (!(await recordedAsPending(vault, name, signal))) {
        // Stopped before the owner could approve it: it was never part of the run.
        await Deno.remove(vault.file("Pending_Approval", name));
        break;
      }
      produced.approvals.set(id, idempotent);
      await Deno.rename(vault.file("Pending_Approval", name), vault.file("Approved", name));
    }
    await sleep(20 + random() * 60);
  }
}

/** Waits until aiemp has recorded `name` as pending; false when `signal` stopped the wait first. */
async function recordedAsPending(
  vault: TestVault,
  name: string,
  signal: AbortSignal,
): Promise<boolean> {
  while (!signal.aborted) {
    if (await isRecordedPending(vault, name)) return true;
    await sleep(25);
  }
  return false;
}

/** True once nothing waits in Inbox/, Approved/ or aiemp's own work folders, and all is filed. */
async function settled(vault: TestVault, produced: Produced): Promise<boolean> {
  const waiting = [
    ...await visibleFiles(vault.file("Inbox")),
    ...await visibleFiles(vault.file("Approved")),
    ...await entriesIn(vault.file(".aiemp", "inflight")),
    ...await entriesIn(vault.file(".aiemp", "inbox-claims")),
  ];
  if (waiting.length > 0) return false;
  const notes = (await visibleFiles(vault.file("Needs_Action"))).length;
  const filed = (await visibleFiles(vault.file("Done"))).length +
    (await visibleFiles(vault.file("Pending_Approval"))).length +
    (await visibleFiles(vault.file("Rejected"))).length;
  return notes >= produced.drops.size && filed >= produced.approvals.size;
}

async function verify(
  vault: TestVault,
  server: CountingServer,
  produced: Produced,
): Promise<Check[]> {
  const checks: Check[] = [];
  const sent = server.byKey();

  // At most once: a key seen twice is an action performed twice (unless the item said the remote
  // honours its key, when a retry after a crash is the design).
  const twice = [...produced.approvals].filter(([id, idem]) => !idem && (sent.get(id) ?? 0) > 1);
  const idempotentRetries =
    [...produced.approvals].filter(([id, idem]) => idem && (sent.get(id) ?? 0) > 1).length;
  checks.push(check(
    "every approved item was executed at most once (requests per Idempotency-Key)",
    twice.length === 0,
    twice.length
      ? `sent more than once: ${sample(twice.map(([id]) => `${id} ×${sent.get(id)}`))}`
      : `${sent.size} keys received, none twice among non-idempotent items; ` +
        `${idempotentRetries} idempotent items retried after a crash (the remote dedupes)`,
  ));

  // None silently lost: each item is in Done/ (and was sent) or back in Pending_Approval/ marked.
  const where = new Map<string, string[]>();
  const note = (id: string, place: string) => where.set(id, [...(where.get(id) ?? []), place]);
  const done = await notesIn(vault.file("Done"));
  for (const item of done) note(String(item.note?.frontMatter.id ?? item.name), "Done");
  const pending = await notesIn(vault.file("Pending_Approval"));
  const unmarked: string[] = [];
  for (const item of pending) {
    const id = String(item.note?.frontMatter.id ?? item.name);
    note(id, "Pending_Approval");
    if (item.note?.frontMatter.interrupted !== "may have been sent") unmarked.push(id);
  }
  const lost = [...produced.approvals.keys()].filter((id) => !where.has(id));
  const doubled = [...where].filter(([, places]) => places.length > 1).map(([id]) => id);
  const doneNotSent = done.filter((item) =>
    item.note?.frontMatter.outcome !== "sent" ||
    !sent.has(String(item.note?.frontMatter.id))
  ).map((item) => item.name);
  checks.push(check(
    "every approved item is in Done/ or back in Pending_Approval/ marked 'interrupted: may have been sent'",
    lost.length === 0 && unmarked.length === 0 && doubled.length === 0 && doneNotSent.length === 0,
    [
      `${done.length} in Done/, ${pending.length} interrupted in Pending_Approval/ ` +
      `(${pending.filter((p) => sent.has(String(p.note?.frontMatter.id))).length} of them had ` +
      "reached the remote)",
      lost.length ? `lost: ${sample(lost)}` : "",
      unmarked.length ? `in Pending_Approval/ unmarked: ${sample(unmarked)}` : "",
      doubled.length ? `filed twice: ${sample(doubled)}` : "",
      doneNotSent.length ? `in Done/ but never received: ${sample(doneNotSent)}` : "",
    ].filter(Boolean).join("; "),
  ));

  // Exactly one task note per dropped file, its original kept with the same content.
  const notes = await notesIn(vault.file("Needs_Action"));
  const byName = new Map<string, typeof notes>();
  for (const read of notes) {
    const name = String(read.note?.frontMatter.original_name ?? "");
    byName.set(name, [...(byName.get(name) ?? []), read]);
  }
  const missing: string[] = [];
  const duplicated: string[] = [];
  const badOriginal: string[] = [];
  for (const [name, content] of produced.drops) {
    const found = byName.get(name) ?? [];
    if (found.length === 0) missing.push(name);
    if (found.length > 1) duplicated.push(`${name} ×${found.length}`);
    const attachment = found[0]?.note?.frontMatter.attachment;
    const kept = typeof attachment === "string"
      ? await Deno.readTextFile(vault.file(attachment)).catch(() => undefined)
      : undefined;
    if (found.length > 0 && kept !== content) badOriginal.push(name);
  }
  const strangers = [...byName.keys()].filter((name) => !produced.drops.has(name));
  checks.push(check(
    "every dropped file has exactly one task note, and its original is kept unchanged",
    missing.length + duplicated.length + badOriginal.length + strangers.length === 0,
    [
      `${produced.drops.size} drops, ${notes.length} notes`,
      missing.length ? `no note: ${sample(missing)}` : "",
      duplicated.length ? `several notes: ${sample(duplicated)}` : "",
      badOriginal.length ? `original missing or changed: ${sample(badOriginal)}` : "",
      strangers.length ? `notes for no drop: ${sample(strangers)}` : "",
    ].filter(Boolean).join("; "),
  ));

  const broken = [...notes, ...done, ...pending].map(incompleteNote).filter(Boolean);
  checks.push(check(
    "every note parses and is complete",
    broken.length === 0,
    broken.length ? sample(broken) : `${notes.length + done.length + pending.length} notes`,
  ));

  const stuck = [
    ...(await entriesIn(vault.file(".aiemp", "inflight"))).map((e) => `inflight/${e.name}`),
    ...(await entriesIn(vault.file(".aiemp", "inbox-claims"))).map((e) => `inbox-claims/${e.name}`),
    ...(await visibleFiles(vault.file("Inbox"))).map((name) => `Inbox/${name}`),
    ...(await visibleFiles(vault.file("Approved"))).map((name) => `Approved/${name}`),
  ];
  checks.push(check(
    "nothing stuck in .aiemp/inflight/, .aiemp/inbox-claims/, Inbox/ or Approved/",
    stuck.length === 0,
    stuck.length ? sample(stuck) : undefined,
  ));
  const rejected = await entriesIn(vault.file("Rejected"));
  checks.push(check(
    "no junk in Rejected/ (every item was valid)",
    rejected.length === 0,
    rejected.length ? sample(rejected.map((e) => e.name)) : undefined,
  ));
  const temps = await leftoverTempFiles(vault.path);
  checks.push(check(
    "no temporary files of interrupted writes left in the vault",
    temps.length === 0,
    temps.length ? `${temps.length}: ${sample(temps)}` : undefined,
  ));
  const attachments = await visibleFiles(join(vault.path, "Needs_Action", "attachments"));
  checks.push(check(
    "one kept original per drop in Needs_Action/attachments/",
    attachments.length === produced.drops.size,
    `${attachments.length} originals for ${produced.drops.size} drops`,
  ));
  return checks;
}
