import { isAbsolute, join } from "node:path";

/** The program names looked up on PATH, in order of preference. */
export const BROWSER_NAMES: readonly string[] = Object.freeze([
  "chromium",
  "chromium-browser",
  "google-chrome",
  "google-chrome-stable",
]);

/** Where Chromium and Chrome usually live when they are not on PATH (Linux, then macOS). */
export const USUAL_BROWSER_PATHS: readonly string[] = Object.freeze([
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/snap/bin/chromium",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
  "/opt/google/chrome/chrome",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
]);

/** No usable Chromium or Chrome: the message lists what was tried and how to fix it. */
export class BrowserNotFound extends Error {
  /** Always `"BrowserNotFound"`, for logs and stack traces. */
  override readonly name = "BrowserNotFound";
}

/** Where {@linkcode findBrowser} looks, besides the configured path. */
export interface FindBrowserOptions {
  /** The PATH to search, `:`-separated. @default the process's PATH (none when unreadable) */
  searchPath?: string;
  /** The absolute paths tried after PATH. @default {@linkcode USUAL_BROWSER_PATHS} */
  usualPaths?: readonly string[];
}

/**
 * The system's Chromium or Chrome, never a downloaded one: `configured` (the setting
 * `browser.executable`, a path or a name on PATH) when given, else the first of
 * {@linkcode BROWSER_NAMES} on PATH, else the first of {@linkcode USUAL_BROWSER_PATHS}.
 * Throws {@linkcode BrowserNotFound} naming what was tried and the fix.
 *
 * @example
 * ```ts
 * const executable = await findBrowser(config.browser?.executable);
 * ```
 */
export async function findBrowser(
  configured?: string,
  options: FindBrowserOptions = {},
): Promise<string> {
  const searchPath = options.searchPath ?? processPath();
  const directories = searchPath.split(":").filter((dir) => dir !== "");
  if (configured !== undefined && configured.trim() !== "") {
    const found = await resolveProgram(configured.trim(), directories);
    if (found) return found;
    throw new BrowserNotFound(
      `browser.executable is '${configured}', which is not an executable file${
        isAbsolute(configured) ? "" : " on PATH"
      }; correct the path in aiemp.yaml, or remove the setting to find Chromium automatically`,
    );
  }
  for (const name of BROWSER_NAMES) {
    const found = await resolveProgram(name, directories);
    if (found) return found;
  }
  const usual = options.usualPaths ?? USUAL_BROWSER_PATHS;
  for (const path of usual) {
    if (await isExecutableFile(path)) return path;
  }
  throw new BrowserNotFound(
    `No Chromium or Chrome found (looked for ${BROWSER_NAMES.join(", ")} on PATH and in ${
      usual.join(", ")
    }); install Chromium (Debian/Ubuntu: sudo apt-get install chromium) or set browser.executable in aiemp.yaml to the browser's path`,
  );
}

/** `program` as a path when it has a slash, else the first match in `directories`. */
async function resolveProgram(
  program: string,
  directories: string[],
): Promise<string | undefined> {
  if (program.includes("/")) return await isExecutableFile(program) ? program : undefined;
  for (const dir of directories) {
    const candidate = join(dir, program);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** True for a file (or a link to one) that someone may execute. */
async function isExecutableFile(path: string): Promise<boolean> {
  try {
    const info = await Deno.stat(path);
    return info.isFile && (info.mode === null || (info.mode & 0o111) !== 0);
  } catch {
    return false;
  }
}

/** The process's PATH, or "" where the environment may not be read. */
function processPath(): string {
  try {
    return Deno.env.get("PATH") ?? "";
  } catch {
    return "";
  }
}
