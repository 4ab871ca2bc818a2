/**
 * Fuzz tests: generated malformed Markdown, broken front matter (YAML bombs, huge fields, deep
 * nesting, odd encodings) and odd file names, run against the note parser, the inbox watcher and
 * the executor. The properties: nothing but a named error escapes, no file is lost (each is
 * findable afterwards), and every refusal says why.
 */
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import fc from "fast-check";
import type { ApprovedItem } from "../../src/actions/mod.ts";
import { requestHash } from "../../src/approvals/mod.ts";
import { createDispatcher, type ExecutionOutcome } from "../../src/executor/mod.ts";
import {
  initVault,
  isTemporaryName,
  listNames,
  type Note,
  NoteError,
  parseNote,
  pathSegmentOf,
  readSection,
  resolveInVault,
  type VaultLayout,
  vaultLayout,
  VaultPathError,
  vaultPathOf,
} from "../../src/vault/mod.ts";
import { createInboxWatcher, fileTaskId, safeFileName } from "../../src/watchers/mod.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** A name as the disk keeps it: lone surrogates become U+FFFD on the way to UTF-8. */
const onDisk = (name: string) => decoder.decode(encoder.encode(name));

// ---------------------------------------------------------------------------------------------
// Generators

/** YAML "billion laughs": each level lists the level before it `width` times. */
function aliasBomb(depth: number, width: number): string {
  const lines = ["l0: &l0 [lol]"];
  for (let i = 1; i < depth; i++) {
    lines.push(`l${i}: &l${i} [${Array(width).fill(`*l${i - 1}`).join(", ")}]`);
  }
  return lines.join("\n");
}

const manyKeys = (n: number) => Array.from({ length: n }, (_, i) => `k${i}: ${i}`).join("\n");

const scalar = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.integer().map(String),
  fc.constantFrom(
    "",
    "~",
    "null",
    "[",
    "{",
    "]",
    "'",
    '"',
    "|",
    ">",
    "&a",
    "*a",
    "*missing",
    "!!binary aGVsbG8=",
    "!foo x",
    "%",
    "@",
    "`",
    "- x",
    "? x",
    "#",
    "\t",
    "---",
    "...",
    "\uFEFF",
    "\u0000",
    "\ud800",
    "\u2028",
  ),
);

const key = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.constantFrom("id", "action", "__proto__", "constructor", "toString", "<<", "? [a]", "a:b", ""),
);

/** `key: value` lines, some indented with spaces, tabs or list dashes. */
const yamlLines = fc.array(fc.tuple(key, scalar, fc.constantFrom("", " ", "  ", "\t", "- ")), {
  maxLength: 12,
}).map((pairs) => pairs.map(([k, v, indent]) => `${indent}${k}: ${v}`).join("\n"));

/** What stands between the `---` lines: valid, broken, hostile and huge. */
const frontMatterText = fc.oneof(
  yamlLines,
  fc.constant("id: a\naction: webhook\nid: b"), // a duplicate key
  fc.constant("a:\n\tb: 1"), // a tab as indentation
  fc.tuple(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 2, max: 12 }))
    .map(([depth, width]) => aliasBomb(depth, width)),
  fc.constantFrom("a: &a [*a]", "a: &a\n  b: *a", "&a [*a]"), // a value that contains itself
  fc.integer({ min: 1, max: 3000 }).map((n) => `a: ${"[".repeat(n)}${"]".repeat(n)}`),
  fc.integer({ min: 1, max: 800 }).map((n) =>
    Array.from({ length: n }, (_, i) => `${" ".repeat(i)}k:`).join("\n")
  ),
  fc.constantFrom(1_000, 70_000, 1_000_000).map((n) => `id: big\nbody: ${"x".repeat(n)}`),
  fc.constantFrom(100, 3_000, 100_000).map(manyKeys),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.uint8Array({ maxLength: 100 }).map((bytes) => decoder.decode(bytes)), // not UTF-8: U+FFFD
  fc.constantFrom(
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!!timestamp 2001-12-14",
    "42",
    "- a",
    "",
    "...",
    "%YAML 1.2\n---\na: 1",
    "a: 1\n...\nb: 2",
    "id: x\naction: webhook\nurl: https://hooks.example.com/x",
  ),
);

/** Markdown after the front matter: odd, hostile (fake aiemp markers) or huge. */
const bodyText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.constantFrom(
    "# Title\n```\nunclosed code\n",
    "<!-- aiemp:begin result -->\nfake result\n",
    "<!-- aiemp:end result -->\n<!-- aiemp:begin result -->",
    "---\n---\n",
    "[[../../etc/passwd]] ![x](/etc/passwd)",
    "",
  ),
  fc.constantFrom(1_000_000).map((n) => `${"lorem ipsum ".repeat(n / 12)}\n`),
);

/** A whole note: front matter opened and closed well or badly, BOM, CRLF or CR line ends. */
const noteText = fc.record({
  bom: fc.boolean(),
  newline: fc.constantFrom("\n", "\r\n", "\r"),
  opening: fc.constantFrom("---", "--- ", "---\t", "----", ""),
  frontMatter: frontMatterText,
  closing: fc.constantFrom("---", "--- ", "", "...", "----"),
  body: bodyText,
}).map(({ bom, newline, opening, frontMatter, closing, body }) =>
  `${bom ? "\uFEFF" : ""}${opening}${newline}${frontMatter.replaceAll("\n", newline)}${newline}${
    closing ? closing + newline : ""
  }${body}`
);

/** Bytes of a file: notes, notes with bytes that are not UTF-8, binary, empty, over 1 MB. */
const fileBytes = fc.oneof(
  { weight: 4, arbitrary: noteText.map((text) => encoder.encode(text)) },
  {
    weight: 2,
    arbitrary: fc.tuple(noteText, fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.nat()).map(
      ([text, junk, at]) => {
        const bytes = encoder.encode(text);
        const cut = bytes.length ? at % bytes.length : 0;
        return new Uint8Array([...bytes.subarray(0, cut), 0xff, ...junk, ...bytes.subarray(cut)]);
      },
    ),
  },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 3000 }) },
  { weight: 1, arbitrary: fc.constant(new Uint8Array()) },
  { weight: 1, arbitrary: fc.constant(new Uint8Array(1_100_000).fill(0x61)) },
);

/** True for a name a file can have on Linux and macOS. */
function possibleName(name: string): boolean {
  const disk = onDisk(name);
  const bytes = encoder.encode(disk).length;
  return bytes > 0 && bytes <= 255 && !/[/\0]/.test(disk) && disk !== "." && disk !== "..";
}

/** File names: unicode, spaces, leading dots, very long, `..`-like, control characters. */
const fileName = fc.oneof(
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 30 }),
  fc.string({ unit: "binary", minLength: 1, maxLength: 30 }),
  fc.constantFrom(
    "..a",
    "a..",
    "...",
    ". .",
    "..txt",
    " lead.txt",
    "trail ",
    ".hidden",
    "~$lock.docx",
    "x.part",
    "CON",
    "a:b*c?.md",
    "new\nline.md",
    "tab\t.md",
    "\u202Eevil.txt",
    "e\u0301.txt",
    "emoji 😀.md",
    "..\\..\\x.md",
  ),
  fc.integer({ min: 100, max: 255 }).map((n) => `${"n".repeat(n - 3)}.md`),
  fc.integer({ min: 40, max: 85 }).map((n) => "€".repeat(n)),
).filter(possibleName);

/** Unique in a folder, even on a file system that ignores case. */
const uniqueOnDisk = (name: string) => onDisk(name).toLowerCase();

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aiemp_fuzz_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

// ---------------------------------------------------------------------------------------------
// The note parser

/** Asserts a value is what JSON can hold (strings, numbers, lists, plain maps), with no loop. */
function assertPlain(value: unknown, path: unknown[] = []): void {
  if (value === null || ["string", "number", "boolean"].includes(typeof value)) return;
  assert.ok(typeof value === "object", `a ${typeof value} in the front matter`);
  const prototype = Object.getPrototypeOf(value);
  // (Not String(value) for the message: a note may well have a key named toString.)
  assert.ok(
    prototype === Object.prototype || prototype === Array.prototype,
    Object.prototype.toString.call(value),
  );
  assert.ok(!path.includes(value), "a value that contains itself");
  for (const inner of Object.values(value)) assertPlain(inner, [...path, value]);
}

Deno.test("parseNote() on generated notes reads a plain map or throws a NoteError saying why", () => {
  fc.assert(
    fc.property(noteText, (text) => {
      let note: Note;
      try {
        note = parseNote(text);
      } catch (error) {
        assert.ok(error instanceof NoteError, `not a NoteError: ${error}`);
        assert.ok(error.message.length > 10, error.message);
        return;
      }
      assertPlain(note.frontMatter);
      assert.ok(!Array.isArray(note.frontMatter));
      assert.equal(typeof note.body, "string");
    }),
    { numRuns: 250 },
  );
});

Deno.test("an approval request parsed from a generated note always gets a content hash", () => {
  fc.assert(
    fc.property(noteText, (text) => {
      let note: Note;
      try {
        note = parseNote(text);
      } catch {
        return; // the executor rejects it, saying why (see below)
      }
      assert.match(requestHash(note), /^[0-9a-f]{64}$/);
    }),
    { numRuns: 150 },
  );
});

Deno.test("parseNote() refuses a billion-laughs alias bomb before expanding it", () => {
  assert.throws(
    () => parseNote(`---\n${aliasBomb(10, 10)}\n---\nbody\n`),
    (error) => error instanceof NoteError && /resource exhaustion/.test(error.message),
  );
});

// Found by this file: 100,000 `key: value` lines (1.3 MB) kept parseNote() busy for 155 s on a
// 2-core machine (the YAML library compares each key with every key before it), so one such note
// in Approved/ or Pending_Approval/ stalled the executor. Front matter is now capped at 64 Ki
// characters, and the message says where long text goes.
Deno.test("parseNote() refuses front matter over 64 Ki characters, saying to move the text into the body", () => {
  for (const yaml of [manyKeys(100_000), `id: big\nbody: ${"x".repeat(1_000_000)}`]) {
    assert.throws(
      () => parseNote(`---\n${yaml}\n---\nbody\n`),
      (error) =>
        error instanceof NoteError && /characters long/.test(error.message) &&
        /into the body/.test(error.message),
    );
  }
  assert.equal(parseNote(`---\nbody: ${"x".repeat(60_000)}\n---\n`).frontMatter.id, undefined);
});

// Found by this file: `a: &a [*a]` parsed into an array that contains itself; hashing the request
// (src/approvals/request_hash.ts) then overflowed the stack, and JSON.stringify threw.
Deno.test("parseNote() refuses a value that contains itself", () => {
  for (const yaml of ["a: &a [*a]", "a: &a\n  b: *a"]) {
    assert.throws(
      () => parseNote(`---\n${yaml}\n---\n`),
      (error) => error instanceof NoteError && /contains itself/.test(error.message),
    );
  }
});

// Found by this file: YAML 1.1 tags gave a Buffer, Set, Map or Date, at the top (taken for the
// front matter map) or as a field. Code reading fields took a Set for `{}`: the hash of a pending
// request with `to: !!set {a}` equalled that of `to: !!set {b}`, so an edit went unseen.
Deno.test("parseNote() reads YAML 1.1 tags as plain strings, maps and lists", () => {
  const { frontMatter } = parseNote(
    "---\na: !!set {x}\nb: !!binary aGVsbG8=\nc: !!omap [x: 1]\nd: !!timestamp 2001-12-14\n---\n",
  );
  assert.deepEqual(frontMatter, { a: { x: null }, b: "aGVsbG8=", c: [{ x: 1 }], d: "2001-12-14" });
  assert.throws(() => parseNote("---\n!!binary aGVsbG8=\n---\n"), NoteError);
  const hashOf = (to: string) => requestHash(parseNote(`---\nto: !!set {${to}}\n---\nHi\n`));
  assert.notEqual(hashOf("alice@example.com"), hashOf("mallory@example.com"));
});

Deno.test("parseNote() refuses nesting deeper than the parser can follow, as a NoteError", () => {
  assert.throws(
    () => parseNote(`---\na: ${"[".repeat(20_000)}${"]".repeat(20_000)}\n---\n`),
    NoteError,
  );
});

// ---------------------------------------------------------------------------------------------
// Names and paths

Deno.test("safeFileName() and fileTaskId() always give one visible name, which stays in attachments/", () => {
  const when = new Date("2026-01-02T03:04:05Z");
  fc.assert(
    fc.property(fc.oneof(fileName, fc.string({ unit: "binary", maxLength: 300 })), (name) => {
      const id = fileTaskId(name, when, "ab12cd");
      const kept = `${id}__${safeFileName(name)}`;
      assert.equal(pathSegmentOf(safeFileName(name)), safeFileName(name));
      assert.equal(pathSegmentOf(id), id);
      assert.equal(pathSegmentOf(kept), kept);
      const path = vaultPathOf("/v", `Needs_Action/attachments/${kept}`);
      assert.equal(dirname(path), "/v/Needs_Action/attachments");
    }),
    { numRuns: 300 },
  );
});

Deno.test("vaultPathOf() gives a path inside the vault or a VaultPathError, for any reference", () => {
  const part = fc.oneof(
    fc.constantFrom("..", ".", "", "...", "a", "/", "\\", "C:", "file:", "~", "\0", " .."),
    fc.string({ unit: "binary", maxLength: 8 }),
  );
  fc.assert(
    fc.property(fc.array(part, { maxLength: 6 }), fc.constantFrom("/", "\\", ""), (parts, sep) => {
      const reference = parts.join(sep);
      let path: string;
      try {
        path = vaultPathOf("/vault", reference);
      } catch (error) {
        assert.ok(error instanceof VaultPathError, `not a VaultPathError: ${error}`);
        assert.match(error.message, /^Cannot use the path .*: .*; /);
        return;
      }
      const inside = relative("/vault", path);
      assert.ok(inside !== "" && !inside.startsWith("../") && inside !== "..", path);
    }),
    { numRuns: 500 },
  );
});

// ---------------------------------------------------------------------------------------------
// The inbox watcher

type DropKind = "file" | "link_out" | "link_in" | "hard_link" | "folder";

interface Drop {
  name: string;
  kind: DropKind;
  bytes: Uint8Array;
}

const drops = fc.uniqueArray(
  fc.record({
    name: fileName,
    kind: fc.constantFrom<DropKind>(
      "file",
      "file",
      "file",
      "file",
      "link_out",
      "link_in",
      "hard_link",
      "folder",
    ),
    bytes: fileBytes,
  }),
  { selector: (drop) => uniqueOnDisk(drop.name), minLength: 1, maxLength: 6 },
);

const OUTSIDE_SECRET = "OUTSIDE-SECRET-3f9a";
const INSIDE_SECRET = "INSIDE-SECRET-77c1";

/** Puts one drop into Inbox/ as a file, a link out of the vault or to its secrets, and so on. */
async function place(layout: VaultLayout, outside: string, drop: Drop, n: number): Promise<void> {
  const path = join(layout.folder("Inbox"), drop.name);
  switch (drop.kind) {
    case "file":
      return await Deno.writeFile(path, drop.bytes);
    case "link_out":
      return await Deno.symlink(join(outside, "secret.txt"), path);
    case "link_in":
      return await Deno.symlink(join(layout.secrets, "token"), path);
    case "hard_link": {
      const other = join(outside, `other-${n}`);
      await Deno.writeFile(other, drop.bytes);
      return await Deno.link(other, path);
    }
    case "folder":
      await Deno.mkdir(path);
      return await Deno.writeFile(join(path, "inside.txt"), drop.bytes);
  }
}

/** What should be kept of a drop: its bytes, its link target, or a folder. */
async function assertKept(kept: string, drop: Drop, outside: string, layout: VaultLayout) {
  const info = await Deno.lstat(kept);
  switch (drop.kind) {
    case "file":
    case "hard_link":
      assert.ok(info.isFile);
      assert.ok(sameBytes(await Deno.readFile(kept), drop.bytes), `bytes of ${kept}`);
      break;
    case "link_out":
      assert.equal(await Deno.readLink(kept), join(outside, "secret.txt"));
      break;
    case "link_in":
      assert.equal(await Deno.readLink(kept), join(layout.secrets, "token"));
      break;
    case "folder":
      assert.ok(info.isDirectory);
      assert.ok(sameBytes(await Deno.readFile(join(kept, "inside.txt")), drop.bytes));
  }
}

/**
 * Makes a file whose name is not UTF-8 (`bad`, byte 0xff, then `tail`), which Deno cannot name;
 * returns the name as Deno lists it (U+FFFD for the bad bytes).
 */
async function placeBadName(folder: string, tail: Uint8Array): Promise<string> {
  const bytes = [..."bad"].map((c) => c.charCodeAt(0)).concat(0xff, ...tail);
  const octal = bytes.map((byte) => `\\${byte.toString(8).padStart(3, "0")}`).join("");
  const made = await new Deno.Command("sh", {
    args: ["-c", `printf 'data' > "$(printf '${octal}')"`],
    cwd: folder,
  }).output();
  assert.ok(made.success, decoder.decode(made.stderr));
  return decoder.decode(new Uint8Array(bytes));
}

/** Bytes for the end of a name that is not UTF-8: no '/', NUL or newline (sh's $() drops it). */
const badNameTail = fc.option(
  fc.uint8Array({ maxLength: 6 }).map((bytes) => bytes.filter((b) => b !== 0x2f && b > 0x0a)),
  { nil: undefined, freq: 3 },
);

Deno.test("the inbox watcher keeps every generated drop findable and explains every refusal", async () => {
  await fc.assert(
    fc.asyncProperty(drops, badNameTail, async (generated, badTail) => {
      await withTempDir(async (dir) => {
        const layout = vaultLayout(join(dir, "vault"));
        await initVault(layout.root);
        const outside = join(dir, "outside");
        await Deno.mkdir(outside);
        await Deno.writeTextFile(join(outside, "secret.txt"), OUTSIDE_SECRET);
        await Deno.mkdir(layout.secrets, { recursive: true });
        await Deno.writeTextFile(join(layout.secrets, "token"), INSIDE_SECRET);
        for (const [n, drop] of generated.entries()) await place(layout, outside, drop, n);
        const taken = generated.map((drop) => uniqueOnDisk(drop.name));
        let badName = badTail && Deno.build.os === "linux"
          ? await placeBadName(layout.folder("Inbox"), badTail)
          : undefined;
        if (badName && taken.includes(badName.toLowerCase())) badName = undefined;

        const inbox = createInboxWatcher({ layout, settleMs: 0, maxFileMb: 1, previewChars: 300 });
        const written = await inbox.sweep();

        const left = await listNames(layout.folder("Inbox"), { includeHidden: true });
        const folder = layout.folder("Needs_Action");
        const notes = await Promise.all(
          (await listNames(folder)).filter((name) => name.endsWith(".md")).map(async (name) =>
            parseNote(await Deno.readTextFile(join(folder, name)))
          ),
        );
        const handled = generated.filter((drop) => !isTemporaryName(onDisk(drop.name))).length +
          (badName && !isTemporaryName(badName) ? 1 : 0);
        assert.equal(written, handled);
        assert.equal(notes.length, handled);
        if (badName) {
          // Deno cannot open or move it: it stays in Inbox/, with a note saying why and the fix.
          assert.ok(left.includes(badName), `${JSON.stringify(badName)} is still in Inbox/`);
          const mine = notes.filter((note) => note.frontMatter.original_name === badName);
          assert.equal(mine.length, isTemporaryName(badName) ? 0 : 1);
          if (mine.length) assert.match(mine[0].body, /## Problem\n\n.*not valid UTF-8.*Rename/);
        }
        assert.deepEqual(await listNames(layout.inboxClaims, { includeHidden: true }), []);
        for (const drop of generated) {
          const name = onDisk(drop.name);
          if (isTemporaryName(name)) {
            // Still being written, as far as aiemp can tell: it waits in Inbox/, untouched.
            assert.ok(left.includes(name), `${JSON.stringify(name)} waits in Inbox/`);
            continue;
          }
          assert.ok(!left.includes(name), `${JSON.stringify(name)} left Inbox/`);
          const mine = notes.filter((note) => note.frontMatter.original_name === name);
          assert.equal(mine.length, 1, `one note for ${JSON.stringify(name)}`);
          const { frontMatter, body } = mine[0];
          const attachment = String(frontMatter.attachment);
          // The reference is a path in the vault; what it names may be a kept link (not followed).
          const kept = vaultPathOf(layout.root, attachment, { what: "attachment" });
          await resolveInVault(layout.root, dirname(attachment));
          await assertKept(kept, drop, outside, layout);
          assert.doesNotMatch(body, new RegExp(`${OUTSIDE_SECRET}|${INSIDE_SECRET}`));
          if (frontMatter.content === "text" || frontMatter.content === "binary") {
            assert.equal(frontMatter.problem, undefined);
          } else {
            assert.equal(typeof frontMatter.problem, "string", JSON.stringify(frontMatter));
            assert.match(body, /## Problem\n\n.+kept at/);
          }
          if (drop.kind !== "file") assert.notEqual(frontMatter.content, "text");
        }
      });
    }),
    { numRuns: 25 },
  );
});

// ---------------------------------------------------------------------------------------------
// The executor

interface Approved {
  name: string;
  bytes: Uint8Array;
}

/** A well-formed webhook request, so some generated items get as far as being performed. */
const request = fc.tuple(fc.string({ maxLength: 20 }), bodyText).map(([id, body]) =>
  encoder.encode(
    `---\nid: ${
      JSON.stringify(id)
    }\naction: webhook\nurl: https://hooks.example.com/x\n---\n${body}`,
  )
);

const approvedItems = fc.uniqueArray(
  fc.record({
    name: fc.tuple(
      fileName,
      fc.constantFrom("", "WEBHOOK_"),
      fc.constantFrom(".md", ".md", ".md", ".MD", "", ".json"),
    ).map(([name, prefix, ext]) => `${prefix}${name}${ext}`).filter((name) =>
      // Names over 200 bytes and `*.result.md` meet known bugs, each with an ignored test below.
      possibleName(name) && encoder.encode(onDisk(name)).length <= 200 &&
      !name.toLowerCase().endsWith(".result.md")
    ),
    bytes: fc.oneof({ weight: 3, arbitrary: fileBytes }, { weight: 2, arbitrary: request }),
  }),
  { selector: (item) => uniqueOnDisk(item.name), minLength: 1, maxLength: 6 },
);

Deno.test("the executor files every generated item in Done/ or Rejected/, none lost, each rejection explained", async () => {
  await fc.assert(
    fc.asyncProperty(approvedItems, async (items) => {
      await withTempDir(async (root) => {
        await initVault(root);
        const layout = vaultLayout(root);
        const calls: ApprovedItem[] = [];
        const dispatcher = createDispatcher({
          layout,
          maxRetries: 2,
          retryDelayMs: 0,
          settleMs: 0,
          execute: (item: ApprovedItem): Promise<ExecutionOutcome> => {
            calls.push(item);
            return Promise.resolve({ ok: true, remoteId: "r-1" });
          },
          record: () => {},
        });
        for (const item of items) {
          await Deno.writeFile(join(layout.folder("Approved"), item.name), item.bytes);
        }

        await dispatcher.sweep();

        const waiting = await listNames(layout.folder("Approved"), { includeHidden: true });
        assert.deepEqual(await listNames(layout.inflight, { includeHidden: true }), []);
        const done = await listNames(layout.folder("Done"));
        const rejected = await listNames(layout.folder("Rejected"));
        const pending = await listNames(layout.folder("Pending_Approval"));
        for (const item of items) {
          const name = onDisk(item.name);
          if (isTemporaryName(name)) {
            assert.ok(waiting.includes(name), `${JSON.stringify(name)} waits in Approved/`);
            continue;
          }
          const places = [done, rejected, pending].filter((names) => names.includes(name));
          assert.equal(places.length, 1, `${JSON.stringify(name)} is in exactly one folder`);
          const performed = calls.filter((call) => call.fileName === name).length;
          if (done.includes(name)) {
            assert.equal(performed, 1, `${JSON.stringify(name)} performed once`);
            continue;
          }
          assert.equal(performed, 0, `${JSON.stringify(name)} rejected, not performed`);
          if (!rejected.includes(name)) continue;
          const path = join(layout.folder("Rejected"), name);
          if (!name.toLowerCase().endsWith(".md") || !isUtf8(item.bytes)) {
            // Not a note aiemp may rewrite: kept as it came, with its result beside it.
            assert.ok(sameBytes(await Deno.readFile(path), item.bytes), "kept byte for byte");
            const why = await Deno.readTextFile(`${path}.result.md`);
            assert.match(String(readSection(why, "result")), /- Error: \S/);
            continue;
          }
          const text = await Deno.readTextFile(path);
          // Not readSection(): a stray end marker in the note hides the section from it (see the
          // report on src/vault/sections.ts), though the reason is written all the same.
          assert.match(text, /\n- Error: \S/, text.slice(-500));
          const original = decoder.decode(item.bytes);
          const readable = sameBytes(encoder.encode(original), item.bytes);
          let malformed = false;
          try {
            parseNote(original);
          } catch {
            malformed = true;
          }
          if (readable && malformed) {
            assert.ok(
              text.startsWith(original),
              "a malformed note keeps its text above the result",
            );
          }
        }
      });
    }),
    { numRuns: 25 },
  );
});

// ---------------------------------------------------------------------------------------------
// Found by the fuzzers in the executor, not fixed yet (src/executor/ has another owner). Each is
// ignored until src/executor/dispatcher.ts is fixed; remove `ignore` then.

/** A vault with its executor: `setup` fills Approved/, one sweep runs, `check` looks. */
async function afterSweep(
  setup: (layout: VaultLayout, outside: string) => Promise<void>,
  check: (layout: VaultLayout, outside: string, calls: ApprovedItem[]) => Promise<void>,
): Promise<void> {
  await withTempDir(async (dir) => {
    const layout = vaultLayout(join(dir, "vault"));
    await initVault(layout.root);
    const outside = join(dir, "outside");
    await Deno.mkdir(outside);
    const calls: ApprovedItem[] = [];
    const dispatcher = createDispatcher({
      layout,
      maxRetries: 1,
      retryDelayMs: 0,
      settleMs: 0,
      execute: (item) => {
        calls.push(item);
        return Promise.resolve({ ok: true, remoteId: "r-1" });
      },
      record: () => {},
    });
    await setup(layout, outside);
    await dispatcher.sweep();
    await check(layout, outside, calls);
  });
}

const REQUEST = "---\nid: s\naction: webhook\nurl: https://hooks.example.com/x\n---\nTOP SECRET\n";

// Regression, found by the fuzzers and fixed (src/executor/dispatcher.ts, readItem()/finish()): a symbolic link in Approved/ is read
// through: the request it points to (outside the vault) is performed, and the link is replaced in
// Done/ by a copy of that file. Fix: `await checkVaultFile(claimed)` (src/vault/paths.ts) before
// reading; a refused item goes to Rejected/ untouched, with the reason in `<name>.result.md`.
Deno.test({
  name: "the executor never performs, nor copies into the vault, the target of a link in Approved/",

  async fn() {
    await afterSweep(async (layout, outside) => {
      await Deno.writeTextFile(join(outside, "request.md"), REQUEST);
      await Deno.symlink(join(outside, "request.md"), join(layout.folder("Approved"), "a.md"));
    }, async (layout, outside, calls) => {
      assert.equal(calls.length, 0, "not performed");
      assert.equal(await Deno.readTextFile(join(outside, "request.md")), REQUEST);
      assert.deepEqual(await listNames(layout.folder("Done")), []);
      const kept = join(layout.folder("Rejected"), "a.md");
      assert.ok((await Deno.lstat(kept)).isSymlink, "the link itself is kept, not a copy");
      assert.match(await Deno.readTextFile(`${kept}.result.md`), /symbolic link/);
    });
  },
});

// Regression, found by the fuzzers and fixed (src/executor/dispatcher.ts, readItem()): a hard link in Approved/ is performed, although
// another name of the file may live outside the vault and change it after approval.
Deno.test({
  name: "the executor never performs a hard link in Approved/",

  async fn() {
    await afterSweep(async (layout, outside) => {
      await Deno.writeTextFile(join(outside, "request.md"), REQUEST);
      await Deno.link(join(outside, "request.md"), join(layout.folder("Approved"), "a.md"));
    }, async (layout, _outside, calls) => {
      assert.equal(calls.length, 0, "not performed");
      const kept = join(layout.folder("Rejected"), "a.md");
      assert.match(await Deno.readTextFile(`${kept}.result.md`), /hard link/);
    });
  },
});

// Regression, found by the fuzzers and fixed (src/executor/dispatcher.ts, finish()): an approved `.md` file whose bytes are not UTF-8 is
// read as text (each bad byte becomes U+FFFD) and written back with its result: the original
// bytes are lost.
Deno.test({
  name: "the executor keeps the bytes of a rejected .md file that is not UTF-8",

  async fn() {
    const bytes = new Uint8Array([
      0x2d,
      0x2d,
      0x2d,
      0x0a,
      0xff,
      0xfe,
      0x0a,
      0x2d,
      0x2d,
      0x2d,
      0x0a,
    ]);
    await afterSweep(async (layout) => {
      await Deno.writeFile(join(layout.folder("Approved"), "bin.md"), bytes);
    }, async (layout) => {
      const kept = await Deno.readFile(join(layout.folder("Rejected"), "bin.md"));
      assert.ok(sameBytes(kept.subarray(0, bytes.length), bytes), "the original bytes are kept");
    });
  },
});

// Regression, found by the fuzzers and fixed (src/executor/dispatcher.ts, finish() and recover()): a folder named `*.md` moved into
// Approved/ cannot be read as a note, so finishing it throws; it stays in .aiemp/inflight/, and
// recover() skips anything that is not a file: it is out of the owner's sight for good.
Deno.test({
  name: "the executor files a folder moved into Approved/ in Rejected/, not in .aiemp/inflight/",

  async fn() {
    await afterSweep(async (layout) => {
      await Deno.mkdir(join(layout.folder("Approved"), "photos.md"));
    }, async (layout) => {
      assert.deepEqual(await listNames(layout.inflight), []);
      assert.ok((await listNames(layout.folder("Rejected"))).includes("photos.md"));
    });
  },
});

// Regression, found by the fuzzers and fixed (src/executor/dispatcher.ts, finish()): the result of a rejected non-note `x` is written to
// `Rejected/x.result.md` without looking: an owner's note of that name already in Rejected/ is
// overwritten and lost.
Deno.test({
  name: "the executor never overwrites a file in Rejected/ with the result of another",

  async fn() {
    await withTempDir(async (root) => {
      await initVault(root);
      const layout = vaultLayout(root);
      const dispatcher = createDispatcher({
        layout,
        maxRetries: 1,
        retryDelayMs: 0,
        settleMs: 0,
        execute: () => Promise.resolve({ ok: true }),
        record: () => {},
      });
      await Deno.writeTextFile(join(layout.folder("Approved"), "x.result.md"), "my own note\n");
      await dispatcher.sweep();
      await Deno.writeTextFile(join(layout.folder("Approved"), "x"), "data");
      await dispatcher.sweep();
      const texts = await Promise.all(
        (await listNames(layout.folder("Rejected"))).map((name) =>
          Deno.readTextFile(join(layout.folder("Rejected"), name))
        ),
      );
      assert.equal(texts.length, 3, "x, its result, and the owner's note");
      assert.ok(texts.some((text) => text.includes("my own note")), "the owner's note is kept");
      assert.ok(texts.includes("data"), "x is kept as it came");
    });
  },
});

// Regression, found by the fuzzers and fixed (src/vault/files.ts temporaryPathFor(), used by src/executor/): an atomic write goes through
// `.<name>.<8 hex>.tmp`, 14 bytes longer than the name, and the executor's record is
// `<name>.state.json`: an approved item whose name is over about 230 bytes (80 '€' and `.md`)
// cannot be recorded, and stays in .aiemp/inflight/, out of the owner's sight. Found by the
// executor property above.
Deno.test({
  name: "the executor files an item whose name is 243 bytes long",

  async fn() {
    const name = `${"€".repeat(80)}.md`;
    await afterSweep(async (layout) => {
      await Deno.writeTextFile(join(layout.folder("Approved"), name), REQUEST);
    }, async (layout) => {
      assert.deepEqual(await listNames(layout.inflight), []);
      assert.deepEqual(await listNames(layout.folder("Done")), [name]);
    });
  },
});

/** True when `bytes` are UTF-8 text (what the executor will write a result into). */
function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}
