import { basename, join } from "node:path";
import {
  exists,
  isTemporaryName,
  listNames,
  moveInto,
  parseNote,
  renderNote,
  settleExistingFiles,
  type VaultLayout,
  watchSettledFiles,
  writeFileAtomic,
} from "../../vault/mod.ts";
import { inspectDroppedFile } from "./inspect.ts";
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
  /** Told about each note written or updated, for the Dashboard's recent activity. */
  activity?: (text: string, counter?: "files_received") => void;
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
}

/**
 * Creates the inbox watcher. Each settled file becomes exactly one task note:
 *
 * 1. it is claimed by a rename into `.aiemp/inbox-claims/<id>/` (so a restart never sees it twice),
 * 2. the note is written atomically to `Needs_Action/<id>.md`,
 * 3. the original moves to `Needs_Action/attachments/<id>__<safe name>`.
 *
 * A crash between the steps leaves the claim, which {@linkcode InboxWatcher.recover} finishes.
 */
export function createInboxWatcher(options: InboxWatcherOptions): InboxWatcher {
  const { layout } = options;
  const now = options.now ?? (() => new Date());
  const random = options.random ?? (() => crypto.randomUUID().slice(0, 6));
  const log = options.log ?? (() => {});
  const activity = options.activity ?? (() => {});
  const limits = {
    maxBytes: options.maxFileMb * 1024 * 1024,
    previewChars: options.previewChars,
    vault: layout.root,
  };
  const notesFolder = layout.folder("Needs_Action");
  /** Originals this watcher just placed, so their own arrival is not taken for a change. */
  const placed = new Map<string, string>();
  let notesWritten = 0;

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
      const note = droppedFileNote({
        id,
        originalName,
        attachment,
        received,
        file,
        maxFileMb: options.maxFileMb,
      });
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
    }
    const kept = await moveInto(claimed, layout.attachments, keptName);
    await remember(kept).catch(() => {});
    await Deno.remove(claimDir).catch(() => {});
  }

  const watcher: InboxWatcher = {
    async recover() {
      let finished = 0;
      for (const id of await listNames(layout.inboxClaims, { includeHidden: true })) {
        const claimDir = join(layout.inboxClaims, id);
        const info = await Deno.stat(claimDir).catch(() => undefined);
        if (!info?.isDirectory) continue;
        await finishClaim(id, claimDir, info.mtime ?? now());
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
      await Deno.mkdir(claimDir, { recursive: true });
      try {
        await Deno.rename(path, join(claimDir, name));
      } catch (error) {
        await Deno.remove(claimDir).catch(() => {});
        if (error instanceof Deno.errors.NotFound) return; // moved away or renamed meanwhile
        log("error", `Cannot take ${JSON.stringify(name)} from Inbox/: ${message(error)}`);
        return;
      }
      try {
        await finishClaim(id, claimDir, received);
      } catch (error) {
        log(
          "error",
          `Cannot write the task note for ${JSON.stringify(name)}: ${
            message(error)
          }; it is kept in .aiemp/inbox-claims/${id}/ and finished at the next start`,
        );
      }
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
      const updated = updateDroppedFileNote(note, file, now());
      await writeFileAtomic(notePath, renderNote(updated.frontMatter, updated.body));
      log(
        "info",
        `${id}: the original changed after its note was written; note updated (${file.size} bytes)`,
      );
      activity(`File changed: ${id} updated`);
    },

    async run(signal) {
      await watcher.recover();
      await Deno.mkdir(layout.attachments, { recursive: true });
      await watchSettledFiles({
        folders: [layout.folder("Inbox")],
        watchOnly: [layout.attachments],
        settleMs: options.settleMs,
        skip: isTemporaryName,
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
      return notesWritten - before;
    },
  };
  return watcher;
}

function fingerprint(info: Deno.FileInfo): string {
  return `${info.size}:${info.mtime?.getTime()}`;
}

function message(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}
