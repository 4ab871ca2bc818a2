/**
 * The WhatsApp watcher's core (src/watchers/whatsapp) with a stand-in for WhatsApp Web: which
 * messages become notes (urgent ones, once, also across restarts), what is read (unread chats,
 * the open one, at most max_chats_per_check), what each session state leads to (a logged-out one
 * pauses it naming `aiemp login whatsapp`, a broken one waits for the next check and keeps one
 * set of evidence), and a busy browser. The page itself is driven in whatsapp_test.ts and the
 * e2e test.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { AuditEntry } from "../../src/audit/mod.ts";
import { BrowserStepError, type SessionHealth } from "../../src/browser/mod.ts";
import { NeedsOwner } from "../../src/supervisor/mod.ts";
import { parseNote, type VaultLayout, vaultLayout } from "../../src/vault/mod.ts";
import {
  createWhatsAppWatcher,
  type WhatsAppReader,
  whatsappSeenPath,
  type WhatsAppWatcherOptions,
} from "../../src/watchers/whatsapp/whatsapp_watcher.ts";
import type { ChatRef, SessionCheck, UnreadChat, WhatsAppMessage } from "../../src/whatsapp/mod.ts";

/** A chat of the stand-in: its messages (oldest first) and its unread badge. */
interface Chat {
  name: string;
  unread: number;
  messages: WhatsAppMessage[];
}

/** WhatsApp Web as the watcher reads it, kept in memory; opening a chat reads it. */
class StandIn {
  session: SessionCheck = { state: "logged_in" };
  chats: Chat[] = [];
  open: string | undefined;
  busy = false;
  opened = 0;
  closed = 0;
  /** Thrown by the next read of the unread chats, once. */
  failNext: Error | undefined;
  private counter = 0;

  receive(chat: string, text: string, options: { sender?: string; id?: string } = {}): string {
    let found = this.chats.find((one) => one.name === chat);
    if (!found) {
      found = { name: chat, unread: 0, messages: [] };
      this.chats.unshift(found);
    }
    const id = options.id ?? `m${++this.counter}`;
    found.messages.push({
      id,
      chat,
      sender: options.sender ?? chat,
      time: "2026-05-01T09:30:00.000Z",
      text,
      hasMedia: false,
    });
    if (this.open !== chat) found.unread++;
    return id;
  }

  reader(): WhatsAppReader {
    return {
      session: () => Promise.resolve(this.session),
      unreadChats: (limit) => {
        const error = this.failNext;
        this.failNext = undefined;
        if (error) return Promise.reject(error);
        return Promise.resolve(
          this.chats.filter((chat) => chat.unread > 0).slice(0, limit)
            .map((chat): UnreadChat => ({
              chatId: chat.name,
              name: chat.name,
              unread: chat.unread,
            })),
        );
      },
      currentChat: () =>
        Promise.resolve(this.open === undefined ? undefined : { name: this.open } as ChatRef),
      messages: (ref, limit) => {
        const chat = this.chats.find((one) => one.name === ref.name)!;
        chat.unread = 0;
        return Promise.resolve(chat.messages.slice(-limit));
      },
    };
  }
}

/** A vault in a temporary folder with Needs_Action/, and what the watcher reported. */
async function scene() {
  const dir = await Deno.makeTempDir({ prefix: "aiemp-whatsapp-watcher-" });
  const layout = vaultLayout(dir);
  await Deno.mkdir(layout.folder("Needs_Action"), { recursive: true });
  const page = new StandIn();
  const audit: AuditEntry[] = [];
  const activity: string[] = [];
  const sessions: SessionHealth[] = [];
  const lines: string[] = [];
  const watcher = (overrides: Partial<WhatsAppWatcherOptions> = {}) =>
    createWhatsAppWatcher({
      layout,
      settings: {
        checkIntervalMs: 30_000,
        urgentKeywords: ["urgent", "invoice"],
        vipContacts: ["Boss"],
        maxChatsPerCheck: 10,
      },
      open: () => {
        if (page.busy) return Promise.resolve("busy");
        page.opened++;
        return Promise.resolve({
          reader: page.reader(),
          close: () => Promise.resolve(void page.closed++),
        });
      },
      now: () => new Date("2026-05-01T10:00:00Z"),
      log: (level, line) => lines.push(`${level}: ${line}`),
      record: (entry) => audit.push(entry),
      activity: (text) => activity.push(text),
      session: (health) => sessions.push(health),
      ...overrides,
    });
  return {
    layout,
    page,
    audit,
    activity,
    sessions,
    lines,
    watcher,
    notes: async () =>
      (await Array.fromAsync(Deno.readDir(layout.folder("Needs_Action")))).map((e) => e.name)
        .sort(),
    cleanup: () => Deno.remove(dir, { recursive: true }),
  };
}

const signal = new AbortController().signal;

async function seenIds(layout: VaultLayout): Promise<string[]> {
  return JSON.parse(await Deno.readTextFile(whatsappSeenPath(layout))).ids;
}

Deno.test("check() turns an urgent message into one note and a received entry; a plain one into none", async () => {
  const s = await scene();
  try {
    const urgent = s.page.receive("Ana Lima", "Please send the invoice today");
    const plain = s.page.receive("Bruno", "See you tomorrow");
    const vip = s.page.receive("Boss", "Call me");
    const check = await s.watcher().check(signal);
    assert.deepEqual(check, { ok: true, notes: 2 });
    assert.deepEqual(await s.notes(), [`WHATSAPP_${urgent}.md`, `WHATSAPP_${vip}.md`]);
    const note = parseNote(
      await Deno.readTextFile(join(s.layout.folder("Needs_Action"), `WHATSAPP_${urgent}.md`)),
    );
    assert.equal(note.frontMatter.type, "whatsapp");
    assert.equal(note.frontMatter.priority, "urgent");
    assert.equal(note.frontMatter.trust, "untrusted");
    assert.deepEqual(note.frontMatter.urgent_reasons, ["keyword 'invoice'"]);
    assert.match(note.body, /Please send the invoice today/);
    // The chat list's order: the most recent chat first.
    assert.deepEqual(s.audit.map((e) => [e.event, e.id, e.from, e.to]), [
      ["received", `WHATSAPP_${vip}`, "WhatsApp", "Needs_Action"],
      ["received", `WHATSAPP_${urgent}`, "WhatsApp", "Needs_Action"],
    ]);
    assert.match(String(s.audit[0].why), /VIP contact 'Boss'/);
    assert.equal(s.activity.length, 2);
    assert.deepEqual(new Set(await seenIds(s.layout)), new Set([urgent, plain, vip]));
    assert.deepEqual(s.sessions.map((h) => [h.platform, h.state]), [["whatsapp", "logged_in"]]);
    assert.equal(s.page.closed, s.page.opened, "the browser is closed after the check");
  } finally {
    await s.cleanup();
  }
});

Deno.test("a message never gives two notes: not at the next check, nor after a restart, nor when it shows again", async () => {
  const s = await scene();
  try {
    const id = s.page.receive("Ana Lima", "URGENT: the server is down");
    await s.watcher().check(signal);
    await s.watcher().check(signal); // a restart: a new watcher on the same vault
    // The chat is marked unread again (say, on the phone): the same message shows again.
    s.page.chats[0].unread = 1;
    await Deno.remove(join(s.layout.folder("Needs_Action"), `WHATSAPP_${id}.md`)); // done by now
    assert.deepEqual(await s.watcher().check(signal), { ok: true, notes: 0 });
    assert.deepEqual(await s.notes(), []);
    assert.equal(s.audit.length, 1);
  } finally {
    await s.cleanup();
  }
});

Deno.test("a note written before a stop (its id not yet kept) is not written again", async () => {
  const s = await scene();
  try {
    const id = s.page.receive("Ana Lima", "urgent please");
    const path = join(s.layout.folder("Needs_Action"), `WHATSAPP_${id}.md`);
    await Deno.writeTextFile(path, "the owner's edits");
    assert.deepEqual(await s.watcher().check(signal), { ok: true, notes: 0 });
    assert.equal(await Deno.readTextFile(path), "the owner's edits");
    assert.deepEqual(await seenIds(s.layout), [id]);
  } finally {
    await s.cleanup();
  }
});

Deno.test("only the unread messages of a chat are read, the open chat too, and max_chats_per_check chats at most", async () => {
  const s = await scene();
  try {
    const old = s.page.receive("Ana Lima", "the invoice from last month");
    s.page.chats[0].unread = 0; // read on the phone long ago
    const fresh = s.page.receive("Ana Lima", "urgent: and this one?");
    s.page.open = "Open chat";
    s.page.chats.unshift({ name: "Open chat", unread: 0, messages: [] });
    const inOpen = s.page.receive("Open chat", "urgent too");
    for (let n = 0; n < 3; n++) s.page.receive(`Chat ${n}`, `invoice ${n}`);
    const check = await s.watcher({
      settings: {
        checkIntervalMs: 30_000,
        urgentKeywords: ["urgent", "invoice"],
        vipContacts: [],
        maxChatsPerCheck: 3,
      },
    }).check(signal);
    // Three chats with a badge fill the check: the open chat and Ana Lima wait for the next.
    assert.equal(check.notes, 3);
    const next = await s.watcher().check(signal);
    assert.equal(next.notes, 2);
    const notes = await s.notes();
    assert.ok(notes.includes(`WHATSAPP_${fresh}.md`) && notes.includes(`WHATSAPP_${inOpen}.md`));
    assert.ok(!notes.includes(`WHATSAPP_${old}.md`), "a message read before is left alone");
  } finally {
    await s.cleanup();
  }
});

Deno.test("a logged-out session pauses the watcher naming aiemp login whatsapp, and says so first", async () => {
  const s = await scene();
  try {
    s.page.session = { state: "logged_out", detail: "WhatsApp Web shows the QR code" };
    await assert.rejects(
      s.watcher().check(signal),
      (error: unknown) =>
        error instanceof NeedsOwner && /logged out/.test(error.message) &&
        /`aiemp login whatsapp`/.test(error.message),
    );
    assert.deepEqual(s.sessions.map((h) => [h.state, h.fix]), [
      ["logged_out", "run aiemp login whatsapp"],
    ]);
    assert.equal(s.page.closed, 1, "the browser is closed all the same");
  } finally {
    await s.cleanup();
  }
});

Deno.test("a broken page waits for the next check, keeping the evidence of its first failure only", async () => {
  const s = await scene();
  try {
    const evidenceDir = join(s.layout.root, "Logs", "browser");
    await Deno.mkdir(evidenceDir, { recursive: true });
    const failure = async (n: number) => {
      const evidence = {
        screenshot: join(evidenceDir, `whatsapp-read_chats-${n}.png`),
        html: join(evidenceDir, `whatsapp-read_chats-${n}.html`),
        problems: [],
      };
      await Deno.writeTextFile(evidence.screenshot, "png");
      await Deno.writeTextFile(evidence.html, "<html>");
      return new BrowserStepError(
        { step: "read_chats", itemId: "whatsapp", timedOut: false, evidence },
        `Browser step 'read_chats' for whatsapp failed: no chat list; evidence: ${evidence.html}`,
      );
    };
    const watcher = s.watcher();
    s.page.failNext = await failure(1);
    const first = await watcher.check(signal);
    assert.equal(first.ok, false);
    s.page.failNext = await failure(2);
    await watcher.check(signal);
    assert.deepEqual(
      (await Array.fromAsync(Deno.readDir(evidenceDir))).map((e) => e.name).sort(),
      ["whatsapp-read_chats-1.html", "whatsapp-read_chats-1.png"],
    );
    assert.deepEqual(s.sessions.map((h) => h.state), [
      "logged_in",
      "broken",
      "logged_in",
      "broken",
    ]);
    assert.match(s.sessions[3].detail!, /read_chats-1\.html/, "the kept evidence is named");
    assert.equal(s.lines.filter((line) => line.startsWith("warning")).length, 1);

    s.page.session = {
      state: "broken",
      detail: "neither the chats nor the QR code",
      step: "session",
    };
    assert.equal((await watcher.check(signal)).ok, false);
    s.page.session = { state: "logged_in" };
    const id = s.page.receive("Ana Lima", "urgent");
    assert.deepEqual(await watcher.check(signal), { ok: true, notes: 1 });
    assert.deepEqual(await s.notes(), [`WHATSAPP_${id}.md`]);
  } finally {
    await s.cleanup();
  }
});

Deno.test("a busy browser (a reply being sent) skips the check without opening anything", async () => {
  const s = await scene();
  try {
    s.page.receive("Ana Lima", "urgent");
    s.page.busy = true;
    const check = await s.watcher().check(signal);
    assert.deepEqual(check, { ok: false, notes: 0, reason: "the WhatsApp browser is busy" });
    assert.equal(s.page.opened, 0);
    assert.deepEqual(await s.notes(), []);
    s.page.busy = false;
    assert.equal((await s.watcher().check(signal)).notes, 1);
  } finally {
    await s.cleanup();
  }
});

Deno.test("run() checks at once, then every check_interval, until stopped", async () => {
  const s = await scene();
  const stop = new AbortController();
  const waits: number[] = [];
  try {
    await s.watcher({
      sleep: (ms) => {
        waits.push(ms);
        if (waits.length === 2) stop.abort();
        return Promise.resolve();
      },
    }).run(stop.signal);
    assert.equal(s.page.opened, 2);
    assert.deepEqual(waits, [30_000, 30_000]);
  } finally {
    await s.cleanup();
  }
});
