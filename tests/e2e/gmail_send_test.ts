/**
 * Approved emails sent by the real `aiemp start` through the loopback fake of Gmail and Google's
 * token endpoint: a reply goes out exactly once in its thread and is filed with Gmail's ids; a
 * send that Google answers with 500 goes back to the owner as "may have been sent", and is not
 * sent again.
 */
import assert from "node:assert/strict";
import PostalMime from "postal-mime";
import { readAuditLog } from "../../src/audit/mod.ts";
import { type Note, parseNote } from "../../src/vault/mod.ts";
import { type FakeGmail, startFakeGmail, storeFakeCredentials } from "../fixtures/fake_gmail.ts";
import { approve, filesIn, makeVault, startAiemp, type TestVault, waitFor } from "./_harness.ts";

/** The fake's endpoints; the watcher stays off, the actions need only the endpoints. */
function settings(fake: FakeGmail): string {
  return `gmail:\n  enabled: false\n  api_root: ${fake.apiRoot}\n  token_uri: ${fake.tokenUri}\n`;
}

/** Waits until `name` is in `folder` and its front matter says `field`; returns the note. */
async function noteIn(
  vault: TestVault,
  folder: string,
  name: string,
  field: string,
): Promise<Note> {
  return await waitFor(async () => {
    const note = parseNote(await Deno.readTextFile(vault.file(folder, name)));
    return note.frontMatter[field] !== undefined ? note : undefined;
  }, `${name} in ${folder}/ with '${field}'`);
}

const ORIGINAL = [
  "From: Dana Lee <dana@acme.example>",
  "To: owner@example.com",
  "Subject: Invoice 2041 - payment date",
  "Date: Thu, 12 Mar 2026 08:00:00 +0000",
  "Message-ID: <CAF7q2x91@mail.acme.example>",
  "",
  "Could we pay invoice 2041 on 30 March instead?",
  "",
].join("\n");

function replyRequest(threadId: string): string {
  return `---
id: EMAIL_invoice-2041-reply_20260312-0915
type: approval_request
action: reply_email
created: 2026-03-12T09:15:00+01:00
expires: 2099-01-01T00:00:00Z
to: Dana Lee <dana@acme.example>
subject: "Re: Invoice 2041 - payment date"
thread_id: "${threadId}"
in_reply_to: "<CAF7q2x91@mail.acme.example>"
---

## Why
Dana asks to pay on 30 March; the handbook lets us accept.

## Content
Hi Dana,

Paying invoice 2041 on 30 March is fine.

Best regards,
Sam
`;
}

Deno.test("aiemp start: an approved reply is sent exactly once in its thread and filed in Done/ with Gmail's ids", async () => {
  const fake = startFakeGmail();
  const vault = await makeVault(settings(fake));
  try {
    await storeFakeCredentials(vault.file(".aiemp", "secrets"), fake);
    const original = fake.addMessage(ORIGINAL);
    const run = await startAiemp(vault.path);
    const name = "EMAIL_invoice-2041-reply_20260312-0915.md";
    await approve(vault, name, replyRequest(original.threadId));

    const done = await noteIn(vault, "Done", name, "remote_id");
    assert.equal(fake.sent.length, 1);
    const [sent] = fake.sent;
    assert.equal(sent.requestedThreadId, original.threadId);
    assert.equal(sent.threadId, original.threadId);
    const email = await PostalMime.parse(sent.raw);
    assert.equal(email.inReplyTo, "<CAF7q2x91@mail.acme.example>");
    assert.equal(email.references, "<CAF7q2x91@mail.acme.example>");
    assert.equal(email.subject, "Re: Invoice 2041 - payment date");
    assert.deepEqual(email.to?.map((a) => a.address), ["dana@acme.example"]);
    assert.equal(
      email.text?.trim(),
      "Hi Dana,\n\nPaying invoice 2041 on 30 March is fine.\n\nBest regards,\nSam",
      "only the ## Content section goes out",
    );

    assert.equal(done.frontMatter.outcome, "sent");
    assert.equal(done.frontMatter.remote_id, sent.id);
    assert.match(
      done.body,
      new RegExp(`- Remote id: ${sent.id}\\n- Detail: thread ${sent.threadId}`),
    );
    const audit = (await readAuditLog(vault.file(".aiemp", "audit.jsonl"))).filter((e) =>
      e.id === "EMAIL_invoice-2041-reply_20260312-0915"
    );
    assert.deepEqual(audit.map((e) => e.event), ["pending", "approved", "started", "done"]);
    assert.ok(!JSON.stringify(audit).includes(fake.clientSecret), "no credentials in the audit");
    assert.equal(await run.stop(), 0);

    // A restart does not send it again.
    const again = await startAiemp(vault.path);
    assert.equal(await again.stop(), 0);
    assert.equal(fake.requestsTo("send").length, 1);
  } finally {
    await fake.close();
    await vault.cleanup();
  }
});

Deno.test("aiemp start: a send answered 500 goes back to Pending_Approval/ as 'may have been sent' and is not sent again", async () => {
  const fake = startFakeGmail();
  const vault = await makeVault(settings(fake));
  try {
    await storeFakeCredentials(vault.file(".aiemp", "secrets"), fake);
    fake.failNext("send", 1, { status: 500 });
    const run = await startAiemp(vault.path);
    const name = "EMAIL_offer.md";
    await approve(
      vault,
      name,
      `---\nid: EMAIL_offer\ntype: approval_request\nto: ann@example.com\nsubject: Our offer\n` +
        `expires: 2099-01-01T00:00:00Z\n---\nHi Ann,\n\nhere is our offer.\n`,
    );

    const back = await noteIn(vault, "Pending_Approval", name, "interrupted");
    assert.equal(back.frontMatter.interrupted, "may have been sent");
    assert.equal(back.frontMatter.status, "interrupted");
    assert.match(back.body, /## Interrupted[\s\S]*500[\s\S]*Sent folder/);
    assert.equal(fake.requestsTo("send").length, 1, "tried once, not retried");
    assert.equal(fake.sent.length, 0);
    // The executor's last entry reaches the audit log through the main thread just after the move.
    const events = await waitFor(async () => {
      const events = (await readAuditLog(vault.file(".aiemp", "audit.jsonl")))
        .filter((e) => e.id === "EMAIL_offer").map((e) => e.event);
      return events.includes("interrupted") && events;
    }, "the interrupted entry in the audit log");
    assert.deepEqual(events.slice(0, 5), [
      "pending",
      "approved",
      "started",
      "failed",
      "interrupted",
    ]);
    assert.equal(await run.stop(), 0);

    const again = await startAiemp(vault.path);
    assert.equal(await again.stop(), 0);
    assert.equal(fake.requestsTo("send").length, 1, "not sent again after a restart");
    assert.deepEqual(await filesIn(vault.file("Approved")), []);
    assert.deepEqual(await filesIn(vault.file(".aiemp", "inflight")), []);
    assert.ok((await filesIn(vault.file("Pending_Approval"))).includes(name));
  } finally {
    await fake.close();
    await vault.cleanup();
  }
});
