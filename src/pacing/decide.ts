import { clockWords, describeLimit, machineTimeZone } from "./_words.ts";
import type { RateLimit } from "./limits.ts";

/** Whether one more send may happen now; when not, how long to wait and why, in words. */
export type Decision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly waitMs: number; readonly why: string };

/** How a refusal is worded. */
export interface DecideOptions {
  /** The IANA time zone the next slot's time is shown in. @default the machine's */
  timeZone?: string;
}

/**
 * The send times that still count at `now`: those less than `limit.perMs` old, oldest first.
 * A time after `now` (the clock was set back) counts as sent at `now`, so it holds a slot for one
 * window at most instead of until the clock catches up.
 */
function inWindow(history: readonly number[], limit: RateLimit, now: number): number[] {
  return history
    .map((at) => Math.min(at, now))
    .filter((at) => at > now - limit.perMs)
    .sort((a, b) => a - b);
}

/**
 * Whether a platform may send once more at `now` under a sliding-window `limit`, given its past
 * send times (`history`, epoch milliseconds, any order). A send exactly `perMs` old no longer
 * counts. When the window is full, `waitMs` is the time until enough sends leave it, and `why`
 * says so: "LinkedIn allows 5 posts an hour; the next slot is at 10:42".
 *
 * @example
 * ```ts
 * const limit = { count: 2, perMs: 3_600_000, label: "X", noun: "post" };
 * const now = new Date("2025-03-01T10:00:00Z");
 * const sent = [now.getTime() - 600_000, now.getTime() - 60_000];
 * decide(sent, limit, now); // { allowed: false, waitMs: 3_000_000, why: "X allows 2 posts an hour; …" }
 * ```
 */
export function decide(
  history: readonly number[],
  limit: RateLimit,
  now: Date,
  { timeZone = machineTimeZone() }: DecideOptions = {},
): Decision {
  const at = now.getTime();
  const counted = inWindow(history, limit, at);
  if (counted.length < limit.count) return { allowed: true };
  // The send that must leave the window before one more fits.
  const freeAt = counted[counted.length - limit.count] + limit.perMs;
  const waitMs = freeAt - at;
  const why = `${describeLimit(limit)}; the next slot is at ${
    clockWords(new Date(freeAt), now, timeZone)
  }`;
  return { allowed: false, waitMs, why };
}

/**
 * `history` with a send at `now` added and the sends no longer counted under `limit` removed
 * (oldest first). It needs the limit to know which sends are old.
 */
export function record(history: readonly number[], limit: RateLimit, now: Date): number[] {
  return [...trim(history, limit, now), now.getTime()];
}

/**
 * `history` as it counts under `limit` at `now`: the sends no longer counted removed, a send after
 * `now` (the clock was set back) moved to `now`, oldest first.
 */
export function trim(history: readonly number[], limit: RateLimit, now: Date): number[] {
  return inWindow(history, limit, now.getTime());
}
