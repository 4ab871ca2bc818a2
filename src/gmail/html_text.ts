/**
 * HTML mail as readable plain text, with `html-to-text`: a well-kept converter built on a real
 * HTML parser (htmlparser2) with per-tag formatting, so links, lists, tables and line breaks come
 * out the way a person would write them, and scripts and styles not at all.
 * @module
 */
// @ts-types="@types/html-to-text"
import { convert, type HtmlToTextOptions as LibraryOptions } from "html-to-text";

/** How much HTML is read and how much text is given back. */
export interface HtmlToTextOptions {
  /**
   * Characters of HTML read at most; the rest is cut before parsing, so a huge message costs
   * bounded time and memory.
   * @default 2_000_000
   */
  maxInputChars?: number;
  /**
   * Characters of text given back at most; longer text is cut and ends with a line saying so.
   * @default 100_000
   */
  maxOutputChars?: number;
}

const DEFAULT_MAX_INPUT_CHARS = 2_000_000;
const DEFAULT_MAX_OUTPUT_CHARS = 100_000;

/** Tags whose content is never text a reader sees. */
const SKIPPED = ["head", "title", "style", "script", "noscript", "template", "svg", "object"];

const HEADINGS = ["h1", "h2", "h3", "h4", "h5", "h6"];

/**
 * The converter's settings: no hard wrapping (the reader wraps), a link as `text [url]` (just the
 * url when that is its text), an image as its alt text only (its address is often a tracking
 * pixel or a long data: URL), table cells apart from each other, headings as written.
 */
const CONVERTER: LibraryOptions = {
  wordwrap: false,
  formatters: {
    altText(elem, _walk, builder) {
      const alt = typeof elem.attribs?.alt === "string" ? elem.attribs.alt.trim() : "";
      if (alt) builder.addInline(alt);
    },
  },
  selectors: [
    {
      selector: "a",
      options: { linkBrackets: ["[", "]"], hideLinkHrefIfSameAsText: true, noAnchorUrl: true },
    },
    { selector: "img", format: "altText" },
    { selector: "table", format: "block" },
    { selector: "tr", format: "block", options: { leadingLineBreaks: 1, trailingLineBreaks: 1 } },
    { selector: "td", format: "inlineSurround", options: { prefix: "", suffix: "  " } },
    { selector: "th", format: "inlineSurround", options: { prefix: "", suffix: "  " } },
    ...SKIPPED.map((selector) => ({ selector, format: "skip" })),
    ...HEADINGS.map((selector) => ({ selector, options: { uppercase: false } })),
  ],
};

/**
 * Converts an HTML mail body into readable plain text: paragraphs and `<br>` as line breaks,
 * links as `text [url]`, lists as ` * item` / ` 1. item`, table cells side by side, entities
 * decoded (non-breaking spaces as plain ones), and nothing of `<script>`, `<style>` or
 * `<head>`. Input and output are capped ({@linkcode HtmlToTextOptions}); cut text ends with a
 * line saying how much was left out.
 *
 * @example
 * ```ts
 * htmlToText('<p>See <a href="https://example.com/">our site</a><br>Thanks</p>');
 * // "See our site [https://example.com/]\nThanks"
 * ```
 */
export function htmlToText(html: string, options: HtmlToTextOptions = {}): string {
  const maxInput = options.maxInputChars ?? DEFAULT_MAX_INPUT_CHARS;
  const maxOutput = options.maxOutputChars ?? DEFAULT_MAX_OUTPUT_CHARS;
  // Cut here rather than with the library's own limit, which warns on the console.
  const input = html.length > maxInput ? html.slice(0, maxInput) : html;
  const text = convert(input, CONVERTER)
    .replace(/\u00a0/g, " ")
    .replace(/[ \t]+$/gm, "")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
  return capText(text, maxOutput, html.length > maxInput);
}

/**
 * `text` cut to `max` characters (never inside a surrogate pair), with a last line saying it was
 * cut; `cutBefore` says the input had already been cut.
 */
export function capText(text: string, max: number, cutBefore = false): string {
  if (text.length <= max && !cutBefore) return text;
  let end = Math.min(text.length, max);
  const last = text.charCodeAt(end - 1);
  if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
  const left = text.length - end;
  const note = left > 0 ? `${left} more characters` : "the rest of the message";
  return `${text.slice(0, end).trimEnd()}\n\n[… cut here: ${note} not shown]`;
}
