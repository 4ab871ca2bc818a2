import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { exists } from "./files.ts";
import { VAULT_FOLDERS, vaultLayout } from "./layout.ts";

const TEMPLATE = fileURLToPath(new URL("../../vault-template/", import.meta.url));

/** What `initVault` did: vault-relative paths it created, and the ones that were already there. */
export interface VaultInitReport {
  /** The vault's folder, absolute. */
  root: string;
  /** What was added, vault-relative; folders end in `/`. */
  created: string[];
  /** Template files that already existed and were left as they were. */
  kept: string[];
}

/**
 * Creates or completes a vault from `vault-template/`: every folder of the layout, the starter
 * notes, a commented aiemp.yaml, the agent's settings and skills, and `.aiemp/` (0700).
 * A file that already exists is kept as it is, so running it again only adds what is missing.
 */
export async function initVault(root: string, template = TEMPLATE): Promise<VaultInitReport> {
  const layout = vaultLayout(root);
  const report: VaultInitReport = { root: layout.root, created: [], kept: [] };
  const folders = [...VAULT_FOLDERS.map((name) => layout.folder(name)), layout.attachments];
  for (const folder of folders) {
    if (await exists(folder)) continue;
    await Deno.mkdir(folder, { recursive: true });
    report.created.push(relative(layout.root, folder) + "/");
  }
  for (const dir of [layout.internal, layout.secrets]) {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    if (Deno.build.os !== "windows") await Deno.chmod(dir, 0o700);
  }
  for await (const file of walkFiles(template)) {
    const name = relative(template, file);
    const target = join(layout.root, name);
    if (await exists(target)) {
      report.kept.push(name);
      continue;
    }
    await Deno.mkdir(dirname(target), { recursive: true });
    await Deno.copyFile(file, target);
    report.created.push(name);
  }
  return report;
}

/** True when `root` looks like a vault (it has the folders an orchestrator needs). */
export async function isVault(root: string): Promise<boolean> {
  const layout = vaultLayout(root);
  return await exists(layout.folder("Inbox")) && await exists(layout.folder("Approved"));
}

async function* walkFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* walkFiles(path);
    else if (entry.isFile) yield path;
  }
}
