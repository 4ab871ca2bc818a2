import { join } from "node:path";
import { listNames, parseNote } from "../vault/mod.ts";

/** A note of a vault folder, with what the scheduled tasks look at. */
export interface FolderNote {
  /** The file name. */
  name: string;
  /** Its path. */
  path: string;
  /** Its front matter; `{}` when it has none or it cannot be read. */
  frontMatter: Record<string, unknown>;
  /** Its body ("" when unreadable). */
  body: string;
  /** When it was last modified. */
  mtime?: Date;
}

/** The `.md` notes directly in `folder` (no subfolders, no hidden files), by name. */
export async function notesIn(folder: string): Promise<FolderNote[]> {
  const notes: FolderNote[] = [];
  for (const name of await listNames(folder)) {
    if (!name.endsWith(".md")) continue;
    const path = join(folder, name);
    const info = await Deno.lstat(path).catch(() => undefined);
    if (!info?.isFile) continue;
    let frontMatter: Record<string, unknown> = {};
    let body = "";
    try {
      ({ frontMatter, body } = parseNote(await Deno.readTextFile(path)));
    } catch { /* an unreadable note still counts, with what its name and times say */ }
    notes.push({ name, path, frontMatter, body, mtime: info.mtime ?? undefined });
  }
  return notes;
}

/** A front-matter value read as a time (an ISO string or a YAML date); undefined otherwise. */
export function timeOf(value: unknown): Date | undefined {
  const date = value instanceof Date ? value : typeof value === "string" ? new Date(value) : null;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}
