/**
 * Asking a platform who a token belongs to, before `aiemp auth` stores it: LinkedIn's
 * `v2/userinfo`, X's `2/users/me`, the Graph API's `<id or me>?fields=…` for Facebook and
 * Instagram. A token that is refused or lacks a permission is not stored.
 * @module
 */
import { socialAuthCommand, SocialTokenError } from "./tokens.ts";
import { SOCIAL_LABELS, type SocialPlatform } from "./types.ts";

/** How long the check may take. */
const CHECK_TIMEOUT_MS = 30_000;

/** What {@linkcode checkSocialToken} needs. */
export interface TokenCheckOptions {
  /** The platform's API base (`<platform>.api_base`), ending in `/`. */
  apiBase: string;
  /**
   * The account to check: the Facebook Page's id (`me` when none: a Page token's `me` is the
   * Page), the Instagram professional account's id (required). @default none
   */
  account?: string;
  /** The fetch requests go through (a fake in tests). @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** Who a token belongs to, as the platform says. */
export interface TokenOwner {
  /** LinkedIn's `urn:li:person:<sub>`, the Page's or Instagram account's id; none for X. */
  account?: string;
  /** A name, a Page's name, or `@username`. */
  name?: string;
}

/** The permissions each platform's token needs, for the message when one is missing. */
const NEEDS: Record<SocialPlatform, string> = {
  linkedin:
    "the app needs the products 'Sign In with LinkedIn using OpenID Connect' (scopes openid profile) and 'Share on LinkedIn' (w_member_social)",
  x: "the token needs the scopes tweet.read tweet.write users.read (and media.write for images)",
  facebook:
    'use a Page access token with pages_manage_posts and pages_read_engagement (README, "Social posting")',
  instagram:
    'the token needs instagram_basic and instagram_content_publish, from the Facebook Page linked to the account (README, "Social posting")',
};

/**
 * Asks the platform who `accessToken` belongs to. Throws {@linkcode SocialTokenError} when the
 * token is refused (401; the Graph API's error 190), lacks a permission (403), the account is
 * not found, or the API cannot be reached; the message says what to do.
 *
 * @example
 * ```ts
 * await checkSocialToken("x", token, { apiBase: config.x.api_base }); // { name: "@ana" }
 * ```
 */
export async function checkSocialToken(
  platform: SocialPlatform,
  accessToken: string,
  options: TokenCheckOptions,
): Promise<TokenOwner> {
  const url = new URL(pathOf(platform, options.account), options.apiBase);
  const label = SOCIAL_LABELS[platform];
  let response: Response;
  try {
    response = await (options.fetch ?? globalThis.fetch)(url, {
      headers: { authorization: `Bearer ${accessToken}`, accept: "application/json" },
      signal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
    });
  } catch (error) {
    throw new SocialTokenError(
      `Cannot reach ${url.origin}${url.pathname} to check the token (${
        error instanceof Error ? error.message : error
      }); check the network and ${platform}.api_base in aiemp.yaml`,
      { retryable: true },
    );
  }
  const body = await response.json().catch(() => undefined) as Record<string, unknown> | undefined;
  if (!response.ok) throw refusal(platform, response.status, body, url);
  const data = (platform === "x" ? body?.data : body) as Record<string, unknown> | undefined;
  const field = (key: string) => typeof data?.[key] === "string" ? data[key] as string : undefined;
  switch (platform) {
    case "linkedin": {
      const sub = field("sub");
      if (!sub) throw unexpected(label, url);
      return { account: `urn:li:person:${sub}`, ...named(field("name")) };
    }
    case "x": {
      const username = field("username");
      if (!username) throw unexpected(label, url);
      return { name: `@${username}` };
    }
    case "facebook": {
      const id = field("id");
      if (!id) throw unexpected(label, url);
      return { account: id, ...named(field("name")) };
    }
    case "instagram": {
      const id = field("id");
      if (!id) throw unexpected(label, url);
      const username = field("username");
      return { account: id, ...named(username && `@${username}`) };
    }
  }
}

function pathOf(platform: SocialPlatform, account: string | undefined): string {
  switch (platform) {
    case "linkedin":
      return "v2/userinfo";
    case "x":
      return "2/users/me";
    case "facebook":
      return `${encodeURIComponent(account ?? "me")}?fields=id,name`;
    case "instagram":
      return `${encodeURIComponent(account ?? "")}?fields=id,username`;
  }
}

function named(name: string | undefined): { name?: string } {
  return name ? { name } : {};
}

function unexpected(label: string, url: URL): SocialTokenError {
  return new SocialTokenError(
    `${label} accepted the token but its answer at ${url.origin}${url.pathname} does not say whose it is; check the api_base in aiemp.yaml`,
  );
}

/** The error for a refused check, from the status and what the platform said. */
function refusal(
  platform: SocialPlatform,
  status: number,
  body: Record<string, unknown> | undefined,
  url: URL,
): SocialTokenError {
  const label = SOCIAL_LABELS[platform];
  const graph = (body?.error ?? {}) as { message?: unknown; code?: unknown };
  const said = [graph.message, body?.detail, body?.message, body?.title]
    .find((value): value is string => typeof value === "string")?.slice(0, 200);
  const quoted = `HTTP ${status}${said ? `: ${said}` : ""}`;
  const code = typeof graph.code === "number" ? graph.code : undefined;
  if (status === 401 || code === 190) {
    return new SocialTokenError(
      `${label} refused the token (${quoted}): it is wrong, expired or withdrawn; get a new one, then run '${
        socialAuthCommand(platform)
      }' again`,
    );
  }
  const permission = code !== undefined && (code === 10 || (code >= 200 && code < 300));
  if (status === 403 || permission) {
    return new SocialTokenError(
      `${label} accepted the token but it lacks a permission (${quoted}): ${NEEDS[platform]}`,
    );
  }
  if (code === 100 || status === 404) {
    return new SocialTokenError(
      `${label} does not know the account '${
        decodeURIComponent(url.pathname.split("/").pop() ?? "")
      }' or the token may not see it (${quoted}); check --account`,
    );
  }
  return new SocialTokenError(
    `${label} could not check the token (${quoted} from ${url.origin}${url.pathname}); check ${platform}.api_base in aiemp.yaml, or try again later`,
    { retryable: status === 429 || status >= 500 },
  );
}
