import { writeFileAtomic } from "../vault/mod.ts";
import { sha256Hex } from "./hash.ts";

/** Who brought about a change: aiemp's parts, the agent, or the human. */
export type Actor = "watcher" | "agent" | "human" | "executor" | "orchestrator" | "unknown";

/** One audit entry. `event` says what happened; the rest is its detail. */
export interface AuditEntry {
  /** What happened, e.g. `received`, `pending`, `approved`, `started`, `done`, `refused`. */
  event: string;
  /** Who did it. */
  who?: Actor;
  /** The item's id, when the event concerns one item. */
  id?: string;
  /** The action's name, e.g. `webhook`. */
  action?: string;
  /** Where the item was before (a vault folder, e.g. `Pending_Approval`). */
  from?: string;
  /** Where the item is now. */
  to?: string;
  /** Why it happened, in words. */
  why?: string;
  /** The item's content hash at that moment. */
  hash?: string;
  /** Further detail of the event, e.g. `file`, `attempt`, `reason`, `remote_id`. */
  [detail: string]: unknown;
}

/** An entry as stored: stamped with its time, chained to the entry before it, and sealed. */
export type StoredAuditEntry = AuditEntry & { ts: string; prev: string; self: string };

/** Appends entries to the audit log. */
export interface AuditLog {
  /** Appends one entry, stamped and chained, and flushes it to disk before returning. */
  append(entry: AuditEntry): Promise<void>;
}

/** The `prev` of the first entry: there is nothing before it. */
export const CHAIN_START: string = "0".repeat(64);

/** How the audit log's text is turned into entries before it is written (e.g. redaction). */
export type EntryFilter = (entry: AuditEntry) => AuditEntry;

/**
 * Opens the audit log at `path` for appending. Each entry carries `prev`, the SHA-256 of the line
 * before it, so removing or editing an entry breaks the chain where it was changed
 * ({@linkcode verifyAuditLog} finds it). Each entry is flushed before `append` returns, so a
 * `started` entry is on disk before the action it announces begins.
 *
 * An unfinished last line (a crash or a full disk in the middle of a write, whose `append` never
 * returned) is cut off before the next entry, which says so.
 */
export function createAuditLog(
  path: string,
  options: { now?: () => Date; filter?: EntryFilter } = {},
): AuditLog {
  const now = options.now ?? (() => new Date());
  const filter = options.filter ?? ((entry) => entry);
  let chain = Promise.resolve();
  /** The hash of the last whole line, once known; unknown after a failed write. */
  let last: string | undefined;
  return {
    append(entry) {
      const write = chain.then(async () => {
        using file = await Deno.open(path, {
          read: true,
          append: true,
          create: true,
          mode: 0o600,
        });
        let lines = "";
        if (last === undefined) {
          const tail = await readTail(path);
          last = tail.lastHash;
          if (tail.unfinished > 0) {
            await Deno.truncate(path, tail.size - tail.unfinished);
            const note = stored(
              filter({
                event: "audit_repaired",
                who: "orchestrator",
                why: `an unfinished entry of ${tail.unfinished} bytes (a crash or a full disk ` +
                  "during its write; it was never confirmed) was cut off",
              }),
              now(),
              last,
            );
            lines += note.line;
            last = note.hash;
          }
        }
        const next = stored(filter(entry), now(), last);
        lines += next.line;
        try {
          await file.write(new TextEncoder().encode(lines));
          await file.syncData();
        } catch (error) {
          last = undefined; // what reached the disk is unknown: read it again next time
          throw error;
        }
        last = next.hash;
        // The head, kept beside the log, lets `verify` notice an edited or removed last entry.
        // Written after the entry is on disk: after a crash it may lag one entry behind.
        // A head that cannot be written (a full disk) only lags; the entry itself is safe.
        await writeFileAtomic(headPathOf(path), `${JSON.stringify({ last })}\n`, {
          durable: false,
        }).catch(() => {});
      });
      chain = write.catch(() => {});
      return write;
    },
  };
}

function stored(entry: AuditEntry, ts: Date, prev: string): { line: string; hash: string } {
  const { ts: _ts, prev: _prev, self: _self, ...rest } = entry;
  const text = sealed({ ts: ts.toISOString(), ...rest, prev });
  return { line: `${text}\n`, hash: sha256Hex(text) };
}

/**
 * An entry's line: its fields, then `self`, the SHA-256 of the fields before it — so an entry
 * edited in place is named by its own line, and `prev` links it to the line before.
 */
export function sealed(fields: Record<string, unknown>): string {
  const text = JSON.stringify(fields);
  return `${text.slice(0, -1)},"self":"${sha256Hex(text)}"}`;
}

/** The last whole line's hash, and how many bytes after it belong to an unfinished line. */
async function readTail(
  path: string,
): Promise<{ lastHash: string; unfinished: number; size: number }> {
  using file = await Deno.open(path, { read: true });
  const size = (await file.stat()).size;
  const chunk = 64 * 1024;
  let end = size;
  let tail = new Uint8Array(0);
  let unfinished = -1;
  // Reads backwards until the last whole line (and its newline) is in `tail`.
  while (end > 0) {
    const start = Math.max(0, end - chunk);
    const buffer = new Uint8Array(end - start);
    await file.seek(start, Deno.SeekMode.Start);
    let read = 0;
    while (read < buffer.length) {
      const n = await file.read(buffer.subarray(read));
      if (n === null) break;
      read += n;
    }
    const joined = new Uint8Array(buffer.length + tail.length);
    joined.set(buffer);
    joined.set(tail, buffer.length);
    tail = joined;
    end = start;
    const newlines = newlineIndexes(tail);
    if (unfinished < 0 && newlines.length > 0) {
      unfinished = tail.length - 1 - newlines[newlines.length - 1];
    }
    if (newlines.length >= 2 || (newlines.length === 1 && end === 0)) {
      const lastNewline = newlines[newlines.length - 1];
      const before = newlines.length >= 2 ? newlines[newlines.length - 2] + 1 : 0;
      return {
        lastHash: sha256Hex(new TextDecoder().decode(tail.subarray(before, lastNewline))),
        unfinished,
        size,
      };
    }
  }
  // No whole line at all: everything there is unfinished.
  return { lastHash: CHAIN_START, unfinished: tail.length, size };
}

function newlineIndexes(bytes: Uint8Array): number[] {
  const found: number[] = [];
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 10) found.push(i);
  return found;
}

/**
 * The same log, with `who` filled in on entries that do not say: one part of aiemp hands a log
 * that records it as the actor to code that does not know who it is working for.
 *
 * @example
 * ```ts
 * const executorAudit = actingAs(audit, "executor");
 * ```
 */
export function actingAs(log: AuditLog, who: NonNullable<AuditEntry["who"]>): AuditLog {
  return { append: (entry) => log.append({ ...entry, who: entry.who ?? who }) };
}

/** Where the hash of the log's last entry is kept: `audit.jsonl` → `audit.head.json`. */
export function headPathOf(path: string): string {
  return path.replace(/(\.jsonl)?$/, ".head.json");
}
