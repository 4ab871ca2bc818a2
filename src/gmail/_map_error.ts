/**
 * Turns what the Google libraries throw (gaxios errors carrying the HTTP response, or fetch's
 * TypeError in their `cause`) into the client's named outcomes.
 * @module
 */
import {
  GMAIL_AUTH_COMMAND,
  GmailAuthError,
  GmailError,
  GmailNetworkError,
  GmailRateLimit,
  GmailServerError,
} from "./errors.ts";
import { parseRetryAfter } from "./retry.ts";

/** The parts of a gaxios error this file reads. */
interface LibraryError {
  message: string;
  status?: number;
  code?: string | number;
  cause?: unknown;
  response?: { status: number; data?: unknown; headers?: { get(name: string): string | null } };
  config?: { url?: string | URL };
}

/** What the failed call was, for the message and the decision. */
export interface FailedCall {
  /** The Gmail call, e.g. `"messages.list"`. */
  operation: string;
  /** The token endpoint: a failure there is named a token refresh. */
  tokenUri: string;
  /** The clock, for a `Retry-After` date. */
  nowMs: number;
  /** The caller's signal: once aborted, its reason is rethrown. */
  signal?: AbortSignal;
}

/** OAuth 2 token endpoint errors (RFC 6749 §5.2) that mean the credentials are no good. */
const CREDENTIAL_ERRORS = new Set(["invalid_grant", "invalid_client", "unauthorized_client"]);
/** Gmail 403 reasons that are rate limits, and those that mean a missing scope. */
const RATE_LIMIT_REASONS = new Set(["rateLimitExceeded", "userRateLimitExceeded"]);
const SCOPE_REASONS = new Set(["insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"]);

/** The errors down an error's `cause` chain, the error itself first. */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e !== undefined && e !== null && chain.length < 8; e = (e as Error).cause) {
    chain.push(e);
  }
  return chain;
}

/** Google's reason and message from an error body: Gmail's `{error: {...}}` or OAuth's. */
function describe(data: unknown): { reason?: string; detail?: string } {
  if (!data || typeof data !== "object") return {};
  const { error, error_description } = data as Record<string, unknown>;
  if (typeof error === "string") {
    return {
      reason: error,
      detail: typeof error_description === "string" ? `${error}: ${error_description}` : error,
    };
  }
  if (error && typeof error === "object") {
    const { message, errors, status } = error as Record<string, unknown>;
    const first = Array.isArray(errors) ? errors[0] as Record<string, unknown> : undefined;
    const reason = typeof first?.reason === "string"
      ? first.reason
      : typeof status === "string"
      ? status
      : undefined;
    return { reason, detail: typeof message === "string" ? message : undefined };
  }
  return {};
}

/** Whether `error` came from the token endpoint (so the Gmail call itself was never made). */
export function failedAtTokenEndpoint(error: unknown, tokenUri: string): boolean {
  const url = (error as LibraryError | undefined)?.config?.url;
  return url !== undefined && String(url) === new URL(tokenUri).href;
}

/**
 * The named outcome of `error`, thrown by `failed.operation`. Deno's `NotCapable` (the sandbox
 * refused) and an abort by `failed.signal` are rethrown as they are.
 */
export function toGmailError(error: unknown, failed: FailedCall): GmailError {
  if (error instanceof GmailError) return error;
  if (failed.signal?.aborted) throw failed.signal.reason;
  const chain = causes(error);
  const refused = chain.find((e) => e instanceof Deno.errors.NotCapable);
  if (refused) throw refused;
  const e = error as LibraryError;
  const response = e.response;
  const operation =
    failedAtTokenEndpoint(error, failed.tokenUri) && failed.operation !== "token refresh"
      ? `${failed.operation} (token refresh)`
      : failed.operation;
  if (!response) {
    const texts = chain.map((c) =>
      `${(c as Error).message ?? c} ${(c as LibraryError).code ?? ""}`
    );
    const timedOut = e.code === "TimeoutError" || texts.some((t) => /timed? ?out/i.test(t));
    const connect = !timedOut &&
      texts.some((t) =>
        /client error \(Connect\)|ECONNREFUSED|ENOTFOUND|Connection refused/i.test(t)
      );
    const deepest = texts.at(-1)?.trim() ?? String(error);
    return new GmailNetworkError(
      `Gmail ${operation} got no answer: ${deepest}`,
      connect,
      { cause: error },
    );
  }
  const status = response.status;
  const { reason, detail } = describe(response.data);
  const said = detail ?? e.message;
  const retryAfterMs = parseRetryAfter(response.headers?.get("retry-after"), failed.nowMs);
  const options = { status, reason, retryAfterMs, cause: error };
  if ((status === 400 || status === 401) && reason && CREDENTIAL_ERRORS.has(reason)) {
    return new GmailAuthError(
      `Google refused the stored Gmail credentials (${said}); run \`${GMAIL_AUTH_COMMAND}\` to sign in again`,
      options,
    );
  }
  if (status === 401) {
    return new GmailAuthError(
      `Gmail ${operation} was refused (401: ${said}) even after refreshing the access token; run \`${GMAIL_AUTH_COMMAND}\` to sign in again`,
      options,
    );
  }
  if (status === 403 && reason && SCOPE_REASONS.has(reason)) {
    return new GmailAuthError(
      `Gmail ${operation} needs a scope the token was not granted (${said}); run \`${GMAIL_AUTH_COMMAND}\` and allow it`,
      options,
    );
  }
  if (status === 429 || (status === 403 && reason && RATE_LIMIT_REASONS.has(reason))) {
    return new GmailRateLimit(`Gmail ${operation} was rate limited (${status}: ${said})`, options);
  }
  if (status >= 500) {
    return new GmailServerError(
      `Gmail ${operation} failed on Google's side (${status}: ${said})`,
      options,
    );
  }
  return new GmailError(`Gmail ${operation} failed (${status}: ${said})`, options);
}
