import { untrustedBlock } from "../agent/mod.ts";
import { type Note, replaceSection } from "../vault/mod.ts";
import type { WhatsAppMessage } from "./types.ts";
import type { Urgency } from "./urgency.ts";

/** Where the notes say they came from, and the untrusted block's source. */
const SOURCE = "whatsapp";
/** Characters of message text kept at most; longer text is cut with a line saying so. */
const MAX_TEXT_CHARS = 20_000;
/** Characters kept of a name, a time or an id in the front matter. */
const MAX_FIELD_CHARS = 200;
/** Characters of a message id kept as they are in the note's id. */
const MAX_ID_CHARS = 64;

/** How {@linkcode messageNote} builds a note. */
export interface MessageNoteOptions {
  /** When the message was seen: the note's `received`. */
  now: Date;
  /**
   * Why the message is urgent (from `isUrgent`): an urgent one gets `priority: urgent` and its
   * reasons as `urgent_reasons`. @default `priority: normal`
   */
  urgency?: Urgency;
}

/**
 * The id of a message's task note (also its file name): `WHATSAPP_<message id>`, the id kept as
 * it is when it is made of letters, digits, `_` and `-` only (64 at most); otherwise made safe
 * and followed by a hash of the whole id, so two different ids never give one note id.
 *
 * @example
 * ```ts
 * whatsappTaskId({ id: "msg-0042" }); // "WHATSAPP_msg-0042"
 * whatsappTaskId({ id: "true_123@c.us_3EB0" }); // "WHATSAPP_true_123_c.us_3EB0_…" (safe + hash)
 * ```
 */
export function whatsappTaskId(message: Pick<WhatsAppMessage, "id">): string {
  const id = message.id;
  if (id === "") throw new TypeError("Cannot name the note of a WhatsApp message without an id");
  if (id.length <= MAX_ID_CHARS && /^[A-Za-z0-9_-]+$/.test(id)) return `WHATSAPP_${id}`;
  const safe = id.replace(/[^A-Za-z0-9_-]+/g, "_").slice(0, MAX_ID_CHARS - 9);
  return `WHATSAPP_${safe}_${fnv1a(id)}`;
}

/**
 * The Needs_Action/ task note of a received message. Front matter: `id`
 * (`WHATSAPP_<message id>`), `type: whatsapp`, `source: whatsapp`, `received` (when it was seen),
 * `priority`, `status: new`, `trust: untrusted`, `chat`, `from`, `time` (as WhatsApp shows it),
 * `media` (true when something was attached, which aiemp does not download) and `message_id`.
 * Body: a heading, a line saying who wrote it where, and the text fenced inside an
 * untrusted-content block (source `whatsapp`), whose random id the text cannot know.
 *
 * @example
 * ```ts
 * const note = messageNote(message, { now: new Date(), urgency: isUrgent(message, rules) });
 * await writeNote(join(layout.needsAction, `${note.frontMatter.id}.md`), note);
 * ```
 */
export function messageNote(message: WhatsAppMessage, options: MessageNoteOptions): Note {
  const chat = field(message.chat);
  const from = field(message.sender) || chat;
  const urgent = options.urgency?.urgent === true;
  const frontMatter: Record<string, unknown> = {
    id: whatsappTaskId(message),
    type: "whatsapp",
    source: SOURCE,
    received: options.now.toISOString(),
    priority: urgent ? "urgent" : "normal",
    status: "new",
    trust: "untrusted",
    chat,
    from,
    time: field(message.time),
    media: message.hasMedia,
    message_id: message.id,
    ...(urgent ? { urgent_reasons: options.urgency!.reasons.map(field) } : {}),
  };
  const where = from === chat ? `From ${defang(from)}` : `From ${defang(from)} in ${defang(chat)}`;
  const when = frontMatter.time ? `, sent ${frontMatter.time}` : "";
  let body = `# WhatsApp: ${defang(chat) || "(unnamed chat)"}\n\n${where}${when}.\n`;
  if (message.hasMedia) {
    body += "\nA photo, video, voice note or file was attached; aiemp does not download it. " +
      "Open the chat in WhatsApp to see it.\n";
  }
  body = replaceSection(`${body}\n## Message\n`, "message", messageBlock(message.text));
  return { frontMatter, body };
}

/** The text fenced (so Markdown in it stays text) inside an untrusted-content block. */
function messageBlock(text: string): string {
  const kept = text.length > MAX_TEXT_CHARS
    ? `${text.slice(0, MAX_TEXT_CHARS)}\n[… ${
      text.length - MAX_TEXT_CHARS
    } more characters not kept]`
    : text;
  if (kept.trim() === "") return "_The message has no text._";
  const safe = defang(kept);
  const longestRun = (safe.match(/`+/g) ?? []).reduce((max, run) => Math.max(max, run.length), 2);
  const fence = "`".repeat(longestRun + 1);
  return untrustedBlock(`${fence}text\n${safe}\n${fence}`, SOURCE);
}

/** A value from the page for one line: control characters and runs of space as one space. */
function field(value: string): string {
  // deno-lint-ignore no-control-regex
  return value.replace(/[\u0000-\u001f\u007f\s]+/g, " ").trim().slice(0, MAX_FIELD_CHARS);
}

/**
 * Text with anything that looks like aiemp's section markers (`<!-- aiemp:end message -->`)
 * altered by a zero-width space, so text from a message cannot end or start a note's section.
 */
function defang(text: string): string {
  return text.replace(/<!--(\s*)aiemp:/gi, "<!--$1aiemp\u200b:");
}

/** FNV-1a, 32 bits, as 8 hex digits: a short, stable fingerprint of an id. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}
