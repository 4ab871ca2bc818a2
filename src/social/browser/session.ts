import type { Page } from "playwright-core";
import {
  BrowserStepError,
  runStep,
  type SessionState,
  type StepEvidence,
} from "../../browser/mod.ts";
import { SOCIAL_SELECTORS, type SocialPart } from "../selectors.ts";
import type { SocialPlatform } from "../types.ts";
import { findEither, PART_NAMES, type PartContext, waitWithin } from "./_page.ts";
import { SOCIAL_SITES } from "./sites.ts";

/** How {@linkcode socialSessionState} looks at the page. */
export interface SocialSessionOptions {
  /** Where the page's screenshot and HTML go when it shows neither state in time. */
  evidenceDir: string;
  /** The item the look is for, naming the evidence files. @default the platform */
  itemId?: string;
  /** How long to wait for the page to show either state. @default 15000 */
  timeoutMs?: number;
  /** A stop from outside (Ctrl-C during `aiemp login`): the look ends with its reason. */
  signal?: AbortSignal;
}

/** What {@linkcode socialSessionState} saw. */
export interface SocialSessionCheck {
  /**
   * `logged_in`: the page shows the owner's session; `logged_out`: the login form; `broken`:
   * neither yet, within the time given (a page still loading, or a changed page).
   */
  state: SessionState;
  /** Why, in a few words, when not logged in. */
  detail?: string;
  /** For `broken`: the screenshot and HTML of the page. */
  evidence?: StepEvidence;
  /** Each part found only by a fallback selector, with that selector. */
  fallbacks?: Partial<Record<SocialPart, string>>;
}

/** The default of {@linkcode SocialSessionOptions.timeoutMs}. */
export const DEFAULT_SESSION_TIMEOUT_MS = 15_000;

/**
 * Waits until `page` shows `platform`'s login form (`logged_out`) or a logged-in page
 * (`logged_in`); the login form wins when both show. Throws `SelectorNotFound` when neither shows
 * within `context.timeoutMs`. For the posting flow, inside its `session` step.
 */
export async function waitForSession(
  page: Page,
  context: PartContext,
): Promise<"logged_in" | "logged_out"> {
  const { part } = await findEither(page, ["loggedOut", "loggedIn"], context);
  return part === "loggedOut" ? "logged_out" : "logged_in";
}

/**
 * The state of `platform`'s session on `page` (already at the site): logged in, logged out
 * (the login form shows), or `broken` when the page shows neither within `timeoutMs` — then
 * with the screenshot and HTML of the step `session`. `aiemp login <platform>` asks it again
 * and again, with a short timeout, while the owner logs in; the posting flow asks it before
 * opening the composer. Only a stop from outside throws.
 *
 * @example
 * ```ts
 * const check = await socialSessionState(page, "linkedin", { evidenceDir, timeoutMs: 1500 });
 * if (check.state === "logged_in") console.log("logged in");
 * ```
 */
export async function socialSessionState(
  page: Page,
  platform: SocialPlatform,
  options: SocialSessionOptions,
): Promise<SocialSessionCheck> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
  const fallbacks = new Map<SocialPart, string>();
  const label = SOCIAL_SITES[platform].label;
  const step = {
    name: "session",
    timeoutMs,
    evidenceDir: options.evidenceDir,
    itemId: options.itemId ?? platform,
    signal: options.signal,
  };
  const found = () => fallbacks.size > 0 ? { fallbacks: Object.fromEntries(fallbacks) } : {};
  try {
    const state = await runStep(page, step, (signal) =>
      waitForSession(page, {
        selectors: SOCIAL_SELECTORS[platform],
        timeoutMs: waitWithin(timeoutMs),
        signal,
        fallbacks,
      }));
    return state === "logged_in"
      ? { state, ...found() }
      : { state, detail: `${label} shows ${PART_NAMES.loggedOut}`, ...found() };
  } catch (error) {
    if (!(error instanceof BrowserStepError)) throw error;
    return { state: "broken", detail: error.message, evidence: error.evidence, ...found() };
  }
}
