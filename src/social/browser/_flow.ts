/**
 * The one posting flow every site goes through, its differences taken from `SOCIAL_SITES` and
 * `SOCIAL_SELECTORS`, and how each way it ends becomes an `ActionResult`. Private to
 * src/social/browser.
 * @module
 */
import type { Locator, Page } from "playwright-core";
import type { ActionResult } from "../../actions/types.ts";
import {
  BrowserStepError,
  keystrokes,
  pauseHumanly,
  runStep,
  type StepOptions,
} from "../../browser/mod.ts";
import { SOCIAL_SELECTORS, type SocialPart } from "../selectors.ts";
import type { BrowserPostRequest } from "../types.ts";
import {
  attachImage,
  type BeforePost,
  openComposer,
  readyToPost,
  typePost,
  waitForPublished,
} from "./_compose.ts";
import { causeOf, PostRefused, SocialLoggedOut } from "./_errors.ts";
import { PART_NAMES, type PartContext, waitWithin } from "./_page.ts";
import { waitForSession } from "./session.ts";
import { composerUrl, postIdFrom, SOCIAL_SITES } from "./sites.ts";

/**
 * Posts `request.post` on `page` (a page of the platform's profile), in steps that each leave a
 * screenshot and the HTML in `request.evidenceDir` when they fail:
 *
 * `open_page` (the composer's address) → `session` (logged in, or the login form) →
 * `open_composer` → `type` (the text, once, checked) and `attach_image` (in the site's order)
 * → `ready` (text and image still there, Post clickable) → `post` (the click: the point of no
 * return) → `confirm` (a new link to the post, or the site's confirmation; or its error).
 *
 * Before the click nothing was posted, and a failure is retryable — except a logged-out
 * session. After it, a post not seen published `mayHaveActed` and is never posted again by
 * itself; a post the site refused is not published and the reason quotes the site.
 */
export async function runPostFlow(
  page: Page,
  request: BrowserPostRequest,
  signal: AbortSignal,
): Promise<ActionResult> {
  const { post, itemId } = request;
  const platform = post.platform;
  const site = SOCIAL_SITES[platform];
  const what = `${site.label} post ${itemId}`;
  const fallbacks = new Map<SocialPart, string>();
  const step = (name: string, timeoutMs = request.stepTimeoutMs): StepOptions => ({
    name,
    timeoutMs,
    evidenceDir: request.evidenceDir,
    itemId,
    signal,
  });
  const within = (stepSignal: AbortSignal, stepMs = request.stepTimeoutMs): PartContext => ({
    selectors: SOCIAL_SELECTORS[platform],
    timeoutMs: waitWithin(stepMs),
    signal: stepSignal,
    fallbacks,
  });
  const pause = () => pauseHumanly(request.action, { signal });
  // Choosing an image and going through its views takes longer than finding a button.
  const attachMs = request.stepTimeoutMs * 2;
  const attach = async () => {
    await pause();
    await runStep(
      page,
      step("attach_image", attachMs),
      (stepSignal) => attachImage(page, post.image!, within(stepSignal, attachMs)),
    );
  };

  let button: Locator;
  let before: BeforePost;
  try {
    await runStep(page, step("open_page"), async () => {
      await page.goto(composerUrl(platform, request.url), {
        waitUntil: "domcontentloaded",
        timeout: request.stepTimeoutMs,
      });
    });
    await runStep(page, step("session"), async (stepSignal) => {
      const state = await waitForSession(page, within(stepSignal));
      if (state === "logged_out") throw new SocialLoggedOut(platform, site.label);
    });
    await pause();
    await runStep(
      page,
      step("open_composer"),
      (stepSignal) => openComposer(page, site, within(stepSignal)),
    );
    if (post.image && site.imageFirst) await attach();
    if (post.text !== "") {
      await pause();
      // Typing takes as long as the keystrokes, on top of the step's own time.
      const typingMs = request.stepTimeoutMs +
        keystrokes(post.text).length * request.keystroke.maxMs;
      await runStep(
        page,
        step("type", typingMs),
        (stepSignal) =>
          typePost(page, post.text, within(stepSignal), {
            pace: request.keystroke,
            newline: site.newline,
          }),
      );
    }
    if (post.image && !site.imageFirst) await attach();
    await pause();
    ({ button, before } = await runStep(
      page,
      step("ready"),
      (stepSignal) => readyToPost(page, post.text, post.image, within(stepSignal)),
    ));
  } catch (error) {
    return notPosted(what, error, signal);
  }

  let clicked = false;
  try {
    await runStep(page, step("post"), async (stepSignal) => {
      // A step that ran out of time must not click later, after "not posted" was reported.
      if (stepSignal.aborted) throw stepSignal.reason;
      clicked = true;
      await button.click({ timeout: waitWithin(request.stepTimeoutMs) });
    });
    const seen = await runStep(
      page,
      step("confirm"),
      (stepSignal) => waitForPublished(page, site.label, before, within(stepSignal)),
    );
    const remoteId = seen.url === undefined ? undefined : postIdFrom(platform, seen.url);
    const where = seen.url === undefined
      ? `; the site showed no link to it: see it in ${site.whereToSee}`
      : `: ${seen.url}`;
    return {
      ok: true,
      ...(remoteId !== undefined ? { remoteId } : {}),
      ...(seen.url !== undefined ? { url: seen.url } : {}),
      detail: `published on ${site.label}${where}${changedParts(fallbacks)}`,
    };
  } catch (error) {
    if (!clicked) return notPosted(what, error, signal);
    const refused = causeOf(error, PostRefused);
    if (refused && error instanceof BrowserStepError) {
      return {
        ok: false,
        retryable: false,
        reason:
          `${what} was not published: ${error.message}; change the post or wait, then approve it again`,
      };
    }
    const why = error instanceof BrowserStepError
      ? error.message
      : `it was stopped before the post was seen published`;
    return {
      ok: false,
      retryable: false,
      mayHaveActed: true,
      reason:
        `${what} may have been published: ${site.postButtonText} was clicked, but ${why}; check ${site.whereToSee} before posting it again`,
    };
  }
}

/**
 * The result of a flow that ended before Post was clicked: nothing was posted. Retryable,
 * except a logged-out session (the owner logs in first). An error that is neither a step's
 * nor the stop's is a fault of aiemp's and is thrown.
 */
function notPosted(what: string, error: unknown, signal: AbortSignal): ActionResult {
  if (signal.aborted && !(error instanceof BrowserStepError)) {
    return {
      ok: false,
      retryable: true,
      reason: `${what} was stopped before Post was clicked; nothing was posted`,
    };
  }
  if (!(error instanceof BrowserStepError)) throw error;
  const loggedOut = causeOf(error, SocialLoggedOut);
  if (loggedOut) {
    const login = `aiemp login ${loggedOut.platform}`;
    const fix = error.message.includes(login)
      ? "once logged in, approve it again"
      : `run ${login}, then approve it again`;
    return {
      ok: false,
      retryable: false,
      reason: `${what} was not published: ${error.message}; ${fix}`,
    };
  }
  return {
    ok: false,
    retryable: true,
    reason: `${what} was not published (nothing was posted): ${error.message}`,
  };
}

/** The detail's note of the parts found only by a fallback selector; empty when none. */
function changedParts(fallbacks: ReadonlyMap<SocialPart, string>): string {
  if (fallbacks.size === 0) return "";
  const parts = [...fallbacks].map(([part, selector]) => `${PART_NAMES[part]} by '${selector}'`);
  return `; the site has changed: found ${
    parts.join(", ")
  } (fallback selectors); update src/social/selectors.ts`;
}
