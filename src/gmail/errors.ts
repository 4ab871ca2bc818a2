/**
 * The outcomes of a failed Gmail call that the rest of aiemp acts on. Every error the client
 * throws is one of these (or the caller's own abort reason, or Deno's `NotCapable` when the
 * sandbox refused a host: a configuration bug, not a Gmail outcome).
 * @module
 */

/** The command that signs the owner in again; named by every {@link GmailAuthError}. */
export const GMAIL_AUTH_COMMAND = "aiemp auth gmail";

/** Options shared by the Gmail errors. */
export interface GmailErrorOptions {
  /** The HTTP status Google answered with, when it answered. */
  status?: number;
  /** Google's reason code (`invalid_grant`, `rateLimitExceeded`, `backendError`, …). */
  reason?: string;
  /** How long Google asked us to wait (from `Retry-After`), in milliseconds. */
  retryAfterMs?: number;
  /** What the library threw. */
  cause?: unknown;
}

/** A Gmail call that failed in a way none of the subclasses describes; carries the status. */
export class GmailError extends Error {
  /** The class's name, for logs and for outcomes posted out of a Worker. */
  override name = "GmailError";
  /** The HTTP status Google answered with, when it answered. */
  readonly status?: number;
  /** Google's reason code, when it gave one. */
  readonly reason?: string;
  /** How long Google asked us to wait (from `Retry-After`), in milliseconds. */
  readonly retryAfterMs?: number;

  /** An error saying what failed; `options` carry Google's answer. */
  constructor(message: string, options: GmailErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.status = options.status;
    this.reason = options.reason;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * The stored credentials no longer work: the refresh token is invalid or revoked
 * (`invalid_grant`), Google still answers 401 after a refresh, or the token lacks a scope the call
 * needs. Retrying cannot help; the owner must run `aiemp auth gmail`, and a watcher should pause.
 */
export class GmailAuthError extends GmailError {
  /** {@inheritDoc GmailError.name} */
  override name = "GmailAuthError";
}

/** Google answered 429 (or 403 with a rate-limit reason); `retryAfterMs` says when to try again. */
export class GmailRateLimit extends GmailError {
  /** {@inheritDoc GmailError.name} */
  override name = "GmailRateLimit";
}

/** Google answered 5xx. For a send this means the message may or may not have gone out. */
export class GmailServerError extends GmailError {
  /** {@inheritDoc GmailError.name} */
  override name = "GmailServerError";
}

/**
 * No answer from Google: the connection failed or timed out. `beforeSending` is true only when
 * the connection itself could not be made (refused, name not resolved, TLS handshake), so the
 * request certainly never reached Google; after a timeout or reset a send may have happened.
 */
export class GmailNetworkError extends GmailError {
  /** {@inheritDoc GmailError.name} */
  override name = "GmailNetworkError";
  /** True only when the request certainly never reached Google. */
  readonly beforeSending: boolean;

  /** A call that got no answer; say whether it failed before anything was sent. */
  constructor(message: string, beforeSending: boolean, options: GmailErrorOptions = {}) {
    super(message, options);
    this.beforeSending = beforeSending;
  }
}
