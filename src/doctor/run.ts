/**
 * `runDoctor`: every check of `aiemp doctor`, in the order they are shown, with their side
 * effects (subprocesses, the clock, free space, the browser search, Google) injected.
 * @module
 */
import { dirname } from "node:path";
import { findBrowser as findSystemBrowser } from "../browser/mod.ts";
import { type Config, loadConfig } from "../config/mod.ts";
import { checkGmail as askGoogle } from "../gmail/mod.ts";
import { loadVaultRegistry } from "../orchestrator/mod.ts";
import { createSecretStore } from "../secrets/mod.ts";
import { findService, type InstalledService } from "../service/mod.ts";
import { postsThroughBrowser, readSocialSetups, SOCIAL_LABELS } from "../social/mod.ts";
import { type VaultLayout, vaultLayout } from "../vault/mod.ts";
import { runCommand } from "./_command.ts";
import { messageOf } from "./_shell.ts";
import { agentCliCheck, agentSettingsCheck, agentUsers } from "./agent.ts";
import { chromiumCheck, gmailCheck, socialChecks, whatsappCheck } from "./channels.ts";
import { clockCheck, dfFreeSpace, diskCheck, futureFiles, serviceCheck } from "./machine.ts";
import type { DoctorCheck, DoctorOptions } from "./types.ts";
import {
  configCheck,
  lockCheck,
  secretsCheck,
  vaultPresentCheck,
  vaultWritableCheck,
} from "./vault.ts";

/**
 * Runs every check on the vault and its machine and returns them in the order shown: the vault
 * (present, writable, aiemp.yaml, lock, secrets), the agent (CLI, settings), the channels
 * (Chromium, Gmail, WhatsApp, social platforms), the service, disk space and the clock. When the
 * vault is missing, the checks of its contents are left out and the rest use default settings;
 * when aiemp.yaml does not load, they use the defaults too. A check that is not required is never
 * failed: it warns. Checks that wait on something (subprocesses, Google) run at the same time.
 *
 * @example
 * ```ts
 * const checks = await runDoctor({ vault: "/home/ana/AI_Employee_Vault", env: readEnvironment() });
 * const healthy = failedRequired(checks).length === 0;
 * ```
 */
export async function runDoctor(options: DoctorOptions): Promise<DoctorCheck[]> {
  const env = options.env ?? {};
  const run = options.run ?? runCommand;
  const now = (options.now ?? (() => new Date()))();
  const os = options.os ?? Deno.build.os;
  const uid = options.uid !== undefined ? options.uid : Deno.uid();
  const freeSpace = options.freeSpace ?? dfFreeSpace(run);
  const layout = vaultLayout(options.vault);
  const service = await (options.installedService ?? (() => installedService(env.HOME, os)))();

  const present = await vaultPresentCheck(layout);
  const isFolder = (await Deno.stat(layout.root).catch(() => undefined))?.isDirectory ?? false;
  const loaded = isFolder ? await configCheck(layout, env) : undefined;
  const config = loaded?.config ?? loadConfig(undefined, env);
  const [users, setups] = await Promise.all([
    agentUsersOf(layout, config),
    readSocialSetups(layout, config, createSecretStore({ dir: layout.secrets, env: env.secrets })),
  ]);
  const browserUsers = [
    ...(config.whatsapp.enabled ? ["WhatsApp"] : []),
    ...setups.filter(postsThroughBrowser).map((s) => `${SOCIAL_LABELS[s.platform]} posts`),
  ];
  // Where a missing vault would be made: the agent runs there then (a fake one writes files).
  const folder = await existingFolderOf(layout.root);
  const inVault = <T>(check: () => Promise<T>): Promise<T>[] => isFolder ? [check()] : [];
  const checks = await Promise.all([
    isFolder ? present : {
      ...present,
      detail: `${present.detail} (the checks of its contents are left out)`,
    },
    ...inVault(() => vaultWritableCheck(layout, uid)),
    ...(loaded ? [loaded.check] : []),
    ...inVault(() => lockCheck(layout)),
    ...inVault(() => secretsCheck(layout, uid)),
    agentCliCheck(config, users, { run, cwd: folder, service }),
    ...inVault(() => agentSettingsCheck(layout)),
    chromiumCheck(config, browserUsers, options.findBrowser ?? ((c) => findSystemBrowser(c))),
    gmailCheck(layout, config, { env, checkGmail: options.checkGmail ?? askGoogle }),
    whatsappCheck(layout, config),
    ...socialChecks(setups, now),
    serviceCheck(run, os, service),
    freeSpace(folder).then((free) => diskCheck(free, layout)),
    (isFolder ? futureFiles(layout, now) : Promise.resolve([])).then((future) =>
      clockCheck(now, future, { os, vault: layout.root })
    ),
  ]);
  return checks.map((check) =>
    !check.required && check.ok === false ? { ...check, ok: "warn" as const } : check
  );
}

/** aiemp's service as `aiemp service status` finds it, or undefined when that cannot be told. */
async function installedService(
  home: string | undefined,
  os: string,
): Promise<InstalledService | undefined> {
  if (!home || (os !== "linux" && os !== "darwin")) return undefined;
  return await findService({}, { home, os }).catch(() => undefined);
}

/** What runs the agent in this vault, the schedules read as the scheduler reads them. */
async function agentUsersOf(layout: VaultLayout, config: Config): Promise<string[]> {
  try {
    return agentUsers(config, (await loadVaultRegistry(layout)).tasks);
  } catch (error) {
    const users = agentUsers(config, []);
    if (config.scheduler.enabled) {
      users.push(`the scheduler (its schedules do not load: ${messageOf(error)})`);
    }
    return users;
  }
}

/** `path`, or its nearest parent that exists: where a missing vault would be created. */
async function existingFolderOf(path: string): Promise<string> {
  for (let at = path;; at = dirname(at)) {
    if (await Deno.stat(at).then(() => true, () => false)) return at;
    if (dirname(at) === at) return at;
  }
}
