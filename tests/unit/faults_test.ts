/**
 * Regression tests for the defects `deno task chaos` found: a deleted lock file, the leftovers of
 * interrupted writes, and work on a full disk. The full-disk tests need a tiny tmpfs (root on
 * Linux) and are ignored where the machine cannot mount one.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { ApprovedItem } from "../../src/actions/mod.ts";
import { createAuditLog } from "../../src/audit/mod.ts";
import { loadConfig } from "../../src/config/mod.ts";
import {
  createDispatcher,
  executeApproved,
  type ExecutionOutcome,
} from "../../src/executor/mod.ts";
import { StatusBoard } from "../../src/orchestrator/board.ts";
import { readState } from "../../src/orchestrator/state.ts";
import {
  acquireVaultLock,
  heldUpWork,
  initVault,
  listNames,
  parseNote,
  removeInterruptedWrites,
  storageProblemOf,
  vaultLayout,
  VaultLockedError,
  writeFileAtomic,
} from "../../src/vault/mod.ts";
import { createInboxWatcher } from "../../src/watchers/inbox/inbox.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aiemp_faults_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Polls `probe` every 10 ms until it is true; fails after `timeoutMs`. */
async function until(probe: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

// ---------------------------------------------------------------------------------------------
// The lock file deleted under a running orchestrator

const owner = (pid: number) => ({ pid, started: "2026-01-01T00:00:00.000Z" });

// Found by `deno task chaos` (scenario 4): the lock lives on the file, so once `.aiemp/lock` was
// deleted, a second orchestrator created and locked a new file and ran beside the first.
Deno.test("keep() puts a deleted lock file back at once, so a second orchestrator is still refused", async () => {
  await withTempDir(async (dir) => {
    const lockPath = join(dir, "lock");
    const lock = await acquireVaultLock(lockPath, dir, owner(4242));
    const keeping = new AbortController();
    let recreated = 0;
    const kept = lock.keep(keeping.signal, {
      onRecreated: () => recreated++,
      onLost: () => assert.fail("the lock was not lost"),
      checkMs: 50,
    });
    try {
      await Deno.remove(lockPath);
      await until(() => recreated === 1, "the lock file re-created");
      await assert.rejects(
        () => acquireVaultLock(lockPath, dir, owner(5151)),
        (error: unknown) => error instanceof VaultLockedError && error.owner?.pid === 4242,
      );
      assert.deepEqual(JSON.parse(await Deno.readTextFile(lockPath)), owner(4242));
    } finally {
      keeping.abort();
      await kept;
      lock.release();
    }
  });
});

Deno.test("keep() reports the lock lost when another process locked the re-created file first", async () => {
  await withTempDir(async (dir) => {
    const lockPath = join(dir, "lock");
    const lock = await acquireVaultLock(lockPath, dir, owner(4242));
    await Deno.remove(lockPath);
    const other = await acquireVaultLock(lockPath, dir, owner(5151));
    const keeping = new AbortController();
    let lostTo: number | undefined;
    const kept = lock.keep(keeping.signal, {
      onRecreated: () => assert.fail("it cannot be re-created"),
      onLost: (holder) => lostTo = holder?.pid,
      checkMs: 20,
    });
    try {
      await until(() => lostTo !== undefined, "the loss reported");
      assert.equal(lostTo, 5151);
    } finally {
      keeping.abort();
      await kept;
      lock.release();
      other.release();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Interrupted atomic writes

Deno.test("writeFileAtomic() whose rename fails removes its temporary file and leaves the target alone", async () => {
  await withTempDir(async (dir) => {
    const target = join(dir, "note.md");
    await Deno.mkdir(target);
    await Deno.writeTextFile(join(target, "inside"), "kept");
    await assert.rejects(() => writeFileAtomic(target, "new text"));
    assert.deepEqual(await listNames(dir, { includeHidden: true }), ["note.md"]);
    assert.equal(await Deno.readTextFile(join(target, "inside")), "kept");
  });
});

Deno.test("removeInterruptedWrites() removes only the temporary files of atomic writes", async () => {
  await withTempDir(async (dir) => {
    const names = [
      ".Dashboard.md.0a1b2c3d.tmp", // an atomic write of Dashboard.md
      ".state.json.deadbeef.tmp", // of state.json
      ".env", // the owner's
      "report.tmp", // a visible download
      ".notes.md.tmp", // no id
      ".draft.md.XYZ12345.tmp", // not hex
    ];
    for (const name of names) await Deno.writeTextFile(join(dir, name), "x");
    assert.deepEqual(
      await removeInterruptedWrites(dir, { targets: ["Dashboard.md"] }),
      [".Dashboard.md.0a1b2c3d.tmp"],
    );
    assert.deepEqual(await removeInterruptedWrites(dir), [".state.json.deadbeef.tmp"]);
    assert.deepEqual(
      await listNames(dir, { includeHidden: true }),
      [".draft.md.XYZ12345.tmp", ".env", ".notes.md.tmp", "report.tmp"],
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Storage problems: what they are, and the alert that follows them

Deno.test("storageProblemOf() names a full disk, a read-only vault and a denied write, with the fix", () => {
  const error = (code: string) => Object.assign(new Error(code), { code });
  assert.deepEqual(storageProblemOf(error("ENOSPC")), {
    what: "the disk is full (No space left on device)",
    fix: "free disk space",
  });
  assert.match(storageProblemOf(error("EROFS"))!.what, /read-only/);
  assert.match(storageProblemOf(error("EACCES"))!.fix, /chmod -R u\+w/);
  assert.equal(storageProblemOf(error("ENOENT")), undefined);
  assert.equal(storageProblemOf(new Error("boom")), undefined);
});

Deno.test("heldUpWork() raises one alert while anything is held up and clears it when all went through", () => {
  const alerts: string[] = [];
  const held = heldUpWork<number>(
    (text) => alerts.push(text),
    (problem, waiting) => `${waiting} held: ${problem.fix}`,
  );
  const full = { what: "the disk is full", fix: "free disk space" };
  assert.equal(held.hold("a", full, 1), true);
  assert.equal(held.hold("a", full, 1), false, "held already");
  held.hold("b", full, 2);
  assert.deepEqual(held.held(), [["a", 1], ["b", 2]]);
  held.release("a");
  held.release("b");
  assert.deepEqual(alerts, [
    "1 held: free disk space",
    "2 held: free disk space",
    "1 held: free disk space",
    "",
  ]);
});

Deno.test("the board reports a failed write once, tries again by itself, and says when it works again", async () => {
  await withTempDir(async (root) => {
    await initVault(root);
    const layout = vaultLayout(root);
    const board = new StatusBoard(
      layout,
      loadConfig("dashboard:\n  refresh_ms: 10\n", {}),
      await readState(layout.state),
    );
    const reports: unknown[] = [];
    board.onWriteProblem = (error) => reports.push(error);
    // A folder where Dashboard.md should be: every write fails until it goes.
    await Deno.remove(layout.dashboard);
    await Deno.mkdir(layout.dashboard);
    await assert.rejects(() => board.flush());
    await assert.rejects(() => board.flush());
    assert.equal(reports.length, 1, "reported once, not at every attempt");
    await Deno.remove(layout.dashboard);
    await until(() => reports.length === 2, "a retry that works", 5000);
    assert.equal(reports[1], undefined);
    assert.match(await Deno.readTextFile(layout.dashboard), /aiemp:end/);
  });
});

// ---------------------------------------------------------------------------------------------
// An attempt that cannot be recorded is not made

const WEBHOOK_ITEM = (url: string): ApprovedItem => ({
  id: "hook-1",
  action: "webhook",
  fileName: "WEBHOOK_hook.md",
  frontMatter: { id: "hook-1", action: "webhook", url },
  body: "Deploy.\n",
});

/** A loopback receiver counting requests. */
function receiver() {
  let count = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => {
      count++;
      return Response.json({ id: "r-1" });
    },
  );
  return { url: `http://127.0.0.1:${server.addr.port}/hook`, count: () => count, server };
}

// Found by `deno task chaos` (scenario 3): an audit log that could not be written turned an
// attempt into a failure — before sending (the item was rejected though nothing was wrong with
// it) and after sending (a webhook that went out was reported as failed).
Deno.test("executeApproved() sends nothing when the start cannot be recorded, and reports what was sent when its end cannot", async () => {
  await withTempDir(async (dir) => {
    const remote = receiver();
    try {
      const full = Object.assign(new Error("No space left on device (os error 28)"), {
        code: "ENOSPC",
      });
      const options = (failOn: string) => ({
        settings: { webhooks: {}, userAgent: "aiemp-test" },
        audit: {
          append: (entry: { event: string }) =>
            entry.event === failOn
              ? Promise.reject(full)
              : createAuditLog(join(dir, "audit.jsonl")).append(entry),
        },
        dryRun: false,
        timeoutMs: 10_000,
      });
      const before = await executeApproved(WEBHOOK_ITEM(remote.url), 1, options("started"));
      assert.equal(before.ok, false);
      assert.deepEqual(before.ok ? undefined : before.notStarted, {
        what: "the disk is full (No space left on device)",
        fix: "free disk space",
      });
      assert.equal(remote.count(), 0, "nothing sent without a record of it");
      const after = await executeApproved(WEBHOOK_ITEM(remote.url), 1, options("done"));
      assert.equal(after.ok, true, "what was sent is reported as sent");
      assert.equal(remote.count(), 1);
    } finally {
      await remote.server.shutdown();
    }
  });
});

Deno.test("an attempt that could not be recorded does not count: the item waits, alerted, and goes through on a retry", async () => {
  await withTempDir(async (root) => {
    await initVault(root);
    const layout = vaultLayout(root);
    const notStarted: ExecutionOutcome = {
      ok: false,
      retryable: true,
      reason: "cannot record the attempt in the audit log",
      notStarted: { what: "the disk is full (No space left on device)", fix: "free disk space" },
    };
    const outcomes: ExecutionOutcome[] = [notStarted, { ok: true, remoteId: "r-1" }];
    const attempts: number[] = [];
    const alerts: string[] = [];
    const dispatcher = createDispatcher({
      layout,
      maxRetries: 3,
      retryDelayMs: 0,
      settleMs: 0,
      execute: (_item, attempt) => {
        attempts.push(attempt);
        return Promise.resolve(outcomes.shift()!);
      },
      record: () => {},
      alert: (text) => alerts.push(text),
    });
    const path = join(layout.folder("Approved"), "WEBHOOK_hook.md");
    await Deno.writeTextFile(path, "---\nid: hook-1\nurl: https://example.com/x\n---\nGo.\n");
    await dispatcher.handleApproved(path);
    assert.deepEqual(await listNames(layout.inflight), [
      "WEBHOOK_hook.md",
      "WEBHOOK_hook.md.state.json",
    ]);
    assert.match(alerts.at(-1)!, /held up: the disk is full .*; free disk space/);
    await dispatcher.retryHeldUp();
    assert.deepEqual(attempts, [1, 1], "the attempt that never began is made again as attempt 1");
    assert.deepEqual(await listNames(layout.folder("Done")), ["WEBHOOK_hook.md"]);
    assert.equal(alerts.at(-1), "", "the alert is cleared");
  });
});

// ---------------------------------------------------------------------------------------------
// A full disk (a tiny tmpfs; ignored where the machine cannot mount one)

async function tryMount(dir: string): Promise<boolean> {
  if (Deno.build.os !== "linux" || Deno.uid() !== 0) return false;
  try {
    const mount = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "size=512k", "tmpfs", dir],
      stdout: "null",
      stderr: "null",
    }).output();
    return mount.success;
  } catch {
    return false;
  }
}

async function unmount(dir: string): Promise<void> {
  await new Deno.Command("umount", { args: ["-l", dir], stdout: "null", stderr: "null" }).output();
}

const canMount = await (async () => {
  const dir = await Deno.makeTempDir({ prefix: "aiemp_mount_probe_" });
  const ok = await tryMount(dir);
  if (ok) await unmount(dir);
  await Deno.remove(dir);
  return ok;
})();

/** Runs `fn` with a vault on a 512 KB tmpfs, and functions to fill it up and to free it. */
async function withTinyDisk(
  fn: (root: string, disk: { fill(): Promise<void>; free(): Promise<void> }) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aiemp_full_disk_" });
  if (!(await tryMount(dir))) throw new Error("cannot mount a tmpfs");
  const filler = join(dir, "filler");
  try {
    const root = join(dir, "vault");
    await initVault(root);
    await fn(root, {
      async fill() {
        using file = await Deno.open(filler, { write: true, create: true, append: true });
        for (const size of [65536, 4096, 1]) {
          try {
            for (;;) await file.write(new Uint8Array(size));
          } catch { /* full at this size */ }
        }
      },
      free: () => Deno.remove(filler),
    });
  } finally {
    await unmount(dir);
    await Deno.remove(dir, { recursive: true });
  }
}

// Found by `deno task chaos` (scenario 3): on a full disk a drop's note could not be written and
// waited in .aiemp/inbox-claims/ until the next start, with no alert; freeing space changed nothing.
Deno.test({
  name:
    "a drop whose note cannot be written on a full disk waits, alerted, and gets its note once space is freed",
  ignore: !canMount,
  async fn() {
    await withTinyDisk(async (root, disk) => {
      const layout = vaultLayout(root);
      const alerts: string[] = [];
      const inbox = createInboxWatcher({
        layout,
        settleMs: 0,
        maxFileMb: 1,
        previewChars: 200,
        alert: (text) => alerts.push(text),
      });
      const drop = join(layout.folder("Inbox"), "report.txt");
      await Deno.writeTextFile(drop, "quarterly figures\n".repeat(50));
      await disk.fill();
      await inbox.handleDrop(drop);
      assert.deepEqual(await listNames(layout.folder("Needs_Action")), ["attachments"]);
      assert.deepEqual(await listNames(layout.folder("Needs_Action"), { includeHidden: true }), [
        "attachments",
      ], "no half-written note or temporary file");
      assert.equal((await listNames(layout.inboxClaims)).length, 1, "the file waits in its claim");
      assert.match(
        alerts.at(-1)!,
        /Dropped files are held up: the disk is full .*; free disk space/,
      );
      await disk.free();
      await inbox.retryHeldUp();
      const [note] = (await listNames(layout.folder("Needs_Action"))).filter((n) =>
        n.endsWith(".md")
      );
      const { frontMatter } = parseNote(
        await Deno.readTextFile(join(layout.folder("Needs_Action"), note)),
      );
      assert.equal(frontMatter.original_name, "report.txt");
      assert.deepEqual(await listNames(layout.inboxClaims), []);
      assert.equal(alerts.at(-1), "");
    });
  },
});

// Found by `deno task chaos` (scenario 3): an approved item that could not be recorded on a full
// disk stayed in .aiemp/inflight/ until the next start, with no alert.
Deno.test({
  name:
    "an approval that cannot be recorded on a full disk is not sent; it waits, alerted, and is sent once space is freed",
  ignore: !canMount,
  async fn() {
    await withTinyDisk(async (root, disk) => {
      const layout = vaultLayout(root);
      const alerts: string[] = [];
      let sent = 0;
      const dispatcher = createDispatcher({
        layout,
        maxRetries: 3,
        retryDelayMs: 0,
        settleMs: 0,
        execute: () => {
          sent++;
          return Promise.resolve({ ok: true, remoteId: "r-1" });
        },
        record: () => {},
        alert: (text) => alerts.push(text),
      });
      const path = join(layout.folder("Approved"), "WEBHOOK_hook.md");
      await Deno.writeTextFile(path, "---\nid: hook-1\nurl: https://example.com/x\n---\nGo.\n");
      await disk.fill();
      await dispatcher.handleApproved(path);
      assert.equal(sent, 0, "nothing is sent that could not be recorded first");
      assert.deepEqual(await listNames(layout.inflight, { includeHidden: true }), [
        "WEBHOOK_hook.md",
      ]);
      assert.match(
        alerts.at(-1)!,
        /Approved items are held up: the disk is full .*; free disk space/,
      );
      await disk.free();
      await dispatcher.retryHeldUp();
      assert.equal(sent, 1);
      assert.deepEqual(await listNames(layout.folder("Done")), ["WEBHOOK_hook.md"]);
      assert.equal(alerts.at(-1), "");
    });
  },
});
