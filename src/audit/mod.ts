/**
 * The audit trail: `.aiemp/audit.jsonl`, one JSON object a line, only ever appended to, written
 * only by the orchestrator's main thread.
 * @module
 */

/** One audit entry. `event` says what happened; the rest is its detail. */
export interface AuditEntry {
  /** What happened, e.g. `claimed`, `started`, `done`, `failed`, `dry_run`, `interrupted`. */
  event: string;
  /** The item's id, when the event concerns one item. */
  id?: string;
  /** The action's name, e.g. `webhook`. */
  action?: string;
  /** Further detail of the event, e.g. `file`, `attempt`, `reason`, `remote_id`. */
  [detail: string]: unknown;
}

/** Appends entries to the audit log. */
export interface AuditLog {
  /** Appends one entry, stamped with the time, and flushes it to disk before returning. */
  append(entry: AuditEntry): Promise<void>;
}

/**
 * Opens the audit log at `path` for appending. Each entry is flushed before `append` returns, so a
 * `started` entry is on disk before the action it announces begins.
 */
export function createAuditLog(path: string, now: () => Date = () => new Date()): AuditLog {
  let chain = Promise.resolve();
  return {
    append(entry) {
      const line = JSON.stringify({ ts: now().toISOString(), ...entry }) + "\n";
      const write = chain.then(async () => {
        using file = await Deno.open(path, { append: true, create: true, mode: 0o600 });
        await file.write(new TextEncoder().encode(line));
        await file.syncData();
      });
      chain = write.catch(() => {});
      return write;
    },
  };
}

/** Reads the audit log's entries (for status, reports and tests); none when it does not exist. */
export async function readAuditLog(path: string): Promise<(AuditEntry & { ts: string })[]> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.split("\n").filter((line) => line.trim() !== "").flatMap((line) => {
    try {
      return [JSON.parse(line)];
    } catch {
      return [];
    }
  });
}
