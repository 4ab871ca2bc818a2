import assert from "node:assert/strict";
import { join } from "node:path";
import fc from "fast-check";
import {
  acquireVaultLock,
  initVault,
  moveInto,
  NoteError,
  parseNote,
  readSection,
  renderNote,
  replaceSection,
  runningOwner,
  VAULT_FOLDERS,
  vaultLayout,
  VaultLockedError,
  writeFileAtomic,
} from "../../src/vault/mod.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aiemp_vault_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function namesIn(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

// ---------------------------------------------------------------------------------------------
// Notes: front matter

Deno.test("parseNote() reads back what renderNote() wrote, for any simple front matter and body", () => {
  const key = fc.string({ maxLength: 20 }).filter((k) => k !== "__proto__");
  // Strings that look like front matter delimiters are the ones most likely to break a note.
  const tricky = fc.constantFrom("---", "a\n---\nb", "\r\n---\r\n", "...", "- a", "true", "1", "");
  const text = fc.oneof(fc.string({ unit: "binary" }), tricky);
  const value = fc.oneof(text, fc.integer(), fc.double(), fc.boolean());
  fc.assert(
    fc.property(fc.dictionary(key, value), text, (frontMatter, body) => {
      const note = parseNote(renderNote(frontMatter, body));
      assert.deepEqual(note.frontMatter, { ...frontMatter });
      assert.equal(note.body, body);
    }),
    { numRuns: 300 },
  );
});

Deno.test("parseNote() gives an empty front matter and the whole text for a note without one", () => {
  const text = "# Title\n\nNo front matter here.\n---\nnot: yaml either\n";
  assert.deepEqual(parseNote(text), { frontMatter: {}, body: text });
});

Deno.test("parseNote() rejects front matter that is never closed, saying so", () => {
  assert.throws(
    () => parseNote("---\nid: a\nstatus: new\n\nBody without a closing line\n"),
    (error: unknown) => error instanceof NoteError && /closing/.test(error.message),
  );
});

Deno.test("parseNote() rejects front matter that is a list instead of key: value lines", () => {
  assert.throws(() => parseNote("---\n- a\n- b\n---\nbody\n"), NoteError);
});

Deno.test("parseNote() rejects front matter that is a bare scalar", () => {
  assert.throws(() => parseNote("---\njust words\n---\nbody\n"), NoteError);
});

Deno.test("parseNote() rejects front matter that is not valid YAML", () => {
  assert.throws(
    () => parseNote("---\nid: [unclosed\nto: : :\n---\nbody\n"),
    (error: unknown) => error instanceof NoteError && /YAML/.test(error.message),
  );
});

Deno.test("parseNote() accepts a note saved with a byte-order mark and Windows line endings", () => {
  const note = parseNote("\uFEFF---\r\nid: a1\r\nstatus: new\r\n---\r\nHello\r\n");
  assert.deepEqual(note.frontMatter, { id: "a1", status: "new" });
  assert.equal(note.body, "Hello\r\n");
});

Deno.test("parseNote() drops a byte-order mark from a note without front matter", () => {
  assert.deepEqual(parseNote("\uFEFFJust text\n"), { frontMatter: {}, body: "Just text\n" });
});

Deno.test("parseNote() treats empty front matter as no fields", () => {
  assert.deepEqual(parseNote("---\n---\nbody\n"), { frontMatter: {}, body: "body\n" });
});

// ---------------------------------------------------------------------------------------------
// Notes: managed sections

const BEGIN = "<!-- aiemp:begin queue -->";
const END = "<!-- aiemp:end queue -->";

Deno.test("replaceSection() changes only what stands between the markers", () => {
  const before = "# Mine\r\n\nOwner text  with trailing spaces   \n";
  const after = "\n\nMore owner text\nno final newline";
  const text = `${before}${BEGIN}\nold line 1\nold line 2\n${END}${after}`;
  const out = replaceSection(text, "queue", "new content", "## Queue");
  assert.equal(out, `${before}${BEGIN}\nnew content\n${END}${after}`);
  assert.equal(readSection(out, "queue"), "new content");
});

Deno.test("replaceSection() leaves other sections alone", () => {
  const text = "<!-- aiemp:begin a -->\nA\n<!-- aiemp:end a -->\n" +
    "<!-- aiemp:begin b -->\nB\n<!-- aiemp:end b -->\n";
  const out = replaceSection(text, "b", "B2");
  assert.equal(readSection(out, "a"), "A");
  assert.equal(readSection(out, "b"), "B2");
  assert.ok(out.startsWith("<!-- aiemp:begin a -->\nA\n<!-- aiemp:end a -->\n"));
});

Deno.test("replaceSection() appends a missing section at the end, under its heading", () => {
  const text = "# Note\n\nSome text";
  const out = replaceSection(text, "result", "- Outcome: sent", "## Result");
  assert.ok(out.startsWith(text), "the existing text is kept as it was");
  assert.equal(
    out,
    "# Note\n\nSome text\n\n## Result\n<!-- aiemp:begin result -->\n- Outcome: sent\n" +
      "<!-- aiemp:end result -->\n",
  );
  assert.equal(readSection(out, "result"), "- Outcome: sent");
});

Deno.test("replaceSection() keeps the owner's text after a begin marker whose end marker was deleted", () => {
  const text = `Intro\n${BEGIN}\nhalf a section\n`;
  const out = replaceSection(text, "queue", "fixed");
  assert.ok(out.startsWith(text));
  assert.ok(out.endsWith(`${BEGIN}\nfixed\n${END}\n`));
});

// Regression test; it failed before the fix (src/vault/sections.ts): when a section's end marker is damaged, the first write appends a
// fresh section at the end, but the next write matches the *damaged* begin marker with the fresh
// end marker and deletes everything between them — the owner's own text included (Dashboard.md is
// rewritten every refresh, so "## My notes" vanishes a second after the owner deletes one line).
// readSection() likewise reads from the damaged marker.
Deno.test({
  name:
    "replaceSection() written twice over a damaged section never deletes the owner's text after it",
  fn() {
    const owner = "\n## My notes\nOwner notes\n";
    const text = `## Queue\n${BEGIN}\nold\n${owner}`;
    const once = replaceSection(text, "queue", "one", "## Queue");
    assert.equal(readSection(once, "queue"), "one");
    const twice = replaceSection(once, "queue", "two", "## Queue");
    assert.ok(twice.includes(owner), "the owner's notes survive the second write");
    assert.equal(readSection(twice, "queue"), "two");
  },
});

Deno.test("readSection() gives undefined for a section that is not there", () => {
  assert.equal(readSection("# Nothing here\n", "queue"), undefined);
});

Deno.test("replaceSection() then readSection() gives the content and keeps the outside text", () => {
  const free = fc.string({ unit: "grapheme-ascii" }).filter((s) => !s.includes("<!-- aiemp:"));
  const content = fc.string().filter((s) => !s.includes("<!-- aiemp:") && !s.endsWith("\n"));
  fc.assert(
    fc.property(free, free, free, content, (before, old, after, fresh) => {
      const text = `${before}${BEGIN}${old}${END}${after}`;
      const out = replaceSection(text, "queue", fresh, "## Queue");
      assert.equal(readSection(out, "queue"), fresh);
      assert.ok(out.startsWith(before + BEGIN), "text before the section is unchanged");
      assert.ok(out.endsWith(END + after), "text after the section is unchanged");
      assert.equal(out.split(BEGIN).length, 2, "the section is not duplicated");
    }),
    { numRuns: 300 },
  );
});

Deno.test("replaceSection() on a note without the section keeps its text and makes it readable", () => {
  const free = fc.string().filter((s) => !s.includes("<!-- aiemp:"));
  const content = fc.string().filter((s) => !s.includes("<!-- aiemp:") && !s.endsWith("\n"));
  fc.assert(
    fc.property(free, content, (text, fresh) => {
      const out = replaceSection(text, "queue", fresh, "## Queue");
      assert.ok(out.startsWith(text));
      assert.equal(readSection(out, "queue"), fresh);
    }),
    { numRuns: 200 },
  );
});

// ---------------------------------------------------------------------------------------------
// Files

Deno.test("moveInto() never overwrites: a taken name gets -2, then -3", async () => {
  await withTempDir(async (dir) => {
    const from = join(dir, "from");
    const to = join(dir, "to");
    await Deno.mkdir(from);
    await Deno.mkdir(to);
    await Deno.writeTextFile(join(to, "EMAIL_a.md"), "already there");
    await Deno.writeTextFile(join(from, "EMAIL_a.md"), "second");
    const second = await moveInto(join(from, "EMAIL_a.md"), to);
    assert.equal(second, join(to, "EMAIL_a-2.md"));
    await Deno.writeTextFile(join(from, "EMAIL_a.md"), "third");
    const third = await moveInto(join(from, "EMAIL_a.md"), to);
    assert.equal(third, join(to, "EMAIL_a-3.md"));
    assert.equal(await Deno.readTextFile(join(to, "EMAIL_a.md")), "already there");
    assert.equal(await Deno.readTextFile(second), "second");
    assert.equal(await Deno.readTextFile(third), "third");
    assert.deepEqual(await namesIn(from), []);
  });
});

Deno.test("moveInto() creates the destination folder and keeps the name when it is free", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "note.md"), "x");
    const target = await moveInto(join(dir, "note.md"), join(dir, "a", "b"));
    assert.equal(target, join(dir, "a", "b", "note.md"));
    assert.equal(await Deno.readTextFile(target), "x");
  });
});

Deno.test("writeFileAtomic() replaces the content and leaves no temporary file", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "Dashboard.md");
    await Deno.writeTextFile(path, "old content that is longer than the new one\n");
    await writeFileAtomic(path, "new\n");
    assert.equal(await Deno.readTextFile(path), "new\n");
    await writeFileAtomic(path, new Uint8Array([104, 105]));
    assert.equal(await Deno.readTextFile(path), "hi");
    assert.deepEqual(await namesIn(dir), ["Dashboard.md"]);
  });
});

Deno.test("writeFileAtomic() creates a file that did not exist", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "new.md");
    await writeFileAtomic(path, "hello");
    assert.equal(await Deno.readTextFile(path), "hello");
    assert.deepEqual(await namesIn(dir), ["new.md"]);
  });
});

// ---------------------------------------------------------------------------------------------
// Creating a vault

Deno.test("initVault() creates every vault folder and a private .aiemp/", async () => {
  await withTempDir(async (dir) => {
    const root = join(dir, "vault");
    const report = await initVault(root);
    const layout = vaultLayout(root);
    for (const folder of VAULT_FOLDERS) {
      const info = await Deno.stat(layout.folder(folder));
      assert.ok(info.isDirectory, `${folder}/ exists`);
    }
    for (const file of ["Dashboard.md", "Company_Handbook.md", "Business_Goals.md", "aiemp.yaml"]) {
      assert.ok((await Deno.stat(join(root, file))).isFile, `${file} exists`);
    }
    assert.ok(report.created.includes("Company_Handbook.md"));
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(layout.internal)).mode! & 0o777, 0o700);
    }
  });
});

Deno.test("initVault() run again creates nothing and keeps the owner's edits byte for byte", async () => {
  await withTempDir(async (dir) => {
    await initVault(dir);
    const handbook = join(dir, "Company_Handbook.md");
    const edited = new TextEncoder().encode("# My rules\r\n\nNever pay more than 500 €.\n\t\n");
    await Deno.writeFile(handbook, edited);
    const again = await initVault(dir);
    assert.deepEqual(again.created, []);
    assert.ok(again.kept.includes("Company_Handbook.md"));
    assert.deepEqual(await Deno.readFile(handbook), edited);
  });
});

Deno.test("initVault() puts back a starter file the owner deleted", async () => {
  await withTempDir(async (dir) => {
    await initVault(dir);
    const goals = join(dir, "Business_Goals.md");
    const original = await Deno.readTextFile(goals);
    await Deno.remove(goals);
    await Deno.remove(join(dir, "Briefings"));
    const again = await initVault(dir);
    assert.deepEqual(again.created.sort(), ["Briefings/", "Business_Goals.md"]);
    assert.equal(await Deno.readTextFile(goals), original);
  });
});

// ---------------------------------------------------------------------------------------------
// The vault lock

const owner = (pid: number) => ({ pid, started: "2026-01-01T00:00:00.000Z" });

Deno.test("acquireVaultLock() refuses a second orchestrator and names the PID holding it", async () => {
  await withTempDir(async (dir) => {
    const lockPath = join(dir, "lock");
    const first = await acquireVaultLock(lockPath, dir, owner(4242));
    try {
      await assert.rejects(
        () => acquireVaultLock(lockPath, dir, owner(5151)),
        (error: unknown) =>
          error instanceof VaultLockedError && error.message.includes("4242") &&
          error.owner?.pid === 4242,
      );
    } finally {
      first.release();
    }
  });
});

Deno.test("acquireVaultLock() can take the lock again after release()", async () => {
  await withTempDir(async (dir) => {
    const lockPath = join(dir, "lock");
    const first = await acquireVaultLock(lockPath, dir, owner(4242));
    first.release();
    const second = await acquireVaultLock(lockPath, dir, owner(5151));
    try {
      assert.equal(second.takenOverFrom, undefined, "a released lock is not a takeover");
    } finally {
      second.release();
    }
  });
});

Deno.test("acquireVaultLock() takes over a lock left by a crashed orchestrator and reports its PID", async () => {
  await withTempDir(async (dir) => {
    const lockPath = join(dir, "lock");
    await Deno.writeTextFile(
      lockPath,
      JSON.stringify({ pid: 999999, started: "2025-12-31T23:00:00.000Z" }) + "\n",
    );
    const lock = await acquireVaultLock(lockPath, dir, owner(Deno.pid));
    try {
      assert.equal(lock.takenOverFrom?.pid, 999999);
      assert.equal((await runningOwner(lockPath))?.pid, Deno.pid);
    } finally {
      lock.release();
    }
  });
});

Deno.test("runningOwner() reports the holder while the lock is held and nobody after release", async () => {
  await withTempDir(async (dir) => {
    const lockPath = join(dir, "lock");
    assert.equal(await runningOwner(lockPath), undefined, "no lock file: nobody runs");
    const lock = await acquireVaultLock(lockPath, dir, owner(4242));
    let released = false;
    try {
      assert.deepEqual(await runningOwner(lockPath), owner(4242));
      lock.release();
      released = true;
      assert.equal(await runningOwner(lockPath), undefined);
    } finally {
      if (!released) lock.release();
    }
  });
});

Deno.test("runningOwner() does not count a lock file left behind without a holder", async () => {
  await withTempDir(async (dir) => {
    const lockPath = join(dir, "lock");
    await Deno.writeTextFile(lockPath, JSON.stringify(owner(999999)));
    assert.equal(await runningOwner(lockPath), undefined);
  });
});
