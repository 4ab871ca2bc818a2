import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import fc from "fast-check";
import { initVault, listNames, parseNote, vaultLayout } from "../../src/vault/mod.ts";
import {
  createInboxWatcher,
  type DroppedFile,
  droppedFileNote,
  fileTaskId,
  inspectDroppedFile,
  safeFileName,
  updateDroppedFileNote,
} from "../../src/watchers/mod.ts";

// deno-lint-ignore no-control-regex
const FORBIDDEN = /[/\\:*?"<>|\u0000-\u001f\u007f]/;
const bytes = (text: string) => new TextEncoder().encode(text).length;
const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest("hex");

// ---------------------------------------------------------------------------------------------
// Names

Deno.test("safeFileName() replaces path separators, Windows-forbidden and control characters", () => {
  const safe = safeFileName('a/b\\c:d*e?f"g<h>i|j\nk\r\tl\u0000m\u007f.pdf');
  assert.doesNotMatch(safe, FORBIDDEN);
  assert.ok(safe.endsWith(".pdf"), safe);
  assert.ok(safe.startsWith("a_b_c_d"), safe);
});

Deno.test("safeFileName() keeps an ordinary name as it is", () => {
  assert.equal(safeFileName("Quarterly report (final).pdf"), "Quarterly report (final).pdf");
  assert.equal(safeFileName("Überweisung März.txt"), "Überweisung März.txt");
});

Deno.test("safeFileName() shortens a long name to 120 bytes and keeps its extension", () => {
  const safe = safeFileName(`${"ü".repeat(200)}.docx`);
  assert.ok(bytes(safe) <= 120, `${bytes(safe)} bytes`);
  assert.ok(safe.endsWith(".docx"), safe);
  assert.ok(safe.startsWith("üüü"), safe);
});

Deno.test("safeFileName() gives 'file' for a name with nothing usable in it", () => {
  assert.equal(safeFileName(""), "file");
  assert.equal(safeFileName("..."), "file");
  assert.equal(safeFileName("  "), "file");
});

Deno.test("safeFileName() never yields a forbidden character, '.', '..' or over 120 bytes", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 300 }), (name) => {
      const safe = safeFileName(name);
      assert.doesNotMatch(safe, FORBIDDEN);
      assert.ok(safe.length > 0);
      assert.ok(safe !== "." && safe !== "..");
      assert.ok(bytes(safe) <= 120, `${bytes(safe)} bytes`);
    }),
    { numRuns: 200 },
  );
});

Deno.test("safeFileName() never starts or ends a name with a space or a dot", () => {
  for (const name of ["  spaced.txt  ", "...hidden", "trailing.", " . "]) {
    const safe = safeFileName(name);
    assert.doesNotMatch(safe, /^[ .]|[ .]$/, JSON.stringify(safe));
  }
});

// Regression test; it failed before the fix (src/watchers/inbox/names.ts): leading and trailing spaces and dots are stripped before the
// name is shortened, so shortening can leave one at the end again ("aaa…a " or "aaa…a."), a name
// Windows and synced drives refuse or silently rename.
Deno.test({
  name: "safeFileName() never ends a shortened name with a space or a dot",
  fn() {
    for (
      const name of [`${"a".repeat(119)} ${"b".repeat(20)}`, `${"a".repeat(119)}.${"b".repeat(20)}`]
    ) {
      const safe = safeFileName(name);
      assert.ok(bytes(safe) <= 120);
      assert.doesNotMatch(safe, /[ .]$/, JSON.stringify(safe.slice(-5)));
    }
  },
});

Deno.test("fileTaskId() is FILE_, the UTC time, a slug of the name and the random part", () => {
  assert.equal(
    fileTaskId("Quarterly report.pdf", new Date("2026-11-21T05:41:00Z"), "3fa9c2"),
    "FILE_20261121-054100_quarterly-report-pdf_3fa9c2",
  );
});

Deno.test("fileTaskId() stays readable for any name", () => {
  const when = new Date("2026-01-02T03:04:05Z");
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 200 }), (name) => {
      assert.match(
        fileTaskId(name, when, "ab12cd"),
        /^FILE_20260102-030405_[a-z0-9]+(-[a-z0-9]+)*_ab12cd$/,
      );
    }),
  );
  assert.equal(fileTaskId("日本語", when, "r"), "FILE_20260102-030405_file_r");
});

// ---------------------------------------------------------------------------------------------
// Task notes

type NoteInput = Parameters<typeof droppedFileNote>[0];

function noteInput(file: DroppedFile, overrides: Partial<NoteInput> = {}): NoteInput {
  return {
    id: "FILE_20260310-120000_report-txt_abc123",
    originalName: "report.txt",
    attachment: "Needs_Action/attachments/FILE_20260310-120000_report-txt_abc123__report.txt",
    received: new Date("2026-03-10T12:00:00.000Z"),
    file,
    maxFileMb: 50,
    ...overrides,
  };
}

const TEXT_FILE: DroppedFile = {
  kind: "text",
  size: 12,
  sha256: "a".repeat(64),
  preview: "Hello, world",
};

Deno.test("droppedFileNote() of a text file carries the task fields, hash and a fenced preview", () => {
  const note = droppedFileNote(noteInput(TEXT_FILE));
  assert.equal(note.frontMatter.id, "FILE_20260310-120000_report-txt_abc123");
  assert.equal(note.frontMatter.type, "file_drop");
  assert.equal(note.frontMatter.source, "inbox");
  assert.equal(note.frontMatter.received, "2026-03-10T12:00:00.000Z");
  assert.equal(note.frontMatter.status, "new");
  assert.ok(note.frontMatter.priority);
  assert.equal(note.frontMatter.original_name, "report.txt");
  assert.equal(note.frontMatter.size, 12);
  assert.equal(note.frontMatter.sha256, "a".repeat(64));
  assert.equal(note.frontMatter.content, "text");
  assert.equal(note.frontMatter.problem, undefined);
  assert.ok(note.body.includes("```text\nHello, world\n```"), note.body);
  assert.ok(note.body.includes(`[[${noteInput(TEXT_FILE).attachment}]]`), note.body);
  assert.doesNotMatch(note.body, /## Problem/);
});

Deno.test("droppedFileNote() fences a preview containing ``` with a longer fence", () => {
  const preview = "before\n```js\ncode()\n```\nafter";
  const note = droppedFileNote(noteInput({ ...TEXT_FILE, preview }));
  assert.ok(note.body.includes(`\`\`\`\`text\n${preview}\n\`\`\`\``), note.body);
});

Deno.test("droppedFileNote() keeps a name with a newline out of the heading's line breaks", () => {
  const note = droppedFileNote(noteInput(TEXT_FILE, { originalName: "evil\n# injected.txt" }));
  assert.equal(note.frontMatter.original_name, "evil\n# injected.txt");
  assert.doesNotMatch(note.body, /^# injected/m);
});

const PROBLEMS: [DroppedFile, RegExp][] = [
  [{ kind: "empty", size: 0 }, /drop it again/],
  [{ kind: "too_large", size: 99_000_000 }, /inbox\.max_file_mb/],
  [{ kind: "unreadable", size: 10, error: "permission denied" }, /chmod/],
  [{ kind: "folder", size: 0 }, /drop the files themselves/],
  [{ kind: "link_outside_vault", size: 0, target: "/etc/passwd" }, /copy the file itself/],
];

for (const [file, fix] of PROBLEMS) {
  Deno.test(`droppedFileNote() of a ${file.kind} drop states the problem and the fix`, () => {
    const note = droppedFileNote(noteInput(file));
    assert.equal(note.frontMatter.content, file.kind);
    assert.equal(typeof note.frontMatter.problem, "string");
    assert.ok(String(note.frontMatter.problem).length > 0);
    const problem = /## Problem\n\n([^\n]+)/.exec(note.body);
    assert.ok(problem, note.body);
    assert.match(problem[1], fix);
    assert.ok(problem[1].includes(noteInput(file).attachment), "says where the original is");
    assert.equal(note.frontMatter.sha256, undefined);
    assert.doesNotMatch(note.body, /```/);
  });
}

Deno.test("droppedFileNote() of a pipe or device states the problem", () => {
  const note = droppedFileNote(noteInput({ kind: "special", size: 0 }));
  assert.equal(typeof note.frontMatter.problem, "string");
  assert.match(note.body, /## Problem/);
});

Deno.test("droppedFileNote() names the size limit for a file over it", () => {
  const note = droppedFileNote(
    noteInput({ kind: "too_large", size: 99_000_000 }, { maxFileMb: 7 }),
  );
  assert.match(String(note.frontMatter.problem), /7 MB/);
});

Deno.test("updateDroppedFileNote() brings size, hash and preview up to date and keeps the owner's text", () => {
  const first = droppedFileNote(noteInput(TEXT_FILE));
  const ownerTop = "Owner: call them back | today\r\n\n";
  const ownerEnd = "\n## My notes\n\nThey want it by Friday.\n";
  const body = ownerTop + first.body + ownerEnd;
  const changed: DroppedFile = {
    kind: "text",
    size: 30,
    sha256: "b".repeat(64),
    preview: "Hello, world, second version",
  };
  const now = new Date("2026-03-10T12:05:00.000Z");
  const updated = updateDroppedFileNote(
    { frontMatter: { ...first.frontMatter, priority: "high" }, body },
    changed,
    now,
  );
  assert.equal(updated.frontMatter.size, 30);
  assert.equal(updated.frontMatter.sha256, "b".repeat(64));
  assert.equal(updated.frontMatter.updated, now.toISOString());
  assert.equal(updated.frontMatter.priority, "high", "the owner's edit of a field stays");
  assert.equal(updated.frontMatter.id, first.frontMatter.id);
  assert.ok(updated.body.includes("Hello, world, second version"));
  assert.ok(!updated.body.includes("```text\nHello, world\n```"), "the old preview is gone");
  assert.ok(updated.body.startsWith(ownerTop + first.body.slice(0, first.body.indexOf("<!--"))));
  assert.ok(updated.body.endsWith(ownerEnd));
});

Deno.test("updateDroppedFileNote() drops the hash when the file can no longer be hashed", () => {
  const first = droppedFileNote(noteInput(TEXT_FILE));
  const updated = updateDroppedFileNote(
    first,
    { kind: "too_large", size: 99_000_000 },
    new Date("2026-03-10T12:05:00.000Z"),
  );
  assert.equal(updated.frontMatter.sha256, undefined);
  assert.equal(updated.frontMatter.content, "too_large");
  assert.doesNotMatch(updated.body, /Hello, world/);
});

// ---------------------------------------------------------------------------------------------
// Inspecting dropped files

async function withVault(fn: (vault: string, outside: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aiemp_watchers_test_" });
  try {
    const vault = join(dir, "vault");
    const outside = join(dir, "outside");
    await Deno.mkdir(join(vault, "Inbox"), { recursive: true });
    await Deno.mkdir(outside);
    await fn(vault, outside);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const limits = (vault: string, maxBytes = 1_000_000, previewChars = 1500) => ({
  vault,
  maxBytes,
  previewChars,
});

Deno.test("inspectDroppedFile() reads a text file's size, hash and preview", async () => {
  await withVault(async (vault) => {
    const path = join(vault, "Inbox", "note.txt");
    const text = "Invoice 42\nTotal: 100 €\n";
    await Deno.writeTextFile(path, text);
    const file = await inspectDroppedFile(path, limits(vault));
    assert.equal(file.kind, "text");
    assert.equal(file.size, bytes(text));
    assert.equal(file.sha256, sha256(text));
    assert.equal(file.preview, text);
  });
});

Deno.test("inspectDroppedFile() cuts the preview at previewChars but hashes the whole file", async () => {
  await withVault(async (vault) => {
    const path = join(vault, "Inbox", "long.txt");
    const text = "€".repeat(50_000);
    await Deno.writeTextFile(path, text);
    const file = await inspectDroppedFile(path, limits(vault, 1_000_000, 10));
    assert.equal(file.kind, "text");
    assert.equal(file.preview, "€".repeat(10));
    assert.equal(file.size, 150_000);
    assert.equal(file.sha256, sha256(text));
  });
});

Deno.test("inspectDroppedFile() calls a file with NUL bytes binary and shows no preview", async () => {
  await withVault(async (vault) => {
    const path = join(vault, "Inbox", "image.png");
    const data = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02, 0x03]);
    await Deno.writeFile(path, data);
    const file = await inspectDroppedFile(path, limits(vault));
    assert.equal(file.kind, "binary");
    assert.equal(file.size, data.length);
    assert.equal(file.sha256, sha256(data));
    assert.equal(file.preview, undefined);
  });
});

Deno.test("inspectDroppedFile() calls invalid UTF-8 binary", async () => {
  await withVault(async (vault) => {
    const path = join(vault, "Inbox", "latin1.txt");
    await Deno.writeFile(path, new Uint8Array([0x66, 0xfc, 0x72, 0x20, 0xff, 0xfe]));
    assert.equal((await inspectDroppedFile(path, limits(vault))).kind, "binary");
  });
});

Deno.test("inspectDroppedFile() reports an empty file", async () => {
  await withVault(async (vault) => {
    const path = join(vault, "Inbox", "empty.txt");
    await Deno.writeFile(path, new Uint8Array());
    const file = await inspectDroppedFile(path, limits(vault));
    assert.equal(file.kind, "empty");
    assert.equal(file.size, 0);
  });
});

Deno.test("inspectDroppedFile() neither reads nor hashes a file over the size limit", async () => {
  await withVault(async (vault) => {
    const path = join(vault, "Inbox", "big.txt");
    await Deno.writeTextFile(path, "x".repeat(11));
    const file = await inspectDroppedFile(path, limits(vault, 10));
    assert.equal(file.kind, "too_large");
    assert.equal(file.size, 11);
    assert.equal(file.sha256, undefined);
    assert.equal(file.preview, undefined);
  });
});

Deno.test("inspectDroppedFile() reads a file exactly at the size limit", async () => {
  await withVault(async (vault) => {
    const path = join(vault, "Inbox", "edge.txt");
    await Deno.writeTextFile(path, "x".repeat(10));
    assert.equal((await inspectDroppedFile(path, limits(vault, 10))).kind, "text");
  });
});

Deno.test("inspectDroppedFile() never follows a link out of the vault", async () => {
  await withVault(async (vault, outside) => {
    const secret = join(outside, "secret.txt");
    await Deno.writeTextFile(secret, "TOP SECRET");
    const link = join(vault, "Inbox", "innocent.txt");
    await Deno.symlink(secret, link);
    const file = await inspectDroppedFile(link, limits(vault));
    assert.equal(file.kind, "link_outside_vault");
    assert.equal(file.target, secret);
    assert.equal(file.preview, undefined);
    assert.equal(file.sha256, undefined);
  });
});

Deno.test("inspectDroppedFile() treats a link to /etc/hostname as outside the vault", async () => {
  await withVault(async (vault) => {
    const link = join(vault, "Inbox", "host");
    await Deno.symlink("/etc/hostname", link);
    const file = await inspectDroppedFile(link, limits(vault));
    assert.equal(file.kind, "link_outside_vault");
    assert.equal(file.preview, undefined);
  });
});

Deno.test("inspectDroppedFile() never follows a relative link that climbs out of the vault", async () => {
  await withVault(async (vault) => {
    await Deno.writeTextFile(join(vault, "..", "outside", "s.txt"), "TOP SECRET");
    const link = join(vault, "Inbox", "up.txt");
    await Deno.symlink("../../outside/s.txt", link);
    const file = await inspectDroppedFile(link, limits(vault));
    assert.equal(file.kind, "link_outside_vault");
    assert.equal(file.preview, undefined);
  });
});

// Regression test; it failed before the fix (src/watchers/inbox/inspect.ts): only the first link is checked. A link in Inbox/ that
// points to a second link elsewhere in the vault, which points out of the vault, passes the check
// and Deno.stat/open follow the whole chain: the outside file is read and its text lands in the
// task note's preview (and the agent reads it).
Deno.test({
  name: "inspectDroppedFile() never follows a chain of links that ends outside the vault",
  async fn() {
    await withVault(async (vault, outside) => {
      const secret = join(outside, "secret.txt");
      await Deno.writeTextFile(secret, "TOP SECRET");
      await Deno.symlink(secret, join(vault, "hop"));
      const link = join(vault, "Inbox", "innocent.txt");
      await Deno.symlink(join(vault, "hop"), link);
      const file = await inspectDroppedFile(link, limits(vault));
      assert.ok(!file.preview?.includes("TOP SECRET"), "the outside file was read");
      assert.equal(file.kind, "link_outside_vault");
    });
  },
});

// Changed by the path-safety work: a link to a file inside the vault used to be read through.
// It could lead into .aiemp/secrets/, whose content the note's preview would then show the agent.
Deno.test("inspectDroppedFile() never reads through a link, even to a file inside the vault", async () => {
  await withVault(async (vault) => {
    await Deno.mkdir(join(vault, ".aiemp", "secrets"), { recursive: true });
    await Deno.writeTextFile(join(vault, ".aiemp", "secrets", "token"), "SECRET TOKEN");
    const link = join(vault, "Inbox", "link.md");
    await Deno.symlink("../.aiemp/secrets/token", link);
    const file = await inspectDroppedFile(link, limits(vault));
    assert.equal(file.kind, "special");
    assert.equal(file.refusal?.kind, "link");
    assert.equal(file.preview, undefined);
    assert.equal(file.sha256, undefined);
    assert.match(file.refusal.long, /never reads through links.*Copy the file itself/);
  });
});

Deno.test("inspectDroppedFile() reports a dangling link inside the vault as unreadable", async () => {
  await withVault(async (vault) => {
    const link = join(vault, "Inbox", "dangling.txt");
    await Deno.symlink(join(vault, "gone.txt"), link);
    const file = await inspectDroppedFile(link, limits(vault));
    assert.equal(file.kind, "unreadable");
    assert.ok(file.error && file.error.length > 0);
  });
});

Deno.test("inspectDroppedFile() reports a file that vanished as unreadable instead of throwing", async () => {
  await withVault(async (vault) => {
    const file = await inspectDroppedFile(join(vault, "Inbox", "never.txt"), limits(vault));
    assert.equal(file.kind, "unreadable");
  });
});

Deno.test("inspectDroppedFile() reports a folder without looking inside", async () => {
  await withVault(async (vault) => {
    const folder = join(vault, "Inbox", "photos");
    await Deno.mkdir(folder);
    await Deno.writeTextFile(join(folder, "a.txt"), "a");
    const file = await inspectDroppedFile(folder, limits(vault));
    assert.equal(file.kind, "folder");
    assert.equal(file.preview, undefined);
  });
});

/** Fails instead of hanging when `promise` does not settle in time. */
async function settlesWithin<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test({
  name: "inspectDroppedFile() reports a named pipe as special without blocking on it",
  ignore: Deno.build.os === "windows",
  async fn() {
    await withVault(async (vault) => {
      const fifo = join(vault, "Inbox", "pipe");
      const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
      assert.ok(made.success, "mkfifo worked");
      const file = await settlesWithin(inspectDroppedFile(fifo, limits(vault)), 5000);
      assert.equal(file.kind, "special");
      const viaLink = join(vault, "Inbox", "pipe-link");
      await Deno.symlink(fifo, viaLink);
      assert.equal(
        (await settlesWithin(inspectDroppedFile(viaLink, limits(vault)), 5000)).kind,
        "special",
      );
    });
  },
});

Deno.test("inspectDroppedFile() calls text with a multi-byte character cut at the 8192-byte sniff boundary text", async () => {
  await withVault(async (vault) => {
    const path = join(vault, "Inbox", "cut.txt");
    const text = `${"a".repeat(8191)}é${"b".repeat(100)}`;
    await Deno.writeTextFile(path, text);
    const file = await inspectDroppedFile(path, limits(vault, 1_000_000, 10));
    assert.equal(file.kind, "text");
    assert.equal(file.size, 8194 + 99);
    assert.equal(file.sha256, sha256(text));
  });
});

Deno.test("inspectDroppedFile() calls a file with a NUL byte after the sniffed part text", async () => {
  await withVault(async (vault) => {
    const path = join(vault, "Inbox", "log.txt");
    await Deno.writeTextFile(path, `${"line\n".repeat(2000)}\u0000`);
    assert.equal((await inspectDroppedFile(path, limits(vault))).kind, "text");
  });
});

Deno.test("inspectDroppedFile() never reads a hard link, and says how many names it has", async () => {
  await withVault(async (vault, outside) => {
    const secret = join(outside, "secret.txt");
    await Deno.writeTextFile(secret, "TOP SECRET");
    const link = join(vault, "Inbox", "innocent.txt");
    await Deno.link(secret, link);
    const file = await inspectDroppedFile(link, limits(vault));
    assert.equal(file.kind, "special");
    assert.equal(file.refusal?.kind, "hard_link");
    assert.equal(file.preview, undefined);
    assert.equal(file.sha256, undefined);
    assert.match(file.refusal.short, /hard link \(2 names\)/);
    assert.match(file.refusal.long, /outside the vault.*copy it in instead/);
  });
});

// ---------------------------------------------------------------------------------------------
// The inbox watcher and files it will not read

/** A vault, its inbox watcher, and a helper that gives the one note written for a drop. */
async function withInbox(
  fn: (
    inbox: ReturnType<typeof createInboxWatcher>,
    layout: ReturnType<typeof vaultLayout>,
    outside: string,
  ) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aiemp_watchers_test_" });
  try {
    const layout = vaultLayout(join(dir, "vault"));
    await initVault(layout.root);
    await Deno.mkdir(join(dir, "outside"));
    const inbox = createInboxWatcher({ layout, settleMs: 0, maxFileMb: 1, previewChars: 200 });
    await fn(inbox, layout, join(dir, "outside"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function notesIn(layout: ReturnType<typeof vaultLayout>) {
  const folder = layout.folder("Needs_Action");
  const names = (await listNames(folder)).filter((name) => name.endsWith(".md"));
  return await Promise.all(
    names.map(async (name) => parseNote(await Deno.readTextFile(join(folder, name)))),
  );
}

Deno.test("the inbox watcher keeps a dropped hard link without reading it, with a note saying why", async () => {
  await withInbox(async (inbox, layout, outside) => {
    const secret = join(outside, "secret.txt");
    await Deno.writeTextFile(secret, "TOP SECRET");
    await Deno.link(secret, join(layout.folder("Inbox"), "report.txt"));
    assert.equal(await inbox.sweep(), 1);
    const [note] = await notesIn(layout);
    assert.equal(note.frontMatter.content, "hard_link");
    assert.match(String(note.frontMatter.problem), /hard link \(2 names\)/);
    assert.match(note.body, /## Problem\n\nIt is a hard link .*copy it in instead.*kept at/);
    assert.doesNotMatch(note.body, /TOP SECRET/);
    const kept = join(layout.root, String(note.frontMatter.attachment));
    assert.equal(await Deno.readTextFile(kept), "TOP SECRET", "the original is kept, findable");
    assert.equal(await Deno.readTextFile(secret), "TOP SECRET", "the other name is untouched");
  });
});

Deno.test("the inbox watcher keeps a dropped link into the vault's secrets without reading through it", async () => {
  await withInbox(async (inbox, layout) => {
    await Deno.mkdir(layout.secrets, { recursive: true });
    await Deno.writeTextFile(join(layout.secrets, "token"), "SECRET TOKEN");
    await Deno.symlink(join(layout.secrets, "token"), join(layout.folder("Inbox"), "a.txt"));
    assert.equal(await inbox.sweep(), 1);
    const [note] = await notesIn(layout);
    assert.equal(note.frontMatter.content, "link");
    assert.match(String(note.frontMatter.problem), /symbolic link/);
    assert.match(note.body, /## Problem\n\nThis is a symbolic link to .*kept at/);
    assert.doesNotMatch(note.body, /SECRET TOKEN/);
    const kept = join(layout.root, String(note.frontMatter.attachment));
    assert.ok((await Deno.lstat(kept)).isSymlink, "the link itself is kept");
  });
});

// Found while writing tests/unit/fuzz_test.ts: a file whose name is not valid UTF-8 is listed
// with U+FFFD in it, cannot be looked at under that name, and was skipped without a word: it sat
// in Inbox/ for ever with no note.
Deno.test({
  name: "the inbox watcher writes one note for a file whose name is not UTF-8, and keeps the file",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await withInbox(async (inbox, layout) => {
      const made = await new Deno.Command("sh", {
        args: ["-c", "printf 'data' > \"$(printf 'bad\\377name.txt')\""],
        cwd: layout.folder("Inbox"),
      }).output();
      assert.ok(made.success, new TextDecoder().decode(made.stderr));
      assert.equal(await inbox.sweep(), 1);
      assert.equal(await inbox.sweep(), 0, "no second note");
      const [note] = await notesIn(layout);
      assert.equal(note.frontMatter.content, "bad_name");
      assert.match(String(note.frontMatter.original_name), /^bad\uFFFDname\.txt$/);
      assert.match(note.body, /not valid UTF-8.*Rename it/);
      assert.deepEqual(await listNames(layout.folder("Inbox")), ["bad\uFFFDname.txt"]);
      const again = createInboxWatcher({ layout, settleMs: 0, maxFileMb: 1, previewChars: 200 });
      assert.equal(await again.sweep(), 0, "no second note after a restart either");
    });
  },
});
