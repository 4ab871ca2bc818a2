import { hostname } from "node:os";
import { acquireVaultLock, type VaultLayout } from "../vault/mod.ts";

/**
 * Runs `work` holding the vault's lock, for a command that acts on the vault itself because no
 * orchestrator runs on it; a start meanwhile waits its turn (it finds the vault locked).
 */
export async function whileNotRunning<T>(
  layout: VaultLayout,
  work: () => Promise<T>,
  now: () => Date = () => new Date(),
): Promise<T> {
  const lock = await acquireVaultLock(layout.lock, layout.root, {
    pid: Deno.pid,
    started: now().toISOString(),
    hostname: hostname(),
  });
  try {
    return await work();
  } finally {
    lock.release();
  }
}
