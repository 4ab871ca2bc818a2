import { createHash } from "node:crypto";
import { basename, join } from "node:path";
import { onAbort } from "../../abort/mod.ts";
import type { AuditEntry } from "../../audit/mod.ts";
import {
  exists,
  heldUpWork,
  isTemporaryName,
  listNames,
  moveInto,
  type Note,
  parseNote,
  renderNote,
  replaceSection,
  settleExistingFiles,
  storageProblemOf,
  type VaultLayout,
  watchSettledFiles,
  writeFileAtomic,
} from "../../vault/mod.ts";
import { type DroppedFile, inspectDroppedFile } from "./inspect.ts";
import { fileTaskId, safeFileName, taskIdOfAttachment } from "./names.ts";
import { droppedFileNote, updateDroppedFileNote } from "./task_note.ts";

/** The inbox watcher's settings and its links to the outside world. */
export interface InboxWatcherOptions {
  /** The vault whose Inbox/ is watched. */
  layout: VaultLayout;
  /** Quiet time after which a file counts as completely written. */
  settleMs: number;
  /** Size limit in megabytes; a larger file gets a note but is not read. */
  maxFileMb: number;
  /** Characters of a text file quoted in its note. */
  previewChars: number;
  /** The clock, for ids and `received`. @default () => new Date() */
  now?: () => Date;
  /** The random part of task ids. @default 6 characters of a random UUID */
  random?: () => string;
  /** Where log lines go. @default discards them */
  log?: (level: "debug" | "info" | "warning" | "error", message: string) => void;
  /** Appends to the audit log: each note written (`received`) or brought up to date (`updated`). */
  record?: (entry: AuditEntry) => void;
  /** Told about each note written or updated, for the Dashboard's recent activity. */
  activity?: (text: string, counter?: "files_received") => void;
  /**
   * Shows (or with an empty text clears) the inbox's alert on the Dashboard: drops held up by a
   * full disk or a read-only vault. @default discards it
   */
  alert?: (text: string) => void;
  /** How often drops held up by a storage problem are tried again, in ms. @default 5000 */
  retryMs?: number;
}

/** Turns files dropped into Inbox/ into task notes in Needs_Action/. */
export interface InboxWatcher {
  /** Finishes drops a crash interrupted; returns how many. */
  recover(): Promise<number>;
  /** Handles one settled file in Inbox/. */
  handleDrop(path: string): Promise<void>;
  /** Handles a kept original that changed after its note was written. */
  handleChange(path: string): Promise<void>;
  /** Watches until `signal` aborts. */
  run(signal: AbortSignal): Promise<void>;
  /** Handles what is waiting now, then returns how many notes were written (`--once`). */
  sweep(): Promise<number>;
  /**
   * Tries again the drops held up by a storage problem (a full disk…), one after another;
   * `run()` does so every `retryMs`.
   */
  retryHeldUp(signal?: AbortSignal): Promise<void>;
}

/**
 * Creates the inbox watcher. Each settled file becomes exactly one task note:
 *
 * 1. it is claimed by a rename into `.aiemp/inbox-claims/<id>/` (so a restart never sees it twice),
 * 2. the note is written atomically to `Needs_Action/<id>.md`,
 * 3. the original moves to `Needs_Action/attachments/<id>__<safe name>`.
 *
 * A link or a hard link is kept the same way but never read (its note says why), and a file whose
 * name is not UTF-8, which cannot even be moved, stays in Inbox/ with a note saying how to fix it.
 * A crash between the steps leaves the claim, which {@linkcode InboxWatcher.recover} finishes.
 * When the vault cannot be written (a full disk, a read-only folder), the drop waits — in Inbox/
 * or in its claim — under an alert naming the fix, and is tried again every `retryMs`.
 */
export function createInboxWatcher(options: InboxWatcherOptions): InboxWatcher {
  const { layout } = options;
  const now = options.now ?? (() => new Date());
  const random = options.random ?? (() => crypto.randomUUID().slice(0, 6));
  const log = options.log ?? (() => {});
  const activity = options.activity ?? (() => {});
  const record = options.record ?? (() => {});
  const retryMs = options.retryMs ?? 5000;
  const heldUp = heldUpWork<{ claimDir: string; received: Date }>(
    options.alert ?? (() => {}),
    (problem, waiting) =>
      `Dropped files are held up: ${problem.what}; ${problem.fix}. ${
        waiting ? `${waiting} file(s) wait in .aiemp/inbox-claims/` : "They wait in Inbox/"
      } and get their notes once that is fixed (aiemp tries again by itself).`,
  );
  const limits = {
    maxBytes: options.maxFileMb * 1024 * 1024,
    previewChars: options.previewChars,
    vault: layout.root,
  };
  const notesFolder = layout.folder("Needs_Action");
  /** Originals this watcher just placed, so their own arrival is not taken for a change. */
  const placed = new Map<string, string>();
  let notesWritten = 0;

  /** Originals about to be moved into attachments/: the event of that move is our own. */
  const arriving = new Set<string>();
  const remember = async (path: string) => {
    placed.set(path, fingerprint(await Deno.lstat(path)));
    if (placed.size > 5000) placed.delete(placed.keys().next().value!);
  };

  async function finishClaim(id: string, claimDir: string, received: Date): Promise<void> {
    const [originalName] = await listNames(claimDir, { includeHidden: true });
    if (originalName === undefined) {
      await Deno.remove(claimDir).catch(() => {});
      return;
    }
    const keptName = `${id}__${safeFileName(originalName)}`;
    const attachment = `Needs_Action/attachments/${keptName}`;
    const notePath = join(notesFolder, `${id}.md`);
    const claimed = join(claimDir, originalName);
    if (!(await exists(notePath))) {
      const file = await inspectDroppedFile(claimed, limits);
      const note = withRefusal(
        droppedFileNote({
          id,
          originalName,
          attachment,
          received,
          file,
          maxFileMb: options.maxFileMb,
        }),
        file,
        attachment,
      );
      await writeFileAtomic(notePath, renderNote(note.frontMatter, note.body));
      notesWritten++;
      const problem = note.frontMatter.problem ? ` (${note.frontMatter.problem})` : "";
      log(
        problem ? "warning" : "info",
        `New file ${JSON.stringify(originalName)} → Needs_Action/${id}.md${problem}`,
      );
      activity(
        `File dropped: ${originalName.replace(/\s+/g, " ")} → ${id}${problem}`,
        "files_received",
      );
      record({
        event: "received",
        id,
        file: originalName,
        from: "Inbox",
        to: "Needs_Action",
        hash: file.sha256,
        why: `a file was dropped into Inbox/${problem}`,
      });
    }
    arriving.add(join(layout.attachments, keptName));
    if (arriving.size > 10_000) arriving.delete(arriving.values().next().value!);
    const kept = await moveInto(claimed, layout.attachments, keptName);
    await remember(kept).catch(() => {});
    await Deno.remove(claimDir).catch(() => {});
  }

  /** Finishes a claim; one held up by a storage problem waits for a retry. True when done. */
  async function finishOrHold(id: string, claimDir: string, received: Date, what: string) {
    try {
      await finishClaim(id, claimDir, received);
      if (heldUp.release(id)) log("info", `${what} got its note now that the vault can be written`);
      return true;
    } catch (error) {
      const problem = storageProblemOf(error);
      if (!problem) {
        heldUp.release(id);
        log(
          "error",
          `Cannot write the task note for ${what}: ${
            message(error)
          }; it is kept in .aiemp/inbox-claims/${id}/ and finished at the next start`,
        );
      } else if (heldUp.hold(id, problem, { claimDir, received })) {
        log(
          "error",
          `Cannot write the task note for ${what}: ${problem.what}; ${problem.fix}. It waits in ` +
            `.aiemp/inbox-claims/${id}/ and is tried again every ${retryMs / 1000}s`,
        );
      }
      return false;
    }
  }

  /** Names in Inbox/ that cannot be opened and already have their note, this run. */
  const unopenable = new Set<string>();
  let scanningNames = false;

  /**
   * A file whose name is not valid UTF-8 is listed with U+FFFD for the bad bytes, and by that
   * name it cannot be looked at, moved or read: it stays in Inbox/ and gets one note saying why
   * and what to do. (The note's id ends in a hash of the name, so a restart writes no second.)
   */
  async function noteUnopenableNames(): Promise<void> {
    if (scanningNames) return;
    scanningNames = true;
    try {
      const inbox = layout.folder("Inbox");
      for (const name of await listNames(inbox, { includeHidden: true })) {
        if (!name.includes("\uFFFD") || unopenable.has(name) || isTemporaryName(name)) continue;
        if (await exists(join(inbox, name)).catch(() => true)) continue;
        unopenable.add(name);
        const mark = `u${createHash("sha256").update(name).digest("hex").slice(0, 7)}`;
        if ((await listNames(notesFolder)).some((n) => n.endsWith(`_${mark}.md`))) continue;
        const received = now();
        const id = fileTaskId(name, received, mark);
        const where = `Inbox/${name}`;
        const file: DroppedFile = {
          kind: "special",
          size: 0,
          refusal: {
            kind: "bad_name",
            short: "its name is not valid UTF-8; not read",
            long: "Its name is not valid UTF-8 text (shown with \uFFFD for the bytes that are " +
              "not), so aiemp can neither open nor move it. Rename it (in a file manager, or " +
              "with `mv` and tab completion) and it is picked up as a new drop.",
          },
        };
        const note = withRefusal(
          droppedFileNote({
            id,
            originalName: name,
            attachment: where,
            received,
            file,
            maxFileMb: options.maxFileMb,
          }),
          file,
          where,
        );
        await writeFileAtomic(
          join(notesFolder, `${id}.md`),
          renderNote(note.frontMatter, note.body),
        );
        notesWritten++;
        log(
          "warning",
          `A file in Inbox/ has a name that is not UTF-8: ${
            JSON.stringify(name)
          } → Needs_Action/${id}.md`,
        );
        activity(
          `File dropped: ${name.replace(/\s+/g, " ")} → ${id} (its name is not valid UTF-8)`,
          "files_received",
        );
        record({
          event: "received",
          id,
          file: name,
          to: "Needs_Action",
          why: "a file with a name that is not UTF-8 was dropped into Inbox/; it waits there",
        });
      }
    } finally {
      scanningNames = false;
    }
  }

  let retrying = false;

  const watcher: InboxWatcher = {
    async recover() {
      let finished = 0;
      for (const id of await listNames(layout.inboxClaims, { includeHidden: true })) {
        const claimDir = join(layout.inboxClaims, id);
        const info = await Deno.stat(claimDir).catch(() => undefined);
        if (!info?.isDirectory) continue;
        if (!(await finishOrHold(id, claimDir, info.mtime ?? now(), id))) continue;
        log("warning", `Finished the drop of ${id}, interrupted by a stop`);
        finished++;
      }
      return finished;
    },

    async handleDrop(path) {
      const name = basename(path);
      if (isTemporaryName(name)) return;
      const received = now();
      const id = fileTaskId(name, received, random());
      const claimDir = join(layout.inboxClaims, id);
      try {
        await Deno.mkdir(claimDir, { recursive: true });
        await Deno.rename(path, join(claimDir, name));
      } catch (error) {
        await Deno.remove(claimDir).catch(() => {});
        if (error instanceof Deno.errors.NotFound) return; // moved away or renamed meanwhile
        const problem = storageProblemOf(error);
        // It stays in Inbox/, where the folder's rescan finds it again (logged once).
        if (problem && !heldUp.blocked(problem)) return;
        log(
          "error",
          `Cannot take ${JSON.stringify(name)} from Inbox/: ${
            problem ? `${problem.what}; ${problem.fix}` : message(error)
          }`,
        );
        return;
      }
      heldUp.blocked(undefined);
      await finishOrHold(id, claimDir, received, JSON.stringify(name));
    },

    async handleChange(path) {
      const id = taskIdOfAttachment(basename(path));
      const info = await Deno.lstat(path).catch(() => undefined);
      if (!id || !info || placed.get(path) === fingerprint(info)) return;
      const notePath = join(notesFolder, `${id}.md`);
      let text: string;
      try {
        text = await Deno.readTextFile(notePath);
      } catch {
        log("debug", `${basename(path)} changed but its note has left Needs_Action/; not updated`);
        return;
      }
      const note = parseNote(text);
      const file = await inspectDroppedFile(path, limits);
      placed.set(path, fingerprint(info));
      if (file.sha256 === note.frontMatter.sha256 && file.size === note.frontMatter.size) return;
      const updated = withRefusal(
        updateDroppedFileNote(note, file, now()),
        file,
        `Needs_Action/attachments/${basename(path)}`,
      );
      await writeFileAtomic(notePath, renderNote(updated.frontMatter, updated.body));
      log(
        "info",
        `${id}: the original changed after its note was written; note updated (${file.size} bytes)`,
      );
      activity(`File changed: ${id} updated`);
      record({
        event: "updated",
        id,
        file: basename(path),
        to: "Needs_Action",
        hash: file.sha256,
        why: "the dropped file changed after its note was written",
      });
    },

    async run(signal) {
      await watcher.recover();
      await Deno.mkdir(layout.attachments, { recursive: true });
      await noteUnopenableNames().catch((error) => log("error", message(error)));
      const retry = setInterval(() => {
        watcher.retryHeldUp(signal);
        noteUnopenableNames().catch((error) => log("error", message(error)));
      }, retryMs);
      onAbort(signal, () => clearInterval(retry));
      await watchSettledFiles({
        folders: [layout.folder("Inbox")],
        watchOnly: [layout.attachments],
        settleMs: options.settleMs,
        skip: isTemporaryName,
        ownEvent: (path) => arriving.delete(path),
        onSettled: (path) =>
          path.startsWith(layout.attachments)
            ? watcher.handleChange(path)
            : watcher.handleDrop(path),
      }, signal);
    },

    async sweep() {
      const before = notesWritten;
      await watcher.recover();
      await settleExistingFiles({
        folders: [layout.folder("Inbox")],
        settleMs: options.settleMs,
        skip: isTemporaryName,
        onSettled: watcher.handleDrop,
      });
      await noteUnopenableNames().catch((error) => log("error", message(error)));
      return notesWritten - before;
    },

    async retryHeldUp(signal) {
      if (retrying || signal?.aborted) return;
      retrying = true;
      try {
        for (const [id, { claimDir, received }] of heldUp.held()) {
          if (signal?.aborted) break;
          await finishOrHold(id, claimDir, received, id);
        }
      } finally {
        retrying = false;
      }
    },
  };
  return watcher;
}

/**
 * A note whose file aiemp refused to read although it could (a link, a hard link, a name it
 * cannot open): its `content` says what it is and its Problem section why, and what to do.
 */
function withRefusal({ frontMatter, body }: Note, file: DroppedFile, keptAt: string): Note {
  const { refusal } = file;
  if (!refusal) return { frontMatter, body };
  const long = `${refusal.long} The original is kept at ${keptAt}.`;
  const problem = /\n## Problem\n\n[^\n]*\n/;
  const explained = problem.test(body)
    ? body.replace(problem, () => `\n## Problem\n\n${long}\n`)
    : `${body.replace(/\n*$/, "\n")}\n## Problem\n\n${long}\n`;
  return {
    frontMatter: { ...frontMatter, content: refusal.kind, problem: refusal.short },
    body: replaceSection(explained, "preview", "_No preview: the file was not read._"),
  };
}

function fingerprint(info: Deno.FileInfo): string {
  return `${info.size}:${info.mtime?.getTime()}`;
}

function message(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}
