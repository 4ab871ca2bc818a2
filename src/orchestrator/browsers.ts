import { join } from "node:path";
import {
  BrowserNotFound,
  browserPaths,
  findBrowser,
  type StopLeftoverOptions,
  stopLeftoverWhenFree,
} from "../browser/mod.ts";
import type { VaultLayout } from "../vault/mod.ts";

/** The browser found for the channels and actions, or why none was, with the fix. */
export type FoundBrowser = { executable: string } | { missing: string };

/**
 * The browser the browser channels and actions drive: `configured` (`browser.executable`) or the
 * system's Chromium or Chrome. Found in the main thread: a Worker may not search PATH.
 */
export async function findChannelBrowser(configured: string): Promise<FoundBrowser> {
  try {
    return { executable: await findBrowser(configured) };
  } catch (error) {
    if (error instanceof BrowserNotFound) return { missing: error.message };
    throw error;
  }
}

/**
 * Stops each browser a crashed or killed aiemp left running on one of the vault's profiles
 * (each `.aiemp/browser/<platform>.pid`), unless someone holds that profile now (`aiemp login`).
 * At start and after shutdown, when no component of this aiemp has a browser open.
 */
export async function stopLeftoverBrowsers(
  layout: VaultLayout,
  log: StopLeftoverOptions["log"],
): Promise<void> {
  const folder = join(layout.internal, "browser");
  let names: string[];
  try {
    names = (await Array.fromAsync(Deno.readDir(folder)))
      .filter((entry) => entry.isFile && entry.name.endsWith(".pid"))
      .map((entry) => entry.name.slice(0, -".pid".length));
  } catch {
    return; // no browser was ever opened on this vault
  }
  for (const platform of names) {
    let paths;
    try {
      paths = browserPaths(layout.internal, platform);
    } catch {
      continue; // not a file aiemp writes
    }
    await stopLeftoverWhenFree(paths, { log }).catch((error) =>
      log?.("warning", `Cannot check for a leftover ${platform} browser: ${error}`)
    );
  }
}
