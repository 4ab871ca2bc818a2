/**
 * What every browser action's run is handed besides its own data: where its browser works, and
 * the pace and patience of each step; and how long such a run may take.
 * @module
 */
import type { BrowserRun, BrowserWorkerPlaces } from "../browser/mod.ts";
import type { BrowserActionSettings } from "./types.ts";

/** How long the browser may take to start, as `openProfile` allows. */
const LAUNCH_MS = 30_000;

/** The run of a browser action in `places`, with the browser settings' pace. */
export function browserRunOf(
  places: BrowserWorkerPlaces,
  browser: BrowserActionSettings,
): BrowserRun {
  return {
    ...places,
    headless: browser.headless,
    stepTimeoutMs: browser.stepTimeoutMs,
    keystroke: browser.keystroke,
    action: browser.action,
  };
}

/**
 * How long a browser run of `steps` steps that types `typed` characters may take at least:
 * typing is paced like a person's, so a long text needs more than the usual action time.
 */
export function browserRunTimeoutMs(run: BrowserRun, steps: number, typed: string): number {
  return LAUNCH_MS + steps * run.stepTimeoutMs + Array.from(typed).length * run.keystroke.maxMs +
    steps * run.action.maxMs;
}
