import { join } from "node:path";
import { delay } from "../../abort/mod.ts";
import { type AuditEntry, sha256Hex } from "../../audit/mod.ts";
import {
  BrowserStartError,
  BrowserStepError,
  type SessionHealth,
  sessionHealth,
  type SessionState,
  type StepEvidence,
} from "../../browser/mod.ts";
import { NeedsOwner } from "../../supervisor/mod.ts";
import {
  exists,
  renderNote,
  storageProblemOf,
  type VaultLayout,
  writeFileAtomic,
} from "../../vault/mod.ts";
import {
  type ChatRef,
  isLoggedOut,
  isUrgent,
  LOGGED_OUT_DETAIL,
  messageNote,
  type SessionCheck,
  type UnreadChat,
  type WhatsAppMessage,
  whatsappTaskId,
} from "../../whatsapp/mod.ts";
import { openSeenIds, type SeenIds, SeenIdsError } from "../_seen_ids.ts";

/** The platform's name, as in `aiemp login whatsapp` and the session reports. */
const PLATFORM = "whatsapp";

/** What `aiemp login` is called with to link the browser again. */
export const WHATSAPP_LOGIN_COMMAND = "aiemp login whatsapp";

/** Messages read per chat at most: an open chat's newest, or an unread chat's unread ones. */
const MESSAGES_PER_CHAT = 20;

/** What the WhatsApp watcher takes (the `whatsapp:` settings). */
export interface WhatsAppWatcherSettings {
  /** Milliseconds between checks (`whatsapp.check_interval_s`). */
  checkIntervalMs: number;
  /** Words that make a message urgent (`whatsapp.urgent_keywords`). */
  urgentKeywords: readonly string[];
  /** Contacts whose every message is urgent (`whatsapp.vip_contacts`). */
  vipContacts: readonly string[];
  /** Chats read per check at most (`whatsapp.max_chats_per_check`). */
  maxChatsPerCheck: number;
}

/**
 * What a check reads WhatsApp Web through: the page functions of src/whatsapp on a real page
 * (see `pageReader`), or a stand-in in tests. Each may throw what those functions throw.
 */
export interface WhatsAppReader {
  /** Logged in, logged out (the QR code) or broken. */
  session(): Promise<SessionCheck>;
  /** The chats with an unread badge, most recent first, at most `limit`. */
  unreadChats(limit: number): Promise<UnreadChat[]>;
  /** The chat whose conversation is open, if any (its new messages have no badge). */
  currentChat(): Promise<ChatRef | undefined>;
  /** Opens `chat` and gives its newest received messages, oldest first, at most `limit`. */
  messages(chat: ChatRef, limit: number): Promise<WhatsAppMessage[]>;
}

/** WhatsApp Web open for one check. */
export interface WhatsAppSession {
  /** What the check reads through. */
  reader: WhatsAppReader;
  /** Closes the browser, so that an approved reply's run may use the profile meanwhile. */
  close(): Promise<void>;
}

/**
 * Opens WhatsApp Web for one check; `"busy"` when another part of aiemp has the profile's
 * browser open now (an approved reply being sent). Throws `BrowserStartError` or
 * `BrowserStepError` when the browser or the page fails.
 */
export type OpenWhatsAppSession = (signal: AbortSignal) => Promise<WhatsAppSession | "busy">;

/** The WhatsApp watcher's settings and its links to the outside world. */
export interface WhatsAppWatcherOptions {
  /** The vault whose Needs_Action/ gets the notes. */
  layout: VaultLayout;
  /** What to take. */
  settings: WhatsAppWatcherSettings;
  /** Opens WhatsApp Web for each check. */
  open: OpenWhatsAppSession;
  /** The clock: a note's `received` and the session's time. @default () => new Date() */
  now?: () => Date;
  /** Waits between checks in {@linkcode WhatsAppWatcher.run}; resolves early when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Where log lines go. @default discards them */
  log?: (level: "debug" | "info" | "warning" | "error", message: string) => void;
  /** Appends to the audit log: each note written (`received`). @default discards it */
  record?: (entry: AuditEntry) => void;
  /** Told about each note written, for the Dashboard's recent activity. @default discards it */
  activity?: (text: string, counter?: "whatsapp_received") => void;
  /**
   * Shows (or with an empty text clears) the watcher's alert on the Dashboard: messages held up
   * by a full disk or a read-only vault. @default discards it
   */
  alert?: (text: string) => void;
  /** Told the session's state at each check, for the Dashboard and `aiemp status`. */
  session?: (health: SessionHealth) => void;
  /** Ids of handled messages kept in `.aiemp/whatsapp/seen.json`. @default 10000 */
  maxSeen?: number;
}

/** How a check ended. */
export type WhatsAppCheck =
  | { ok: true; notes: number }
  | { ok: false; notes: number; reason: string };

/** Turns urgent WhatsApp messages into task notes in Needs_Action/. */
export interface WhatsAppWatcher {
  /**
   * Looks at WhatsApp Web once. Throws {@linkcode NeedsOwner} when the session is logged out
   * (the owner runs `aiemp login whatsapp`); a broken page or a busy browser ends the check.
   */
  check(signal: AbortSignal): Promise<WhatsAppCheck>;
  /** Checks every `checkIntervalMs` until `signal` aborts. */
  run(signal: AbortSignal): Promise<void>;
}

/** Where the ids of the messages already handled are kept, in the vault. */
export function whatsappSeenPath(layout: VaultLayout): string {
  return join(layout.internal, "whatsapp", "seen.json");
}

/**
 * Creates the WhatsApp watcher. At each check it opens WhatsApp Web, checks the session, and
 * reads the chats with an unread badge (and the open chat) up to `maxChatsPerCheck`; of each
 * chat the unread messages not handled before. Each urgent one (a keyword, or a VIP contact)
 * becomes exactly one note:
 *
 * 1. written atomically to `Needs_Action/WHATSAPP_<message id>.md` (unless it exists),
 * 2. then its id is kept in `.aiemp/whatsapp/seen.json` (a message that is not urgent too), so
 *    it is never taken again, also after a restart.
 *
 * The browser is closed after each check. A logged-out session throws {@linkcode NeedsOwner}
 * naming `aiemp login whatsapp`; a broken page is said and tried again at the next check.
 */
export function createWhatsAppWatcher(options: WhatsAppWatcherOptions): WhatsAppWatcher {
  const { layout, settings } = options;
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => {});
  const record = options.record ?? (() => {});
  const activity = options.activity ?? (() => {});
  const alert = options.alert ?? (() => {});
  const report = options.session ?? (() => {});
  const sleep = options.sleep ?? ((ms, signal) => delay(ms, signal).then(() => {}));
  const notesFolder = layout.folder("Needs_Action");
  const rules = { keywords: settings.urgentKeywords, vipContacts: settings.vipContacts };
  let seen: SeenIds | undefined;
  let alerted = false;
  /** The step that failed at the last check and what was said, while checks keep failing there. */
  let failing: { step: string; detail: string } | undefined;

  async function openSeen(): Promise<SeenIds> {
    try {
      return await openSeenIds(whatsappSeenPath(layout), options.maxSeen);
    } catch (error) {
      if (!(error instanceof SeenIdsError)) throw error;
      throw new NeedsOwner(
        `${error.message}. It lists the WhatsApp messages already handled: fix it, or move it ` +
          "away to start afresh (urgent messages still unread then get a second note)",
      );
    }
  }

  /**
   * Says that the page is broken at `step`. The evidence of the first failure in a row is kept;
   * the same failure at the next checks leaves none (one screenshot per check would fill
   * Logs/browser/ while the owner is away).
   */
  async function broken(step: string, evidence: StepEvidence | undefined, detail: string) {
    const again = failing?.step === step;
    if (!again) failing = { step, detail };
    // A repeat names the first failure's evidence, which is kept.
    session("broken", failing!.detail);
    if (again) {
      for (const file of [evidence?.screenshot, evidence?.html]) {
        if (file) await Deno.remove(file).catch(() => {});
      }
      log(
        "debug",
        `WhatsApp Web still fails at '${step}'; the evidence of the first failure stands`,
      );
      return;
    }
    log("warning", `WhatsApp Web did not work as expected: ${detail}; tried again at each check`);
  }

  function session(state: SessionState, detail?: string): void {
    report(sessionHealth(PLATFORM, state, now(), detail));
  }

  function loggedOut(detail: string): NeedsOwner {
    session("logged_out", detail);
    return new NeedsOwner(
      `WhatsApp Web is logged out (${detail}): run \`${WHATSAPP_LOGIN_COMMAND}\` to link this browser again`,
    );
  }

  /** The chats to read: the unread ones, then the open one, `maxChatsPerCheck` at most. */
  async function chatsToRead(reader: WhatsAppReader): Promise<UnreadChat[]> {
    const chats = await reader.unreadChats(settings.maxChatsPerCheck);
    if (chats.length >= settings.maxChatsPerCheck) return chats;
    const open = await reader.currentChat();
    if (open && !chats.some((chat) => chat.name === open.name)) {
      chats.push({ chatId: open.chatId ?? open.name, name: open.name, unread: 0 });
    }
    return chats;
  }

  /** Handles one message not seen before: a note when urgent, then seen. True for a note. */
  async function take(message: WhatsAppMessage, known: SeenIds): Promise<boolean> {
    const urgency = isUrgent(message, rules);
    let wrote = false;
    if (urgency.urgent) {
      const taskId = whatsappTaskId(message);
      const file = `${taskId}.md`;
      const path = join(notesFolder, file);
      if (await exists(path)) {
        log("info", `Needs_Action/${file} exists already (taken before a stop); not written again`);
      } else {
        const note = messageNote(message, { now: now(), urgency });
        const text = renderNote(note.frontMatter, note.body);
        await writeFileAtomic(path, text);
        wrote = true;
        const where = oneLine(message.chat).slice(0, 60) || "a chat";
        log("info", `Urgent WhatsApp message in ${where} → Needs_Action/${file}`);
        activity(`WhatsApp message in ${where} (urgent) → ${taskId}`, "whatsapp_received");
        record({
          event: "received",
          id: taskId,
          file,
          from: "WhatsApp",
          to: "Needs_Action",
          hash: sha256Hex(text),
          why: `an urgent WhatsApp message (${urgency.reasons.join(", ")})`,
          message_id: message.id,
        });
      }
    }
    await known.add(message.id);
    return wrote;
  }

  /** The check's ending after `error`: what may pass is said and waited out, the rest thrown. */
  async function ended(error: unknown, notes: number, signal: AbortSignal): Promise<WhatsAppCheck> {
    if (signal.aborted) return { ok: false, notes, reason: "stopped" };
    if (error instanceof NeedsOwner) throw error;
    if (isLoggedOut(error)) throw loggedOut(LOGGED_OUT_DETAIL);
    if (error instanceof BrowserStepError) {
      await broken(error.step, error.evidence, error.message);
      return { ok: false, notes, reason: error.message };
    }
    if (error instanceof BrowserStartError) {
      await broken("start", undefined, error.message);
      return { ok: false, notes, reason: error.message };
    }
    const problem = storageProblemOf(error);
    if (problem) {
      alerted = true;
      const text = `Urgent WhatsApp messages are held up: ${problem.what}; ${problem.fix}. ` +
        "aiemp tries again at each WhatsApp check.";
      log("error", text);
      alert(text);
      return { ok: false, notes, reason: problem.what };
    }
    throw error;
  }

  /**
   * Reads what is new through `reader`, counting the notes written in `tally`; returns why the
   * page is broken, or undefined when it was read.
   */
  async function readNew(
    reader: WhatsAppReader,
    known: SeenIds,
    signal: AbortSignal,
    tally: { notes: number },
  ): Promise<string | undefined> {
    const state = await reader.session();
    if (state.state === "logged_out") throw loggedOut(state.detail ?? LOGGED_OUT_DETAIL);
    if (state.state === "broken") {
      const why = state.detail ?? "it shows neither the chats nor the QR code";
      await broken(state.step ?? "session", state.evidence, why);
      return why;
    }
    session("logged_in");
    for (const chat of await chatsToRead(reader)) {
      if (signal.aborted) break;
      const wanted = chat.unread > 0 ? Math.min(chat.unread, MESSAGES_PER_CHAT) : MESSAGES_PER_CHAT;
      for (const message of await reader.messages(chat, wanted)) {
        if (signal.aborted) break;
        if (known.has(message.id)) continue;
        if (await take(message, known)) tally.notes++;
      }
    }
    failing = undefined;
    return undefined;
  }

  const watcher: WhatsAppWatcher = {
    async check(signal) {
      const tally = { notes: 0 };
      let opened: WhatsAppSession | "busy";
      let known: SeenIds;
      try {
        known = seen ??= await openSeen();
        opened = await options.open(signal);
      } catch (error) {
        return await ended(error, tally.notes, signal);
      }
      if (opened === "busy") {
        log("debug", "The WhatsApp browser is busy (an approved reply is being sent); next check");
        return { ok: false, notes: 0, reason: "the WhatsApp browser is busy" };
      }
      try {
        const broken = await readNew(opened.reader, known, signal, tally);
        if (broken !== undefined) return { ok: false, notes: tally.notes, reason: broken };
      } catch (error) {
        return await ended(error, tally.notes, signal);
      } finally {
        await opened.close();
      }
      if (alerted) {
        alerted = false;
        alert("");
        log("info", "Urgent WhatsApp messages are written to Needs_Action/ again");
      }
      return { ok: true, notes: tally.notes };
    },

    async run(signal) {
      while (!signal.aborted) {
        await watcher.check(signal);
        if (signal.aborted) break;
        await sleep(settings.checkIntervalMs, signal);
      }
    },
  };
  return watcher;
}

function oneLine(text: string): string {
  return String(text ?? "").replace(/\s+/g, " ").trim();
}
