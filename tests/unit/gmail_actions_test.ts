/**
 * The `send_email` and `reply_email` actions: what `prepare` refuses and records, and `perform`
 * with the real Gmail client against the loopback fake (the fake's MIME checked with postal-mime),
 * including the failures that decide between "retry", "fix it" and "may have been sent".
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import PostalMime from "postal-mime";
import {
  ActionInputError,
  actionOf,
  type ActionResult,
  type ActionSettings,
  type ApprovedItem,
  findActionType,
  type PreparedAction,
  runActionSandboxed,
} from "../../src/actions/mod.ts";
import { replyEmailAction, sendEmailAction } from "../../src/actions/gmail.ts";
import type { AuditEntry } from "../../src/audit/mod.ts";
import { executeApproved } from "../../src/executor/mod.ts";
import { GMAIL_LIBRARY_ENV } from "../../src/gmail/mod.ts";
import { createSecretStore } from "../../src/secrets/mod.ts";
import { type FakeGmail, startFakeGmail } from "../fixtures/fake_gmail.ts";

const decoder = new TextDecoder();

/** The secrets of a signed-in owner, for the fake; `gmail_token.json` left out when `signedOut`. */
function secretsFor(fake: FakeGmail | undefined, signedOut = false): Record<string, string> {
  const secrets: Record<string, string> = {
    "gmail_client.json": JSON.stringify({
      client_id: fake?.clientId ?? "client-1.apps.example",
      client_secret: fake?.clientSecret ?? "client-secret-1",
    }),
  };
  if (!signedOut) {
    secrets["gmail_token.json"] = JSON.stringify({
      refresh_token: fake?.refreshToken ?? "refresh-token-1234",
    });
  }
  return secrets;
}

function settingsFor(
  fake?: FakeGmail,
  options: { vault?: string; signedOut?: boolean } = {},
): ActionSettings {
  const secrets = secretsFor(fake, options.signedOut);
  return {
    webhooks: {},
    userAgent: "aiemp/test",
    secret(name) {
      if (Object.hasOwn(secrets, name)) return secrets[name];
      throw new ActionInputError(`Cannot find the secret '${name}': there is no file`);
    },
    ...(fake ? { gmail: { apiRoot: fake.apiRoot, tokenUri: fake.tokenUri } } : {}),
    ...(options.vault ? { vault: options.vault } : {}),
  };
}

function item(
  action: "send_email" | "reply_email",
  frontMatter: Record<string, unknown>,
  body = "Hello,\n\nthe report is attached.\n",
): ApprovedItem {
  return { id: "EMAIL_t_1", action, fileName: "EMAIL_t_1.md", frontMatter, body };
}

function prepare(
  action: "send_email" | "reply_email",
  frontMatter: Record<string, unknown>,
  settings = settingsFor(),
  body?: string,
): PreparedAction {
  const type = action === "send_email" ? sendEmailAction : replyEmailAction;
  return type.prepare(item(action, frontMatter, body), settings);
}

async function perform(
  action: "send_email" | "reply_email",
  prepared: PreparedAction,
): Promise<ActionResult> {
  return await findActionType(action)!.perform(prepared.request, new AbortController().signal);
}

async function withFake(body: (fake: FakeGmail) => Promise<void>): Promise<void> {
  const fake = startFakeGmail();
  try {
    await body(fake);
  } finally {
    await fake.close();
  }
}

async function withVault(body: (vault: string) => Promise<void>): Promise<void> {
  const parent = await Deno.makeTempDir({ prefix: "aiemp-gmail-actions-" });
  const vault = join(parent, "vault");
  await Deno.mkdir(join(vault, "Needs_Action", "attachments"), { recursive: true });
  try {
    await body(vault);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
}

/** The header block of a raw message, unfolded. */
function headersOf(text: string): string {
  return text.slice(0, text.indexOf("\r\n\r\n")).replace(/\r\n[ \t]+/g, " ");
}

function headerLine(text: string, name: string): string | undefined {
  return headersOf(text).split("\r\n").find((line) =>
    line.toLowerCase().startsWith(`${name.toLowerCase()}:`)
  );
}

const SEND = { to: "dana@acme.example", subject: "Invoice 2041" };

// ---------------------------------------------------------------------------------------------
// Which action a file asks for

Deno.test("actionOf() takes an EMAIL_ or GMAIL_ file that names its thread as a reply", () => {
  assert.equal(actionOf("EMAIL_new.md", { to: "a@example.com" }), "send_email");
  assert.equal(actionOf("EMAIL_re.md", { thread_id: "18e2f0a9c4b1d3e7" }), "reply_email");
  assert.equal(actionOf("GMAIL_re.md", { gmail_id: "18e2f0a9c4b1d3e7" }), "reply_email");
  assert.equal(actionOf("EMAIL_re.md", { in_reply_to: "<a@x.example>" }), "reply_email");
  assert.equal(
    actionOf("EMAIL_re.md", { action: "send_email", thread_id: "1" }),
    "send_email",
    "an action: field always wins",
  );
  assert.equal(actionOf("note.md", { action: "reply_email" }), "reply_email");
});

Deno.test("send_email and reply_email are never retried after a cut-off attempt (not idempotent)", () => {
  assert.equal(findActionType("send_email")?.idempotent(item("send_email", SEND)), false);
  assert.equal(findActionType("reply_email")?.idempotent(item("reply_email", SEND)), false);
});

// ---------------------------------------------------------------------------------------------
// What prepare() refuses

Deno.test("send_email prepare() asks for a recipient when to, cc and bcc are all missing", () => {
  assert.throws(
    () => prepare("send_email", { subject: "Hi" }),
    (error: Error) =>
      error instanceof ActionInputError && /needs a recipient: add 'to: /.test(error.message),
  );
  assert.throws(() => prepare("send_email", { to: [], cc: "", subject: "Hi" }), /recipient/);
});

Deno.test("send_email prepare() asks for a subject", () => {
  assert.throws(
    () => prepare("send_email", { to: "a@example.com" }),
    /an email needs 'subject: …' in its front matter/,
  );
  assert.throws(() => prepare("send_email", { to: "a@example.com", subject: "  " }), /subject/);
});

Deno.test("send_email prepare() names the field and the address that is not one", () => {
  assert.throws(
    () => prepare("send_email", { ...SEND, to: "dana@acme.example, bob@" }),
    /'to' has "bob@", which is not an email address; write it as name@example.com/,
  );
  assert.throws(
    () => prepare("send_email", { ...SEND, cc: ["ok@example.com", "Bob <bob at example>"] }),
    /'cc' has "Bob <bob at example>"/,
  );
  assert.throws(
    () => prepare("send_email", { ...SEND, bcc: 42 }),
    /'bcc' must be an address or a list of addresses, not number 42/,
  );
});

Deno.test("send_email prepare() reads names, lists, comma-separated and quoted addresses", () => {
  const prepared = prepare("send_email", {
    ...SEND,
    to: '"Lee, Dana" <dana@acme.example>, bob@example.com',
    cc: ["Zoë Ñandú <zoe@example.com>", { name: "Ann", address: "ann@example.com" }],
  });
  const request = prepared.request as { to: unknown; cc: unknown };
  assert.deepEqual(request.to, [
    { name: "Lee, Dana", address: "dana@acme.example" },
    { address: "bob@example.com" },
  ]);
  assert.deepEqual(request.cc, [
    { name: "Zoë Ñandú", address: "zoe@example.com" },
    { name: "Ann", address: "ann@example.com" },
  ]);
});

Deno.test("send_email prepare() refuses reply fields and points to reply_email", () => {
  assert.throws(
    () => prepare("send_email", { ...SEND, thread_id: "18e2f0a9c4b1d3e7" }),
    /send_email sends a new message, but this item has 'thread_id': for a reply write 'action: reply_email'/,
  );
});

Deno.test("reply_email prepare() asks for the thread and the original's Message-ID, or its gmail_id", () => {
  assert.throws(
    () => prepare("reply_email", { ...SEND }),
    /a reply needs 'thread_id:' and 'in_reply_to:' .*, or 'gmail_id:' of the original message/,
  );
  assert.throws(
    () => prepare("reply_email", { ...SEND, thread_id: "18e2f0a9c4b1d3e7" }),
    /a reply needs 'in_reply_to:'/,
  );
  assert.throws(
    () => prepare("reply_email", { to: "a@example.com", thread_id: "t1", in_reply_to: "<m@x>" }),
    /a reply needs 'subject: Re: …'/,
  );
});

Deno.test("reply_email prepare() refuses a thread id that YAML turned into a float, with the fix", () => {
  assert.throws(
    () => prepare("reply_email", { ...SEND, thread_id: 1.8e21, in_reply_to: "<m@x>" }),
    /'thread_id' must be Gmail's id as text; YAML read it as number .*put it in quotes/,
  );
});

Deno.test("email prepare() says to run 'aiemp auth gmail' when no refresh token is stored", () => {
  assert.throws(
    () => prepare("send_email", SEND, settingsFor(undefined, { signedOut: true })),
    (error: Error) =>
      error instanceof ActionInputError && /aiemp auth gmail/.test(error.message) &&
      /refresh token/.test(error.message),
  );
});

Deno.test("email prepare() asks for text when the note has none", () => {
  assert.throws(
    () => prepare("send_email", SEND, settingsFor(), "\n\n"),
    /the email has no text: write it under '## Content'/,
  );
});

// ---------------------------------------------------------------------------------------------
// What prepare() grants and records

Deno.test("email prepare() grants Google's hosts and the libraries' variables, and records no credentials", () => {
  const prepared = prepare("reply_email", {
    to: "Dana Lee <dana@acme.example>",
    cc: "sam@example.com",
    subject: "Invoice 2041",
    thread_id: "18e2f0a9c4b1d3e7",
    in_reply_to: "<CAF7q2x91@mail.acme.example>",
  });
  assert.deepEqual(prepared.hosts, ["gmail.googleapis.com:443", "oauth2.googleapis.com:443"]);
  assert.deepEqual(prepared.env, GMAIL_LIBRARY_ENV);
  assert.deepEqual(prepared.readable, []);
  const summary = JSON.stringify(prepared.summary);
  for (const secret of ["refresh-token-1234", "client-secret-1", "client-1.apps.example"]) {
    assert.ok(!summary.includes(secret), `the summary leaves out ${secret}`);
  }
  assert.ok(JSON.stringify(prepared.request).includes("refresh-token-1234"), "the run gets it");
  assert.deepEqual(prepared.summary, {
    via: "gmail",
    to: ["Dana Lee <dana@acme.example>"],
    cc: ["sam@example.com"],
    subject: "Re: Invoice 2041",
    thread: "18e2f0a9c4b1d3e7",
    in_reply_to: "<CAF7q2x91@mail.acme.example>",
    text: "Hello,\n\nthe report is attached.\n",
  });
});

Deno.test("email prepare() sends the note's ## Content section, without the reasons or aiemp's own sections", () => {
  const body =
    "## Why\nDana asked for a date.\n\n## Content\nHi Dana,\n\n### Dates\n30 March is fine.\n\n" +
    "## Interrupted\n<!-- aiemp:begin interrupted -->\nIt may have gone out.\n" +
    "<!-- aiemp:end interrupted -->\n";
  const prepared = prepare("send_email", SEND, settingsFor(), body);
  assert.equal(
    (prepared.request as { text: string }).text,
    "Hi Dana,\n\n### Dates\n30 March is fine.\n",
  );
  const own = prepare("send_email", { ...SEND, text: "Short one." }, settingsFor(), body);
  assert.equal((own.request as { text: string }).text, "Short one.\n", "text: wins");
});

Deno.test("email prepare() lets the run read exactly the attachments, and records their names", async () => {
  await withVault(async (vault) => {
    const path = join(vault, "Needs_Action", "attachments", "report.pdf");
    await Deno.writeFile(path, new Uint8Array([1, 2, 3]));
    const prepared = prepare(
      "send_email",
      { ...SEND, attachments: ["Needs_Action/attachments/report.pdf"] },
      settingsFor(undefined, { vault }),
    );
    assert.deepEqual(prepared.readable, [path]);
    assert.deepEqual(prepared.summary.attachments, ["report.pdf"]);
  });
});

Deno.test("email prepare() refuses attachments outside the vault, hidden, missing or linked, naming the path and the fix", async () => {
  await withVault(async (vault) => {
    const outside = join(vault, "..", "outside.txt");
    await Deno.writeTextFile(outside, "not in the vault");
    const attachments = join(vault, "Needs_Action", "attachments");
    await Deno.symlink(outside, join(attachments, "link.txt"));
    await Deno.link(outside, join(attachments, "hard.txt"));
    await Deno.writeTextFile(join(vault, "..", "other.txt"), "not in the vault either");
    await Deno.symlink(join(vault, ".."), join(vault, "Elsewhere"));
    const refused = (reference: string, reason: RegExp) =>
      assert.throws(
        () =>
          prepare(
            "send_email",
            { ...SEND, attachments: [reference] },
            settingsFor(undefined, { vault }),
          ),
        (error: Error) =>
          error instanceof ActionInputError &&
          error.message.includes(`attachment ${JSON.stringify(reference)}`) &&
          reason.test(error.message),
        reference,
      );
    refused("../outside.txt", /'\.\.' climbs out of a folder.*without '\.\.'/);
    refused(outside, /absolute path.*give the path from the vault's top folder/);
    refused(".aiemp/secrets/gmail_token.json", /hidden file or folder/);
    refused("Needs_Action/attachments/missing.pdf", /no such file in the vault/);
    refused("Needs_Action/attachments/link.txt", /symbolic link.*copy the file itself/);
    refused("Needs_Action/attachments/hard.txt", /hard link.*cp, not ln/);
    refused("Elsewhere/other.txt", /outside the vault, through a symbolic link; copy the file/);
  });
});

Deno.test("email prepare() refuses attachments when it knows no vault", () => {
  assert.throws(
    () => prepare("send_email", { ...SEND, attachments: "a.pdf" }),
    /no vault is known/,
  );
});

// ---------------------------------------------------------------------------------------------
// perform() against the fake

Deno.test("send_email sends one message: encoded non-ASCII headers, text with an HTML alternative, the attachment's bytes", async () => {
  await withFake(async (fake) => {
    await withVault(async (vault) => {
      const bytes = Uint8Array.from({ length: 600 }, (_, i) => (i * 37) % 256);
      await Deno.writeFile(join(vault, "Needs_Action", "attachments", "Übersicht.bin"), bytes);
      const prepared = prepare(
        "send_email",
        {
          to: "Zoë Ñandú <zoe@example.com>",
          cc: "sam@example.com",
          subject: "Grüße – invoice 2041",
          html: "<p>Hello <b>Zoë</b></p>",
          attachments: ["Needs_Action/attachments/Übersicht.bin"],
        },
        settingsFor(fake, { vault }),
        "## Content\nHello Zoë,\n\nsee the attachment.\n",
      );
      const result = await perform("send_email", prepared);
      assert.equal(fake.sent.length, 1);
      const [sent] = fake.sent;
      assert.deepEqual(result, { ok: true, remoteId: sent.id, detail: `thread ${sent.threadId}` });
      assert.equal(sent.requestedThreadId, undefined, "a new message starts its own thread");
      assert.match(headersOf(sent.text), /^[\x20-\x7e\r\n\t]*$/, "headers are ASCII only");
      assert.match(headerLine(sent.text, "Subject")!, /=\?UTF-8\?/i);
      assert.match(headerLine(sent.text, "To")!, /=\?UTF-8\?.*<zoe@example\.com>/i);
      assert.match(sent.text, /multipart\/alternative/);
      const email = await PostalMime.parse(sent.raw);
      assert.equal(email.subject, "Grüße – invoice 2041");
      assert.deepEqual(email.to?.map((a) => [a.name, a.address]), [[
        "Zoë Ñandú",
        "zoe@example.com",
      ]]);
      assert.deepEqual(email.cc?.map((a) => a.address), ["sam@example.com"]);
      assert.equal(email.text?.trim(), "Hello Zoë,\n\nsee the attachment.");
      assert.equal(email.html?.trim(), "<p>Hello <b>Zoë</b></p>");
      assert.equal(email.attachments.length, 1);
      assert.equal(email.attachments[0].filename, "Übersicht.bin");
      assert.deepEqual(new Uint8Array(email.attachments[0].content as ArrayBuffer), bytes);
    });
  });
});

Deno.test("send_email runs in its sandboxed Worker with only the prepared permissions", async () => {
  await withFake(async (fake) => {
    await withVault(async (vault) => {
      await Deno.writeTextFile(join(vault, "Needs_Action", "attachments", "a.txt"), "attached");
      const prepared = prepare(
        "send_email",
        { ...SEND, attachments: ["Needs_Action/attachments/a.txt"] },
        settingsFor(fake, { vault }),
      );
      const result = await runActionSandboxed("send_email", prepared, { timeoutMs: 30_000 });
      assert.equal(result.ok, true, JSON.stringify(result));
      assert.equal(fake.sent.length, 1);
      const email = await PostalMime.parse(fake.sent[0].raw);
      assert.equal(decoder.decode(email.attachments[0].content as ArrayBuffer), "attached");
    });
  });
});

const ORIGINAL = [
  "From: Dana Lee <dana@acme.example>",
  "To: owner@example.com",
  "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_zu_2041?=",
  "Date: Thu, 12 Mar 2026 08:00:00 +0000",
  "Message-ID: <orig-2@mail.acme.example>",
  "References: <orig-1@mail.acme.example>",
  "Content-Type: text/plain; charset=utf-8",
  "",
  "Can we pay on 30 March?",
  "",
].join("\n");

Deno.test("reply_email with thread_id and in_reply_to replies in that thread, with Re: once", async () => {
  await withFake(async (fake) => {
    const original = fake.addMessage(ORIGINAL);
    const prepared = prepare("reply_email", {
      to: "dana@acme.example",
      subject: "Re: Invoice 2041",
      thread_id: original.threadId,
      in_reply_to: "<orig-2@mail.acme.example>",
      references: "<orig-1@mail.acme.example> <orig-2@mail.acme.example>",
    }, settingsFor(fake));
    const result = await perform("reply_email", prepared);
    assert.equal(fake.sent.length, 1);
    const [sent] = fake.sent;
    assert.deepEqual(result, {
      ok: true,
      remoteId: sent.id,
      detail: `thread ${original.threadId}`,
    });
    assert.equal(sent.requestedThreadId, original.threadId);
    assert.equal(sent.threadId, original.threadId);
    assert.equal(headerLine(sent.text, "In-Reply-To"), "In-Reply-To: <orig-2@mail.acme.example>");
    assert.equal(
      headerLine(sent.text, "References"),
      "References: <orig-1@mail.acme.example> <orig-2@mail.acme.example>",
    );
    assert.equal(headerLine(sent.text, "Subject"), "Subject: Re: Invoice 2041");
    assert.equal(fake.requestsTo("get").length, 0, "nothing fetched with explicit headers");
  });
});

Deno.test("reply_email with gmail_id takes the thread, Message-ID, References and subject from the original", async () => {
  await withFake(async (fake) => {
    const original = fake.addMessage(ORIGINAL);
    const prepared = prepare(
      "reply_email",
      { to: "dana@acme.example", gmail_id: original.id },
      settingsFor(fake),
    );
    assert.equal(prepared.summary.reply_to_gmail_id, original.id);
    const result = await perform("reply_email", prepared);
    assert.equal(result.ok, true, JSON.stringify(result));
    const [sent] = fake.sent;
    assert.equal(sent.requestedThreadId, original.threadId);
    assert.equal(headerLine(sent.text, "In-Reply-To"), "In-Reply-To: <orig-2@mail.acme.example>");
    assert.equal(
      headerLine(sent.text, "References"),
      "References: <orig-1@mail.acme.example> <orig-2@mail.acme.example>",
    );
    const email = await PostalMime.parse(sent.raw);
    assert.equal(email.subject, "Re: Grüße zu 2041");
    assert.deepEqual(
      fake.requestsTo("get").map((r) => [r.path.split("/").at(-1), r.query.format]),
      [
        [original.id, "full"],
      ],
    );
  });
});

Deno.test("reply_email with gmail_id and a subject that has Re: already does not add another", async () => {
  await withFake(async (fake) => {
    const original = fake.addMessage(ORIGINAL);
    const prepared = prepare(
      "reply_email",
      { to: "dana@acme.example", gmail_id: original.id, subject: "RE: Grüße zu 2041" },
      settingsFor(fake),
    );
    assert.equal((await perform("reply_email", prepared)).ok, true);
    assert.equal((await PostalMime.parse(fake.sent[0].raw)).subject, "RE: Grüße zu 2041");
  });
});

Deno.test("reply_email refuses a thread_id that is not the thread of gmail_id, sending nothing", async () => {
  await withFake(async (fake) => {
    const original = fake.addMessage(ORIGINAL);
    const prepared = prepare(
      "reply_email",
      { to: "dana@acme.example", gmail_id: original.id, thread_id: "abc123" },
      settingsFor(fake),
    );
    const result = await perform("reply_email", prepared);
    assert.equal(result.ok, false);
    assert.ok(!result.ok && !result.retryable && /not in thread abc123/.test(result.reason));
    assert.equal(fake.requestsTo("send").length, 0);
  });
});

Deno.test("a send answered 429 is retryable: Google did not take it", async () => {
  await withFake(async (fake) => {
    fake.failNext("send", 1, { status: 429, retryAfter: "3600" });
    const result = await perform("send_email", prepare("send_email", SEND, settingsFor(fake)));
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.retryable && !result.mayHaveActed, JSON.stringify(result));
    assert.match(!result.ok ? result.reason : "", /rate limited.*nothing was sent/);
    assert.equal(fake.sent.length, 0);
  });
});

Deno.test("a send answered 500 may have gone out: mayHaveActed, not retryable, not retried", async () => {
  await withFake(async (fake) => {
    fake.failNext("send", 1, { status: 500 });
    const result = await perform("send_email", prepare("send_email", SEND, settingsFor(fake)));
    assert.ok(!result.ok && !result.retryable && result.mayHaveActed, JSON.stringify(result));
    assert.match(!result.ok ? result.reason : "", /may have been sent/);
    assert.equal(fake.requestsTo("send").length, 1, "sent once, never repeated");
  });
});

Deno.test("a revoked refresh token fails the send, not retryable, naming 'aiemp auth gmail'", async () => {
  await withFake(async (fake) => {
    fake.revokeRefreshToken();
    const result = await perform("send_email", prepare("send_email", SEND, settingsFor(fake)));
    assert.ok(!result.ok && !result.retryable && !result.mayHaveActed, JSON.stringify(result));
    assert.match(!result.ok ? result.reason : "", /aiemp auth gmail.*nothing was sent/);
    assert.equal(fake.requestsTo("send").length, 0);
  });
});

Deno.test("a send refused before connecting (nothing listening) is retryable", async () => {
  const fake = startFakeGmail();
  await fake.close();
  const prepared = prepare("send_email", SEND, settingsFor(fake));
  // Short waits between the client's own attempts, instead of its half-second backoff.
  const request = { ...prepared.request as object, retry: { baseDelayMs: 1 } };
  const result = await findActionType("send_email")!.perform(request, new AbortController().signal);
  assert.ok(!result.ok && result.retryable && !result.mayHaveActed, JSON.stringify(result));
  assert.match(!result.ok ? result.reason : "", /nothing was sent/);
});

// ---------------------------------------------------------------------------------------------
// The executor's view

Deno.test("executeApproved() turns a send that may have gone out into an interrupted, non-retryable outcome", async () => {
  await withFake(async (fake) => {
    await withVault(async (vault) => {
      const dir = join(vault, ".aiemp", "secrets");
      await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
      await Deno.chmod(dir, 0o700);
      for (const [name, text] of Object.entries(secretsFor(fake))) {
        await Deno.writeTextFile(join(dir, name), text, { mode: 0o600 });
      }
      fake.failNext("send", 1, { status: 500 });
      const entries: AuditEntry[] = [];
      const outcome = await executeApproved(item("send_email", SEND), 1, {
        settings: {
          webhooks: {},
          userAgent: "aiemp/test",
          gmail: { apiRoot: fake.apiRoot, tokenUri: fake.tokenUri },
          vault,
        },
        secrets: createSecretStore({ dir }),
        audit: { append: (entry) => Promise.resolve(void entries.push(entry)) },
        dryRun: false,
        timeoutMs: 30_000,
      });
      assert.equal(outcome.ok, false);
      assert.equal(outcome.interrupted, true);
      assert.ok(!outcome.ok && !outcome.retryable);
      assert.ok(!("mayHaveActed" in outcome));
      assert.deepEqual(entries.map((e) => e.event), ["started", "failed"]);
      assert.equal(entries[1].may_have_acted, true);
      assert.equal(fake.requestsTo("send").length, 1);
      assert.ok(!JSON.stringify(entries).includes(fake.refreshToken));
    });
  });
});

Deno.test("executeApproved() in dry-run records the email's summary and contacts nothing", async () => {
  await withFake(async (fake) => {
    const entries: AuditEntry[] = [];
    const settings = settingsFor(fake);
    const outcome = await executeApproved(item("send_email", SEND), 1, {
      settings: { webhooks: {}, userAgent: "aiemp/test", gmail: settings.gmail },
      secrets: { read: settings.secret },
      audit: { append: (entry) => Promise.resolve(void entries.push(entry)) },
      dryRun: true,
      timeoutMs: 30_000,
    });
    assert.equal(outcome.ok, true);
    assert.equal(outcome.dryRun, true);
    assert.equal(outcome.wouldSend?.subject, "Invoice 2041");
    assert.deepEqual(outcome.wouldSend?.to, ["dana@acme.example"]);
    assert.deepEqual(entries.map((e) => e.event), ["dry_run"]);
    assert.equal(fake.requests.length, 0);
  });
});
