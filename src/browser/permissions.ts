/** What a Worker that drives one browser profile works with. */
export interface BrowserWorkerPlaces {
  /** The browser program (from `findBrowser`). */
  executable: string;
  /** The profile (see `browserPaths`). */
  profileDir: string;
  /** The profile's PID file (see `browserPaths`). */
  pidFile: string;
  /** Where failed steps leave their screenshots and HTML: the vault's `Logs/browser/`. */
  evidenceDir: string;
}

/** How a run that drives one browser profile works: its places, and the pace and patience of each step. */
export interface BrowserRun extends BrowserWorkerPlaces {
  /** Without a window. */
  headless: boolean;
  /** How long each browser step may take. */
  stepTimeoutMs: number;
  /** Between keystrokes. */
  keystroke: { minMs: number; maxMs: number };
  /** Between the actions of the flow (open, type, send or post). */
  action: { minMs: number; maxMs: number };
}

/**
 * The whole environment: Playwright's bundled `debug` lists all of `process.env` as it loads,
 * so no list of names is enough.
 */
const PLAYWRIGHT_ENV = true;

/**
 * Playwright asks for the home directory (where it looks for installed Chrome channels) and the
 * kernel release (its WSL check) as it loads.
 */
const PLAYWRIGHT_SYS = ["homedir", "osRelease"];

/**
 * The permissions of a Worker that drives one browser profile, measured, not guessed (a test
 * runs a browser under exactly these):
 *
 * - run: the browser, and `ps` (a leftover is only stopped when it is what its PID file says);
 * - read: the browser program (Playwright checks it exists) and the PID file — not the profile,
 *   which only the browser reads;
 * - write: the profile (Playwright's own files go to its `.playwright/`), the PID file, and
 *   the evidence folder (the screenshot is written by Playwright, in the Worker);
 * - env: all of it, see below; sys: `homedir`, `osRelease`;
 * - net: none — the browser is a subprocess that does its own networking, and Playwright talks
 *   to it over a pipe. Deno's sandbox does not reach into the browser: what it may reach is up
 *   to the pages it is sent to.
 *
 * Playwright's bundled `debug` package lists every environment variable as it loads, so `env`
 * cannot be narrowed to names: a Worker given fewer fails to load Playwright.
 */
export function browserWorkerPermissions(
  places: BrowserWorkerPlaces,
): Deno.PermissionOptionsObject {
  const { executable, profileDir, pidFile, evidenceDir } = places;
  return {
    read: [executable, pidFile],
    write: [profileDir, pidFile, evidenceDir],
    run: [executable, "ps"],
    env: PLAYWRIGHT_ENV,
    sys: PLAYWRIGHT_SYS,
    net: false,
    ffi: false,
    import: false,
  };
}
