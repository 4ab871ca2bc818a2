import assert from "node:assert/strict";
import { readAuditLog } from "../../src/audit/mod.ts";
import { parseNote } from "../../src/vault/mod.ts";
import { filesIn, makeVault, startAiemp, type TestVault, waitFor } from "./_harness.ts";

/** Waits until exactly `count` task notes exist and returns them parsed, oldest name first. */
async function notes(vault: TestVault, count: number) {
  const names = await waitFor(async () => {
    const all = (await filesIn(vault.file("Needs_Action"))).filter((n) => n.endsWith(".md"));
    return all.length >= count && all;
  }, `${count} task note(s) in Needs_Action/`);
  assert.equal(names.length, count, `exactly ${count} note(s), got ${names.join(", ")}`);
  return await Promise.all(names.map(async (name) => ({
    name,
    ...parseNote(await Deno.readTextFile(vault.file("Needs_Action", name))),
  })));
}

/** The one note whose original_name is `name`. */
async function noteFor(vault: TestVault, name: string) {
  return await waitFor(async () => {
    for (const file of await filesIn(vault.file("Needs_Action"))) {
      if (!file.endsWith(".md")) continue;
      const note = parseNote(await Deno.readTextFile(vault.file("Needs_Action", file)));
      if (note.frontMatter.original_name === name) return { file, ...note };
    }
    return undefined;
  }, `the task note of ${JSON.stringify(name)}`);
}

Deno.test("a dropped file becomes exactly one task note, and the original is kept beside it", async () => {
  const vault = await makeVault();
  try {
    const run = await startAiemp(vault.path);
    await Deno.writeTextFile(
      vault.file("Inbox", "invoice.txt"),
      "Invoice #42: 300 EUR due Friday\n",
    );
    const [note] = await notes(vault, 1);
    const fm = note.frontMatter;
    assert.match(String(fm.id), /^FILE_\d{8}-\d{6}_invoice-txt_[0-9a-f]{6}$/);
    assert.equal(note.name, `${fm.id}.md`);
    assert.equal(fm.type, "file_drop");
    assert.equal(fm.source, "inbox");
    assert.equal(fm.priority, "normal");
    assert.equal(fm.status, "new");
    assert.equal(fm.size, 32);
    assert.equal(fm.content, "text");
    assert.match(String(fm.sha256), /^[0-9a-f]{64}$/);
    assert.ok(!Number.isNaN(Date.parse(String(fm.received))));
    assert.match(note.body, /Invoice #42: 300 EUR due Friday/);
    assert.equal(
      await Deno.readTextFile(vault.file(String(fm.attachment))),
      "Invoice #42: 300 EUR due Friday\n",
    );
    assert.deepEqual(await filesIn(vault.file("Inbox")), []);
    // The audit trail says who brought it in, from where to where, with its hash.
    const received = await waitFor(
      async () =>
        (await readAuditLog(vault.file(".aiemp", "audit.jsonl"))).find((e) => e.id === fm.id),
      "the watcher's audit entry",
    );
    assert.deepEqual(
      [received.event, received.who, received.from, received.to, received.hash],
      ["received", "watcher", "Inbox", "Needs_Action", fm.sha256],
    );
    // Repeated modify events and a restart make no second note.
    await Deno.utime(vault.file(String(fm.attachment)), new Date(), new Date());
    assert.equal(await run.stop(), 0);
    const again = await startAiemp(vault.path);
    assert.equal(await again.stop(), 0);
    await notes(vault, 1);
  } finally {
    await vault.cleanup();
  }
});

Deno.test("files that arrived while aiemp was stopped are picked up at start", async () => {
  const vault = await makeVault();
  try {
    await Deno.writeTextFile(vault.file("Inbox", "early-1.txt"), "one\n");
    await Deno.writeTextFile(vault.file("Inbox", "early-2.txt"), "two\n");
    const run = await startAiemp(vault.path);
    await notes(vault, 2);
    assert.equal(await run.stop(), 0);
  } finally {
    await vault.cleanup();
  }
});

Deno.test("bad input: each gets a note saying why, nothing is lost, and the watcher carries on", async (t) => {
  const vault = await makeVault("inbox:\n  max_file_mb: 0.01\n");
  const outside = await Deno.makeTempFile({ prefix: "aiemp-outside-" });
  await Deno.writeTextFile(outside, "a secret outside the vault\n");
  const run = await startAiemp(vault.path);
  try {
    await t.step("zero-byte file", async () => {
      await Deno.writeTextFile(vault.file("Inbox", "empty.txt"), "");
      const note = await noteFor(vault, "empty.txt");
      assert.equal(note.frontMatter.content, "empty");
      assert.match(String(note.frontMatter.problem), /empty file/);
      assert.match(note.body, /## Problem[\s\S]*drop it again/);
    });
    await t.step("binary file", async () => {
      await Deno.writeFile(
        vault.file("Inbox", "photo.bin"),
        new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 1, 2, 255]),
      );
      const note = await noteFor(vault, "photo.bin");
      assert.equal(note.frontMatter.content, "binary");
      assert.equal(note.frontMatter.size, 9);
      assert.match(note.body, /No preview: the file is not text/);
    });
    await t.step("larger than inbox.max_file_mb", async () => {
      await Deno.writeTextFile(vault.file("Inbox", "big.log"), "x".repeat(20_000));
      const note = await noteFor(vault, "big.log");
      assert.equal(note.frontMatter.content, "too_large");
      assert.equal(note.frontMatter.sha256, undefined);
      assert.match(String(note.frontMatter.problem), /inbox\.max_file_mb/);
      // The note is written first, then the original moves beside it.
      const kept = await waitFor(
        () => Deno.stat(vault.file(String(note.frontMatter.attachment))).catch(() => undefined),
        "the original kept in attachments/",
      );
      assert.equal(kept.size, 20_000);
    });
    await t.step("a symlink pointing outside the vault is not followed", async () => {
      await Deno.symlink(outside, vault.file("Inbox", "link.txt"));
      const note = await noteFor(vault, "link.txt");
      assert.equal(note.frontMatter.content, "link_outside_vault");
      assert.doesNotMatch(note.body, /a secret outside the vault/);
      assert.match(note.body, /never follows links out of the vault/);
      assert.equal(
        await Deno.readTextFile(outside),
        "a secret outside the vault\n",
        "the target is untouched",
      );
    });
    await t.step("unreadable: a link to a file that does not exist", async () => {
      await Deno.symlink(vault.file("Inbox", "gone.txt"), vault.file("Inbox", "dangling.txt"));
      const note = await noteFor(vault, "dangling.txt");
      assert.equal(note.frontMatter.content, "unreadable");
      assert.match(String(note.frontMatter.problem), /cannot be read/);
    });
    await t.step({
      name: "unreadable: no read permission",
      ignore: Deno.build.os === "windows" || Deno.uid() === 0, // root reads every file
      fn: async () => {
        await Deno.writeTextFile(vault.file("Inbox", "locked.txt"), "private\n", { mode: 0o000 });
        await Deno.chmod(vault.file("Inbox", "locked.txt"), 0o000);
        const note = await noteFor(vault, "locked.txt");
        assert.equal(note.frontMatter.content, "unreadable");
        assert.match(String(note.frontMatter.problem), /permission denied/);
      },
    });
    await t.step("names with spaces, unicode and a newline", async () => {
      const name = "Résumé  2026\nfinal ✓.txt";
      await Deno.writeTextFile(vault.file("Inbox", name), "cv\n");
      const note = await noteFor(vault, name);
      assert.equal(note.frontMatter.original_name, name);
      assert.doesNotMatch(String(note.frontMatter.attachment), /\n/);
      assert.equal(
        await Deno.readTextFile(vault.file(String(note.frontMatter.attachment))),
        "cv\n",
      );
      assert.ok(note.body.startsWith("# Dropped file: Résumé  2026 final ✓.txt\n"), note.body);
    });
    await t.step("a folder is kept and explained, not walked", async () => {
      await Deno.mkdir(vault.file("Inbox", "project"));
      await Deno.writeTextFile(vault.file("Inbox", "project", "inner.txt"), "inside\n");
      const note = await noteFor(vault, "project");
      assert.equal(note.frontMatter.content, "folder");
      assert.equal(
        await Deno.readTextFile(vault.file(String(note.frontMatter.attachment), "inner.txt")),
        "inside\n",
      );
    });
    await t.step("a file still being written becomes one note with its whole content", async () => {
      const file = await Deno.open(vault.file("Inbox", "slow.txt"), { write: true, create: true });
      for (let i = 0; i < 5; i++) {
        await file.write(new TextEncoder().encode(`part ${i}\n`));
        await new Promise((resolve) => setTimeout(resolve, 60)); // a slow writer, under the 200 ms window
      }
      file.close();
      const note = await noteFor(vault, "slow.txt");
      assert.equal(note.frontMatter.size, 35);
      assert.match(note.body, /part 0\npart 1\npart 2\npart 3\npart 4/);
    });
    await t.step("a temporary name waits until it is renamed", async () => {
      await Deno.writeTextFile(vault.file("Inbox", "report.pdf.part"), "downloading");
      await Deno.writeTextFile(vault.file("Inbox", "marker.txt"), "later file\n");
      await noteFor(vault, "marker.txt");
      assert.deepEqual(
        await filesIn(vault.file("Inbox")),
        ["report.pdf.part"],
        "the .part file is left alone",
      );
      await Deno.rename(vault.file("Inbox", "report.pdf.part"), vault.file("Inbox", "report.pdf"));
      const note = await noteFor(vault, "report.pdf");
      assert.equal(note.frontMatter.size, 11);
    });
    await t.step("a file that changes after its note was written updates that note", async () => {
      await Deno.writeTextFile(vault.file("Inbox", "growing.txt"), "first\n");
      const first = await noteFor(vault, "growing.txt");
      const before = (await filesIn(vault.file("Needs_Action"))).length;
      await Deno.writeTextFile(vault.file(String(first.frontMatter.attachment)), "second line\n", {
        append: true,
      });
      const updated = await waitFor(async () => {
        const note = parseNote(await Deno.readTextFile(vault.file("Needs_Action", first.file)));
        return note.frontMatter.size === 18 && note;
      }, "the note to show the new size");
      assert.notEqual(updated.frontMatter.sha256, first.frontMatter.sha256);
      assert.match(updated.body, /first\nsecond line/);
      assert.equal(updated.frontMatter.id, first.frontMatter.id);
      assert.equal((await filesIn(vault.file("Needs_Action"))).length, before, "no second note");
    });
    await t.step("after all that, the watcher still works and the Inbox is empty", async () => {
      await Deno.writeTextFile(vault.file("Inbox", "last.txt"), "still here\n");
      await noteFor(vault, "last.txt");
      assert.deepEqual(await filesIn(vault.file("Inbox")), []);
      assert.doesNotMatch(run.output(), /Uncaught|has died/);
    });
  } finally {
    await run.stop();
    await Deno.remove(outside);
    await vault.cleanup();
  }
});

Deno.test("a drop cut off by a crash is finished at the next start, without a second note", async () => {
  const vault = await makeVault();
  try {
    // What a crash between claiming a file and writing its note leaves behind.
    const claim = vault.file(".aiemp", "inbox-claims", "FILE_20261121-050000_cut-txt_abcdef");
    await Deno.mkdir(claim, { recursive: true });
    await Deno.writeTextFile(`${claim}/cut.txt`, "claimed before the crash\n");
    const run = await startAiemp(vault.path);
    const [note] = await notes(vault, 1);
    assert.equal(note.frontMatter.id, "FILE_20261121-050000_cut-txt_abcdef");
    assert.equal(note.frontMatter.original_name, "cut.txt");
    assert.equal(
      await Deno.readTextFile(vault.file(String(note.frontMatter.attachment))),
      "claimed before the crash\n",
    );
    assert.equal(await run.stop(), 0);
    assert.deepEqual(await filesIn(vault.file(".aiemp", "inbox-claims")), []);
  } finally {
    await vault.cleanup();
  }
});
