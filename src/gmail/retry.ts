/**
 * When a failed Gmail call is tried again, as plain functions of the error, the attempt number
 * and the policy. gaxios (the libraries' HTTP layer) retries with its own backoff but ignores
 * `Retry-After`, so the client turns its retries off and uses these instead.
 * @module
 */
import { type GmailError, GmailNetworkError, GmailRateLimit, GmailServerError } from "./errors.ts";

/** How often and how long to retry. */
export interface RetryPolicy {
  /** Attempts in all, the first included. @default 4 */
  maxAttempts: number;
  /** Wait before the first retry when Google gave no `Retry-After`; doubles each time. @default 500 */
  baseDelayMs: number;
  /**
   * The longest wait; a `Retry-After` beyond it is not waited out in the call but surfaces as
   * the error (its `retryAfterMs` tells the caller when to come back). @default 30000
   */
  maxDelayMs: number;
}

/** The policy used when none is given. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
});

/**
 * Whether a call may be repeated after an unclear ending. Reads, label changes and token
 * refreshes are `"idempotent"`; a send is `"send"`: it is repeated only when Google certainly did
 * not act on it (429, or a connection that was never made), never after a 5xx or a timeout.
 */
export type CallKind = "idempotent" | "send";

/**
 * The milliseconds of a `Retry-After` header (delay-seconds or an HTTP date), or `undefined`
 * when absent or unreadable. A date in the past gives 0.
 *
 * @example
 * ```ts
 * parseRetryAfter("2", 0); // 2000
 * parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", Date.parse("Wed, 21 Oct 2015 07:27:59 GMT")); // 1000
 * ```
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number,
): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/**
 * How long to wait before attempt `attempt + 1` after `error` ended attempt `attempt` (1-based),
 * or `undefined` to give up and throw `error`. `Retry-After` wins over the doubling backoff.
 */
export function retryDelay(
  error: GmailError,
  attempt: number,
  kind: CallKind,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
): number | undefined {
  if (attempt >= policy.maxAttempts) return undefined;
  const retryable = error instanceof GmailRateLimit ||
    (kind === "idempotent" &&
      (error instanceof GmailServerError || error instanceof GmailNetworkError)) ||
    (kind === "send" && error instanceof GmailNetworkError && error.beforeSending);
  if (!retryable) return undefined;
  if (error.retryAfterMs !== undefined) {
    return error.retryAfterMs <= policy.maxDelayMs ? error.retryAfterMs : undefined;
  }
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
}
