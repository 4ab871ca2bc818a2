import type { Locator } from "playwright-core";
import { delay } from "../abort/mod.ts";

/**
 * A platform's selectors, kept in one place: each part of the page the code touches, by name,
 * with its selectors in order of preference (the first is today's, the rest are fallbacks for
 * when the platform changes its page).
 *
 * @example
 * ```ts
 * const WHATSAPP: SelectorSet = {
 *   composer: ['footer [contenteditable="true"]', 'div[role="textbox"][title*="message" i]'],
 * };
 * ```
 */
export type SelectorSet = Readonly<Record<string, readonly string[]>>;

/** Where {@linkcode firstMatch} looks: a page, or a part of it (a locator). */
export interface SelectorScope {
  /** Playwright's `locator()`, as `Page` and `Locator` have it. */
  locator(selector: string): Locator;
}

/** How {@linkcode firstMatch} waits. */
export interface FirstMatchOptions {
  /** How long to wait for any selector to match. */
  timeoutMs: number;
  /** What is looked for, for the error: e.g. "the composer". @default "the element" */
  what?: string;
  /** `visible` (shown on the page) or `attached` (present in it). @default "visible" */
  state?: "visible" | "attached";
  /** How often the selectors are tried again. @default 100 */
  pollMs?: number;
  /** A stop from outside: the wait ends with the signal's reason. */
  signal?: AbortSignal;
}

/** The selector that matched, its place in the list, and its first element's locator. */
export interface SelectorMatch {
  /** The selector that matched. */
  selector: string;
  /** Its place in the list: 0 is the preferred one, more means a fallback was used. */
  index: number;
  /** The first element it matches. */
  locator: Locator;
}

/** No selector of a list matched in time; the message names every selector tried. */
export class SelectorNotFound extends Error {
  /** Always `"SelectorNotFound"`, for logs and stack traces. */
  override readonly name = "SelectorNotFound";
  /** The selectors tried, in order. */
  readonly selectors: readonly string[];

  /** A failed search: `message` says what was looked for, `selectors` what was tried. */
  constructor(message: string, selectors: readonly string[]) {
    super(message);
    this.selectors = selectors;
  }
}

/**
 * Waits until one of `selectors` matches in `scope` and returns the most preferred one that does
 * (the earliest in the list), with its place in the list, so the caller can say a fallback was
 * used. Throws {@linkcode SelectorNotFound} naming all the selectors tried (and any that is not
 * a valid selector) when none matches within `timeoutMs`.
 *
 * @example
 * ```ts
 * const composer = await firstMatch(page, WHATSAPP.composer, { timeoutMs: 10_000, what: "the composer" });
 * if (composer.index > 0) log("warning", `composer found by a fallback: ${composer.selector}`);
 * ```
 */
export async function firstMatch(
  scope: SelectorScope,
  selectors: readonly string[],
  options: FirstMatchOptions,
): Promise<SelectorMatch> {
  const { timeoutMs, what = "the element", state = "visible", pollMs = 100 } = options;
  if (selectors.length === 0) throw new RangeError(`No selectors given for ${what}`);
  const deadline = Date.now() + timeoutMs;
  const invalid = new Map<string, string>();
  while (true) {
    for (const [index, selector] of selectors.entries()) {
      if (invalid.has(selector)) continue;
      const locator = scope.locator(selector).first();
      try {
        const found = state === "visible" ? await locator.isVisible() : await locator.count() > 0;
        if (found) return { selector, index, locator };
      } catch (error) {
        // A selector Playwright cannot parse will never match; a closed page ends the wait.
        const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
        if (/has been closed|crashed/i.test(message)) throw error;
        invalid.set(selector, message);
      }
    }
    const left = deadline - Date.now();
    if (left <= 0 || invalid.size === selectors.length) break;
    if (await delay(Math.min(pollMs, left), options.signal)) throw options.signal!.reason;
  }
  const tried = selectors
    .map((selector) => invalid.has(selector) ? `'${selector}' (invalid)` : `'${selector}'`)
    .join(", ");
  throw new SelectorNotFound(
    `Cannot find ${what}: none of ${selectors.length} selector(s) matched${
      state === "visible" ? " a visible element" : ""
    } within ${timeoutMs} ms; tried ${tried}`,
    selectors,
  );
}
