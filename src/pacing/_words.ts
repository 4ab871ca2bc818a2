import { localTime } from "../scheduler/mod.ts";
import type { RateLimit } from "./limits.ts";

const MINUTE_MS = 60_000;

/** "post" → "posts", "reply" → "replies". */
function plural(noun: string): string {
  return /[^aeiou]y$/.test(noun) ? `${noun.slice(0, -1)}ies` : `${noun}s`;
}

/** "an hour", "every 2 hours", "a day", "every 90 minutes", "every 30 seconds". */
function windowWords(ms: number): string {
  const units: [number, string, string][] = [
    [86_400_000, "a day", "days"],
    [3_600_000, "an hour", "hours"],
    [MINUTE_MS, "a minute", "minutes"],
    [1000, "a second", "seconds"],
  ];
  for (const [size, one, many] of units) {
    if (ms % size === 0) return ms === size ? one : `every ${ms / size} ${many}`;
  }
  return `every ${ms} ms`;
}

/** "LinkedIn allows 5 posts an hour", "WhatsApp allows 1 reply every 2 hours". */
export function describeLimit(limit: RateLimit): string {
  const noun = limit.noun ?? "send";
  const what = limit.count === 1 ? noun : plural(noun);
  return `${limit.label ?? "This platform"} allows ${limit.count} ${what} ${
    windowWords(limit.perMs)
  }`;
}

/**
 * `at` for people, in `timeZone`, rounded up to the minute (so the owner who comes back at the
 * time shown finds the slot free): `10:42` on the same day as `now`, `2025-03-02 10:42` otherwise.
 */
export function clockWords(at: Date, now: Date, timeZone: string): string {
  const up = new Date(Math.ceil(at.getTime() / MINUTE_MS) * MINUTE_MS);
  const slot = localTime(up, timeZone); // "YYYY-MM-DD hh:mm"
  return slot.slice(0, 10) === localTime(now, timeZone).slice(0, 10) ? slot.slice(11) : slot;
}

/** The machine's time zone (IANA name), UTC when the runtime cannot tell. */
export function machineTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}
