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
 * The longest front matter read, in characters. Parsing YAML costs more than its length (the
 * library compares every key of a map with every other, and every alias with every node), so a
 * note with tens of thousands of keys or anchors would stall whoever reads it; long text belongs
 * in the body.
 */
const MAX_FRONT_MATTER_CHARS = 64 * 1024;

/**
 * How front matter is parsed. `maxAliasCount`: aliases (`*name`) allowed before a note is refused
 * as an alias bomb ("billion laughs"), the library's own default, stated so it stays in force.
 * `resolveKnownTags: false`: YAML 1.1 tags (`!!binary`, `!!set`, `!!omap`, `!!timestamp`) give
 * plain strings, maps and lists, never a Buffer, Set, Map or Date, which code reading the fields
 * (hashing a request, JSON) would take for empty. `logLevel`: warnings (an unknown `!tag`) are not
 * printed, so a note cannot flood the log.
 */
const YAML_OPTIONS = { maxAliasCount: 100, resolveKnownTags: false, logLevel: "error" } as const;

/**
 * Splits a note into its front matter and body.
 *
 * A note with no front matter gives `{}`; front matter that is not closed, not a map, over 64 Ki
 * characters, an alias bomb or a value containing itself throws a {@linkcode NoteError} saying
 * which.
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
  if (yamlText.length > MAX_FRONT_MATTER_CHARS) {
    throw new NoteError(
      `front matter is ${yamlText.length} characters long, over the ${MAX_FRONT_MATTER_CHARS} aiemp reads; move long text below the closing '---' line, into the body`,
    );
  }
  let data: unknown;
  try {
    data = parseYaml(yamlText, YAML_OPTIONS) ?? {};
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    throw new NoteError(`front matter is not valid YAML: ${reason}`);
  }
  if (typeof data !== "object" || Array.isArray(data)) {
    throw new NoteError("front matter must be 'key: value' lines");
  }
  if (containsItself(data)) {
    throw new NoteError(
      "front matter contains itself (an alias inside its own anchor, as in '&a [*a]'); write the value out instead",
    );
  }
  const after = rest.slice(closing.index + closing[0].length).replace(/^\r?\n/, "");
  return { frontMatter: data as Record<string, unknown>, body: after };
}

/**
 * True when `value` holds itself: YAML builds such a loop from an alias inside its own anchor, and
 * code walking the fields (hashing, JSON) would never end.
 */
function containsItself(value: unknown, path = new Set<object>()): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (path.has(value)) return true;
  path.add(value);
  const found = Object.values(value).some((child) => containsItself(child, path));
  path.delete(value);
  return found;
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
