/**
 * Header text helpers shared by the reply headers and the MIME builder; no libraries.
 * @module
 */

/** Message-IDs in a header value or list: each `<…>` token, else each word in angle brackets. */
export function messageIds(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const text = typeof value === "string" ? value : value.join(" ");
  const bracketed = text.match(/<[^<>\s]+>/g);
  const ids = bracketed ?? text.split(/\s+/).filter(Boolean).map((word) => `<${word}>`);
  return [...new Set(ids)];
}

/** A header value on one line: line breaks and other control characters become spaces. */
export function oneLine(value: string): string {
  // deno-lint-ignore no-control-regex
  return value.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
}
