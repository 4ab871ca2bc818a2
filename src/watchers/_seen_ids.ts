import { dirname } from "node:path";
import { writeFileAtomic } from "../vault/mod.ts";

/**
 * The ids of the messages a watcher (Gmail, WhatsApp) already took, so that no message ever
 * yields two notes: also across restarts, and after its note has left Needs_Action/. Kept in a
 * JSON file
 * (`{ "ids": [oldest … newest] }`), rewritten atomically after each message; only the latest
 * `limit` ids are kept.
 */
export interface SeenIds {
  /** Whether the message was taken before. */
  has(id: string): boolean;
  /** Records the message as taken; resolves once the file says so. */
  add(id: string): Promise<void>;
  /** How many ids are kept. */
  readonly size: number;
}

/** The file of {@linkcode SeenIds} cannot be read as one; the owner must look at it. */
export class SeenIdsError extends Error {
  /** Always `"SeenIdsError"`. */
  override name = "SeenIdsError";
}

/**
 * Opens the ids kept in `path` (none when the file does not exist yet). Throws
 * {@linkcode SeenIdsError} when the file is not such a list: starting afresh would give a second
 * note of every message the channel still shows.
 */
export async function openSeenIds(path: string, limit = 10_000): Promise<SeenIds> {
  let text: string | undefined;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const ids = text === undefined ? [] : parseIds(text, path);
  const kept = new Set(ids.slice(-limit));
  return {
    has: (id) => kept.has(id),
    async add(id) {
      if (kept.has(id)) return;
      kept.add(id);
      // A Set keeps insertion order: the first ids are the oldest.
      for (const old of kept) {
        if (kept.size <= limit) break;
        kept.delete(old);
      }
      await Deno.mkdir(dirname(path), { recursive: true });
      await writeFileAtomic(path, `${JSON.stringify({ ids: [...kept] })}\n`);
    },
    get size() {
      return kept.size;
    },
  };
}

function parseIds(text: string, path: string): string[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new SeenIdsError(`Cannot read ${path}: ${(error as Error).message}`);
  }
  const ids = (data as { ids?: unknown } | null)?.ids;
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string")) {
    throw new SeenIdsError(`Cannot read ${path}: expected { "ids": ["…", …] }`);
  }
  return ids;
}
