/**
 * What aiemp knows of each approval request it has seen pending: the provenance that lets a file
 * in Approved/ be told apart from one that was never shown to the human. Plain data and pure
 * functions; the registry keeps them in `.aiemp/approvals.json`.
 * @module
 */

/** One request aiemp saw in Pending_Approval/. */
export interface PendingRecord {
  /** The request's `id` (or its file name without `.md`). */
  id: string;
  /** Its content hash ({@linkcode requestHash}) as last seen pending. */
  hash: string;
  /** When aiemp first saw it pending (ISO). */
  first_seen: string;
  /** When aiemp last saw its content change while pending (ISO). */
  last_edited: string;
  /** `pending` while it waits; `approved` once a human approved it and its execution began. */
  state: "pending" | "approved";
  /** Who approved it with `aiemp approve`, when that is how it was approved. */
  approved_by?: string;
  /** When it was approved (ISO). */
  approved_at?: string;
}

/** The records, by the request's file name. */
export type PendingRecords = Record<string, PendingRecord>;

/** How a sighting in Pending_Approval/ changed the records. */
export type Sighting = "new" | "edited" | "unchanged";

/**
 * Records that `file` (id `id`, hash `hash`) is in Pending_Approval/ at `now`: a new request, an
 * edit of one already pending, or nothing new. A request that comes back (sent back as expired or
 * interrupted) keeps its first sighting.
 */
export function recordSighting(
  records: PendingRecords,
  file: string,
  seen: { id: string; hash: string },
  now: Date,
): { records: PendingRecords; sighting: Sighting } {
  const before = records[file];
  if (before && before.hash === seen.hash && before.state === "pending") {
    return { records, sighting: "unchanged" };
  }
  const at = now.toISOString();
  const record: PendingRecord = {
    id: seen.id,
    hash: seen.hash,
    first_seen: before?.first_seen ?? at,
    last_edited: at,
    state: "pending",
  };
  return { records: { ...records, [file]: record }, sighting: before ? "edited" : "new" };
}

/**
 * The record a file arriving in Approved/ under `file` answers to: the record of the request
 * pending under that very name. A file renamed on its way, or a copy under another name, has none:
 * provenance is the name and the content together, so a copy can never ride on an approval.
 */
export function recordOf(records: PendingRecords, file: string): PendingRecord | undefined {
  return Object.hasOwn(records, file) ? records[file] : undefined;
}

/** The records without `file` (executed, refused, or gone from the vault's folders). */
export function withoutRecord(records: PendingRecords, file: string): PendingRecords {
  const { [file]: _gone, ...rest } = records;
  return rest;
}
