/**
 * The browser layer every browser channel (WhatsApp Web, and later the social platforms) is built
 * on: the system's Chromium or Chrome found and driven through playwright-core, one persistent
 * profile per platform under `.aiemp/browser/<platform>/`, a leftover browser stopped at the next
 * start, steps with timeouts that leave a screenshot and the page's HTML when they fail,
 * selectors with fallbacks, human pacing, and the session health a channel reports.
 *
 * Nothing here loads playwright-core at import: {@linkcode openProfile} loads it when a browser
 * is first opened (it is heavy, and it reads the whole environment as it loads). Its types are
 * imported as types only.
 *
 * @example
 * ```ts
 * const executable = await findBrowser(config.browser?.executable);
 * await using browser = await openProfile({
 *   executable,
 *   ...browserPaths(layout.internal, "whatsapp"),
 *   log,
 * });
 * const page = await browser.page();
 * const step = { timeoutMs: 15_000, evidenceDir: join(layout.root, "Logs", "browser"), itemId: id };
 * await runStep(page, { ...step, name: "open" }, () => page.goto(url));
 * const composer = await runStep(page, { ...step, name: "find_composer" }, () =>
 *   firstMatch(page, SELECTORS.composer, { timeoutMs: 10_000, what: "the composer" }));
 * await typeHumanly(composer.locator, text, { ...DEFAULT_KEYSTROKE_PACE, newline: "Shift+Enter" });
 * ```
 * @module
 */
export {
  BROWSER_NAMES,
  BrowserNotFound,
  findBrowser,
  type FindBrowserOptions,
  USUAL_BROWSER_PATHS,
} from "./find.ts";
export {
  type BrowserPaths,
  browserPaths,
  type BrowserProfile,
  BrowserStartError,
  CHROMIUM_FLAGS,
  openProfile,
  type OpenProfileOptions,
  PLAYWRIGHT_FOLDER,
} from "./profile.ts";
export {
  holdProfile,
  PROFILE_LOCK_FILE,
  ProfileBusy,
  type ProfileHold,
  stopLeftoverWhenFree,
} from "./profile_lock.ts";
export {
  type BrowserLog,
  type BrowserPidRecord,
  readPidFile,
  stopLeftoverBrowser,
  type StopLeftoverOptions,
} from "./leftover.ts";
export {
  BrowserStepError,
  runStep,
  saveEvidence,
  type StepEvidence,
  type StepOptions,
} from "./step.ts";
export {
  firstMatch,
  type FirstMatchOptions,
  type SelectorMatch,
  SelectorNotFound,
  type SelectorScope,
  type SelectorSet,
} from "./selectors.ts";
export {
  DEFAULT_ACTION_PACE,
  DEFAULT_KEYSTROKE_PACE,
  humanDelay,
  type HumanPace,
  keystrokes,
  type PacingDeps,
  pauseHumanly,
  type RandomSource,
  seededRandom,
  type Sleep,
  typeHumanly,
  type TypeHumanlyOptions,
} from "./pacing.ts";
export { describeSession, type SessionHealth, sessionHealth, type SessionState } from "./health.ts";
export {
  type BrowserRun,
  browserWorkerPermissions,
  type BrowserWorkerPlaces,
} from "./permissions.ts";
