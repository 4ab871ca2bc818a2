/**
 * The social platforms' tokens, as `aiemp auth <platform>` stores them in `.aiemp/secrets/`: their
 * format, their health (for the Dashboard and `aiemp auth status`), and a fresh one for a post,
 * renewed first with its refresh token when it is about to expire. Light: oauth4webapi is loaded
 * only when a token is renewed.
 * @module
 */
import { rememberSecret, SecretError, type SecretStore, secretVariableOf } from "../secrets/mod.ts";
import { SOCIAL_LABELS, type SocialPlatform } from "./types.ts";

/** A token renewed this close to its expiry, or later. */
const RENEW_BEFORE_MS = 5 * 60_000;
/** A token that cannot be renewed is `expiring` this close to its expiry. */
const EXPIRING_WITHIN_MS = 7 * 24 * 3_600_000;

/**
 * The name of the secret that holds a platform's token: `<platform>_token`, a file in
 * `.aiemp/secrets/` or the variable `AIEMP_SECRET_<PLATFORM>_TOKEN`.
 *
 * @example
 * ```ts
 * socialTokenSecret("linkedin"); // "linkedin_token"
 * ```
 */
export function socialTokenSecret(platform: SocialPlatform): string {
  return `${platform}_token`;
}

/** A platform's token and what goes with it. */
export interface SocialToken {
  /** The access token (a Page token for Facebook and Instagram). */
  accessToken: string;
  /** When the access token expires (ISO 8601). @default unknown */
  expiresAt?: string;
  /** Renews the access token (X with `offline.access`; LinkedIn for some apps). @default none */
  refreshToken?: string;
  /** The app the token was issued to, for renewals. @default none */
  clientId?: string;
  /** The app's secret, for renewals by a confidential client. @default none */
  clientSecret?: string;
  /**
   * Who posts: LinkedIn's author URN (`urn:li:person:…`), the Facebook Page's id, the Instagram
   * account's id. @default none
   */
  account?: string;
  /** Shown to the owner: a name, a Page's name, `@username`. @default none */
  name?: string;
  /** The scopes granted. @default unknown */
  scopes?: string[];
}

/** A social token that cannot be used or renewed; the message names the secret and the fix. */
export class SocialTokenError extends Error {
  /** Always `"SocialTokenError"`, for logs and stack traces. */
  override name = "SocialTokenError";
  /** True when trying again later may work (the token endpoint was unreachable or failing). */
  readonly retryable: boolean;

  /** `options.retryable` marks a failure that may pass. @default false */
  constructor(message: string, options: ErrorOptions & { retryable?: boolean } = {}) {
    super(message, options);
    this.retryable = options.retryable ?? false;
  }
}

/** The command that sets a platform's token up again. */
export function socialAuthCommand(platform: SocialPlatform): string {
  const metaPlatform = platform === "facebook" || platform === "instagram";
  return `aiemp auth ${platform}${metaPlatform ? " --token-file FILE" : ""}`;
}

/** Where a platform's token is: the file and the variable. */
function whereIs(platform: SocialPlatform): string {
  const name = socialTokenSecret(platform);
  return `the secret '${name}' (.aiemp/secrets/${name} or ${secretVariableOf(name)})`;
}

/**
 * Reads a stored token: the JSON `aiemp auth` writes (see {@linkcode renderSocialToken}), or a
 * bare access token on one line (a variable set by hand). Throws {@linkcode SocialTokenError}
 * naming the secret and the fix otherwise. Does not remember values for redaction: the store
 * that read the text did.
 *
 * @example
 * ```ts
 * parseSocialToken("EAAB…", "facebook"); // { accessToken: "EAAB…" }
 * ```
 */
export function parseSocialToken(text: string, platform: SocialPlatform): SocialToken {
  const trimmed = text.trim();
  const broken = (what: string) =>
    new SocialTokenError(
      `Cannot use ${whereIs(platform)}: ${what}; store it again with '${
        socialAuthCommand(platform)
      }'`,
    );
  if (!trimmed) throw broken("it is empty");
  if (!trimmed.startsWith("{")) {
    if (/\s/.test(trimmed)) {
      throw broken("expected the access token alone on one line, or the JSON 'aiemp auth' writes");
    }
    return { accessToken: trimmed };
  }
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(trimmed);
  } catch {
    throw broken("it starts with '{' but is not JSON");
  }
  if (!data || typeof data !== "object" || Array.isArray(data)) throw broken("expected an object");
  const text_ = (key: string): string | undefined => {
    const value = data[key];
    if (value === undefined || value === null || value === "") return undefined;
    if (typeof value !== "string") throw broken(`'${key}' is not text`);
    return value;
  };
  const accessToken = text_("access_token");
  if (!accessToken) throw broken("it has no access_token");
  const expiresAt = text_("expires_at");
  if (expiresAt !== undefined && Number.isNaN(Date.parse(expiresAt))) {
    throw broken(`expires_at '${expiresAt}' is not a date (ISO 8601)`);
  }
  const scope = text_("scope");
  const token: SocialToken = { accessToken };
  const optional = {
    expiresAt,
    refreshToken: text_("refresh_token"),
    clientId: text_("client_id"),
    clientSecret: text_("client_secret"),
    account: text_("account"),
    name: text_("name"),
    scopes: scope?.split(/\s+/).filter(Boolean),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) Object.assign(token, { [key]: value });
  }
  return token;
}

/**
 * The text of a token's secret file: JSON with OAuth's field names (`access_token`, `expires_at`,
 * `refresh_token`, `client_id`, `client_secret`, `account`, `name`, `scope`), those that are set.
 */
export function renderSocialToken(token: SocialToken): string {
  const fields: [string, string | undefined][] = [
    ["access_token", token.accessToken],
    ["expires_at", token.expiresAt],
    ["refresh_token", token.refreshToken],
    ["client_id", token.clientId],
    ["client_secret", token.clientSecret],
    ["account", token.account],
    ["name", token.name],
    ["scope", token.scopes?.join(" ")],
  ];
  const data = Object.fromEntries(fields.filter(([, value]) => value));
  return `${JSON.stringify(data, null, 2)}\n`;
}

/**
 * The stored token of `platform`, or undefined when none is set up. Throws
 * {@linkcode SocialTokenError} when it is there but unreadable as a token, and the store's
 * {@linkcode SecretError} when the file may not be used (permissions).
 */
export function readSocialToken(
  platform: SocialPlatform,
  secrets: SecretStore,
): SocialToken | undefined {
  let text: string;
  try {
    text = secrets.read(socialTokenSecret(platform));
  } catch (error) {
    if (error instanceof SecretError && error.missing) return undefined;
    throw error;
  }
  return parseSocialToken(text, platform);
}

/** How a platform's token stands. */
export interface SocialTokenHealth {
  /**
   * `missing`: none set up (posts go through the browser); `valid`: usable; `renews`: has a
   * refresh token, renewed when used; `expiring`: cannot be renewed and expires within 7 days;
   * `expired`: past its expiry and cannot be renewed.
   */
  state: "missing" | "valid" | "renews" | "expiring" | "expired";
  /** The access token's expiry (ISO 8601), when known. */
  expiresAt?: string;
  /** One line for the owner, with the fix when one is needed. */
  message: string;
}

/**
 * How `token` stands at `now`; pure. Used by the Dashboard and `aiemp auth status`.
 *
 * @example
 * ```ts
 * socialTokenHealth("linkedin", { accessToken, expiresAt: "2026-01-03T00:00:00Z" }, new Date("2026-01-01"));
 * // { state: "expiring", expiresAt: "2026-01-03T00:00:00Z",
 * //   message: "expires 2026-01-03 00:00 UTC, in 2 days; run 'aiemp auth linkedin' before then" }
 * ```
 */
export function socialTokenHealth(
  platform: SocialPlatform,
  token: SocialToken | undefined,
  now: Date,
): SocialTokenHealth {
  const fix = `'${socialAuthCommand(platform)}'`;
  if (!token) {
    return {
      state: "missing",
      message: `not set up (browser driver); ${fix} sets up the API`,
    };
  }
  const { expiresAt } = token;
  if (expiresAt === undefined) {
    return token.refreshToken
      ? { state: "renews", message: "set up; renewed automatically when used" }
      : { state: "valid", message: "set up (no expiry recorded)" };
  }
  const left = Date.parse(expiresAt) - now.getTime();
  const when = readableTime(expiresAt);
  if (token.refreshToken) {
    return {
      state: "renews",
      expiresAt,
      message: `renewed automatically when used (the current access token ${
        left > 0 ? "expires" : "expired"
      } ${when})`,
    };
  }
  if (left <= 0) {
    return { state: "expired", expiresAt, message: `expired ${when}; run ${fix}` };
  }
  if (left <= EXPIRING_WITHIN_MS) {
    const hours = Math.max(1, Math.round(left / 3_600_000));
    const days = Math.round(left / 86_400_000);
    const inWords = hours < 24
      ? `in ${hours} hour${hours === 1 ? "" : "s"}`
      : `in ${days} day${days === 1 ? "" : "s"}`;
    return {
      state: "expiring",
      expiresAt,
      message: `expires ${when}, ${inWords}; run ${fix} before then`,
    };
  }
  return { state: "valid", expiresAt, message: `valid until ${when}` };
}

/** `2026-03-01 14:05 UTC`. */
function readableTime(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** What {@linkcode freshSocialToken} needs. */
export interface FreshTokenDeps {
  /** Where the token is read. */
  secrets: SecretStore;
  /** Saves a secret (a renewed token), e.g. `writeSecret(layout.secrets, name, value)`. */
  save(name: string, value: string): Promise<void>;
  /** The platform's token endpoint (`<platform>.token_uri`), where renewals go. */
  tokenUri: string;
  /** The fetch requests go through (a fake in tests). @default globalThis.fetch */
  fetch?: typeof fetch;
  /** The clock. @default () => new Date() */
  now?: () => Date;
}

/**
 * The renewals in flight, by platform and refresh token. Module state on purpose, like the
 * redaction list: X accepts a refresh token once (it rotates them), so every caller in this
 * process that holds the same refresh token must share the one renewal, whoever built its deps.
 * Entries leave as soon as their renewal settles.
 */
const renewals = new Map<string, Promise<SocialToken>>();

/**
 * The token to post with, or undefined when none is set up. A token that expires within 5
 * minutes and has a refresh token is renewed at `deps.tokenUri` first, and the renewed token is
 * saved before it is returned (X replaces the refresh token at each renewal, so the new one must
 * be kept); calls at the same time for the same token share one renewal. Every value read or
 * renewed is remembered for redaction.
 *
 * Throws {@linkcode SocialTokenError}: expired without a way to renew, renewal refused
 * (`invalid_grant`: run `aiemp auth <platform>`), the token endpoint unreachable (`retryable`),
 * the renewed token not saved.
 *
 * @example
 * ```ts
 * const token = await freshSocialToken("x", {
 *   secrets,
 *   save: (name, value) => writeSecret(layout.secrets, name, value),
 *   tokenUri: config.x.token_uri,
 * });
 * ```
 */
export async function freshSocialToken(
  platform: SocialPlatform,
  deps: FreshTokenDeps,
): Promise<SocialToken | undefined> {
  const token = readSocialToken(platform, deps.secrets);
  if (!token) return undefined;
  rememberSocialToken(token);
  const now = deps.now?.() ?? new Date();
  if (!needsRenewal(token, now)) return token;
  if (!token.refreshToken) {
    if (Date.parse(token.expiresAt!) > now.getTime()) return token;
    throw new SocialTokenError(
      `The ${SOCIAL_LABELS[platform]} token in ${whereIs(platform)} expired ${
        readableTime(token.expiresAt!)
      }; run '${socialAuthCommand(platform)}' to store a new one`,
    );
  }
  const key = `${platform}\n${token.refreshToken}`;
  let renewal = renewals.get(key);
  if (!renewal) {
    renewal = renew(platform, token, deps).finally(() => renewals.delete(key));
    renewals.set(key, renewal);
  }
  return await renewal;
}

function needsRenewal(token: SocialToken, now: Date): boolean {
  return token.expiresAt !== undefined &&
    Date.parse(token.expiresAt) - now.getTime() <= RENEW_BEFORE_MS;
}

/** Remembers every secret value of `token` for redaction, so none shows in a log or a message. */
export function rememberSocialToken(token: SocialToken): void {
  for (const value of [token.accessToken, token.refreshToken, token.clientSecret]) {
    if (value) rememberSecret(value);
  }
}

async function renew(
  platform: SocialPlatform,
  token: SocialToken,
  deps: FreshTokenDeps,
): Promise<SocialToken> {
  const label = SOCIAL_LABELS[platform];
  const again = `run '${socialAuthCommand(platform)}'`;
  if (!token.clientId) {
    throw new SocialTokenError(
      `Cannot renew the ${label} token in ${
        whereIs(platform)
      }: it does not say which app (client_id) it was issued to; ${again}`,
    );
  }
  const { refreshGrant } = await import("./_oauth.ts");
  const outcome = await refreshGrant(platform, {
    tokenUri: deps.tokenUri,
    client: { clientId: token.clientId, clientSecret: token.clientSecret },
    refreshToken: token.refreshToken!,
    fetch: deps.fetch,
  });
  const now = deps.now?.() ?? new Date();
  if (!outcome.ok && outcome.refused) {
    // Another process may have renewed it first: X then refuses the old refresh token.
    const stored = outcome.error === "invalid_grant"
      ? readSocialToken(platform, deps.secrets)
      : undefined;
    if (stored && stored.refreshToken !== token.refreshToken && !needsRenewal(stored, now)) {
      rememberSocialToken(stored);
      return stored;
    }
    const said = [outcome.error, outcome.description].filter(Boolean).join(": ");
    const why = outcome.error === "invalid_grant"
      ? "the permission was withdrawn or has expired"
      : outcome.error === "invalid_client" || outcome.error === "unauthorized_client"
      ? "the app's client id or secret is no longer accepted"
      : "the renewal was refused";
    throw new SocialTokenError(
      `${label} refused to renew the token in ${whereIs(platform)} (${said}): ${why}; ${again}`,
    );
  }
  if (!outcome.ok) {
    throw new SocialTokenError(
      `Cannot renew the ${label} token (${outcome.message}); ${
        outcome.retryable ? "it will be tried again" : `check ${platform}.token_uri, or ${again}`
      }`,
      { retryable: outcome.retryable },
    );
  }
  const { answer } = outcome;
  const { expiresAt: _old, ...kept } = token;
  const renewed: SocialToken = {
    ...kept,
    accessToken: answer.accessToken,
    ...(answer.expiresIn === undefined
      ? {}
      : { expiresAt: new Date(now.getTime() + answer.expiresIn * 1000).toISOString() }),
    refreshToken: answer.refreshToken ?? token.refreshToken,
    ...(answer.scopes ?? token.scopes ? { scopes: answer.scopes ?? token.scopes } : {}),
  };
  rememberSocialToken(renewed);
  try {
    await deps.save(socialTokenSecret(platform), renderSocialToken(renewed));
  } catch (error) {
    throw new SocialTokenError(
      `Renewed the ${label} token but cannot save it (${
        error instanceof Error ? error.message : error
      }); ${label} may already have retired the old one: fix that, then ${again}`,
      { cause: error },
    );
  }
  return renewed;
}
