import { parse as parseYaml, stringify as stringifyYaml } from "yaml";

/** A Markdown note with YAML front matter, as Obsidian reads it. */
export interface Note {
  /** The YAML between the `---` lines, as a map; `{}` when there is none. */
  frontMatter: Record<string, unknown>;
  /** The Markdown after the front matter. */
  body: string;
}

/** A note whose front matter cannot be read; the message says why. */
export class NoteError extends Error {
  /** Always `"NoteError"`, for logs and stack traces. */
  override name = "NoteError";
}

const OPENING = /^\uFEFF?---[ \t]*\r?\n/;
const CLOSING = /^---[ \t]*$/m;

/**
 * Splits a note into its front matter and body.
 *
 * A note with no front matter gives `{}`; front matter that is not closed or not a map throws
 * a {@linkcode NoteError} saying which.
 *
 * @example
 * ```ts
 * parseNote("---\nid: a\n---\nHello\n"); // { frontMatter: { id: "a" }, body: "Hello\n" }
 * ```
 */
export function parseNote(text: string): Note {
  const opening = OPENING.exec(text);
  if (!opening) return { frontMatter: {}, body: text.replace(/^\uFEFF/, "") };
  const rest = text.slice(opening[0].length);
  const closing = CLOSING.exec(rest);
  if (!closing) {
    throw new NoteError("front matter starts with '---' but has no closing '---' line");
  }
  const yamlText = rest.slice(0, closing.index);
  let data: unknown;
  try {
    data = parseYaml(yamlText) ?? {};
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    throw new NoteError(`front matter is not valid YAML: ${reason}`);
  }
  if (typeof data !== "object" || Array.isArray(data)) {
    throw new NoteError("front matter must be 'key: value' lines");
  }
  const after = rest.slice(closing.index + closing[0].length).replace(/^\r?\n/, "");
  return { frontMatter: data as Record<string, unknown>, body: after };
}

/**
 * Writes a note back as text: front matter between `---` lines, then the body.
 *
 * @example
 * ```ts
 * renderNote({ id: "a" }, "Hello\n"); // "---\nid: a\n---\nHello\n"
 * ```
 */
export function renderNote(frontMatter: Record<string, unknown>, body: string): string {
  const yamlText = stringifyYaml(frontMatter, { lineWidth: 0 });
  return `---\n${yamlText}---\n${body}`;
}
