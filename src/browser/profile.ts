import type { BrowserContext, Page } from "playwright-core";
import { basename, join } from "node:path";
import { stopLeftoverTree } from "../supervisor/mod.ts";
import { loadPlaywright } from "./_playwright.ts";
import { processLine } from "./_process.ts";
import { holdProfile, ProfileBusy } from "./profile_lock.ts";
import {
  type BrowserLog,
  type BrowserPidRecord,
  readPidFile,
  stopLeftoverBrowser,
  writePidFile,
} from "./leftover.ts";

/**
 * The flags every browser starts with: no sandbox (it cannot start without one as root or without
 * user namespaces), no GPU, and none of Chromium's own traffic (updates, sync, first-run pages).
 */
export const CHROMIUM_FLAGS: readonly string[] = Object.freeze([
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
]);

/** The folder, inside a profile, where Playwright keeps its own files (downloads, traces). */
export const PLAYWRIGHT_FOLDER = ".playwright";

/** The browser did not start; the message names the program, the profile and why. */
export class BrowserStartError extends Error {
  /** Always `"BrowserStartError"`, for logs and stack traces. */
  override readonly name = "BrowserStartError";
}

/** The places of one platform's browser under a vault's `.aiemp/`. */
export interface BrowserPaths {
  /** The persistent profile (Chromium's user data directory): `.aiemp/browser/<platform>/`. */
  profileDir: string;
  /** Where the running browser's PID is kept: `.aiemp/browser/<platform>.pid`. */
  pidFile: string;
}

/**
 * Where a platform's browser profile and PID file live under `internalDir` (a vault's
 * `.aiemp/`). Throws a RangeError for a platform name that is not a plain word.
 */
export function browserPaths(internalDir: string, platform: string): BrowserPaths {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(platform)) {
    throw new RangeError(
      `Cannot name a browser profile '${platform}'; use lowercase letters, digits, '_' or '-'`,
    );
  }
  const folder = join(internalDir, "browser");
  return { profileDir: join(folder, platform), pidFile: join(folder, `${platform}.pid`) };
}

/** How {@linkcode openProfile} starts the browser. */
export interface OpenProfileOptions {
  /** The browser program (see `findBrowser`). */
  executable: string;
  /** The persistent profile; created 0700 when missing. Must be absolute. */
  profileDir: string;
  /** Where the browser's PID is kept while it runs. */
  pidFile: string;
  /** Without a window. @default true */
  headless?: boolean;
  /** Where lines about the browser go. @default nowhere */
  log?: BrowserLog;
  /** The browser's environment. @default aiemp's own */
  env?: Record<string, string>;
  /** More flags, after {@linkcode CHROMIUM_FLAGS}. @default [] */
  args?: readonly string[];
  /** How long the browser may take to start. @default 30000 */
  launchTimeoutMs?: number;
  /** How long `close()` waits for a clean exit, and then for SIGTERM, before SIGKILL. @default 5000 */
  closeTimeoutMs?: number;
}

/** A browser running on a persistent profile. */
export interface BrowserProfile {
  /** Playwright's context: the profile's pages, cookies and storage. */
  readonly context: BrowserContext;
  /** The browser's main process; undefined when it could not be learnt. */
  readonly pid: number | undefined;
  /** The profile's first page (a persistent browser opens with one), opened when there is none. */
  page(): Promise<Page>;
  /**
   * Closes the browser, waits for it to end (killing it past `closeTimeoutMs`) and removes the
   * PID file. Calling it again, or after the browser went away, is harmless.
   */
  close(): Promise<void>;
  /** The same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts the browser on a persistent profile: the owner logs in once and the session survives
 * restarts. The profile is held (see `holdProfile`) from here until `close()`, so two parts of
 * aiemp never drive it at once: while another holds it, this throws {@linkcode ProfileBusy}
 * before anything is started. Holding it, a browser an earlier run left on the profile is
 * stopped first (see {@linkcode stopLeftoverBrowser}); the new one's PID goes to `pidFile` until
 * `close()`. playwright-core is loaded here, on first use.
 *
 * @example
 * ```ts
 * const paths = browserPaths(layout.internal, "whatsapp");
 * await using browser = await openProfile({ executable: await findBrowser(), ...paths });
 * const page = await browser.page();
 * await page.goto(url);
 * ```
 */
export async function openProfile(options: OpenProfileOptions): Promise<BrowserProfile> {
  const { profileDir } = options;
  const closeTimeoutMs = options.closeTimeoutMs ?? 5000;
  await Deno.mkdir(profileDir, { recursive: true, mode: 0o700 });
  await Deno.chmod(profileDir, 0o700);
  const hold = await holdProfile(profileDir);
  if (!hold) throw new ProfileBusy(profileDir);
  try {
    return await launch(options, closeTimeoutMs, hold.release);
  } catch (error) {
    hold.release();
    throw error;
  }
}

/** The rest of {@linkcode openProfile}, with the profile held; `release` lets go of it. */
async function launch(
  options: OpenProfileOptions,
  closeTimeoutMs: number,
  release: () => void,
): Promise<BrowserProfile> {
  const { executable, profileDir, pidFile, log = () => {} } = options;
  await stopLeftoverBrowser(pidFile, { graceMs: closeTimeoutMs, log });
  const artifactsDir = join(profileDir, PLAYWRIGHT_FOLDER);
  await Deno.mkdir(artifactsDir, { recursive: true, mode: 0o700 });

  const { chromium } = await loadPlaywright();
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(
      profileDir,
      {
        executablePath: executable,
        headless: options.headless ?? true,
        args: [...CHROMIUM_FLAGS, ...(options.args ?? [])],
        env: options.env,
        timeout: options.launchTimeoutMs ?? 30_000,
        // aiemp owns the signals and closes the browser itself, after the step in flight:
        // Playwright's handlers would close it under that step (and exit at once on Ctrl-C).
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
        // Not in Playwright's types, but honoured: its own files go into the profile instead of a
        // fresh folder in the system's temporary directory, which a narrowed Worker may not write.
        artifactsDir,
      } as Parameters<typeof chromium.launchPersistentContext>[1],
    );
  } catch (error) {
    const why = (error instanceof Error ? error.message : String(error)).split("\n")[0]
      .replace(/^browserType\.launchPersistentContext: /, "").replace(/\.$/, "");
    const hint = /ProcessSingleton|already in use/i.test(why)
      ? "; a browser aiemp did not start is using this profile: close it and start again"
      : "";
    throw new BrowserStartError(
      `Cannot start the browser ${executable} on ${profileDir}: ${why}${hint}`,
      { cause: error },
    );
  }

  let record: BrowserPidRecord | undefined;
  try {
    const pid = await browserPid(context);
    if (pid !== undefined) {
      const line = await processLine(pid);
      const shown = typeof line === "object" ? line.command : "";
      // What stopLeftoverTree later compares: the program as ps shows it (Debian's
      // /usr/bin/chromium is a script that execs /usr/lib/chromium/chromium).
      const command = shown.includes(basename(executable))
        ? executable
        : shown.split(/\s+/)[0] || executable;
      record = { pid, command, profileDir, started: new Date().toISOString() };
      await writePidFile(pidFile, record);
    } else {
      log("warning", `Cannot learn the browser's PID on ${profileDir}; a leftover goes unnoticed`);
    }
  } catch (error) {
    await context.close().catch(() => {});
    throw error;
  }
  log("info", `Browser started on ${profileDir}${record ? ` (PID ${record.pid})` : ""}`);

  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      const closed = await within(context.close(), closeTimeoutMs);
      if (!closed) log("warning", `The browser on ${profileDir} did not close; stopping it`);
      // Whatever is left of it (a hung browser, a helper process) goes too.
      if (record) await stopLeftoverTree(record, closed ? 1000 : closeTimeoutMs);
      // The file may name a newer browser on the profile by now; that one keeps it.
      const current = await readPidFile(pidFile).catch(() => undefined);
      if (current === undefined || current.pid === record?.pid) {
        await Deno.remove(pidFile).catch(() => {});
      }
    })().finally(release);

  return {
    context,
    pid: record?.pid,
    async page() {
      return context.pages().find((page) => !page.isClosed()) ?? await context.newPage();
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The browser's main process, as the browser itself reports it. */
async function browserPid(context: BrowserContext): Promise<number | undefined> {
  const browser = context.browser();
  if (!browser) return undefined;
  const session = await browser.newBrowserCDPSession();
  try {
    const { processInfo } = await session.send("SystemInfo.getProcessInfo");
    return processInfo.find((process) => process.type === "browser")?.id;
  } catch {
    return undefined;
  } finally {
    await session.detach().catch(() => {});
  }
}

/** True when `promise` settles within `ms` (resolved or rejected: a closed browser is closed). */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms));
  try {
    return await Promise.race([promise.then(() => true, () => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
