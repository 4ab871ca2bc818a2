/**
 * The vault's own checks: it is there, aiemp may write in `.aiemp/`, aiemp.yaml loads, who holds
 * the lock, and the secrets folder is private.
 * @module
 */
import { join } from "node:path";
import { type Config, ConfigError, loadConfig } from "../config/mod.ts";
import { createSecretStore, SECRET_NAME, SecretError } from "../secrets/mod.ts";
import {
  exists,
  type LockOwner,
  runningOwner,
  storageProblemOf,
  VAULT_FOLDERS,
  type VaultLayout,
} from "../vault/mod.ts";
import { messageOf, plural, shellWord } from "./_shell.ts";
import type { DoctorCheck, DoctorEnvironment } from "./types.ts";

/** The command that creates a vault, or adds what it lacks. */
function initCommand(layout: VaultLayout): string {
  return `aiemp vault init --path ${shellWord(layout.root)}`;
}

/** The vault's folder is there and holds the vault's folders. Required. */
export async function vaultPresentCheck(layout: VaultLayout): Promise<DoctorCheck> {
  const base = { id: "vault", title: "Vault", required: true };
  const fix = `create it: ${initCommand(layout)} (or give the right one with --vault DIR)`;
  const info = await Deno.stat(layout.root).catch(() => undefined);
  if (!info) return { ...base, ok: false, detail: `there is no folder ${layout.root}`, fix };
  if (!info.isDirectory) {
    return { ...base, ok: false, detail: `${layout.root} is not a folder`, fix };
  }
  const missing: string[] = [];
  for (const name of VAULT_FOLDERS) {
    if (!(await Deno.stat(layout.folder(name)).catch(() => undefined))?.isDirectory) {
      missing.push(`${name}/`);
    }
  }
  if (missing.length > 0) {
    return {
      ...base,
      ok: false,
      detail: `${layout.root} lacks ${missing.join(", ")}`,
      fix: `add what is missing (nothing is overwritten): ${initCommand(layout)}`,
    };
  }
  return { ...base, ok: true, detail: layout.root };
}

/**
 * aiemp may create and remove a file in `.aiemp/`, where it keeps its lock, state and audit log.
 * Required.
 */
export async function vaultWritableCheck(
  layout: VaultLayout,
  uid: number | null,
): Promise<DoctorCheck> {
  const base = { id: "vault_writable", title: "Vault writable", required: true };
  const dir = layout.internal;
  const info = await Deno.lstat(dir).catch(() => undefined);
  if (!info) {
    return {
      ...base,
      ok: false,
      detail: `there is no ${dir}`,
      fix: `create it: ${initCommand(layout)}`,
    };
  }
  if (!info.isDirectory) {
    return {
      ...base,
      ok: false,
      detail: `${dir} is not a folder`,
      fix: `move it out of the way (mv ${shellWord(dir)} ${shellWord(`${dir}.old`)}), then: ${
        initCommand(layout)
      }`,
    };
  }
  try {
    const probe = await Deno.makeTempFile({ dir, prefix: ".doctor-", suffix: ".tmp" });
    await Deno.remove(probe);
  } catch (error) {
    const owner = info.uid !== null && uid !== null && info.uid !== uid
      ? `; it belongs to user ${info.uid}: chown -R ${uid} ${shellWord(dir)}`
      : "";
    const problem = storageProblemOf(error);
    return {
      ...base,
      ok: false,
      detail: `cannot create a file in ${dir}: ${problem?.what ?? messageOf(error)}`,
      fix: `let the user aiemp runs as write there: chmod u+rwx ${shellWord(dir)}${owner}`,
    };
  }
  return { ...base, ok: true, detail: `created and removed a file in ${dir}` };
}

/**
 * aiemp.yaml loads (a missing file means every default). Returns the check and the settings the
 * other checks use: the file's, or the defaults when it does not load. Required.
 */
export async function configCheck(
  layout: VaultLayout,
  env: DoctorEnvironment,
): Promise<{ check: DoctorCheck; config: Config }> {
  const base = { id: "config", title: "Settings (aiemp.yaml)", required: true };
  const defaults = () => loadConfig(undefined, env);
  let text: string | undefined;
  try {
    text = await Deno.readTextFile(layout.config);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      return {
        check: {
          ...base,
          ok: false,
          detail: `cannot read ${layout.config}: ${messageOf(error)}`,
          fix: `make it a file the user aiemp runs as may read: chmod u+r ${
            shellWord(layout.config)
          }`,
        },
        config: defaults(),
      };
    }
  }
  try {
    const config = loadConfig(text, env, {}, layout.config);
    const detail = text === undefined ? "there is none: every setting is at its default" : "valid";
    return { check: { ...base, ok: true, detail }, config };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return {
      check: {
        ...base,
        ok: false,
        detail: `${error.message} (the other checks use the defaults)`,
        fix: `edit ${layout.config} as the message says`,
      },
      config: defaults(),
    };
  }
}

/**
 * Who holds the vault's lock: a running aiemp (its PID), nobody, or nobody but with the PID of an
 * aiemp that did not stop cleanly still in the file. Also tells when the emergency stop file is
 * there. Not required: a vault may be checked while aiemp is not running.
 */
export async function lockCheck(layout: VaultLayout): Promise<DoctorCheck> {
  const base = { id: "lock", title: "Lock", required: false };
  let owner: LockOwner | undefined;
  try {
    owner = await runningOwner(layout.lock);
  } catch (error) {
    return {
      ...base,
      ok: "warn",
      detail: `cannot look at ${layout.lock}: ${messageOf(error)}`,
      fix: "see the Vault writable check",
    };
  }
  const stopped = await exists(layout.stopFile);
  const stopFix = `remove it when aiemp should run again: rm ${shellWord(layout.stopFile)}`;
  if (owner) {
    const pid = owner.pid ? `PID ${owner.pid}` : "PID unknown";
    const running = `aiemp is running on this vault (${pid}, started ${owner.started})`;
    return stopped
      ? {
        ...base,
        ok: "warn",
        detail:
          `${running}, and the emergency stop file ${layout.stopFile} is there: it is stopping`,
        fix: stopFix,
      }
      : { ...base, ok: true, detail: running };
  }
  if (stopped) {
    return {
      ...base,
      ok: "warn",
      detail:
        `aiemp is not running, and will not start: the emergency stop file ${layout.stopFile} is there`,
      fix: stopFix,
    };
  }
  const left = await leftOwner(layout.lock);
  if (left) {
    const host = left.hostname ? ` on ${left.hostname}` : "";
    return {
      ...base,
      ok: "warn",
      detail:
        `aiemp is not running, but ${layout.lock} still names PID ${left.pid}${host} (started ${
          left.started ?? "at an unknown time"
        }): that run ended without stopping cleanly (a crash, a kill or a power cut)`,
      fix: `nothing blocks a start ('aiemp start' takes the lock over); look at the end of ${
        shellWord(layout.folder("Logs"))
      }/ for why it stopped`,
    };
  }
  return { ...base, ok: true, detail: "aiemp is not running on this vault" };
}

/** The owner a lock file still names once nobody holds it; a clean stop empties the file. */
async function leftOwner(
  lockPath: string,
): Promise<Partial<LockOwner> & { pid: number } | undefined> {
  try {
    const data = JSON.parse(await Deno.readTextFile(lockPath));
    return typeof data?.pid === "number" ? data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `.aiemp/secrets/` and every file in it are private (folder 0700, files 0600, owned by the user
 * aiemp runs as), checked as the secret store checks them before it reads one. Required when the
 * folder exists.
 */
export async function secretsCheck(
  layout: VaultLayout,
  uid: number | null,
): Promise<DoctorCheck> {
  const dir = layout.secrets;
  const base = { id: "secrets", title: "Secrets folder", required: true };
  const info = await Deno.lstat(dir).catch(() => undefined);
  if (!info) {
    return { ...base, required: false, ok: true, detail: `there is no ${dir} (no secret stored)` };
  }
  const fixDir = `chmod 700 ${shellWord(dir)}`;
  if (!info.isDirectory) {
    return {
      ...base,
      ok: false,
      detail: `${dir} is not a folder (a symbolic link is not accepted)`,
      fix: `make it a real folder: mv ${shellWord(dir)} ${
        shellWord(`${dir}.old`)
      } && mkdir -m 700 ${shellWord(dir)}, then move the secrets back in`,
    };
  }
  if (info.uid !== null && uid !== null && info.uid !== uid) {
    return {
      ...base,
      ok: false,
      detail: `${dir} belongs to user ${info.uid}, not to the user aiemp runs as (${uid})`,
      fix: `chown -R ${uid} ${shellWord(dir)}`,
    };
  }
  const mode = (info.mode ?? 0) & 0o777;
  if (info.mode !== null && (mode & 0o077) !== 0) {
    return {
      ...base,
      ok: false,
      detail: `${dir} is mode ${octal(mode)}, so other users may look into it`,
      fix: `${fixDir} && chmod 600 ${shellWord(dir)}/*`,
    };
  }
  const store = createSecretStore({ dir });
  const problems: string[] = [];
  let files = 0;
  for await (const entry of Deno.readDir(dir)) {
    files++;
    if (SECRET_NAME.test(entry.name)) {
      try {
        store.read(entry.name);
      } catch (error) {
        if (!(error instanceof SecretError)) throw error;
        problems.push(error.message);
      }
      continue;
    }
    // A name the store never reads (e.g. a leftover temporary file) may still hold a secret.
    const path = join(dir, entry.name);
    const file = await Deno.lstat(path);
    if (file.mode !== null && (file.mode & 0o077) !== 0) {
      problems.push(
        `${path} is mode ${octal(file.mode & 0o777)}, so other users may read it: chmod 600 ${
          shellWord(path)
        }`,
      );
    }
  }
  if (problems.length > 0) {
    const more = problems.length > 1 ? ` (and ${plural(problems.length - 1, "more file")})` : "";
    return {
      ...base,
      ok: false,
      detail: `${problems[0]}${more}`,
      fix: `make every secret private: ${fixDir} && chmod 600 ${shellWord(dir)}/*`,
    };
  }
  return {
    ...base,
    ok: true,
    detail: files === 0
      ? `${dir} is private (0700) and empty`
      : `${dir} is private (0700), ${plural(files, "file")} 0600`,
  };
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, "0")}`;
}
