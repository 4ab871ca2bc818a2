import { writeFileAtomic } from "../vault/mod.ts";
import type { FinalResult } from "./outcome.ts";

/**
 * What the executor knows about an item it has claimed, kept beside it in `.aiemp/inflight/`
 * as `<file>.state.json`. This, not memory, is what a restart after a crash goes by.
 */
export interface InflightRecord {
  id: string;
  action: string;
  /** Attempts begun so far. */
  attempts: number;
  /** Set when an attempt began and cleared when it ended: set at start-up means it was cut off. */
  attemptStarted?: string;
  lastError?: string;
  /**
   * No attempt begins before this time (ISO 8601): the platform asked to be asked again then (a
   * 429's reset), or its rate limit has no free slot until then.
   */
  waitUntil?: string;
  result?: Omit<FinalResult, "when"> & { when: string };
}

const sidecar = (itemPath: string) => `${itemPath}.state.json`;

/** Reads the record of a claimed item; undefined when it was claimed but never attempted. */
export async function readInflight(itemPath: string): Promise<InflightRecord | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(sidecar(itemPath)));
  } catch {
    return undefined;
  }
}

/** Saves the record of a claimed item, durably, before the step it announces. */
export async function writeInflight(itemPath: string, record: InflightRecord): Promise<void> {
  await writeFileAtomic(sidecar(itemPath), JSON.stringify(record, null, 2));
}

/** Forgets the record once the item has left `.aiemp/inflight/`. */
export async function removeInflight(itemPath: string): Promise<void> {
  await Deno.remove(sidecar(itemPath)).catch(() => {});
}

/** True for the record files themselves, which are not items. */
export function isInflightRecord(name: string): boolean {
  return name.endsWith(".state.json");
}

/** The name of the item a record file belongs to; undefined for a name that is not a record. */
export function itemOfRecord(name: string): string | undefined {
  return isInflightRecord(name) ? name.slice(0, -".state.json".length) : undefined;
}
