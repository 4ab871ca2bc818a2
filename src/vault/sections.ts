const begin = (name: string) => `<!-- aiemp:begin ${name} -->`;
const end = (name: string) => `<!-- aiemp:end ${name} -->`;

/**
 * Replaces what stands between a note's `<!-- aiemp:begin NAME -->` and `<!-- aiemp:end NAME -->`
 * lines with `content`, leaving every other character as it was. A section that is missing (or
 * whose markers were damaged) is added at the end, with `heading` above it when given.
 *
 * @example
 * ```ts
 * replaceSection("Hi\n<!-- aiemp:begin queue -->\nold\n<!-- aiemp:end queue -->\n", "queue", "new");
 * // "Hi\n<!-- aiemp:begin queue -->\nnew\n<!-- aiemp:end queue -->\n"
 * ```
 */
export function replaceSection(
  text: string,
  name: string,
  content: string,
  heading?: string,
): string {
  const [start, stop] = locate(text, name);
  const inner = `\n${content.replace(/\n+$/, "")}\n`;
  if (start === -1 || stop === -1) {
    const head = heading ? `\n${heading}\n` : "";
    const separator = text === "" || text.endsWith("\n") ? "" : "\n";
    return `${text}${separator}${head}${begin(name)}${inner}${end(name)}\n`;
  }
  return text.slice(0, start + begin(name).length) + inner + text.slice(stop);
}

/** Reads what stands between a section's markers, or undefined when it is missing. */
export function readSection(text: string, name: string): string | undefined {
  const [start, stop] = locate(text, name);
  if (start === -1 || stop === -1) return undefined;
  return text.slice(start + begin(name).length, stop).replace(/^\n/, "").replace(/\n$/, "");
}

/**
 * Where a section's markers stand: the first end marker, and the last begin marker before it.
 * Pairing them this way means a damaged section (an end marker deleted, so a fresh section was
 * added at the end) never swallows the owner's text between the old begin and the new end.
 */
function locate(text: string, name: string): [number, number] {
  const stop = text.indexOf(end(name));
  const start = stop === -1 ? -1 : text.lastIndexOf(begin(name), stop);
  return start === -1 ? [-1, -1] : [start, stop];
}
