import { delay } from "../../abort/mod.ts";
import { join } from "node:path";
import { type AuditEntry, sha256Hex } from "../../audit/mod.ts";
import {
  GMAIL_AUTH_COMMAND,
  GmailAuthError,
  type GmailClient,
  GmailError,
  type GmailMessage,
  GmailNetworkError,
  GmailRateLimit,
  GmailServerError,
  loadMailTools,
  type MailTools,
  type NoteAttachment,
} from "../../gmail/mod.ts";
import { NeedsOwner } from "../../supervisor/mod.ts";
import {
  exists,
  renderNote,
  storageProblemOf,
  type VaultLayout,
  writeFileAtomic,
} from "../../vault/mod.ts";
import { openSeenIds, type SeenIds, SeenIdsError } from "../_seen_ids.ts";

/** What the Gmail watcher takes and what it does afterwards (the `gmail:` settings). */
export interface GmailWatcherSettings {
  /** Which messages become notes, in Gmail's search syntax (`gmail.query`). */
  query: string;
  /** Messages taken per check at most; the rest come at the next (`gmail.max_per_check`). */
  maxPerCheck: number;
  /** What is done to a message once its note is written (`gmail.after_note`). */
  afterNote: "nothing" | "mark_read" | "label";
  /** The label added with `afterNote: "label"` (`gmail.label`). */
  label: string;
  /** Attachments larger than this are listed, not saved (`gmail.max_attachment_mb`). */
  maxAttachmentMb: number;
  /** Milliseconds between checks (`gmail.check_interval_s`). */
  checkIntervalMs: number;
}

/** The Gmail watcher's settings and its links to the outside world. */
export interface GmailWatcherOptions {
  /** The vault whose Needs_Action/ gets the notes. */
  layout: VaultLayout;
  /** The signed-in Gmail client. */
  client: GmailClient;
  /** What to take and what to do afterwards. */
  settings: GmailWatcherSettings;
  /**
   * The id of a label, by its name; undefined when Gmail has no such label (nothing is created).
   * @default the name itself (system labels such as `STARRED`, and ids such as `Label_12`)
   */
  resolveLabel?: (name: string) => Promise<string | undefined>;
  /** The clock, for a note's `received` when the message carries no time. @default () => new Date() */
  now?: () => Date;
  /** Waits between checks in {@linkcode GmailWatcher.run}; resolves early when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Where log lines go. @default discards them */
  log?: (level: "debug" | "info" | "warning" | "error", message: string) => void;
  /** Appends to the audit log: each note written (`received`). @default discards it */
  record?: (entry: AuditEntry) => void;
  /** Told about each note written, for the Dashboard's recent activity. @default discards it */
  activity?: (text: string, counter?: "emails_received") => void;
  /**
   * Shows (or with an empty text clears) the watcher's alert on the Dashboard: mail held up by a
   * full disk or a read-only vault. @default discards it
   */
  alert?: (text: string) => void;
  /** Ids of taken messages kept in `.aiemp/gmail/seen.json`. @default 10000 */
  maxSeen?: number;
  /** Ids asked for per page of the message list. @default 100 */
  pageSize?: number;
  /** Ids listed per check at most, while looking for ones not taken yet. @default 5000 */
  maxListed?: number;
  /** Reads a message into its note. @default the Gmail mail tools, loaded at the first check */
  mail?: MailTools;
}

/** How a check ended: done, or cut short by something that may pass by the next check. */
export type MailCheck =
  | { ok: true; notes: number }
  | { ok: false; notes: number; reason: string; retryAfterMs?: number };

/** Turns Gmail messages matching a query into task notes in Needs_Action/. */
export interface GmailWatcher {
  /**
   * Takes the new messages once. Throws {@linkcode NeedsOwner} when the owner must act (the
   * credentials no longer work: `aiemp auth gmail`); what may pass by itself ends the check early.
   */
  check(signal?: AbortSignal): Promise<MailCheck>;
  /** Checks every `checkIntervalMs` (sooner after a rate limit that says so) until `signal` aborts. */
  run(signal: AbortSignal): Promise<void>;
}

/** Where the ids of the messages already taken are kept, in the vault. */
export function seenIdsPath(layout: VaultLayout): string {
  return join(layout.internal, "gmail", "seen.json");
}

/**
 * The wait before the next check: the interval, or a shorter `Retry-After` that Gmail asked for
 * (never longer than the interval).
 *
 * @example
 * ```ts
 * nextCheckDelay({ ok: false, notes: 0, reason: "rate limited", retryAfterMs: 5000 }, 120_000); // 5000
 * ```
 */
export function nextCheckDelay(check: MailCheck, intervalMs: number): number {
  if (check.ok || check.retryAfterMs === undefined) return intervalMs;
  return Math.max(0, Math.min(check.retryAfterMs, intervalMs));
}

/**
 * Creates the Gmail watcher. Each new message matching the query becomes exactly one note:
 *
 * 1. it is fetched in full, its attachments saved as `Needs_Action/attachments/<id>__<safe name>`
 *    (those over the size limit are listed with the reason, not saved),
 * 2. the note is written atomically to `Needs_Action/EMAIL_<gmail id>.md` (unless it exists),
 * 3. its id is recorded in `.aiemp/gmail/seen.json`, so it is never taken again,
 * 4. only then is it marked read or labelled, as `afterNote` says.
 *
 * A rate limit, a server error or no connection ends the check (tried again at the next); a
 * refused credential throws {@linkcode NeedsOwner} naming `aiemp auth gmail`.
 */
export function createGmailWatcher(options: GmailWatcherOptions): GmailWatcher {
  const { layout, client, settings } = options;
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => {});
  const record = options.record ?? (() => {});
  const activity = options.activity ?? (() => {});
  const alert = options.alert ?? (() => {});
  const sleep = options.sleep ?? ((ms, signal) => delay(ms, signal).then(() => {}));
  const resolveLabel = options.resolveLabel ?? ((name: string) => Promise.resolve(name));
  const pageSize = options.pageSize ?? 100;
  const maxListed = options.maxListed ?? 5000;
  const maxBytes = settings.maxAttachmentMb * 1024 * 1024;
  const notesFolder = layout.folder("Needs_Action");
  let mailTools = options.mail;
  let seen: SeenIds | undefined;
  /** Whether messages not taken yet may sit beyond the pages the last check read. */
  let backlog = true;
  /** Messages whose `afterNote` failed for a passing reason; tried again at the next check. */
  const afterPending = new Set<string>();
  /** The label's id: undefined until looked up, null when Gmail has none of that name. */
  let labelId: string | null | undefined;
  let labelMissingSaid = false;
  /** Whether the Dashboard shows this watcher's alert (mail held up by the vault's storage). */
  let alerted = false;

  async function openSeen(): Promise<SeenIds> {
    const path = seenIdsPath(layout);
    try {
      return await openSeenIds(path, options.maxSeen);
    } catch (error) {
      if (!(error instanceof SeenIdsError)) throw error;
      throw new NeedsOwner(
        `${error.message}. It lists the Gmail messages already taken: fix it, or move it away ` +
          "to start afresh (mail that still matches gmail.query then gets a second note)",
      );
    }
  }

  /** Up to `maxPerCheck` ids not taken yet, newest first, reading further pages when needed. */
  async function newIds(known: SeenIds): Promise<string[]> {
    const found = new Set<string>();
    let listed = 0;
    let pageToken: string | undefined;
    let more = true;
    while (found.size < settings.maxPerCheck && listed < maxListed) {
      const page = await client.listMessageIds(settings.query, {
        maxResults: pageSize,
        pageToken,
      });
      listed += page.ids.length;
      const fresh = page.ids.filter((id) => !known.has(id) && !found.has(id));
      for (const id of fresh.slice(0, settings.maxPerCheck - found.size)) found.add(id);
      // Without a backlog, a page of known mail means the older pages are known too.
      if (!page.nextPageToken || (fresh.length === 0 && !backlog)) {
        more = false;
        break;
      }
      pageToken = page.nextPageToken;
    }
    backlog = more;
    return [...found];
  }

  /** Saves the attachments that may be saved; lists the others with the reason. */
  async function saveAttachments(message: GmailMessage, taskId: string, tools: MailTools) {
    const saved: NoteAttachment[] = [];
    for (const attachment of tools.attachmentsOf(message)) {
      const { filename, mimeType, size } = attachment;
      const tooBig = `over gmail.max_attachment_mb (${settings.maxAttachmentMb} MB)`;
      if (size > maxBytes) {
        saved.push({ filename, mimeType, size, problem: tooBig });
        continue;
      }
      let bytes = attachment.data;
      if (!bytes) {
        try {
          bytes = await client.getAttachment(message.id, attachment.attachmentId ?? "");
        } catch (error) {
          if (!isPlainGmailError(error)) throw error;
          saved.push({
            filename,
            mimeType,
            size,
            problem: `Gmail did not give it: ${error.message}`,
          });
          continue;
        }
      }
      if (bytes.length > maxBytes) {
        saved.push({ filename, mimeType, size: bytes.length, problem: tooBig });
        continue;
      }
      const name = `${taskId}__${filename}`;
      await Deno.mkdir(layout.attachments, { recursive: true });
      await writeFileAtomic(join(layout.attachments, name), bytes);
      saved.push({
        filename,
        mimeType,
        size: bytes.length,
        path: `Needs_Action/attachments/${name}`,
      });
    }
    return saved;
  }

  /** Takes one message: note, seen, then `afterNote`. True when a note was written. */
  async function take(id: string, known: SeenIds, tools: MailTools): Promise<boolean> {
    let message: GmailMessage;
    try {
      message = await client.getMessage(id, "full");
    } catch (error) {
      if (!isPlainGmailError(error)) throw error;
      backlog = true;
      log(
        error.status === 404 ? "info" : "warning",
        error.status === 404
          ? `Gmail message ${id} is gone (deleted since it was listed); no note`
          : `Cannot fetch Gmail message ${id}: ${error.message}; tried again at the next check`,
      );
      return false;
    }
    const taskId = tools.mailTaskId(message);
    const file = `${taskId}.md`;
    const notePath = join(notesFolder, file);
    let wrote = false;
    if (await exists(notePath)) {
      log("info", `Needs_Action/${file} exists already (taken before a stop); not written again`);
    } else {
      const attachments = await saveAttachments(message, taskId, tools);
      const note = tools.mailNote(message, { now: now(), attachments });
      const text = renderNote(note.frontMatter, note.body);
      await writeFileAtomic(notePath, text);
      wrote = true;
      const { from, subject } = note.frontMatter as { from: string; subject: string };
      const unsaved = attachments.filter((a) => !a.path).length;
      const extra = attachments.length
        ? ` (${attachments.length} attachment(s)${unsaved ? `, ${unsaved} not saved` : ""})`
        : "";
      log(
        "info",
        `New mail from ${oneLine(from) || "an unknown sender"} → Needs_Action/${file}${extra}`,
      );
      activity(
        `Email received: ${oneLine(subject).slice(0, 80) || "(no subject)"} → ${taskId}`,
        "emails_received",
      );
      record({
        event: "received",
        id: taskId,
        file,
        from: "Gmail",
        to: "Needs_Action",
        hash: sha256Hex(text),
        why: `a Gmail message matched gmail.query (${settings.query})`,
        gmail_id: message.id,
        thread_id: message.threadId,
      });
    }
    await known.add(id);
    await afterNote(id);
    return wrote;
  }

  /** Marks the message read or labels it, as the settings say; never creates a label. */
  async function afterNote(id: string): Promise<void> {
    if (settings.afterNote === "nothing") return;
    try {
      if (settings.afterNote === "mark_read") {
        await client.modifyLabels(id, [], ["UNREAD"]);
      } else {
        if (labelId === undefined) labelId = (await resolveLabel(settings.label)) ?? null;
        if (labelId === null) return;
        await client.modifyLabels(id, [labelId], []);
      }
      afterPending.delete(id);
    } catch (error) {
      if (error instanceof GmailAuthError && error.status === 403) {
        // A token without the modify scope can still read: the other way out is to change nothing.
        throw new GmailAuthError(
          `${error.message}, or set gmail.after_note to nothing`,
          { status: error.status, reason: error.reason, cause: error },
        );
      }
      if (isPassing(error)) {
        afterPending.add(id);
        throw error;
      }
      if (!isPlainGmailError(error)) throw error;
      afterPending.delete(id);
      if (settings.afterNote === "label" && error.status === 400) {
        labelId = null;
        return;
      }
      log(
        "warning",
        `Cannot ${
          settings.afterNote === "label" ? "label" : "mark read"
        } Gmail message ${id}: ${error.message}`,
      );
    } finally {
      if (labelId === null) labelMissing();
    }
  }

  function labelMissing(): void {
    if (labelMissingSaid) return;
    labelMissingSaid = true;
    log(
      "warning",
      `Gmail has no label '${settings.label}' (gmail.label), and aiemp creates none: messages ` +
        "are not labelled. Create the label in Gmail and run 'aiemp restart gmail', or set " +
        "gmail.after_note to mark_read or nothing",
    );
  }

  /** The check's ending after `error`: passing trouble is said and waited out, the rest thrown. */
  function ended(error: unknown, notes: number, signal?: AbortSignal): MailCheck {
    backlog = true;
    if (signal?.aborted) return { ok: false, notes, reason: "stopped" };
    if (error instanceof GmailAuthError) {
      const fix = error.message.includes(GMAIL_AUTH_COMMAND)
        ? ""
        : `; run \`${GMAIL_AUTH_COMMAND}\` to sign in again`;
      throw new NeedsOwner(`${error.message}${fix}`);
    }
    if (error instanceof GmailRateLimit) {
      const wait = nextCheckDelay(
        { ok: false, notes, reason: "", retryAfterMs: error.retryAfterMs },
        settings.checkIntervalMs,
      );
      log("warning", `${error.message}; next check in ${Math.ceil(wait / 1000)}s`);
      return { ok: false, notes, reason: error.message, retryAfterMs: error.retryAfterMs };
    }
    if (error instanceof GmailServerError || error instanceof GmailNetworkError) {
      log("warning", `${error.message}; trying again at the next check`);
      return { ok: false, notes, reason: error.message };
    }
    if (isPlainGmailError(error)) {
      log(
        "error",
        `${error.message}; check gmail.query in aiemp.yaml. Tried again at the next check`,
      );
      return { ok: false, notes, reason: error.message };
    }
    const problem = storageProblemOf(error);
    if (problem) {
      alerted = true;
      const text = `New mail is held up: ${problem.what}; ${problem.fix}. ` +
        "aiemp tries again at each Gmail check.";
      log("error", text);
      alert(text);
      return { ok: false, notes, reason: problem.what };
    }
    throw error;
  }

  const watcher: GmailWatcher = {
    async check(signal) {
      let notes = 0;
      try {
        const known = seen ??= await openSeen();
        const tools = mailTools ??= await loadMailTools();
        for (const id of [...afterPending]) await afterNote(id);
        for (const id of await newIds(known)) {
          if (signal?.aborted) return { ok: false, notes, reason: "stopped" };
          if (await take(id, known, tools)) notes++;
        }
      } catch (error) {
        return ended(error, notes, signal);
      }
      if (alerted) {
        alerted = false;
        alert("");
        log("info", "New mail is written to Needs_Action/ again");
      }
      return { ok: true, notes };
    },

    async run(signal) {
      while (!signal.aborted) {
        const check = await watcher.check(signal);
        if (signal.aborted) break;
        await sleep(nextCheckDelay(check, settings.checkIntervalMs), signal);
      }
    },
  };
  return watcher;
}

/** A failure that may pass by itself: a rate limit, Google's server, the connection. */
function isPassing(error: unknown): boolean {
  return error instanceof GmailRateLimit || error instanceof GmailServerError ||
    error instanceof GmailNetworkError;
}

/** Google's answer about one request (a 400, a 404…), not about the account or the service. */
function isPlainGmailError(error: unknown): error is GmailError {
  return error instanceof GmailError && !(error instanceof GmailAuthError) && !isPassing(error);
}

function oneLine(text: string): string {
  return String(text ?? "").replace(/\s+/g, " ").trim();
}
