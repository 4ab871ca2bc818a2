/**
 * The Gmail watcher's core against the loopback fake of Gmail and Google's token endpoint, with
 * the real client: notes, attachments, pagination, ids that persist, marking and labelling only
 * after the note, and every failure's ending. The client's retry waits are recorded, not slept.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { AuditEntry } from "../../src/audit/mod.ts";
import { createGmailClient } from "../../src/gmail/client.ts";
import { type GmailClient, type GmailClientOptions, GmailError } from "../../src/gmail/mod.ts";
import { NeedsOwner } from "../../src/supervisor/mod.ts";
import { exists, parseNote, type VaultLayout, vaultLayout } from "../../src/vault/mod.ts";
import {
  createGmailWatcher,
  type GmailWatcherOptions,
  type GmailWatcherSettings,
  type MailCheck,
  nextCheckDelay,
  seenIdsPath,
} from "../../src/watchers/gmail/gmail_watcher.ts";
import { type FakeGmail, startFakeGmail } from "../fixtures/fake_gmail.ts";

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

const PDF = Uint8Array.from({ length: 700 }, (_, i) => (i * 31 + 7) % 256);

/** A reply-all with a non-ASCII sender and subject, text and HTML, and two attachments. */
const RICH_MAIL = [
  "From: =?UTF-8?Q?Zo=C3=AB_=C3=91and=C3=BA?= <zoe@example.net>",
  "To: owner@example.com, Bob <bob@example.org>",
  "Cc: carol@example.com",
  "Subject: =?UTF-8?B?UmVjaG51bmcgw5xiZXJzaWNodA==?=",
  "Date: Tue, 14 May 2024 09:30:00 +0000",
  "Message-ID: <rich-1@example.net>",
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="outer"',
  "",
  "--outer",
  'Content-Type: multipart/alternative; boundary="inner"',
  "",
  "--inner",
  "Content-Type: text/plain; charset=UTF-8",
  "",
  "Please pay the invoice by Friday.",
  "--inner",
  "Content-Type: text/html; charset=UTF-8",
  "",
  "<p>Please pay the <b>invoice</b> by Friday.</p>",
  "--inner--",
  "--outer",
  'Content-Type: application/pdf; name="report: Q3?.pdf"',
  'Content-Disposition: attachment; filename="report: Q3?.pdf"',
  "Content-Transfer-Encoding: base64",
  "",
  ...(PDF.toBase64().match(/.{1,76}/g) ?? []),
  "--outer",
  'Content-Type: text/plain; name="../../etc/passwd"',
  'Content-Disposition: attachment; filename="../../etc/passwd"',
  "",
  "root:x:0:0",
  "--outer--",
  "",
].join("\n");

/** Mail with only an HTML body. */
const HTML_MAIL = [
  "From: news@example.com",
  "To: owner@example.com",
  "Subject: Weekly news",
  "Date: Wed, 15 May 2024 08:00:00 +0000",
  "Content-Type: text/html; charset=UTF-8",
  "",
  "<html><body><h1>Hello</h1><p>First&nbsp;item</p><ul><li>one</li><li>two</li></ul>" +
  "<script>alert(1)</script></body></html>",
  "",
].join("\n");

function simpleMail(subject: string, minute: number): string {
  const date = `Thu, 16 May 2024 10:${String(minute).padStart(2, "0")}:00 +0000`;
  return `From: a@example.net\nTo: owner@example.com\nSubject: ${subject}\nDate: ${date}\n\n${subject} body\n`;
}

const SETTINGS: GmailWatcherSettings = {
  query: "is:unread is:important",
  maxPerCheck: 25,
  afterNote: "nothing",
  label: "aiemp",
  maxAttachmentMb: 25,
  checkIntervalMs: 120_000,
};

/** A client on the fake whose retry waits are recorded instead of slept. */
function clientOn(fake: FakeGmail, options: Partial<GmailClientOptions> = {}): GmailClient {
  return createGmailClient({
    clientId: fake.clientId,
    clientSecret: fake.clientSecret,
    refreshToken: fake.refreshToken,
    apiRoot: fake.apiRoot,
    tokenUri: fake.tokenUri,
    sleep: () => Promise.resolve(),
    ...options,
  });
}

interface Setup {
  fake: FakeGmail;
  layout: VaultLayout;
  /** A watcher over the vault with the real client; each call is a new instance (a restart). */
  watcher(
    settings?: Partial<GmailWatcherSettings>,
    options?: Partial<GmailWatcherOptions>,
  ): ReturnType<typeof createGmailWatcher>;
  logs: { level: string; message: string }[];
  records: AuditEntry[];
  activities: string[];
  note(id: string): Promise<ReturnType<typeof parseNote> & { text: string }>;
}

/** Runs `body` with a fresh fake and an empty vault, removed afterwards. */
async function withSetup(body: (setup: Setup) => Promise<void>): Promise<void> {
  const fake = startFakeGmail();
  const root = await Deno.makeTempDir({ prefix: "aiemp-gmail-" });
  const layout = vaultLayout(root);
  await Deno.mkdir(layout.folder("Needs_Action"), { recursive: true });
  await Deno.mkdir(layout.internal, { recursive: true });
  const logs: Setup["logs"] = [];
  const records: AuditEntry[] = [];
  const activities: string[] = [];
  try {
    await body({
      fake,
      layout,
      logs,
      records,
      activities,
      watcher: (settings = {}, options = {}) =>
        createGmailWatcher({
          layout,
          client: clientOn(fake),
          settings: { ...SETTINGS, ...settings },
          log: (level, message) => logs.push({ level, message }),
          record: (entry) => records.push(entry),
          activity: (text) => activities.push(text),
          now: () => new Date("2024-06-01T12:00:00Z"),
          ...options,
        }),
      note: async (id) => {
        const text = await Deno.readTextFile(join(layout.folder("Needs_Action"), `EMAIL_${id}.md`));
        return { text, ...parseNote(text) };
      },
    });
  } finally {
    await fake.close();
    await Deno.remove(root, { recursive: true });
  }
}

async function notesIn(layout: VaultLayout): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(layout.folder("Needs_Action"))) {
    if (entry.isFile && entry.name.endsWith(".md")) names.push(entry.name);
  }
  return names.sort();
}

Deno.test("check() writes one note per message: headers, thread, labels, plain text, attachments under safe names", async () => {
  await withSetup(async ({ fake, layout, watcher, records, activities, note }) => {
    const rich = fake.addMessage(RICH_MAIL, {
      threadId: "thread-7",
      labelIds: ["INBOX", "UNREAD", "IMPORTANT", "Label_3"],
    });
    const html = fake.addMessage(HTML_MAIL);
    fake.addMessage(simpleMail("not important", 1), { labelIds: ["INBOX", "UNREAD"] });

    const check = await watcher().check();
    assert.deepEqual(check, { ok: true, notes: 2 });
    assert.deepEqual(await notesIn(layout), [`EMAIL_${rich.id}.md`, `EMAIL_${html.id}.md`].sort());

    const { frontMatter: fm, body, text } = await note(rich.id);
    assert.equal(fm.id, `EMAIL_${rich.id}`);
    assert.equal(fm.type, "email");
    assert.equal(fm.source, "gmail");
    assert.equal(fm.trust, "untrusted");
    assert.equal(fm.status, "new");
    assert.equal(fm.from, "Zoë Ñandú <zoe@example.net>");
    assert.deepEqual(fm.to, ["owner@example.com", "Bob <bob@example.org>"]);
    assert.deepEqual(fm.cc, ["carol@example.com"]);
    assert.equal(fm.subject, "Rechnung Übersicht");
    assert.equal(fm.date, "Tue, 14 May 2024 09:30:00 +0000");
    assert.equal(fm.received, "2024-05-14T09:30:00.000Z");
    assert.equal(fm.thread_id, "thread-7");
    assert.equal(fm.gmail_id, rich.id);
    assert.deepEqual(fm.labels, ["INBOX", "UNREAD", "IMPORTANT", "Label_3"]);
    assert.match(body, /Please pay the invoice by Friday\./);
    assert.doesNotMatch(body, /<b>/, "the text/plain alternative is taken, not the HTML");

    const attachments = fm.attachments as string[];
    assert.deepEqual(attachments, [
      `Needs_Action/attachments/EMAIL_${rich.id}__report_ Q3_.pdf`,
      `Needs_Action/attachments/EMAIL_${rich.id}___.._etc_passwd`,
    ]);
    assert.deepEqual(await Deno.readFile(join(layout.root, attachments[0])), PDF);
    assert.equal(await Deno.readTextFile(join(layout.root, attachments[1])), "root:x:0:0");
    for await (const entry of Deno.readDir(layout.attachments)) {
      assert.ok(entry.name.startsWith("EMAIL_") && !entry.name.startsWith("."), entry.name);
    }

    const htmlNote = await note(html.id);
    assert.match(htmlNote.body, /HELLO|Hello/);
    assert.match(htmlNote.body, /First item/);
    assert.match(htmlNote.body, /\* one\n\s*\* two/);
    assert.doesNotMatch(htmlNote.body, /<h1>|<script>|alert\(1\)/);

    const received = records.find((r) => r.id === `EMAIL_${rich.id}`);
    assert.deepEqual(received, {
      event: "received",
      id: `EMAIL_${rich.id}`,
      file: `EMAIL_${rich.id}.md`,
      from: "Gmail",
      to: "Needs_Action",
      hash: sha256(text),
      why: "a Gmail message matched gmail.query (is:unread is:important)",
      gmail_id: rich.id,
      thread_id: "thread-7",
    });
    assert.equal(records.length, 2);
    assert.ok(
      activities.some((a) => a === `Email received: Rechnung Übersicht → EMAIL_${rich.id}`),
    );
    assert.deepEqual(fake.labelsOf(rich.id), ["INBOX", "UNREAD", "IMPORTANT", "Label_3"]);
    assert.equal(fake.requestsTo("modify").length, 0, "after_note: nothing changes no mail");
  });
});

Deno.test("an attachment over max_attachment_mb is listed with the reason, not fetched or saved", async () => {
  await withSetup(async ({ fake, layout, watcher, note }) => {
    const { id } = fake.addMessage(RICH_MAIL);
    await watcher({ maxAttachmentMb: 0.0005 }).check(); // 524 bytes: the PDF is 700
    const { frontMatter, body } = await note(id);
    assert.deepEqual(frontMatter.attachments, [
      `Needs_Action/attachments/EMAIL_${id}___.._etc_passwd`,
    ]);
    assert.match(
      body,
      /report_ Q3_\.pdf \(application\/pdf, 700 bytes\): not saved: over gmail\.max_attachment_mb \(0\.0005 MB\)/,
    );
    assert.equal(fake.requestsTo("attachment").length, 1, "only the small one is fetched");
    assert.equal(await exists(join(layout.attachments, `EMAIL_${id}__report_ Q3_.pdf`)), false);
  });
});

Deno.test("more mail than max_per_check is taken newest first over the next checks, across pages", async () => {
  await withSetup(async ({ fake, layout, watcher }) => {
    const ids = Array.from({ length: 7 }, (_, i) => fake.addMessage(simpleMail(`m${i}`, i)).id);
    const newestFirst = ids.toReversed();
    const gmail = watcher({ maxPerCheck: 3 }, { pageSize: 2 });

    assert.deepEqual(await gmail.check(), { ok: true, notes: 3 });
    assert.deepEqual(
      await notesIn(layout),
      newestFirst.slice(0, 3).map((id) => `EMAIL_${id}.md`).sort(),
    );
    assert.deepEqual(await gmail.check(), { ok: true, notes: 3 });
    assert.deepEqual(await gmail.check(), { ok: true, notes: 1 });
    assert.deepEqual(await gmail.check(), { ok: true, notes: 0 });
    assert.deepEqual(await notesIn(layout), ids.map((id) => `EMAIL_${id}.md`).sort());
    assert.ok(
      fake.requestsTo("list").some((r) => r.query.pageToken),
      "later pages were asked for with a page token",
    );
    assert.equal(fake.requestsTo("get").length, 7, "each message fetched once");

    // Once every page is known, a check reads one page only.
    const before = fake.requestsTo("list").length;
    await gmail.check();
    assert.equal(fake.requestsTo("list").length - before, 1);
  });
});

Deno.test("taken ids persist: a restarted watcher writes no second note, also when the note was moved away", async () => {
  await withSetup(async ({ fake, layout, watcher, records }) => {
    const { id } = fake.addMessage(simpleMail("once", 1));
    assert.deepEqual(await watcher().check(), { ok: true, notes: 1 });
    const seen = JSON.parse(await Deno.readTextFile(seenIdsPath(layout)));
    assert.deepEqual(seen, { ids: [id] });

    // A restart: a new watcher over the same vault.
    assert.deepEqual(await watcher().check(), { ok: true, notes: 0 });
    assert.equal(fake.requestsTo("get").length, 1, "the known message is not even fetched");

    // The task loop moved the note on; a restart still writes none.
    await Deno.mkdir(join(layout.root, "Done"));
    await Deno.rename(
      join(layout.folder("Needs_Action"), `EMAIL_${id}.md`),
      join(layout.root, "Done", `EMAIL_${id}.md`),
    );
    assert.deepEqual(await watcher().check(), { ok: true, notes: 0 });
    assert.deepEqual(await notesIn(layout), []);
    assert.equal(records.length, 1);
  });
});

Deno.test("a note already in Needs_Action/ (a stop before its id was recorded) is not written twice", async () => {
  await withSetup(async ({ fake, layout, watcher, logs }) => {
    const { id } = fake.addMessage(simpleMail("crash window", 1));
    await watcher().check();
    const path = join(layout.folder("Needs_Action"), `EMAIL_${id}.md`);
    await Deno.writeTextFile(path, "---\nid: kept\n---\nthe owner's edit\n");
    await Deno.remove(seenIdsPath(layout));

    assert.deepEqual(await watcher().check(), { ok: true, notes: 0 });
    assert.equal(await Deno.readTextFile(path), "---\nid: kept\n---\nthe owner's edit\n");
    assert.deepEqual(JSON.parse(await Deno.readTextFile(seenIdsPath(layout))), { ids: [id] });
    assert.ok(logs.some((l) => /exists already/.test(l.message)));
  });
});

Deno.test("seen.json keeps only the latest ids; an unreadable one pauses the watcher with the fix", async () => {
  await withSetup(async ({ fake, layout, watcher }) => {
    const ids = Array.from({ length: 4 }, (_, i) => fake.addMessage(simpleMail(`k${i}`, i)).id);
    await watcher({}, { maxSeen: 3 }).check();
    const kept = JSON.parse(await Deno.readTextFile(seenIdsPath(layout))).ids;
    assert.equal(kept.length, 3);
    assert.ok(kept.every((id: string) => ids.includes(id)));

    await Deno.writeTextFile(seenIdsPath(layout), "{ not json");
    await assert.rejects(
      () => watcher().check(),
      (error: Error) =>
        error instanceof NeedsOwner && /seen\.json/.test(error.message) &&
        /move it away/.test(error.message),
    );
  });
});

Deno.test("after_note mark_read and label change the mail only after its note is written", async () => {
  for (const afterNote of ["mark_read", "label"] as const) {
    await withSetup(async ({ fake, layout, watcher }) => {
      const first = fake.addMessage(simpleMail("first", 1));
      const second = fake.addMessage(simpleMail("second", 2));
      const client = clientOn(fake);
      const noteThere: boolean[] = [];
      const spying: GmailClient = {
        ...client,
        modifyLabels: async (id, add, remove) => {
          noteThere.push(await exists(join(layout.folder("Needs_Action"), `EMAIL_${id}.md`)));
          return await client.modifyLabels(id, add, remove);
        },
      };
      await watcher({ afterNote }, { client: spying }).check();
      assert.deepEqual(noteThere, [true, true], "each note was on disk when the mail was changed");

      const order = fake.requests.filter((r) => r.endpoint === "get" || r.endpoint === "modify")
        .map((r) => `${r.endpoint} ${r.path.split("/")[6]}`);
      assert.deepEqual(order, [
        `get ${second.id}`,
        `modify ${second.id}`,
        `get ${first.id}`,
        `modify ${first.id}`,
      ]);
      for (const { id } of [first, second]) {
        const labels = fake.labelsOf(id);
        if (afterNote === "mark_read") assert.deepEqual(labels, ["INBOX", "IMPORTANT"]);
        else assert.deepEqual(labels, ["INBOX", "UNREAD", "IMPORTANT", "aiemp"]);
      }
    });
  }
});

Deno.test("after_note label with a label Gmail lacks says so once, creates nothing, and goes on", async () => {
  await withSetup(async ({ fake, layout, watcher, logs }) => {
    fake.addMessage(simpleMail("first", 1));
    fake.addMessage(simpleMail("second", 2));
    const asked: string[] = [];
    const gmail = watcher({ afterNote: "label", label: "Clients" }, {
      resolveLabel: (name) => {
        asked.push(name);
        return Promise.resolve(undefined);
      },
    });
    assert.deepEqual(await gmail.check(), { ok: true, notes: 2 });
    fake.addMessage(simpleMail("third", 3));
    assert.deepEqual(await gmail.check(), { ok: true, notes: 1 });
    assert.deepEqual(asked, ["Clients"]);
    assert.equal(fake.requestsTo("modify").length, 0);
    const said = logs.filter((l) => /no label 'Clients'/.test(l.message));
    assert.equal(said.length, 1);
    assert.equal(said[0].level, "warning");
    assert.equal((await notesIn(layout)).length, 3);
  });
});

Deno.test("a 429 with Retry-After ends the check; the next check comes after it (capped) and works", async () => {
  await withSetup(async ({ fake, layout, watcher, logs }) => {
    fake.addMessage(simpleMail("later", 1));
    // 90 s is beyond the client's own longest wait (30 s), so the watcher gets the rate limit.
    fake.failNext("list", 1, { status: 429, retryAfter: "90" });
    const waits: number[] = [];
    const stop = new AbortController();
    const checks: MailCheck[] = [];
    const gmail = watcher({}, {
      sleep: (ms) => {
        waits.push(ms);
        if (waits.length === 2) stop.abort();
        return Promise.resolve();
      },
    });
    const check = gmail.check.bind(gmail);
    gmail.check = async (signal) => {
      const result = await check(signal);
      checks.push(result);
      return result;
    };
    await gmail.run(stop.signal);

    assert.equal(checks[0].ok, false);
    assert.equal(checks[0].ok ? 0 : checks[0].retryAfterMs, 90_000);
    assert.deepEqual(checks[1], { ok: true, notes: 1 });
    assert.deepEqual(waits, [90_000, 120_000]);
    assert.ok(
      logs.some((l) => l.level === "warning" && /rate limited.*next check in 90s/.test(l.message)),
    );
    assert.equal((await notesIn(layout)).length, 1);
  });
  // A longer Retry-After than the interval waits the interval only.
  assert.equal(
    nextCheckDelay({ ok: false, notes: 0, reason: "", retryAfterMs: 600_000 }, 120_000),
    120_000,
  );
  assert.equal(nextCheckDelay({ ok: false, notes: 0, reason: "" }, 120_000), 120_000);
});

Deno.test("a 500 that outlasts the client's retries is a warning; the next check works", async () => {
  await withSetup(async ({ fake, layout, watcher, logs }) => {
    const { id } = fake.addMessage(simpleMail("flaky", 1));
    fake.failNext("get", 4, { status: 500 }); // the client tries 4 times
    const gmail = watcher();
    const first = await gmail.check();
    assert.equal(first.ok, false);
    assert.deepEqual(await notesIn(layout), []);
    assert.ok(
      logs.some((l) =>
        l.level === "warning" && /500.*trying again at the next check/.test(l.message)
      ),
      JSON.stringify(logs),
    );
    assert.deepEqual(await gmail.check(), { ok: true, notes: 1 });
    assert.deepEqual(await notesIn(layout), [`EMAIL_${id}.md`]);
  });
});

Deno.test("a revoked refresh token ends in NeedsOwner naming `aiemp auth gmail`", async () => {
  await withSetup(async ({ fake, layout, watcher }) => {
    fake.addMessage(simpleMail("before", 1));
    const gmail = watcher();
    await gmail.check();
    fake.revokeRefreshToken();
    fake.addMessage(simpleMail("after", 2));
    await assert.rejects(
      () => gmail.check(),
      (error: Error) => error instanceof NeedsOwner && /aiemp auth gmail/.test(error.message),
    );
    assert.equal((await notesIn(layout)).length, 1);
  });
});

Deno.test("a mark_read refused for a missing scope ends in NeedsOwner that also names the other way out", async () => {
  await withSetup(async ({ fake, layout, watcher }) => {
    const { id } = fake.addMessage(simpleMail("scoped", 1));
    // Two: the auth library refreshes the token once after a 403 and tries again.
    fake.failNext("modify", 2, { status: 403 });
    await assert.rejects(
      () => watcher({ afterNote: "mark_read" }).check(),
      (error: Error) =>
        error instanceof NeedsOwner && /aiemp auth gmail/.test(error.message) &&
        /gmail\.after_note to nothing/.test(error.message),
    );
    assert.deepEqual(await notesIn(layout), [`EMAIL_${id}.md`], "the note came first");
  });
});

Deno.test("an after_note cut off by a 500 is done at the next check; the note is not written again", async () => {
  await withSetup(async ({ fake, layout, watcher }) => {
    const { id } = fake.addMessage(simpleMail("mark me", 1));
    fake.failNext("modify", 4, { status: 500 }); // the client tries 4 times
    const gmail = watcher({ afterNote: "mark_read" });
    assert.equal((await gmail.check()).ok, false);
    assert.deepEqual(await notesIn(layout), [`EMAIL_${id}.md`]);
    assert.ok(fake.labelsOf(id).includes("UNREAD"));
    assert.deepEqual(await gmail.check(), { ok: true, notes: 0 });
    assert.deepEqual(fake.labelsOf(id), ["INBOX", "IMPORTANT"]);
    assert.equal(fake.requestsTo("get").length, 1);
  });
});

Deno.test("a label Gmail refuses (400) is said once; later mail is not labelled but still noted", async () => {
  await withSetup(async ({ fake, layout, watcher, logs }) => {
    fake.addMessage(simpleMail("first", 1));
    fake.addMessage(simpleMail("second", 2));
    const client = clientOn(fake);
    let tries = 0;
    const refusing: GmailClient = {
      ...client,
      modifyLabels: () => {
        tries++;
        return Promise.reject(
          new GmailError("Gmail messages.modify failed (400: Invalid label: aiemp)", {
            status: 400,
          }),
        );
      },
    };
    assert.deepEqual(await watcher({ afterNote: "label" }, { client: refusing }).check(), {
      ok: true,
      notes: 2,
    });
    assert.equal(tries, 1, "after the first refusal no label is tried");
    assert.equal(logs.filter((l) => /no label 'aiemp'/.test(l.message)).length, 1);
    assert.equal((await notesIn(layout)).length, 2);
  });
});
