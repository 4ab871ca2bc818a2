import type { Command } from "commander";
import type { Page } from "playwright-core";
import { basename, dirname, join } from "node:path";
import { delay } from "../abort/mod.ts";
import {
  BrowserNotFound,
  browserPaths,
  type BrowserProfile,
  BrowserStartError,
  findBrowser,
  openProfile,
  ProfileBusy,
  readPidFile,
} from "../browser/mod.ts";
import {
  type Config,
  type DisplayEnvironment,
  loadConfig,
  readDisplayEnvironment,
} from "../config/mod.ts";
import { PLATFORM_RULES, SOCIAL_PLATFORMS, type SocialPlatform } from "../social/mod.ts";
import { runningOwner, type VaultLayout } from "../vault/mod.ts";
import type { CommandContext } from "./_output.ts";

/** How `aiemp login` knows one platform: where its login page is and when the owner is in. */
export interface LoginCheck {
  /** The platform's name for people: "WhatsApp". */
  readonly label: string;
  /** What the owner does on the login page, as one sentence. */
  readonly howTo: string;
  /** The login page's address, from the settings. */
  url(config: Config): string;
  /** What the owner does next, once logged in. */
  readonly next: string;
  /**
   * True once `page` shows an established session; asked again every half second until it is.
   * Throws a {@linkcode LoginError} for a setting that can never match (an invalid selector).
   */
  loggedIn(page: Page, config: Config, around: LoginSurroundings): Promise<boolean>;
}

/** What a {@linkcode LoginCheck} may use besides the page and the settings. */
export interface LoginSurroundings {
  /**
   * Where a check that saves evidence puts it: a scratch folder removed when the login ends, so
   * the looks at a page that is still loading do not fill the vault's `Logs/browser/`.
   */
  evidenceDir: string;
  /** Aborts when the owner stops the command (Ctrl-C). */
  signal: AbortSignal;
}

/** How long one look at the login page may take while waiting for the owner. */
const LOOK_MS = 1500;

/**
 * The login of a social platform's browser driver: the site's own session check
 * (`socialSessionState`, its selectors in src/social/selectors.ts), with a short timeout: logged
 * in once the feed shows; the login form, or a page that shows neither yet, is not yet.
 */
function socialLoginCheck(platform: SocialPlatform): LoginCheck {
  const label = PLATFORM_RULES[platform].label;
  return Object.freeze({
    label,
    howTo: `log in to ${label} in it as you usually do (a two-step code included)`,
    next:
      `Approved ${platform}_post requests now go out through this session while no API token is set up ('aiemp auth ${platform}' sets one up; README: Social posting).`,
    url: (config: Config) => config[platform].url,
    loggedIn: async (page: Page, _config: Config, around: LoginSurroundings) => {
      const { socialSessionState } = await import("../social/mod.ts");
      const check = await socialSessionState(page, platform, {
        evidenceDir: around.evidenceDir,
        itemId: "login",
        timeoutMs: LOOK_MS,
        signal: around.signal,
      });
      return check.state === "logged_in";
    },
  });
}

/**
 * The platforms `aiemp login` knows, by the name given on the command line. WhatsApp's check is
 * the WhatsApp channel's own session check (`sessionState`, its selectors in
 * src/whatsapp/selectors.ts), with a short timeout: logged in once the chats show; the QR code,
 * or a page that shows neither yet (`broken`), is not yet. The social platforms' are theirs
 * ({@linkcode socialLoginCheck}). Loaded when used, with the browser.
 */
export const LOGIN_CHECKS: Readonly<Record<string, LoginCheck>> = Object.freeze({
  whatsapp: Object.freeze({
    label: "WhatsApp",
    howTo:
      "on your phone, open WhatsApp, go to Settings → Linked devices → Link a device, and scan the QR code",
    next:
      "Next: set whatsapp.enabled: true in aiemp.yaml and run 'aiemp start' (if aiemp is already running: 'aiemp stop', then 'aiemp start').",
    url: (config: Config) => config.whatsapp.url,
    loggedIn: async (page: Page, _config: Config, around: LoginSurroundings) => {
      const { sessionState } = await import("../whatsapp/mod.ts");
      const check = await sessionState(page, {
        evidenceDir: around.evidenceDir,
        itemId: "login",
        timeoutMs: LOOK_MS,
        signal: around.signal,
      });
      return check.state === "logged_in";
    },
  }),
  ...Object.fromEntries(SOCIAL_PLATFORMS.map((platform) => [platform, socialLoginCheck(platform)])),
});

/** A login that did not happen; its message is the whole story. */
export class LoginError extends Error {
  /** Always `"LoginError"`, for logs and stack traces. */
  override readonly name = "LoginError";
}

/**
 * Whether a window can be shown: always on macOS and Windows; elsewhere when `DISPLAY` (X11) or
 * `WAYLAND_DISPLAY` is set and not empty.
 */
export function hasDisplay(os: typeof Deno.build.os, display: DisplayEnvironment): boolean {
  if (os === "darwin" || os === "windows") return true;
  return Boolean(display.DISPLAY?.trim() || display.WAYLAND_DISPLAY?.trim());
}

/** What `aiemp login` reads from outside, passed in so tests may replace it. */
export interface LoginDeps {
  /** The platforms known. @default {@linkcode LOGIN_CHECKS} */
  checks?: Readonly<Record<string, LoginCheck>>;
  /** The display variables. @default readDisplayEnvironment */
  display?: () => DisplayEnvironment;
  /** The operating system. @default Deno.build.os */
  os?: typeof Deno.build.os;
}

/** How long `aiemp login` waits for the owner by default, in seconds. */
export const DEFAULT_LOGIN_TIMEOUT_S = 300;

/** How often the page is asked whether the owner is in. */
const POLL_MS = 500;

/** How often the QR picture is taken again while waiting (a QR code changes every ~20 s). */
const QR_REFRESH_MS = 3000;

/** The moment given to the page to finish storing the new session before the browser closes. */
const SETTLE_MS = 2000;

/** Adds `aiemp login <platform> [--headless] [--qr-file FILE] [--timeout-s N]` to the program. */
export function registerLoginCommands(
  program: Command,
  context: CommandContext,
  deps: LoginDeps = {},
): void {
  const checks = deps.checks ?? LOGIN_CHECKS;
  program.command("login")
    .description(
      "log in to a browser platform once (WhatsApp: scan its QR code); the session is kept in the vault's .aiemp/browser/<platform>/ (README: WhatsApp and the browser)",
    )
    .argument("<platform>", `the platform: ${Object.keys(checks).join(", ")}`)
    .option(
      "--headless",
      "no window (a server without a display): write the login page with its QR code to --qr-file",
    )
    .option(
      "--qr-file <file>",
      "write a picture of the login page (its QR code) here, refreshed every few seconds",
    )
    .option(
      "--timeout-s <n>",
      `seconds to wait for you to log in (default ${DEFAULT_LOGIN_TIMEOUT_S})`,
    )
    .action(async (platform: string, options: LoginOptions) => {
      try {
        await login(platform, options, context, { ...deps, checks });
      } catch (error) {
        if (!(error instanceof LoginError || error instanceof BrowserNotFound)) throw error;
        context.out.err(`aiemp: ${error.message}`);
        context.setExit(1);
      }
    });
}

interface LoginOptions {
  headless?: boolean;
  qrFile?: string;
  timeoutS?: string;
}

async function login(
  platform: string,
  options: LoginOptions,
  context: CommandContext,
  deps: LoginDeps & { checks: Readonly<Record<string, LoginCheck>> },
): Promise<void> {
  const { out, env, setExit } = context;
  const check = Object.hasOwn(deps.checks, platform) ? deps.checks[platform] : undefined;
  if (!check) {
    throw new LoginError(
      `Cannot log in to '${platform}': aiemp knows ${
        Object.keys(deps.checks).join(", ")
      }; run e.g. 'aiemp login whatsapp'`,
    );
  }
  const timeoutS = timeoutOf(options.timeoutS);
  const layout = context.vault();
  await requireVault(layout);
  const config = loadConfig(await readText(layout.config), env, {}, layout.config);
  const paths = browserPaths(layout.internal, platform);
  const headless = options.headless === true;
  const display = (deps.display ?? readDisplayEnvironment)();
  if (!headless && !hasDisplay(deps.os ?? Deno.build.os, display)) {
    throw new LoginError(noDisplayMessage(platform, check, paths.profileDir));
  }
  await refuseWhenHeld(layout, platform, paths.pidFile);
  const executable = await findBrowser(config.browser.executable);
  const qrFile = options.qrFile ?? (headless ? `${paths.profileDir}-qr.png` : undefined);

  const browser = await open(executable, paths, headless, context);
  const stop = new AbortController();
  const onInterrupt = () => stop.abort();
  Deno.addSignalListener("SIGINT", onInterrupt);
  // The looks at the page while waiting may leave evidence of a page still loading: not kept.
  const scratch = await Deno.makeTempDir({ prefix: "aiemp-login-" });
  let outcome: WaitOutcome;
  try {
    const page = await browser.page();
    const url = check.url(config);
    try {
      await page.goto(url, {
        waitUntil: "domcontentloaded",
        timeout: config.browser.step_timeout_s * 1000,
      });
    } catch (error) {
      throw new LoginError(
        `Cannot open ${check.label}'s login page ${url}: ${
          firstLine(error).replace(/^page\.goto: /, "")
        }; check the network and ${platform}.url in aiemp.yaml`,
      );
    }
    out.out(
      headless
        ? `${check.label}'s login page is open without a window; its picture is ${qrFile} (taken again every ${
          QR_REFRESH_MS / 1000
        } s: open it again when the code has changed): ${check.howTo} in that picture.`
        : `A browser window shows ${check.label}'s login page: ${check.howTo}.`,
    );
    out.out(`Waiting up to ${timeoutS} s for the login…`);
    outcome = await waitForLogin(page, {
      isIn: () =>
        check.loggedIn(page, config, {
          evidenceDir: scratch,
          signal: stop.signal,
        }),
      timeoutMs: timeoutS * 1000,
      qrFile,
      signal: stop.signal,
      label: check.label,
    });
    if (outcome === "logged_in") await delay(SETTLE_MS, stop.signal);
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
    await browser.close();
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
  }

  if (outcome === "logged_in") {
    // The picture was taken before the login, but it is of no use now and may show more.
    if (qrFile !== undefined) await Deno.remove(qrFile).catch(() => {});
    out.out(
      `Logged in to ${check.label}. The session is kept in ${paths.profileDir} (readable by you only) and aiemp's ${check.label} channel uses it.`,
    );
    out.out(check.next);
    return;
  }
  if (outcome === "stopped") {
    out.err("aiemp: stopped before the login finished; nothing was changed but the profile");
    setExit(130);
    return;
  }
  const pictured = qrFile !== undefined && await Deno.lstat(qrFile).then(() => true, () => false);
  throw new LoginError(
    `No login to ${check.label} within ${timeoutS} s; run 'aiemp login ${platform}' again when you have your phone at hand (or give --timeout-s a longer wait)${
      pictured ? `; the last picture of the page is ${qrFile}` : ""
    }`,
  );
}

/** The seconds of `--timeout-s`, checked. */
function timeoutOf(text: string | undefined): number {
  if (text === undefined) return DEFAULT_LOGIN_TIMEOUT_S;
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) {
    throw new LoginError(
      `Cannot wait '${text}' seconds: --timeout-s expects a whole number of seconds, 1 or more`,
    );
  }
  return Number(text);
}

function noDisplayMessage(platform: string, check: LoginCheck, profileDir: string): string {
  return [
    `Cannot show a browser window: this machine has no display (DISPLAY and WAYLAND_DISPLAY are not set). Either:`,
    `  1. run 'aiemp login ${platform}' on a machine with a display, then, with aiemp stopped on both machines, copy that vault's .aiemp/browser/${platform}/ folder to ${profileDir} here (keep it readable by you only: chmod 700), or`,
    `  2. run 'aiemp login ${platform} --headless --qr-file qr.png' here and open qr.png (copy it to your computer if needed): ${check.howTo} in that picture.`,
  ].join("\n");
}

/**
 * Refuses while a running orchestrator has the platform's browser open: opening the profile
 * would stop that browser as if a crash had left it behind.
 */
async function refuseWhenHeld(layout: VaultLayout, platform: string, pidFile: string) {
  const record = await readPidFile(pidFile);
  if (record === undefined) return;
  const owner = await runningOwner(layout.lock);
  if (owner === undefined) return; // A leftover of a crash: openProfile stops it.
  throw new LoginError(
    `The ${platform} browser profile ${record.profileDir} is in use by aiemp running on this vault (PID ${owner.pid}, browser PID ${record.pid}): stop aiemp first (aiemp stop) or wait until it closes that browser, then run 'aiemp login ${platform}' again`,
  );
}

async function open(
  executable: string,
  paths: { profileDir: string; pidFile: string },
  headless: boolean,
  context: CommandContext,
): Promise<BrowserProfile> {
  try {
    return await openProfile({
      executable,
      ...paths,
      headless,
      log: (level, message) => {
        if (level !== "info") context.out.err(`aiemp: ${message}`);
      },
    });
  } catch (error) {
    if (error instanceof ProfileBusy) {
      throw new LoginError(
        `The browser profile ${paths.profileDir} is in use by aiemp running on this vault (its watcher is checking, or an approved action is running): stop aiemp first (aiemp stop) or try again in a moment`,
      );
    }
    if (!(error instanceof BrowserStartError)) throw error;
    const held = /using this profile|ProcessSingleton|already in use/i.test(error.message);
    throw new LoginError(
      held
        ? `${error.message}. If that browser is aiemp's, stop aiemp first (aiemp stop) or wait until it has closed it`
        : error.message,
    );
  }
}

/** How a wait for the login ended. */
type WaitOutcome = "logged_in" | "timeout" | "stopped";

interface WaitOptions {
  /** Whether the owner is in now. */
  isIn: () => Promise<boolean>;
  timeoutMs: number;
  /** Where the picture of the page goes, refreshed while waiting. */
  qrFile?: string;
  signal: AbortSignal;
  label: string;
}

/** Asks `isIn` every {@linkcode POLL_MS} until it says yes, time is up, or `signal` stops it. */
async function waitForLogin(page: Page, options: WaitOptions): Promise<WaitOutcome> {
  const { timeoutMs, qrFile, signal } = options;
  const deadline = Date.now() + timeoutMs;
  let lastPicture = -Infinity;
  while (true) {
    let isIn: boolean;
    try {
      isIn = await options.isIn();
    } catch (error) {
      if (error instanceof LoginError) throw error;
      if (/has been closed|crashed/i.test(firstLine(error))) {
        throw new LoginError(
          `The browser was closed before the login to ${options.label} finished; run the command again and leave the window open until it closes by itself`,
        );
      }
      throw error;
    }
    if (isIn) return "logged_in";
    const now = Date.now();
    if (now >= deadline) return "timeout";
    if (qrFile !== undefined && now - lastPicture >= QR_REFRESH_MS) {
      if (await writePicture(page, qrFile)) lastPicture = now;
    }
    if (await delay(Math.min(POLL_MS, deadline - now), signal)) return "stopped";
  }
}

/**
 * Writes a picture of `page` to `file` (mode 0600; a temporary file renamed, so the owner never
 * opens half a picture). False when the page could not be taken this time (it is loading).
 */
async function writePicture(page: Page, file: string): Promise<boolean> {
  let png: Uint8Array;
  try {
    png = await page.screenshot({ timeout: 10_000 });
  } catch {
    return false;
  }
  const temp = join(dirname(file), `.${basename(file)}.${crypto.randomUUID()}.tmp`);
  try {
    await Deno.writeFile(temp, png, { mode: 0o600, createNew: true });
    await Deno.rename(temp, file);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw new LoginError(
      `Cannot write the picture of the login page to ${file}: ${
        firstLine(error)
      }; give --qr-file a file in a folder you may write`,
    );
  }
  return true;
}

async function requireVault(layout: VaultLayout) {
  const info = await Deno.stat(layout.root).catch(() => undefined);
  if (!info?.isDirectory) {
    throw new LoginError(
      `Cannot find the vault ${layout.root}; create it with 'aiemp vault init' or give --vault DIR`,
    );
  }
}

/** A file's text, or undefined when there is no such file. */
async function readText(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new LoginError(`Cannot read ${path}: ${firstLine(error)}`);
  }
}

/** The first line of an error's message (Playwright's go on with a call log). */
function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0].trim();
}
