import assert from "node:assert/strict";
import { join } from "node:path";
import type { ApprovedItem } from "../../src/actions/mod.ts";
import {
  createDispatcher,
  type Dispatcher,
  type DispatcherOptions,
  type ExecutionOutcome,
} from "../../src/executor/mod.ts";
import {
  initVault,
  listNames,
  parseNote,
  readSection,
  type VaultFolder,
  type VaultLayout,
  vaultLayout,
} from "../../src/vault/mod.ts";

type AuditEntry = Parameters<DispatcherOptions["record"]>[0];

/** A fake `execute`: hands out the scripted outcomes in turn and remembers every call. */
class ScriptedExecutor {
  calls: { item: ApprovedItem; attempt: number }[] = [];
  constructor(private outcomes: ExecutionOutcome[]) {}
  execute = (item: ApprovedItem, attempt: number): Promise<ExecutionOutcome> => {
    this.calls.push({ item, attempt });
    const outcome = this.outcomes.shift();
    if (!outcome) throw new Error(`execute called more often than scripted (attempt ${attempt})`);
    return Promise.resolve(outcome);
  };
}

interface Fixture {
  layout: VaultLayout;
  dispatcher: Dispatcher;
  executor: ScriptedExecutor;
  records: AuditEntry[];
  /** Writes a file into Approved/ and returns its path. */
  approve(name: string, text: string): Promise<string>;
  /** Reads a file from a folder. */
  read(folder: VaultFolder, name: string): Promise<string>;
  names(folder: VaultFolder): Promise<string[]>;
}

const NOW = new Date("2026-03-10T12:00:00.000Z");

async function withDispatcher(
  outcomes: ExecutionOutcome[],
  fn: (fixture: Fixture) => Promise<void>,
  maxRetries = 3,
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "aiemp_executor_test_" });
  try {
    await initVault(root);
    const layout = vaultLayout(root);
    const executor = new ScriptedExecutor(outcomes);
    const records: AuditEntry[] = [];
    const dispatcher = createDispatcher({
      layout,
      maxRetries,
      retryDelayMs: 0,
      settleMs: 0,
      execute: executor.execute,
      record: (entry) => records.push(entry),
      now: () => NOW,
    });
    await fn({
      layout,
      dispatcher,
      executor,
      records,
      async approve(name, text) {
        const path = join(layout.folder("Approved"), name);
        await Deno.writeTextFile(path, text);
        return path;
      },
      read: (folder, name) => Deno.readTextFile(join(layout.folder(folder), name)),
      names: (folder) => listNames(layout.folder(folder)),
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

const WEBHOOK_NOTE = [
  "---",
  "id: hook-1",
  "type: approval_request",
  "action: webhook",
  "url: https://hooks.example.com/deploy",
  "---",
  "# Deploy",
  "",
  "Please deploy v2.",
  "",
].join("\n");

const ok = (remoteId = "rem-42"): ExecutionOutcome => ({ ok: true, remoteId, detail: "HTTP 200" });
const retryable = (reason = "HTTP 503"): ExecutionOutcome => ({
  ok: false,
  retryable: true,
  reason,
});

async function inflightNames(layout: VaultLayout): Promise<string[]> {
  return await listNames(layout.inflight);
}

// ---------------------------------------------------------------------------------------------
// Approved items

Deno.test("handleApproved() files a sent item in Done/ with its result, executing it once", async () => {
  await withDispatcher([ok()], async (f) => {
    await f.dispatcher.handleApproved(await f.approve("WEBHOOK_deploy.md", WEBHOOK_NOTE));
    assert.equal(f.executor.calls.length, 1);
    assert.equal(f.executor.calls[0].attempt, 1);
    assert.equal(f.executor.calls[0].item.id, "hook-1");
    assert.equal(f.executor.calls[0].item.action, "webhook");
    assert.deepEqual(await f.names("Approved"), []);
    assert.deepEqual(await f.names("Done"), ["WEBHOOK_deploy.md"]);
    assert.deepEqual(await inflightNames(f.layout), [], "nothing is left in .aiemp/inflight/");
    const text = await f.read("Done", "WEBHOOK_deploy.md");
    const note = parseNote(text);
    assert.equal(note.frontMatter.status, "done");
    assert.equal(note.frontMatter.outcome, "sent");
    assert.equal(note.frontMatter.attempts, 1);
    assert.equal(note.frontMatter.remote_id, "rem-42");
    assert.equal(note.frontMatter.url, "https://hooks.example.com/deploy", "fields are kept");
    assert.ok(note.body.startsWith("# Deploy\n\nPlease deploy v2.\n"), "the body is kept");
    assert.match(note.body, /## Result\n/);
    const result = readSection(text, "result");
    assert.ok(result?.includes("rem-42"), result);
  });
});

Deno.test("handleApproved() retries a retryable failure and records how many attempts it took", async () => {
  await withDispatcher([retryable(), retryable(), ok()], async (f) => {
    await f.dispatcher.handleApproved(await f.approve("WEBHOOK_deploy.md", WEBHOOK_NOTE));
    assert.deepEqual(f.executor.calls.map((c) => c.attempt), [1, 2, 3]);
    assert.deepEqual(await f.names("Done"), ["WEBHOOK_deploy.md"]);
    const note = parseNote(await f.read("Done", "WEBHOOK_deploy.md"));
    assert.equal(note.frontMatter.attempts, 3);
    assert.equal(note.frontMatter.outcome, "sent");
  });
});

Deno.test("handleApproved() rejects an item whose failure cannot be retried, with the error", async () => {
  await withDispatcher(
    [{ ok: false, retryable: false, reason: "the webhook answered HTTP 400: bad channel" }],
    async (f) => {
      await f.dispatcher.handleApproved(await f.approve("WEBHOOK_deploy.md", WEBHOOK_NOTE));
      assert.equal(f.executor.calls.length, 1);
      assert.deepEqual(await f.names("Done"), []);
      assert.deepEqual(await f.names("Rejected"), ["WEBHOOK_deploy.md"]);
      const note = parseNote(await f.read("Rejected", "WEBHOOK_deploy.md"));
      assert.equal(note.frontMatter.status, "rejected");
      assert.equal(note.frontMatter.outcome, "failed");
      assert.match(String(note.frontMatter.error), /HTTP 400: bad channel/);
      assert.match(String(readSection(note.body, "result")), /HTTP 400/);
    },
  );
});

Deno.test("handleApproved() gives up after maxRetries attempts of a retryable failure", async () => {
  await withDispatcher([retryable(), retryable(), retryable(), ok()], async (f) => {
    await f.dispatcher.handleApproved(await f.approve("WEBHOOK_deploy.md", WEBHOOK_NOTE));
    assert.equal(f.executor.calls.length, 3, "exactly maxRetries attempts");
    assert.deepEqual(await f.names("Rejected"), ["WEBHOOK_deploy.md"]);
    const note = parseNote(await f.read("Rejected", "WEBHOOK_deploy.md"));
    assert.equal(note.frontMatter.attempts, 3);
    assert.match(String(note.frontMatter.error), /503/);
  });
});

Deno.test("handleApproved() tries once when maxRetries is 1", async () => {
  await withDispatcher([retryable(), ok()], async (f) => {
    await f.dispatcher.handleApproved(await f.approve("WEBHOOK_deploy.md", WEBHOOK_NOTE));
    assert.equal(f.executor.calls.length, 1);
    assert.deepEqual(await f.names("Rejected"), ["WEBHOOK_deploy.md"]);
  }, 1);
});

Deno.test("handleApproved() lets an item over its rate limit wait for its slot, costing no attempt", async () => {
  const overLimit: ExecutionOutcome = {
    ok: false,
    retryable: true,
    reason: "over the rate limit: WhatsApp allows 30 replies an hour; the next slot is at 10:42",
    waitMs: 20,
  };
  // One attempt allowed: a wait that cost one would leave none for the send.
  await withDispatcher([overLimit, ok()], async (f) => {
    const stop = new AbortController();
    try {
      await f.dispatcher.handleApproved(
        await f.approve("WEBHOOK_deploy.md", WEBHOOK_NOTE),
        stop.signal,
      );
      assert.ok((await inflightNames(f.layout)).includes("WEBHOOK_deploy.md"), "it waits");
      for (let tries = 0; tries < 200 && (await f.names("Done")).length === 0; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.deepEqual(await f.names("Done"), ["WEBHOOK_deploy.md"]);
      assert.deepEqual(f.executor.calls.map((c) => c.attempt), [1, 1]);
      assert.equal(parseNote(await f.read("Done", "WEBHOOK_deploy.md")).frontMatter.attempts, 1);
    } finally {
      stop.abort();
    }
  }, 1);
});

Deno.test("an item a platform asked to wait hours is not attempted again before then, even by a new start", async () => {
  const twoHours = 2 * 3_600_000;
  await withDispatcher(
    [{ ok: false, retryable: true, reason: "X answered HTTP 429", waitMs: twoHours }, ok()],
    async (f) => {
      await f.approve("WEBHOOK_deploy.md", WEBHOOK_NOTE);
      await f.dispatcher.sweep();
      await f.dispatcher.sweep(); // as a new start would
      assert.equal(f.executor.calls.length, 1, "asked once; the second waits for its time");
      assert.ok((await inflightNames(f.layout)).includes("WEBHOOK_deploy.md"));
      const record = JSON.parse(
        await Deno.readTextFile(join(f.layout.inflight, "WEBHOOK_deploy.md.state.json")),
      );
      assert.equal(Date.parse(record.waitUntil) - NOW.getTime(), twoHours);
      assert.equal(record.attempts, 0, "the wait cost no attempt");
    },
  );
});

Deno.test("a single sweep leaves an item over its rate limit in .aiemp/inflight/ for the next start", async () => {
  await withDispatcher(
    [{ ok: false, retryable: true, reason: "over the rate limit", waitMs: 5 }],
    async (f) => {
      await f.approve("WEBHOOK_deploy.md", WEBHOOK_NOTE);
      await f.dispatcher.sweep();
      assert.equal(f.executor.calls.length, 1);
      assert.deepEqual(await f.names("Rejected"), []);
      assert.ok((await inflightNames(f.layout)).includes("WEBHOOK_deploy.md"));
    },
  );
});

Deno.test("handleApproved() rejects malformed front matter, keeping the text byte for byte", async () => {
  await withDispatcher([ok()], async (f) => {
    const original = "---\nid: broken\naction: webhook\nurl: [oops\n---\nBody ü\r\nend";
    await f.dispatcher.handleApproved(await f.approve("WEBHOOK_broken.md", original));
    assert.equal(f.executor.calls.length, 0);
    assert.deepEqual(await f.names("Rejected"), ["WEBHOOK_broken.md"]);
    const text = await f.read("Rejected", "WEBHOOK_broken.md");
    assert.ok(text.startsWith(original), "the original text is kept above the result");
    const appended = text.slice(original.length);
    assert.match(appended, /## Result/);
    assert.match(String(readSection(text, "result")), /malformed front matter/);
  });
});

Deno.test("handleApproved() rejects an action this version cannot perform, naming it", async () => {
  await withDispatcher([ok()], async (f) => {
    const text = "---\nid: t1\naction: teleport\n---\nBeam me up.\n";
    await f.dispatcher.handleApproved(await f.approve("note.md", text));
    assert.equal(f.executor.calls.length, 0);
    assert.deepEqual(await f.names("Rejected"), ["note.md"]);
    const note = parseNote(await f.read("Rejected", "note.md"));
    assert.match(String(note.frontMatter.error), /'teleport'/);
    assert.equal(note.frontMatter.outcome, "rejected");
  });
});

Deno.test("handleApproved() rejects an item whose action this version cannot perform, naming those it can", async () => {
  await withDispatcher([ok()], async (f) => {
    await f.dispatcher.handleApproved(
      await f.approve("TIKTOK_post.md", "---\nid: t1\naction: tiktok_post\n---\nHi\n"),
    );
    assert.equal(f.executor.calls.length, 0);
    const note = parseNote(await f.read("Rejected", "TIKTOK_post.md"));
    assert.match(String(note.frontMatter.error), /unknown action 'tiktok_post'.*linkedin_post/);
  });
});

Deno.test("handleApproved() rejects an item with neither an action: field nor a prefix", async () => {
  await withDispatcher([ok()], async (f) => {
    await f.dispatcher.handleApproved(await f.approve("plan.md", "---\nid: p1\n---\nA plan\n"));
    assert.equal(f.executor.calls.length, 0);
    assert.deepEqual(await f.names("Rejected"), ["plan.md"]);
    const note = parseNote(await f.read("Rejected", "plan.md"));
    assert.match(String(note.frontMatter.error), /action/);
  });
});

Deno.test("handleApproved() rejects a file that is not a Markdown note", async () => {
  await withDispatcher([ok()], async (f) => {
    await f.dispatcher.handleApproved(await f.approve("WEBHOOK_data.json", '{"a":1}'));
    assert.equal(f.executor.calls.length, 0);
    assert.deepEqual(await f.names("Approved"), []);
    assert.deepEqual(await f.names("Rejected"), [
      "WEBHOOK_data.json",
      "WEBHOOK_data.json.result.md",
    ]);
    assert.equal(await f.read("Rejected", "WEBHOOK_data.json"), '{"a":1}', "kept untouched");
    const why = await f.read("Rejected", "WEBHOOK_data.json.result.md");
    assert.match(String(readSection(why, "result")), /not an approval request: .*\.md/);
  });
});

// BUG (src/executor/dispatcher.ts, finish()): a file that is not a note is rejected by reading it
// as text and writing it back with front matter and a result section. A binary file (a photo or
// PDF moved into Approved/ by mistake) comes out corrupted: invalid UTF-8 becomes U+FFFD, and the
// user's file is lost. DESIGN.md: nothing a user put in the vault is destroyed.
Deno.test({
  name: "handleApproved() keeps a rejected binary file byte for byte",
  async fn() {
    await withDispatcher([ok()], async (f) => {
      const bytes = new Uint8Array([
        0x89,
        0x50,
        0x4e,
        0x47,
        0x0d,
        0x0a,
        0x1a,
        0x0a,
        0xff,
        0x00,
        0xfe,
      ]);
      await Deno.writeFile(join(f.layout.folder("Approved"), "photo.png"), bytes);
      await f.dispatcher.handleApproved(join(f.layout.folder("Approved"), "photo.png"));
      assert.equal(f.executor.calls.length, 0);
      const rejected = (await f.names("Rejected")).filter((name) => name.startsWith("photo"));
      assert.ok(rejected.includes("photo.png"), `rejected: ${rejected}`);
      assert.deepEqual(await Deno.readFile(join(f.layout.folder("Rejected"), "photo.png")), bytes);
    });
  },
});

Deno.test("handleApproved() files a dry run in Done/ with what would have been sent", async () => {
  const wouldSend = { method: "POST", url: "https://hooks.example.com/…", body: { text: "hi" } };
  await withDispatcher([{ ok: true, dryRun: true, wouldSend }], async (f) => {
    await f.dispatcher.handleApproved(await f.approve("WEBHOOK_deploy.md", WEBHOOK_NOTE));
    assert.deepEqual(await f.names("Done"), ["WEBHOOK_deploy.md"]);
    const text = await f.read("Done", "WEBHOOK_deploy.md");
    const note = parseNote(text);
    assert.equal(note.frontMatter.dry_run, true);
    assert.equal(note.frontMatter.outcome, "dry_run");
    const result = String(readSection(text, "result"));
    assert.ok(result.includes(JSON.stringify(wouldSend, null, 2)), result);
  });
});

Deno.test("handleApproved() hands an attempt cut off mid-flight back to the human, not to Rejected/", async () => {
  const cutOff: ExecutionOutcome = {
    ok: false,
    retryable: false,
    interrupted: true,
    reason: "the action was cut off (timeout or shutdown); it may have been performed",
  };
  await withDispatcher([cutOff, ok()], async (f) => {
    await f.dispatcher.handleApproved(await f.approve("WEBHOOK_deploy.md", WEBHOOK_NOTE));
    assert.equal(f.executor.calls.length, 1, "not tried again");
    assert.deepEqual(await f.names("Rejected"), []);
    assert.deepEqual(await f.names("Pending_Approval"), ["WEBHOOK_deploy.md"]);
    assert.deepEqual(await inflightNames(f.layout), []);
    const text = await f.read("Pending_Approval", "WEBHOOK_deploy.md");
    assert.equal(parseNote(text).frontMatter.interrupted, "may have been sent");
    assert.match(String(readSection(text, "interrupted")), /cut off/);
    assert.equal(f.records.filter((entry) => entry.event === "interrupted").length, 1);
  });
});

Deno.test("handleApproved() never overwrites an item of the same name already in Done/", async () => {
  await withDispatcher([ok("first"), ok("second")], async (f) => {
    await f.dispatcher.handleApproved(await f.approve("WEBHOOK_deploy.md", WEBHOOK_NOTE));
    await f.dispatcher.handleApproved(await f.approve("WEBHOOK_deploy.md", WEBHOOK_NOTE));
    assert.deepEqual(await f.names("Done"), ["WEBHOOK_deploy-2.md", "WEBHOOK_deploy.md"]);
    assert.equal(
      parseNote(await f.read("Done", "WEBHOOK_deploy.md")).frontMatter.remote_id,
      "first",
    );
  });
});

Deno.test("handleApproved() does nothing for a file that is already gone", async () => {
  await withDispatcher([ok()], async (f) => {
    await f.dispatcher.handleApproved(join(f.layout.folder("Approved"), "WEBHOOK_gone.md"));
    assert.equal(f.executor.calls.length, 0);
    assert.deepEqual(await f.names("Rejected"), []);
  });
});

Deno.test("handleApproved() records rejected items for the audit log", async () => {
  await withDispatcher([], async (f) => {
    await f.dispatcher.handleApproved(await f.approve("plan.md", "---\nid: p1\n---\nA plan\n"));
    const rejected = f.records.filter((entry) => entry.event === "rejected");
    assert.equal(rejected.length, 1);
    assert.equal(rejected[0].file, "plan.md");
    assert.match(String(rejected[0].reason), /action/);
  });
});

// ---------------------------------------------------------------------------------------------
// Recovery after a crash

async function leaveInflight(
  layout: VaultLayout,
  name: string,
  text: string,
  state?: Record<string, unknown>,
): Promise<void> {
  await Deno.mkdir(layout.inflight, { recursive: true });
  await Deno.writeTextFile(join(layout.inflight, name), text);
  if (state) {
    await Deno.writeTextFile(join(layout.inflight, `${name}.state.json`), JSON.stringify(state));
  }
}

const CUT_OFF = {
  id: "hook-1",
  action: "webhook",
  attempts: 1,
  attemptStarted: "2026-01-01T00:00:00Z",
};

Deno.test("recover() sends a cut-off non-idempotent item back for a human to check", async () => {
  await withDispatcher([ok()], async (f) => {
    await leaveInflight(f.layout, "WEBHOOK_deploy.md", WEBHOOK_NOTE, CUT_OFF);
    await f.dispatcher.recover();
    assert.equal(f.executor.calls.length, 0, "it is not performed a second time");
    assert.deepEqual(await f.names("Pending_Approval"), ["WEBHOOK_deploy.md"]);
    assert.deepEqual(await inflightNames(f.layout), []);
    const note = parseNote(await f.read("Pending_Approval", "WEBHOOK_deploy.md"));
    assert.equal(note.frontMatter.interrupted, "may have been sent");
    assert.equal(note.frontMatter.url, "https://hooks.example.com/deploy");
    assert.ok(note.body.startsWith("# Deploy\n\nPlease deploy v2.\n"));
    const interrupted = f.records.filter((entry) => entry.event === "interrupted");
    assert.equal(interrupted.length, 1);
    assert.equal(interrupted[0].id, "hook-1");
  });
});

Deno.test("recover() retries a cut-off item once when its action is idempotent", async () => {
  await withDispatcher([ok()], async (f) => {
    const text = WEBHOOK_NOTE.replace("action: webhook\n", "action: webhook\nidempotent: true\n");
    await leaveInflight(f.layout, "WEBHOOK_deploy.md", text, CUT_OFF);
    await f.dispatcher.recover();
    assert.equal(f.executor.calls.length, 1);
    assert.deepEqual(await f.names("Done"), ["WEBHOOK_deploy.md"]);
    assert.deepEqual(await f.names("Pending_Approval"), []);
    assert.deepEqual(await inflightNames(f.layout), []);
  });
});

Deno.test("recover() executes once an item that was claimed but never attempted", async () => {
  await withDispatcher([ok()], async (f) => {
    await leaveInflight(f.layout, "WEBHOOK_deploy.md", WEBHOOK_NOTE);
    await f.dispatcher.recover();
    assert.equal(f.executor.calls.length, 1);
    assert.equal(f.executor.calls[0].attempt, 1);
    assert.deepEqual(await f.names("Done"), ["WEBHOOK_deploy.md"]);
  });
});

Deno.test("recover() files an item whose result was already recorded, without executing it", async () => {
  await withDispatcher([ok()], async (f) => {
    await leaveInflight(f.layout, "WEBHOOK_deploy.md", WEBHOOK_NOTE, {
      ...CUT_OFF,
      result: { outcome: "sent", when: "2026-01-01T00:00:05.000Z", attempts: 1, remoteId: "r-9" },
    });
    await f.dispatcher.recover();
    assert.equal(f.executor.calls.length, 0);
    assert.deepEqual(await f.names("Done"), ["WEBHOOK_deploy.md"]);
    assert.deepEqual(await inflightNames(f.layout), []);
    const note = parseNote(await f.read("Done", "WEBHOOK_deploy.md"));
    assert.equal(note.frontMatter.remote_id, "r-9");
    assert.equal(note.frontMatter.completed, "2026-01-01T00:00:05.000Z");
  });
});

// BUG (src/executor/dispatcher.ts, resume()/attempt()): when the attempt a crash cut off was the
// last one allowed (attempts === maxRetries) and the action is idempotent, recover() clears the
// mark and calls attempt(), whose loop starts past maxRetries and does nothing: the item stays in
// .aiemp/inflight/ for ever, out of the owner's sight, and every start skips it again.
Deno.test({
  name: "recover() never leaves a cut-off idempotent item on its last attempt stuck in flight",
  async fn() {
    await withDispatcher([ok()], async (f) => {
      const text = WEBHOOK_NOTE.replace("action: webhook\n", "action: webhook\nidempotent: true\n");
      await leaveInflight(f.layout, "WEBHOOK_deploy.md", text, { ...CUT_OFF, attempts: 3 });
      await f.dispatcher.recover();
      assert.deepEqual(await inflightNames(f.layout), [], "the item left .aiemp/inflight/");
      const visible = [
        ...await f.names("Done"),
        ...await f.names("Rejected"),
        ...await f.names("Pending_Approval"),
      ];
      assert.deepEqual(visible, ["WEBHOOK_deploy.md"]);
    });
  },
});

// Found by `deno task chaos` (scenario 1): an idempotent item whose every attempt was cut off by
// a SIGKILL went to Rejected/ as "failed", although the remote may well have acted on it.
Deno.test("recover() hands an idempotent item whose last attempt was cut off back to the human, marked interrupted", async () => {
  await withDispatcher([], async (f) => {
    const text = WEBHOOK_NOTE.replace("action: webhook\n", "action: webhook\nidempotent: true\n");
    await leaveInflight(f.layout, "WEBHOOK_deploy.md", text, { ...CUT_OFF, attempts: 3 });
    await f.dispatcher.recover();
    assert.equal(f.executor.calls.length, 0, "no attempt beyond maxRetries");
    assert.deepEqual(await f.names("Rejected"), []);
    assert.deepEqual(await f.names("Pending_Approval"), ["WEBHOOK_deploy.md"]);
    const note = parseNote(await f.read("Pending_Approval", "WEBHOOK_deploy.md"));
    assert.equal(note.frontMatter.interrupted, "may have been sent");
    assert.match(note.body, /all 3 attempts are used up/);
  });
});

// Found by `deno task chaos` (scenario 1): a SIGKILL between writing an atomic write's temporary
// file and renaming it left `.NAME.<id>.tmp` in .aiemp/inflight/, which recover() took for an
// approved item and filed in Rejected/ as "not an approval request".
Deno.test("recover() removes the temporary files of interrupted writes instead of taking them for items", async () => {
  await withDispatcher([ok()], async (f) => {
    await leaveInflight(f.layout, "WEBHOOK_deploy.md", WEBHOOK_NOTE);
    for (
      const temp of [
        ".WEBHOOK_deploy.md.0a1b2c3d.tmp",
        ".WEBHOOK_deploy.md.state.json.deadbeef.tmp",
      ]
    ) {
      await Deno.writeTextFile(join(f.layout.inflight, temp), WEBHOOK_NOTE.slice(0, 20));
    }
    await f.dispatcher.recover();
    assert.equal(f.executor.calls.length, 1);
    assert.deepEqual(await f.names("Done"), ["WEBHOOK_deploy.md"]);
    assert.deepEqual(await listNames(f.layout.folder("Rejected"), { includeHidden: true }), []);
    assert.deepEqual(await listNames(f.layout.inflight, { includeHidden: true }), []);
  });
});

// Found by `deno task chaos` (scenario 1): a SIGKILL after an item was filed in Done/ but before
// its record was removed left `NAME.state.json` in .aiemp/inflight/ for good — and a later item of
// the same name would have been taken for done (its stale result) without being performed.
Deno.test("recover() removes the record of an item already filed; a later item of that name is performed", async () => {
  await withDispatcher([ok()], async (f) => {
    await Deno.mkdir(f.layout.inflight, { recursive: true });
    await Deno.writeTextFile(
      join(f.layout.inflight, "WEBHOOK_deploy.md.state.json"),
      JSON.stringify({
        ...CUT_OFF,
        result: { outcome: "sent", when: "2026-01-01T00:00:05.000Z", attempts: 1 },
      }),
    );
    await f.dispatcher.recover();
    assert.deepEqual(await inflightNames(f.layout), [], "the orphaned record is gone");
    await f.dispatcher.handleApproved(await f.approve("WEBHOOK_deploy.md", WEBHOOK_NOTE));
    assert.equal(f.executor.calls.length, 1, "the new item is performed");
    assert.equal(
      parseNote(await f.read("Done", "WEBHOOK_deploy.md")).frontMatter.remote_id,
      "rem-42",
    );
  });
});

Deno.test("handleApproved() ignores a stale record left under the name it claims", async () => {
  await withDispatcher([ok()], async (f) => {
    await Deno.mkdir(f.layout.inflight, { recursive: true });
    await Deno.writeTextFile(
      join(f.layout.inflight, "WEBHOOK_deploy.md.state.json"),
      JSON.stringify({ ...CUT_OFF, attempts: 3 }),
    );
    await f.dispatcher.handleApproved(await f.approve("WEBHOOK_deploy.md", WEBHOOK_NOTE));
    assert.equal(f.executor.calls.length, 1);
    assert.equal(f.executor.calls[0].attempt, 1);
    assert.deepEqual(await f.names("Done"), ["WEBHOOK_deploy.md"]);
  });
});

Deno.test("recover() with nothing in flight does nothing", async () => {
  await withDispatcher([], async (f) => {
    await f.dispatcher.recover();
    assert.equal(f.executor.calls.length, 0);
    assert.deepEqual(f.records, []);
  });
});
