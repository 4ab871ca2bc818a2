import { untrustedBlock } from "../../agent/mod.ts";
import { type Note, replaceSection } from "../../vault/mod.ts";
import type { DroppedFile, DroppedKind } from "./inspect.ts";

/** Everything a dropped file's task note says. */
export interface DroppedFileNoteInput {
  /** The task id, also the note's file name, e.g. `FILE_20261121-054100_report-pdf_3fa9c2`. */
  id: string;
  /** The name as it was dropped, unchanged (spaces, unicode, even newlines). */
  originalName: string;
  /** Vault-relative path of the kept original. */
  attachment: string;
  /** When the file was taken from Inbox/. */
  received: Date;
  /** What inspecting the file found. */
  file: DroppedFile;
  /** The size limit in force, for the explanation of a file over it. */
  maxFileMb: number;
}

/** Where a dropped file's content came from, as its untrusted-content block says. */
const SOURCE = "file dropped into Inbox/";

/**
 * Builds the task note of a dropped file: front matter per DESIGN.md (`type: file_drop`, size,
 * sha256, …) with `trust: untrusted` (the file came from outside), a link to the kept original,
 * a text preview inside untrusted-content boundaries, and — for bad input — a `problem` saying
 * why it could not be read and what to do.
 */
export function droppedFileNote(input: DroppedFileNoteInput): Note {
  const { file } = input;
  const problem = problemOf(file, input);
  const frontMatter: Record<string, unknown> = {
    id: input.id,
    type: "file_drop",
    source: "inbox",
    received: input.received.toISOString(),
    priority: "normal",
    status: "new",
    trust: "untrusted",
    original_name: input.originalName,
    attachment: input.attachment,
    size: file.size,
    ...(file.sha256 ? { sha256: file.sha256 } : {}),
    content: file.kind,
    ...(problem ? { problem: problem.short } : {}),
  };
  // deno-lint-ignore no-control-regex
  const title = input.originalName.replace(/[\u0000-\u001f\u007f]+/g, " ").trim() || input.id;
  let body = `# Dropped file: ${title}\n\nDropped into Inbox/ at ${frontMatter.received}. ` +
    `The original is kept at [[${input.attachment}]].\n`;
  if (problem) body += `\n## Problem\n\n${problem.long}\n`;
  body = replaceSection(`${body}\n## Preview\n`, "preview", previewBlock(file));
  return { frontMatter, body };
}

/**
 * Brings a task note up to date with a file that changed after the note was written: size, hash,
 * content kind and preview (in a new untrusted-content block); everything else (and any text the
 * owner added) stays, and the note is marked untrusted if it was not.
 */
export function updateDroppedFileNote(note: Note, file: DroppedFile, now: Date): Note {
  const frontMatter: Record<string, unknown> = {
    ...note.frontMatter,
    size: file.size,
    content: file.kind,
    trust: "untrusted",
    updated: now.toISOString(),
  };
  if (file.sha256) frontMatter.sha256 = file.sha256;
  else delete frontMatter.sha256;
  return { frontMatter, body: replaceSection(note.body, "preview", previewBlock(file)) };
}

/**
 * The preview: the file's text fenced (so Markdown in it stays text) inside an untrusted-content
 * block, whose random id the text cannot know, so it cannot close the block early.
 */
function previewBlock(file: DroppedFile): string {
  if (file.preview === undefined) return `_No preview: ${describe(file.kind)}._`;
  const longestRun = Math.max(2, ...(file.preview.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longestRun + 1);
  return untrustedBlock(`${fence}text\n${file.preview.replace(/\n$/, "")}\n${fence}`, SOURCE);
}

function describe(kind: DroppedKind): string {
  return {
    text: "text",
    binary: "the file is not text",
    empty: "the file is empty",
    too_large: "the file is over the size limit",
    unreadable: "the file could not be read",
    folder: "a folder was dropped",
    link_outside_vault: "a link out of the vault is not followed",
    special: "not a regular file",
  }[kind];
}

function problemOf(file: DroppedFile, input: DroppedFileNoteInput) {
  const kept = `The original is kept at ${input.attachment}.`;
  switch (file.kind) {
    case "empty":
      return {
        short: "empty file (0 bytes)",
        long:
          `The file is empty (0 bytes). If it was still being copied, drop it again once the copy has finished. ${kept}`,
      };
    case "too_large":
      return {
        short: `larger than inbox.max_file_mb (${input.maxFileMb} MB); not read`,
        long:
          `The file is ${file.size} bytes, over the limit inbox.max_file_mb (${input.maxFileMb} MB) in aiemp.yaml, so it was neither read nor hashed. Raise the limit to have such files read. ${kept}`,
      };
    case "unreadable":
      return {
        short: `cannot be read: ${file.error}`,
        long:
          `The file could not be read (${file.error}). Make it readable (for example \`chmod u+r\`) and drop it again. ${kept}`,
      };
    case "folder":
      return {
        short: "a folder, not a file; its contents were not read",
        long:
          `A folder was dropped. aiemp does not look inside folders; drop the files themselves to get one task each. ${kept}`,
      };
    case "link_outside_vault":
      return {
        short: "a link pointing outside the vault; not followed",
        long:
          `This is a link to \`${file.target}\`, outside the vault. aiemp never follows links out of the vault; copy the file itself into Inbox/ instead. ${kept}`,
      };
    case "special":
      return {
        short: "not a regular file (pipe, socket or device); not read",
        long: `This is not a regular file (a pipe, socket or device), so it was not read. ${kept}`,
      };
    default:
      return undefined;
  }
}
