import { sha256Hex } from "./hash.ts";
import { CHAIN_START, headPathOf, sealed, type StoredAuditEntry } from "./log.ts";

/** What {@linkcode verifyAuditLog} found. */
export interface AuditVerdict {
  /** True when every entry is whole, chained to the one before it, and the last is the head. */
  ok: boolean;
  /** How many entries are known to be intact (all of them when `ok`). */
  entries: number;
  /**
   * The first entry that cannot be trusted: its line number (from 1), what is wrong, and its
   * text. An edited entry is named itself: the link from the entry after it no longer matches.
   */
  broken?: { line: number; problem: string; text: string };
  /**
   * Bytes after the last whole line: an entry being written right now, or one a crash cut off
   * (the next entry aiemp writes cuts it off and says so). Not a break.
   */
  unfinished: number;
  /**
   * How many entries the head file (the last entry's hash, kept beside the log) is behind: it is
   * written after each entry, so a crash or a full disk can leave it behind. 0 when current.
   */
  headBehind: number;
}

/**
 * Checks the audit log's chain: every line is a JSON entry whose `prev` is the SHA-256 of the line
 * before it, and the last line is the one the head (`head`, the hash of the last entry written)
 * names. Returns the first entry that cannot be trusted, so an edited, removed or inserted entry is
 * named where the chain breaks.
 */
export function verifyAuditText(text: string, head?: string): AuditVerdict {
  const bytes = new TextEncoder().encode(text);
  const end = bytes.lastIndexOf(10) + 1;
  const unfinished = bytes.length - end;
  const lines = new TextDecoder().decode(bytes.subarray(0, end)).split("\n").slice(0, -1);
  const hashes: string[] = [];
  const broken = (line: number, problem: string): AuditVerdict => ({
    ok: false,
    entries: line - 1,
    broken: { line, problem, text: (lines[line - 1] ?? "").slice(0, 300) },
    unfinished,
    headBehind: 0,
  });
  for (let i = 0; i < lines.length; i++) {
    const entry = parsed(lines[i]);
    if (!entry) return broken(i + 1, "it is not a JSON entry");
    const { self, ...fields } = entry;
    if (typeof entry.prev !== "string" || typeof self !== "string") {
      return broken(i + 1, "it has no 'prev' and 'self' seals: aiemp did not write it");
    }
    if (sealed(fields) !== lines[i]) {
      return broken(i + 1, "it was changed after it was written (its 'self' seal does not match)");
    }
    const expected = i === 0 ? CHAIN_START : hashes[i - 1];
    if (entry.prev !== expected) {
      const problem = i === 0
        ? "it is not the start of the chain: entries before it were removed"
        : `its 'prev' link does not match entry ${i}: an entry between them was removed, this ` +
          `one was inserted, or entry ${i} was rewritten or inserted with its seal redone`;
      return broken(i + 1, problem);
    }
    hashes.push(sha256Hex(lines[i]));
  }
  let headBehind = 0;
  if (head !== undefined && lines.length > 0) {
    const at = hashes.lastIndexOf(head);
    if (at < 0) {
      return broken(
        lines.length,
        "the last entry is not the one aiemp wrote last (the head in audit.head.json names " +
          "another): it was changed, or entries after it were removed",
      );
    }
    headBehind = lines.length - 1 - at;
  }
  return { ok: true, entries: lines.length, unfinished, headBehind };
}

function parsed(line: string): Partial<StoredAuditEntry> | undefined {
  try {
    const entry = JSON.parse(line);
    return typeof entry === "object" && entry !== null && !Array.isArray(entry) ? entry : undefined;
  } catch {
    return undefined;
  }
}

/** Reads and checks the audit log at `path` and its head (an absent log is an empty, whole one). */
export async function verifyAuditLog(path: string): Promise<AuditVerdict> {
  const missing = (error: unknown) => {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  };
  const text = await Deno.readTextFile(path).catch(missing) ?? "";
  const headText = await Deno.readTextFile(headPathOf(path)).catch(missing);
  let head: string | undefined;
  if (headText !== undefined) {
    try {
      head = String(JSON.parse(headText).last);
    } catch {
      // Emptied by a crash (it is written without a flush): the chain alone is checked.
      head = undefined;
    }
  }
  return verifyAuditText(text, head);
}

/** Reads the audit log's entries (for status, reports and tests); none when it does not exist. */
export async function readAuditLog(path: string): Promise<StoredAuditEntry[]> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.split("\n").filter((line) => line.trim() !== "").flatMap((line) => {
    const entry = parsed(line);
    return entry ? [entry as StoredAuditEntry] : [];
  });
}

/**
 * The history of one item: the entries whose `id` is `id`, or whose `file` names it (entries
 * written before the item's id was known carry only its file name). `id` may be a file name too.
 */
export function historyOf(entries: StoredAuditEntry[], id: string): StoredAuditEntry[] {
  const wanted = stem(id);
  const ids = new Set([id, wanted]);
  for (const e of entries) {
    if (typeof e.file === "string" && stem(e.file) === wanted && typeof e.id === "string") {
      ids.add(e.id);
    }
  }
  const files = new Set(
    entries.filter((e) => ids.has(String(e.id)) && typeof e.file === "string").map((e) =>
      stem(e.file as string)
    ),
  );
  files.add(wanted);
  return entries.filter((e) =>
    ids.has(String(e.id)) || (typeof e.file === "string" && files.has(stem(e.file)))
  );
}

function stem(file: string): string {
  return file.replace(/\.md$/i, "");
}
