/** A burst: many files dropped at once; all become notes, none lost or duplicated. */
import { parseNote } from "../src/vault/mod.ts";
import type { TestVault } from "../tests/e2e/_harness.ts";
import { until } from "./_measure.ts";

/** What the burst showed. */
export interface BurstResult {
  files: number;
  seconds: number;
  filesPerSecond: number;
  notes: number;
  duplicates: number;
  missing: number;
}

/**
 * Writes `files` files into Inbox/ as fast as one writer can, then waits for every note. The time
 * runs from the first write to the newest note's modification time.
 */
export async function burst(vault: TestVault, files: number): Promise<BurstResult> {
  const started = Date.now();
  for (let i = 0; i < files; i++) {
    await Deno.writeTextFile(vault.file("Inbox", `burst-${i}.txt`), `burst file ${i}\n`);
  }
  const notesFolder = vault.file("Needs_Action");
  const noteNames = () => readNames(notesFolder, (name) => name.endsWith(".md"));
  await until(async () => (await noteNames()).length >= files, `${files} notes`, 600_000, 200);
  // Let any straggler (a duplicate would be one) land before counting.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const names = await noteNames();
  let newest = 0;
  const seen = new Map<string, number>();
  for (const name of names) {
    const path = `${notesFolder}/${name}`;
    newest = Math.max(newest, (await Deno.stat(path)).mtime!.getTime());
    const original = String(parseNote(await Deno.readTextFile(path)).frontMatter.original_name);
    seen.set(original, (seen.get(original) ?? 0) + 1);
  }
  const seconds = (newest - started) / 1000;
  let missing = 0;
  for (let i = 0; i < files; i++) if (!seen.has(`burst-${i}.txt`)) missing++;
  return {
    files,
    seconds,
    filesPerSecond: files / seconds,
    notes: names.length,
    duplicates: [...seen.values()].filter((count) => count > 1).length,
    missing,
  };
}

async function readNames(folder: string, keep: (name: string) => boolean): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(folder)) {
    if (entry.isFile && keep(entry.name)) names.push(entry.name);
  }
  return names;
}
