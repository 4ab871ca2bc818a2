import { sha256Hex } from "../audit/mod.ts";
import type { Note } from "../vault/mod.ts";

/**
 * Front matter keys aiemp itself writes into a pending request (stale flagging, a request sent
 * back as interrupted or expired). They are not part of what the human approves, so they are left
 * out of its hash: aiemp marking a request stale while the human moves it changes nothing.
 */
export const MARKS_KEPT_BY_AIEMP = [
  "status",
  "stale",
  "stale_since",
  "interrupted",
  "interrupted_at",
  "expired",
  "expired_at",
] as const;

/**
 * The content hash of an approval request: its front matter (keys sorted, aiemp's own marks left
 * out) and its body. Two files with the same hash ask for the same thing.
 *
 * @example
 * ```ts
 * requestHash({ frontMatter: { id: "a", stale: true }, body: "Hi\n" }) ===
 *   requestHash({ frontMatter: { id: "a" }, body: "Hi\n" }); // true
 * ```
 */
export function requestHash(note: Note): string {
  const fields = Object.fromEntries(
    Object.entries(note.frontMatter)
      .filter(([key]) => !(MARKS_KEPT_BY_AIEMP as readonly string[]).includes(key))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  return sha256Hex(`${stableJson(fields)}\n${note.body}`);
}

/** JSON with object keys sorted at every depth, so the same content always gives the same text. */
function stableJson(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, inner]) => `${JSON.stringify(key)}:${stableJson(inner)}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
