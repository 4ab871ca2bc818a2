import { basename, dirname, extname, join } from "node:path";

/**
 * Writes a file so that readers see the old content or the new, never half of it:
 * a temporary file in the same folder, flushed, then renamed over the target.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${crypto.randomUUID().slice(0, 8)}.tmp`);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  try {
    using file = await Deno.open(temp, { write: true, createNew: true });
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
    await file.syncData();
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
  await Deno.rename(temp, path);
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
