/**
 * The `browser` drivers of social posting: a post approved for LinkedIn, X, Facebook or
 * Instagram is typed into the site's own composer in the owner's browser profile (where
 * `aiemp login <platform>` left the session), as a person would, and confirmed on the page.
 *
 * - {@linkcode postThroughBrowser}: one approved post, published at most once, as an
 *   `ActionResult` (what the executor records);
 * - {@linkcode socialSessionState}: whether a site's page shows a logged-in session, the login
 *   form, or neither yet (for `aiemp login <platform>`, and before each post);
 * - {@linkcode SOCIAL_SITES}: how each site differs (its label, where its composer is, the order
 *   of image and text), and {@linkcode SOCIAL_SELECTORS} (from `../selectors.ts`): the parts of
 *   its page, each with fallbacks.
 *
 * Nothing here loads playwright-core at import: `openProfile` loads it when the browser starts.
 * A run needs only what `browserWorkerPermissions` gives, plus reading the post's image.
 *
 * @example
 * ```ts
 * const result = await postThroughBrowser(request, signal);
 * if (!result.ok && result.mayHaveActed) console.log(result.reason); // the owner checks the site
 * ```
 * @module
 */
import type { ActionResult } from "../../actions/types.ts";
import { BrowserStartError, openProfile, ProfileBusy } from "../../browser/mod.ts";
import type { BrowserPostRequest } from "../types.ts";
import { runPostFlow } from "./_flow.ts";
import { SOCIAL_SITES } from "./sites.ts";

export { composerUrl, postIdFrom, SOCIAL_SITES, type SocialSite } from "./sites.ts";
export { SOCIAL_SELECTORS, type SocialPart, type SocialSelectors } from "../selectors.ts";
export {
  DEFAULT_SESSION_TIMEOUT_MS,
  type SocialSessionCheck,
  type SocialSessionOptions,
  socialSessionState,
} from "./session.ts";

/**
 * How long a post waits when another part of aiemp has the platform's browser open (another post
 * being typed, a login): asked again then, costing no attempt.
 */
const PROFILE_BUSY_WAIT_MS = 30_000;

/**
 * Publishes `request.post` through the site in the platform's browser profile, and says how it
 * ended:
 *
 * - published and seen: ok, with the post's id and address read from the link the site shows
 *   (without a link: ok, no id, and the detail says where to see the post);
 * - not posted (the profile busy, the browser not starting, a step failing before Post is
 *   clicked, a stop): retryable, the reason naming the step and its screenshot and HTML;
 * - the session logged out: not retryable, the reason says to run `aiemp login <platform>`;
 * - Post clicked but the post not seen published: `mayHaveActed`, never posted again by itself;
 * - the site showing an error after Post: not published, not retried, the reason quotes it.
 *
 * An Instagram post without an image, or a post with neither text nor image, is refused before
 * the browser starts. The browser is closed whatever happens.
 */
export async function postThroughBrowser(
  request: BrowserPostRequest,
  signal: AbortSignal,
): Promise<ActionResult> {
  const { post, itemId } = request;
  const site = SOCIAL_SITES[post.platform];
  const what = `${site.label} post ${itemId}`;
  if (site.requiresImage && !post.image) {
    return {
      ok: false,
      retryable: false,
      reason:
        `${what} has no image, and ${site.label} posts need one: add 'image:' with a picture from the vault, then approve it again`,
    };
  }
  if (post.text.trim() === "" && !post.image) {
    return {
      ok: false,
      retryable: false,
      reason: `${what} has neither text nor an image: write the post, then approve it again`,
    };
  }
  let browser;
  try {
    browser = await openProfile({
      executable: request.executable,
      profileDir: request.profileDir,
      pidFile: request.pidFile,
      headless: request.headless,
    });
  } catch (error) {
    if (error instanceof ProfileBusy) {
      return {
        ok: false,
        retryable: true,
        retryAfterMs: PROFILE_BUSY_WAIT_MS,
        reason:
          `the ${site.label} browser is busy (another part of aiemp has its profile open: aiemp login ${post.platform}, or another post); nothing was posted`,
      };
    }
    if (error instanceof BrowserStartError) {
      return { ok: false, retryable: true, reason: `${error.message}; nothing was posted` };
    }
    throw error;
  }
  try {
    return await runPostFlow(await browser.page(), request, signal);
  } finally {
    await browser.close();
  }
}
