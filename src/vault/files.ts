import { basename, dirname, extname, join } from "node:path";

/** The temporary file names of {@linkcode writeFileAtomic}: `.<name>.<8 hex digits>.tmp`. */
const INTERRUPTED_WRITE = /^\.(.+)\.[0-9a-f]{8}\.tmp$/;

/**
 * The temporary file an atomic write of `path` goes through: hidden, in the same folder (so the
 * rename is atomic), named `.<name>.<8 hex digits>.tmp` — the name cut short when the whole would
 * pass the 255-byte limit of file names.
 */
export function temporaryPathFor(path: string): string {
  const id = crypto.randomUUID().slice(0, 8);
  return join(dirname(path), `.${withinBytes(basename(path), 255 - 14)}.${id}.tmp`);
}

/** The longest start of `text` (whole characters) that is at most `limit` bytes in UTF-8. */
function withinBytes(text: string, limit: number): string {
  const encoder = new TextEncoder();
  if (encoder.encode(text).length <= limit) return text;
  let out = "";
  for (const char of text) {
    if (encoder.encode(out + char).length > limit) break;
    out += char;
  }
  return out;
}

/**
 * Writes a file so that readers see the old content or the new, never half of it:
 * a temporary file in the same folder, flushed, then renamed over the target. When any step
 * fails (a full disk, a read-only folder) the temporary file is removed, the target is left as it
 * was, and the error is thrown. With `durable: false` the data is not flushed first: for a file
 * that may lag after a crash (it is then the old content or the new, or empty).
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  { durable = true }: { durable?: boolean } = {},
): Promise<void> {
  const temp = temporaryPathFor(path);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  try {
    {
      using file = await Deno.open(temp, { write: true, createNew: true });
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      if (durable) await file.syncData();
    }
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

/**
 * True for the temporary file of an atomic write that never finished (the process was killed
 * between writing and renaming it); with `target`, only for a write of that file name.
 */
export function isInterruptedWrite(name: string, target?: string): boolean {
  const match = INTERRUPTED_WRITE.exec(name);
  return match !== null && (target === undefined || match[1] === target);
}

/**
 * Removes what interrupted atomic writes left in `folder` (not its subfolders): only files named
 * as {@linkcode writeFileAtomic} names its temporary files, and with `targets`, only those for
 * these file names. Call it while no other process writes there (holding the vault's lock).
 * Returns the names removed.
 */
export async function removeInterruptedWrites(
  folder: string,
  { targets }: { targets?: string[] } = {},
): Promise<string[]> {
  const removed: string[] = [];
  // Streamed, not listed: this runs at every start over folders such as a 100,000-item Done/.
  const candidates: string[] = [];
  try {
    for await (const entry of Deno.readDir(folder)) {
      if (entry.isFile && entry.name.startsWith(".")) candidates.push(entry.name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  for (const name of candidates) {
    const wanted = targets ? targets.some((t) => isInterruptedWrite(name, t)) : true;
    if (!wanted || !isInterruptedWrite(name)) continue;
    try {
      const info = await Deno.lstat(join(folder, name));
      if (!info.isFile) continue;
      await Deno.remove(join(folder, name));
      removed.push(name);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return removed;
}

/**
 * Moves `source` into `folder` under `name` (default: its own name) without replacing anything:
 * when the name is taken, `-2`, `-3`… is added before the extension. Returns the new path.
 *
 * @example
 * ```ts
 * await moveInto("/v/Approved/EMAIL_a.md", "/v/Done"); // "/v/Done/EMAIL_a.md" or "/v/Done/EMAIL_a-2.md"
 * ```
 */
export async function moveInto(
  source: string,
  folder: string,
  name = basename(source),
): Promise<string> {
  await Deno.mkdir(folder, { recursive: true });
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let n = 1;; n++) {
    const target = join(folder, n === 1 ? name : `${stem}-${n}${ext}`);
    if (await exists(target)) continue;
    await Deno.rename(source, target);
    return target;
  }
}

/** True when something (file, folder or link) is at `path`. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Lists the names in a folder, sorted; none when it is absent. Hidden names (a leading dot) are
 * left out unless `includeHidden` — a file dropped by the owner may well be called `.env`.
 */
export async function listNames(folder: string, { includeHidden = false } = {}): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(folder)) {
      if (includeHidden || !entry.name.startsWith(".")) names.push(entry.name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}
