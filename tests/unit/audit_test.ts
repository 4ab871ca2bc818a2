import assert from "node:assert/strict";
import { join } from "node:path";
import {
  actingAs,
  type AuditEntry,
  CHAIN_START,
  createAuditLog,
  historyOf,
  readAuditLog,
  sealed,
  sha256Hex,
  type StoredAuditEntry,
  verifyAuditLog,
  verifyAuditText,
} from "../../src/audit/mod.ts";

const T0 = new Date("2026-03-10T12:00:00.000Z");

/** A clock that moves on one second each time it is read, from `start`. */
function steppingClock(start = T0): () => Date {
  let ms = start.getTime();
  return () => {
    const at = new Date(ms);
    ms += 1000;
    return at;
  };
}

/** Runs `fn` with the path of an audit log in a fresh temporary folder, removed afterwards. */
async function withLogPath(fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aiemp_audit_test_" });
  try {
    await fn(join(dir, "audit.jsonl"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Five entries about two items, as the orchestrator would write them. */
const FIVE: AuditEntry[] = [
  { event: "pending", who: "unknown", id: "mail-1", file: "EMAIL_a.md", why: "drafted" },
  { event: "approved", who: "human", id: "mail-1", file: "EMAIL_a.md", by: "ana" },
  { event: "started", who: "executor", id: "mail-1", action: "webhook", attempt: 1 },
  { event: "done", who: "executor", id: "mail-1", remote_id: "r-77" },
  { event: "pending", who: "unknown", id: "mail-2", file: "EMAIL_b.md", why: "drafted" },
];

/** Writes `entries` through a fresh log at `path` and returns the file's lines. */
async function writeLog(path: string, entries: AuditEntry[] = FIVE): Promise<string[]> {
  const log = createAuditLog(path, { now: steppingClock() });
  for (const entry of entries) await log.append(entry);
  return linesOf(await Deno.readTextFile(path));
}

function linesOf(text: string): string[] {
  return text.split("\n").slice(0, -1);
}

function textOf(lines: string[]): string {
  return lines.map((line) => `${line}\n`).join("");
}

/** Line `k` (from 1) with one field of its entry set to `value`, written back as JSON. */
function editField(lines: string[], k: number, field: string, value: unknown): string[] {
  const edited = [...lines];
  edited[k - 1] = JSON.stringify({ ...JSON.parse(lines[k - 1]), [field]: value });
  return edited;
}

// ---------------------------------------------------------------------------------------------
// Appending and the chain

Deno.test("createAuditLog() stamps each entry with its time and who, and chains it to the line before", async () => {
  await withLogPath(async (path) => {
    const lines = await writeLog(path);
    assert.equal(lines.length, 5);
    const stored: StoredAuditEntry[] = lines.map((line) => JSON.parse(line));
    assert.deepEqual(stored.map((e) => e.ts), [
      "2026-03-10T12:00:00.000Z",
      "2026-03-10T12:00:01.000Z",
      "2026-03-10T12:00:02.000Z",
      "2026-03-10T12:00:03.000Z",
      "2026-03-10T12:00:04.000Z",
    ]);
    assert.deepEqual(stored.map((e) => e.who), [
      "unknown",
      "human",
      "executor",
      "executor",
      "unknown",
    ]);
    assert.equal(stored[0].prev, CHAIN_START);
    for (let i = 1; i < stored.length; i++) assert.equal(stored[i].prev, sha256Hex(lines[i - 1]));
    assert.equal(stored[1].by, "ana", "an entry's own detail is kept");
    await assertIntact(path, 5);
  });
});

Deno.test("createAuditLog() writes appends made at once in the order they were made, each chained", async () => {
  await withLogPath(async (path) => {
    const log = createAuditLog(path, { now: steppingClock() });
    await Promise.all(FIVE.map((entry) => log.append(entry)));
    const stored = await readAuditLog(path);
    assert.deepEqual(stored.map((e) => e.event), FIVE.map((e) => e.event));
    await assertIntact(path, 5);
  });
});

Deno.test("createAuditLog() continues the chain of a log written before a restart", async () => {
  await withLogPath(async (path) => {
    await writeLog(path, FIVE.slice(0, 3));
    const lines = await writeLog(path, FIVE.slice(3));
    assert.equal(lines.length, 5);
    assert.equal(JSON.parse(lines[3]).prev, sha256Hex(lines[2]));
    await assertIntact(path, 5);
  });
});

Deno.test("verifyAuditLog() finds an absent log whole and empty", async () => {
  await withLogPath(async (path) => {
    await assertIntact(path, 0);
  });
});

Deno.test("createAuditLog() creates the log readable and writable by its owner only", async () => {
  if (Deno.build.os === "windows") return; // no Unix modes there
  await withLogPath(async (path) => {
    await writeLog(path, FIVE.slice(0, 1));
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
  });
});

Deno.test("createAuditLog() passes every entry through its filter before writing it", async () => {
  await withLogPath(async (path) => {
    const secret = "sk-live-4f9a2c";
    const seen: string[] = [];
    const log = createAuditLog(path, {
      now: steppingClock(),
      filter: (entry) => {
        seen.push(entry.event);
        return JSON.parse(JSON.stringify(entry).replaceAll(secret, "[redacted]"));
      },
    });
    await log.append({ event: "started", who: "executor", why: `posting with ${secret}` });
    await log.append({ event: "failed", who: "executor", reason: `401 for token ${secret}` });
    await log.append({ event: "done", who: "executor", detail: { header: `Bearer ${secret}` } });
    assert.deepEqual(seen, ["started", "failed", "done"]);
    const text = await Deno.readTextFile(path);
    assert.ok(!text.includes(secret), `the secret reached the log:\n${text}`);
    assert.equal(text.split("[redacted]").length - 1, 3);
    assert.deepEqual(verifyAuditText(text), { ok: true, entries: 3, unfinished: 0, headBehind: 0 });
  });
});

Deno.test("createAuditLog() keeps its own time and chain link even when the filter returns others", async () => {
  await withLogPath(async (path) => {
    const log = createAuditLog(path, {
      now: steppingClock(),
      filter: (entry) => ({ ...entry, ts: "1999-01-01T00:00:00.000Z", prev: "f".repeat(64) }),
    });
    await log.append({ event: "pending" });
    await log.append({ event: "approved" });
    const stored = await readAuditLog(path);
    assert.deepEqual(stored.map((e) => e.ts), [
      "2026-03-10T12:00:00.000Z",
      "2026-03-10T12:00:01.000Z",
    ]);
    assert.equal((await verifyAuditLog(path)).ok, true);
  });
});

// ---------------------------------------------------------------------------------------------
// Verification: tampering is found and named

Deno.test("verifyAuditText() finds an edit of any field of an entry in the middle of the log", async () => {
  await withLogPath(async (path) => {
    const lines = await writeLog(path);
    const edits: [string, unknown][] = [
      ["ts", "2026-03-09T08:00:00.000Z"],
      ["event", "rejected"],
      ["who", "agent"],
      ["id", "mail-9"],
      ["by", "bob"],
      ["prev", sha256Hex("something else")],
    ];
    for (const [field, value] of edits) {
      const verdict = verifyAuditText(textOf(editField(lines, 2, field, value)));
      assert.equal(verdict.ok, false, `an edit of '${field}' went unnoticed`);
    }
  });
});

Deno.test("verifyAuditText() names the edited entry's line, whatever field of it was edited", async () => {
  await withLogPath(async (path) => {
    const lines = await writeLog(path);
    const k = 2; // the human's approval, "by ana"
    const edits: [string, unknown][] = [
      ["ts", "2026-03-09T08:00:00.000Z"],
      ["event", "rejected"],
      ["who", "agent"],
      ["id", "mail-9"],
      ["by", "bob"],
      ["prev", sha256Hex("something else")],
    ];
    const named = edits.map(([field, value]) => {
      const verdict = verifyAuditText(textOf(editField(lines, k, field, value)));
      return `${field}: line ${verdict.broken?.line}, ${verdict.entries} intact before it`;
    });
    assert.deepEqual(
      named,
      edits.map(([field]) => `${field}: line ${k}, ${k - 1} intact before it`),
    );
  });
});

Deno.test("verifyAuditText() finds an edit of the last entry", async () => {
  await withLogPath(async (path) => {
    const lines = await writeLog(path);
    const k = lines.length;
    const verdict = verifyAuditText(textOf(editField(lines, k, "why", "written by hand")));
    assert.equal(verdict.ok, false, "the last entry was edited and the log still verifies");
    assert.equal(verdict.broken?.line, k);
  });
});

Deno.test("verifyAuditText() names the line where an entry was removed (the one after the gap)", async () => {
  await withLogPath(async (path) => {
    const lines = await writeLog(path);
    for (const k of [1, 2, 3, 4]) {
      const verdict = verifyAuditText(textOf(lines.filter((_, i) => i !== k - 1)));
      assert.equal(verdict.ok, false, `removing entry ${k} went unnoticed`);
      assert.equal(verdict.broken?.line, k, `removing entry ${k}`);
      assert.equal(verdict.entries, k - 1);
      assert.match(verdict.broken!.problem, /'prev' link|start of the chain/);
    }
  });
});

Deno.test("verifyAuditText() names a forged line inserted into the log", async () => {
  await withLogPath(async (path) => {
    const lines = await writeLog(path);
    const k = 3; // the forged line's place
    const forge = (prev: string) =>
      JSON.stringify({ ts: "2026-03-10T12:00:01.500Z", event: "approved", who: "human", prev });
    const insert = (line: string) => [...lines.slice(0, k - 1), line, ...lines.slice(k - 1)];
    const named = {
      // A careless forger links it to nothing.
      careless: verifyAuditText(textOf(insert(forge(CHAIN_START)))).broken?.line,
      // A careful one copies the link of the entry it pushes down.
      careful: verifyAuditText(textOf(insert(forge(JSON.parse(lines[k - 1]).prev)))).broken?.line,
    };
    assert.deepEqual(named, { careless: k, careful: k });
  });
});

Deno.test("verifyAuditText() names the line where two entries were swapped", async () => {
  await withLogPath(async (path) => {
    const lines = await writeLog(path);
    const swapped = [lines[0], lines[2], lines[1], lines[3], lines[4]];
    const verdict = verifyAuditText(textOf(swapped));
    assert.equal(verdict.ok, false);
    assert.equal(verdict.broken?.line, 2);
    assert.equal(verdict.broken?.text, lines[2]);
  });
});

Deno.test("verifyAuditText() names a line that is not a JSON entry", async () => {
  await withLogPath(async (path) => {
    const lines = await writeLog(path);
    const verdict = verifyAuditText(textOf([lines[0], "garbage", ...lines.slice(1)]));
    assert.equal(verdict.broken?.line, 2);
    assert.equal(verdict.broken?.problem, "it is not a JSON entry");
  });
});

// ---------------------------------------------------------------------------------------------
// A write cut off by a crash

Deno.test("a torn last line is reported as unfinished, not a break, and the next append cuts it off and says so", async () => {
  await withLogPath(async (path) => {
    const lines = await writeLog(path, FIVE.slice(0, 2));
    const torn = '{"ts":"2026-03-10T12:00:02.000Z","event":"sta';
    await Deno.writeTextFile(path, torn, { append: true }); // the crash: no newline
    assert.deepEqual(await verifyAuditLog(path), {
      ok: true,
      entries: 2,
      unfinished: torn.length,
      headBehind: 0,
    });

    // After the restart: a new log over the same file.
    const log = createAuditLog(path, { now: steppingClock(new Date("2026-03-10T13:00:00.000Z")) });
    await log.append({ event: "started", who: "executor", id: "mail-1" });

    const text = await Deno.readTextFile(path);
    assert.ok(!text.includes(torn), "the unfinished line is still there");
    const after = linesOf(text);
    assert.deepEqual(after.slice(0, 2), lines, "the whole entries before it were kept");
    const repaired = JSON.parse(after[2]);
    assert.equal(repaired.event, "audit_repaired");
    assert.equal(repaired.who, "orchestrator");
    assert.match(repaired.why, new RegExp(`${torn.length} bytes`));
    assert.equal(repaired.prev, sha256Hex(lines[1]));
    assert.equal(JSON.parse(after[3]).event, "started");
    await assertIntact(path, 4);
  });
});

Deno.test("a log holding nothing but a torn line starts its chain afresh after the repair", async () => {
  await withLogPath(async (path) => {
    await Deno.writeTextFile(path, '{"ts":"2026-03-10T11:59:59.000Z","ev');
    const log = createAuditLog(path, { now: steppingClock() });
    await log.append({ event: "pending", id: "mail-1" });
    const stored = await readAuditLog(path);
    assert.deepEqual(stored.map((e) => e.event), ["audit_repaired", "pending"]);
    assert.equal(stored[0].prev, CHAIN_START);
    await assertIntact(path, 2);
  });
});

Deno.test("verifyAuditLog() counts an unfinished line in bytes, as the repair that cuts it off does", async () => {
  await withLogPath(async (path) => {
    await writeLog(path, FIVE.slice(0, 1));
    const torn = '{"ts":"2026-03-10T12:00:01.000Z","why":"réponse à Zoë';
    await Deno.writeTextFile(path, torn, { append: true });
    const bytes = new TextEncoder().encode(torn).length;
    assert.equal((await verifyAuditLog(path)).unfinished, bytes);

    await createAuditLog(path, { now: steppingClock() }).append({ event: "started" });
    const repaired = (await readAuditLog(path))[1];
    assert.match(String(repaired.why), new RegExp(`${bytes} bytes`));
  });
});

// ---------------------------------------------------------------------------------------------
// Reading an item's history; acting as a part of aiemp

Deno.test("historyOf() gathers an item's entries by its id and by the file name its early entries carry", async () => {
  await withLogPath(async (path) => {
    await writeLog(path, [
      { event: "received", who: "watcher", file: "EMAIL_a.md" },
      { event: "drafted", who: "agent", file: "REQUEST_refund.md" },
      { event: "pending", who: "unknown", id: "EMAIL_a", file: "EMAIL_a.md" },
      { event: "pending", who: "unknown", id: "refund-7", file: "REQUEST_refund.md" },
      { event: "received", who: "watcher", file: "EMAIL_b.md" },
      { event: "approved", who: "human", id: "refund-7", file: "REQUEST_refund.md" },
      { event: "started", who: "executor", id: "refund-7" },
      { event: "pending", who: "unknown", id: "EMAIL_b", file: "EMAIL_b.md" },
    ]);
    const entries = await readAuditLog(path);
    assert.deepEqual(
      historyOf(entries, "refund-7").map((e) => `${e.event} ${e.who}`),
      ["drafted agent", "pending unknown", "approved human", "started executor"],
    );
    assert.deepEqual(
      historyOf(entries, "EMAIL_a").map((e) => `${e.event} ${e.who}`),
      ["received watcher", "pending unknown"],
    );
    assert.deepEqual(historyOf(entries, "nothing-like-it"), []);
  });
});

Deno.test("historyOf() finds an item given its file name, as 'aiemp audit show' offers", async () => {
  await withLogPath(async (path) => {
    await writeLog(path, [
      { event: "drafted", who: "agent", file: "REQUEST_refund.md" },
      { event: "pending", who: "unknown", id: "refund-7", file: "REQUEST_refund.md" },
      { event: "received", who: "watcher", file: "EMAIL_b.md" },
      { event: "started", who: "executor", id: "refund-7" },
    ]);
    const entries = await readAuditLog(path);
    const byId = historyOf(entries, "refund-7").map((e) => e.event);
    assert.deepEqual(byId, ["drafted", "pending", "started"]);
    assert.deepEqual(historyOf(entries, "REQUEST_refund.md").map((e) => e.event), byId);
  });
});

Deno.test("readAuditLog() leaves out an unfinished last line", async () => {
  await withLogPath(async (path) => {
    await writeLog(path, FIVE.slice(0, 2));
    await Deno.writeTextFile(path, '{"ts":"2026', { append: true });
    assert.deepEqual((await readAuditLog(path)).map((e) => e.event), ["pending", "approved"]);
  });
});

Deno.test("actingAs() fills in who only when the entry does not say", async () => {
  const written: AuditEntry[] = [];
  const log = actingAs(
    { append: (entry) => Promise.resolve(void written.push(entry)) },
    "executor",
  );
  await log.append({ event: "started", id: "mail-1" });
  await log.append({ event: "approved", who: "human", id: "mail-1" });
  await log.append({ event: "received", who: "watcher", file: "EMAIL_a.md" });
  assert.deepEqual(written.map((e) => `${e.event} ${e.who}`), [
    "started executor",
    "approved human",
    "received watcher",
  ]);
});

Deno.test("actingAs() writes its actor into the real log", async () => {
  await withLogPath(async (path) => {
    const log = actingAs(createAuditLog(path, { now: steppingClock() }), "orchestrator");
    await log.append({ event: "started" });
    await log.append({ event: "stopped", who: "human" });
    assert.deepEqual((await readAuditLog(path)).map((e) => e.who), ["orchestrator", "human"]);
  });
});

Deno.test("verifyAuditLog() catches a last entry rewritten with its seal redone, or removed, by the head kept beside the log", async () => {
  await withLogPath(async (path) => {
    const lines = await writeLog(path);
    const last = JSON.parse(lines.at(-1)!);
    const { self: _self, ...fields } = last;
    const rewritten = sealed({ ...fields, why: "written by hand" });
    await Deno.writeTextFile(path, textOf([...lines.slice(0, -1), rewritten]));
    const edited = await verifyAuditLog(path);
    assert.equal(edited.ok, false);
    assert.equal(edited.broken?.line, lines.length);
    assert.match(edited.broken!.problem, /not the one aiemp wrote last/);

    await Deno.writeTextFile(path, textOf(lines.slice(0, -1)));
    const removed = await verifyAuditLog(path);
    assert.equal(removed.ok, false);
    assert.equal(removed.broken?.line, lines.length - 1);

    await Deno.writeTextFile(path, textOf(lines));
    await assertIntact(path, lines.length);
  });
});

/** Asserts that the log at `path` verifies whole, with `entries` entries and nothing unfinished. */
async function assertIntact(path: string, entries: number) {
  assert.deepEqual(await verifyAuditLog(path), { ok: true, entries, unfinished: 0, headBehind: 0 });
}
