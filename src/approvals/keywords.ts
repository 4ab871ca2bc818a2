import type { Note } from "../vault/mod.ts";

/**
 * The `approval_keywords` an item mentions (whole words, any case, in its front matter or body).
 * An item that mentions one is never acted on without a pending-then-approved history, whatever
 * its type.
 *
 * @example
 * ```ts
 * approvalKeywordsIn({ frontMatter: {}, body: "Deploy to production" }, ["deploy", "delete"]);
 * // ["deploy"]
 * ```
 */
export function approvalKeywordsIn(note: Note, keywords: readonly string[]): string[] {
  const text = [...textsIn(note.frontMatter), note.body].join("\n").toLowerCase();
  return keywords.filter((keyword) => {
    const word = keyword.trim().toLowerCase();
    if (word === "") return false;
    const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp(`(^|[^\\p{L}\\p{N}_])${escaped}($|[^\\p{L}\\p{N}_])`, "u").test(text);
  });
}

/** Every key and text value in a front matter value, at any depth. */
function textsIn(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (typeof value === "number" || typeof value === "boolean") return [String(value)];
  if (Array.isArray(value)) return value.flatMap(textsIn);
  if (value !== null && typeof value === "object" && !(value instanceof Date)) {
    return Object.entries(value).flatMap(([key, inner]) => [key, ...textsIn(inner)]);
  }
  return [];
}
