/**
 * The Gmail channel end to end, against the loopback fake of Google's endpoints: a message becomes
 * a task note, the task loop's agent drafts a reply, and the owner's approval sends it exactly
 * once, in the message's thread.
 */
import assert from "node:assert/strict";
import { parseNote } from "../../src/vault/mod.ts";
import { startFakeGmail, storeFakeCredentials } from "../fixtures/fake_gmail.ts";
import { filesIn, makeVault, startAiemp, waitFor, waitUntilPending } from "./_harness.ts";

const MAIL = [
  "From: Dana Lee <dana@acme.example>",
  "To: owner@example.com",
  "Subject: Invoice 2041",
  "Date: Sat, 21 Nov 2026 07:00:00 +0000",
  "Message-ID: <inv-2041@acme.example>",
  "Content-Type: text/plain; charset=utf-8",
  "",
  "When will invoice 2041 be paid?",
  "agent-test: reply",
  "",
].join("\r\n");

Deno.test("mail flows in as a note, the agent drafts a reply, and the approved reply goes out once in the right thread", async () => {
  const fake = startFakeGmail();
  const vault = await makeVault(
    `gmail:\n  enabled: true\n  check_interval_s: 10\n  api_root: ${fake.apiRoot}\n` +
      `  token_uri: ${fake.tokenUri}\n` +
      "tasks:\n  enabled: true\n  poll_interval_s: 1\n  retry_backoff_s: 0\n",
  );
  try {
    await storeFakeCredentials(vault.file(".aiemp", "secrets"), fake);
    const original = fake.addMessage(MAIL);
    const run = await startAiemp(vault.path);
    try {
      const reply = `EMAIL_reply_EMAIL_${original.id}.md`;
      // The task waits for the owner once the loop has judged the agent's run.
      const note = await waitFor(
        async () => {
          const text = await Deno.readTextFile(
            vault.file("Needs_Action", `EMAIL_${original.id}.md`),
          ).catch(() => "");
          const note = text ? parseNote(text) : undefined;
          return note?.frontMatter.status === "waiting_approval" && note;
        },
        "the task to wait for the owner's approval",
        20_000,
      );
      assert.equal(note.frontMatter.trust, "untrusted");
      assert.deepEqual(note.frontMatter.approvals, [reply]);
      assert.equal(fake.sent.length, 0, "nothing goes out before the owner approves");

      await waitUntilPending(vault, reply);
      await Deno.rename(vault.file("Pending_Approval", reply), vault.file("Approved", reply));
      await waitFor(
        async () => (await filesIn(vault.file("Done"))).includes(`EMAIL_${original.id}.md`),
        "the task in Done/ once its reply went out",
        20_000,
      );
      assert.equal(fake.sent.length, 1);
      const [sent] = fake.sent;
      assert.equal(sent.threadId, original.threadId);
      assert.match(sent.text, /^In-Reply-To: <inv-2041@acme\.example>/m);
      assert.match(sent.text, /^Subject: Re: Invoice 2041/m);
      assert.match(sent.text, /^To: .*dana@acme\.example/m);
      const done = parseNote(await Deno.readTextFile(vault.file("Done", reply)));
      assert.equal(done.frontMatter.remote_id, sent.id);
    } finally {
      await run.stop();
    }
    // A restart sends nothing again and takes the message in no second time.
    const again = await startAiemp(vault.path);
    await again.stop();
    assert.equal(fake.sent.length, 1);
    assert.deepEqual(
      (await filesIn(vault.file("Needs_Action"))).filter((n) => n.endsWith(".md")),
      [],
      "no second note for the same message",
    );
  } finally {
    await fake.close();
    await vault.cleanup();
  }
});
