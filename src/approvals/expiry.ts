/** When a request expires, or why its `expires` cannot be read. */
export type Expiry = { at: Date; given: boolean } | { invalid: string };

/**
 * When a request expires: its `expires` front matter (a date or date-time; a date alone means the
 * end of that day, UTC), else `defaultHours` after aiemp first saw it pending.
 *
 * @example
 * ```ts
 * expiryOf({ expires: "2026-12-01" }, firstSeen, 72); // { at: 2026-12-01T23:59:59.999Z, given: true }
 * ```
 */
export function expiryOf(
  frontMatter: Record<string, unknown>,
  firstSeen: Date,
  defaultHours: number,
): Expiry {
  const value = frontMatter.expires;
  if (value === undefined || value === null || value === "") {
    return { at: new Date(firstSeen.getTime() + defaultHours * 3_600_000), given: false };
  }
  if (value instanceof Date && !Number.isNaN(value.getTime())) return { at: value, given: true };
  if (typeof value === "string" && isCalendarDay(value.trim())) {
    const dayOnly = /^\d{4}-\d{2}-\d{2}$/.test(value.trim());
    const at = new Date(dayOnly ? `${value.trim()}T23:59:59.999Z` : value);
    if (!Number.isNaN(at.getTime())) return { at, given: true };
  }
  return {
    invalid: `'expires: ${String(value).slice(0, 60)}' is not a date; write it like ` +
      "2026-12-01T18:00:00Z (or a date alone, meaning the end of that day)",
  };
}

/** True when `text` starts with a real calendar day (`YYYY-MM-DD`; no 30 February). */
function isCalendarDay(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number);
  const probe = new Date(Date.UTC(year, month - 1, day));
  return probe.getUTCFullYear() === year && probe.getUTCMonth() === month - 1 &&
    probe.getUTCDate() === day;
}
