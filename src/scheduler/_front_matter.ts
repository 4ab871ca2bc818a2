import { stringify as stringifyYaml } from "yaml";

const OPENING = /^\uFEFF?---[ \t]*\r?\n/;
const CLOSING = /^---[ \t]*\r?$/m;

/**
 * Sets top-level keys in a note's front matter and leaves every other character of the note as it
 * was (comments, key order, the body): a key already present has its one line replaced, a new key
 * is added just before the closing `---`. A note without front matter gets one.
 *
 * Only for scalar values written on one line (flags, dates).
 *
 * @example
 * ```ts
 * setFrontMatterKeys("---\nid: a # mine\n---\nHi\n", { stale: true });
 * // "---\nid: a # mine\nstale: true\n---\nHi\n"
 * ```
 */
export function setFrontMatterKeys(
  text: string,
  values: Record<string, string | number | boolean>,
): string {
  const lines = Object.entries(values).map(([key, value]) =>
    `${key}: ${stringifyYaml(value).trimEnd()}`
  );
  const opening = OPENING.exec(text);
  if (!opening) return `---\n${lines.join("\n")}\n---\n${text}`;
  const headEnd = opening[0].length;
  const rest = text.slice(headEnd);
  const closing = CLOSING.exec(rest);
  if (!closing) return text;
  const newline = opening[0].endsWith("\r\n") ? "\r\n" : "\n";
  let yamlText = rest.slice(0, closing.index);
  const added: string[] = [];
  Object.keys(values).forEach((key, i) => {
    const existing = new RegExp(`^${key}:.*$`, "m");
    if (existing.test(yamlText)) yamlText = yamlText.replace(existing, lines[i]);
    else added.push(lines[i]);
  });
  const extra = added.map((line) => line + newline).join("");
  const joiner = yamlText === "" || yamlText.endsWith("\n") ? "" : newline;
  return text.slice(0, headEnd) + yamlText + joiner + extra + rest.slice(closing.index);
}
