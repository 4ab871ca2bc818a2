/**
 * Social posting through each platform's official API: the `api` driver of a post's run. It is
 * handed everything in an {@linkcode ApiPostRequest} (reads nothing else but the post's image)
 * and runs in a Worker that may reach only {@linkcode apiHostsOf} the platform.
 * @module
 */
import { delay } from "../../abort/mod.ts";
import type { ActionResult } from "../../actions/types.ts";
import type { ApiPostRequest, SocialPlatform } from "../types.ts";
import type { ApiRun } from "./_http.ts";
import { postToFacebook } from "./facebook.ts";
import { postToInstagram } from "./instagram.ts";
import { postToLinkedIn } from "./linkedin.ts";
import { postToX } from "./x.ts";

export { littleText } from "./linkedin.ts";
export type { ApiPostRequest, SocialImage, SocialPlatform, SocialPost } from "../types.ts";
export type { ActionResult } from "../../actions/types.ts";

/** What a run talks to and waits with; tests inject fakes. */
export interface ApiDeps {
  /** Makes the requests. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Waits between Instagram's status checks, less when `signal` aborts. @default a timer */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** The clock a rate limit's reset time is read against (epoch ms). @default Date.now */
  now?: () => number;
}

const DRIVERS: Record<
  SocialPlatform,
  (request: ApiPostRequest, run: ApiRun) => Promise<ActionResult>
> = {
  linkedin: postToLinkedIn,
  x: postToX,
  facebook: postToFacebook,
  instagram: postToInstagram,
};

/**
 * Publishes `request.post` on its platform through the API, at most once. Resolves with the post's
 * id and address, or with why not: refused (and the fix), asked to wait (`retryAfterMs`), or cut
 * off while publishing (`mayHaveActed`: never retried). Never rejects; no result holds the token.
 *
 * @example
 * ```ts
 * const result = await postThroughApi(request, signal);
 * if (result.ok) console.log(result.url);
 * ```
 */
export async function postThroughApi(
  request: ApiPostRequest,
  signal: AbortSignal,
  deps: ApiDeps = {},
): Promise<ActionResult> {
  const { platform } = request.post;
  const run: ApiRun = {
    platform,
    token: request.token,
    userAgent: request.userAgent,
    signal,
    fetch: deps.fetch ?? fetch,
    sleep: deps.sleep ?? (async (ms, s) => void await delay(ms, s)),
    now: deps.now ?? Date.now,
  };
  const driver = Object.hasOwn(DRIVERS, platform) ? DRIVERS[platform] : undefined;
  let result: ActionResult;
  if (!driver) {
    result = { ok: false, retryable: false, reason: `no API driver for '${platform}'` };
  } else {
    try {
      result = await driver(request, run);
    } catch (error) {
      // A driver resolves every failure it knows of; this one's moment is unknown.
      result = {
        ok: false,
        retryable: false,
        mayHaveActed: true,
        reason: `the ${platform} post failed unexpectedly (${
          error instanceof Error ? error.message : String(error)
        }); it may have been published. Check the page before approving it again`,
      };
    }
  }
  return withoutToken(result, request.token);
}

/** The result with every trace of the token replaced by `[token]`. */
function withoutToken(result: ActionResult, token: string): ActionResult {
  // A real token is long; a short one would match ordinary words.
  if (token.length < 8) return result;
  const forms = [...new Set([token, encodeURIComponent(token)])];
  const clean = (text: string) => forms.reduce((t, form) => t.replaceAll(form, "[token]"), text);
  const out: Record<string, unknown> = { ...result };
  for (const key of ["reason", "detail", "url", "remoteId"]) {
    if (typeof out[key] === "string") out[key] = clean(out[key]);
  }
  return out as ActionResult;
}

/**
 * The `host:port` pairs a post's run connects to: the API base's host and, for LinkedIn, the
 * site's host too (LinkedIn's image upload addresses are on its site). The port is the URL's, or
 * 443 for https and 80 for http.
 *
 * @example
 * ```ts
 * apiHostsOf("linkedin", "https://api.linkedin.com/", "https://www.linkedin.com/");
 * // ["api.linkedin.com:443", "www.linkedin.com:443"]
 * ```
 */
export function apiHostsOf(platform: SocialPlatform, apiBase: string, siteUrl: string): string[] {
  const hostOf = (address: string) => {
    const url = new URL(address);
    return `${url.hostname}:${url.port || (url.protocol === "https:" ? "443" : "80")}`;
  };
  const hosts = [hostOf(apiBase)];
  if (platform === "linkedin") hosts.push(hostOf(siteUrl));
  return [...new Set(hosts)];
}
