/**
 * A Gmail message (the API's `format: "full"` JSON) as a task note for Needs_Action/: pure
 * functions of the message, so the watcher only fetches, saves and writes.
 *
 * Headers are decoded with `postal-mime`'s RFC 2047 decoder and address parser (by nodemailer's
 * author, typed, no dependencies); bodies with `TextDecoder` in the charset their part names.
 * @module
 */
import { addressParser, decodeWords } from "postal-mime";
import { untrustedBlock } from "../agent/mod.ts";
import { type Note, replaceSection } from "../vault/mod.ts";
import { safeFileName } from "../watchers/mod.ts";
import { capText, htmlToText } from "./html_text.ts";

/** One header of a message part, as the Gmail API gives it (`null`s allowed). */
export interface MailHeader {
  /** The header's name, e.g. `Subject`. */
  name?: string | null;
  /** Its value as sent (encoded words and all). */
  value?: string | null;
}

/** A MIME part of a Gmail message (`payload` and its `parts`), as the Gmail API gives it. */
export interface MailPart {
  /** The part's id within the message, e.g. `0.1`. */
  partId?: string | null;
  /** Its MIME type, e.g. `text/plain`. */
  mimeType?: string | null;
  /** Its file name, for an attachment. */
  filename?: string | null;
  /** Its headers. */
  headers?: readonly MailHeader[] | null;
  /** Its content: inline `data` (base64url), or an `attachmentId` to fetch it by. */
  body?: {
    size?: number | null;
    data?: string | null;
    attachmentId?: string | null;
  } | null;
  /** Its children, for a multipart part. */
  parts?: readonly MailPart[] | null;
}

/**
 * A Gmail message fetched with `format: "full"`, every field optional and nullable: the client's
 * `MailMessage` fits, and so does the library's own `Schema$Message`.
 */
export interface MailMessage {
  /** Gmail's id of the message. */
  id?: string | null;
  /** Gmail's id of its thread. */
  threadId?: string | null;
  /** Its labels' ids (`INBOX`, `UNREAD`, `IMPORTANT`, `Label_12`, …). */
  labelIds?: readonly string[] | null;
  /** A short excerpt. */
  snippet?: string | null;
  /** When Gmail received it, in milliseconds since the epoch (as a string). */
  internalDate?: string | null;
  /** The MIME tree. */
  payload?: MailPart | null;
}

/** An attachment of a received message. */
export interface MailAttachment {
  /**
   * A name safe to save it under, unique within the message
   * (`../../etc/passwd` → `_.._etc_passwd`).
   */
  filename: string;
  /** The name as sent (decoded), `""` when it had none. */
  originalName: string;
  /** Its MIME type, e.g. `application/pdf`. */
  mimeType: string;
  /** Its size in bytes, as Gmail reports it. */
  size: number;
  /** The part's id within the message. */
  partId?: string;
  /** The id to fetch it by (`users.messages.attachments.get`), when it is not inline. */
  attachmentId?: string;
  /** Its bytes, when Gmail sent them inline. */
  data?: Uint8Array;
}

/** What a received message says, decoded. */
export interface MailContent {
  /** The sender, e.g. `Zoë Ñandú <zoe@example.com>`; `""` when missing. */
  from: string;
  /** The Reply-To mailboxes, when there are any. */
  replyTo: string[];
  /** The To mailboxes. */
  to: string[];
  /** The Cc mailboxes. */
  cc: string[];
  /** The subject; `""` when missing. */
  subject: string;
  /** The Date header as sent. */
  date: string;
  /** The Message-ID header, e.g. `<abc@mail.example.com>`. */
  messageId: string;
  /** The Message-IDs of the References header. */
  references: string[];
  /** The body as plain text: the text/plain part, else the HTML part converted. */
  text: string;
  /** Where `text` came from. */
  textSource: "text/plain" | "text/html" | "none";
}

/** Settings of reading a message. */
export interface ReadMailOptions {
  /**
   * Characters of body text kept at most; longer text is cut with a line saying so.
   * @default 100_000
   */
  maxBodyChars?: number;
}

/** An attachment as the note lists it: saved at `path`, or not saved (the reason in `problem`). */
export interface NoteAttachment {
  /** Its safe name (from {@linkcode attachmentsOf}). */
  filename: string;
  /** Its MIME type. */
  mimeType: string;
  /** Its size in bytes. */
  size: number;
  /** Vault-relative path of the saved file. */
  path?: string;
  /** Why it was not saved, e.g. "over gmail.max_attachment_mb (25 MB)". */
  problem?: string;
}

/** Settings of a message's task note. */
export interface MailNoteOptions extends ReadMailOptions {
  /** The time the note is written; `received` when the message carries no time of its own. */
  now: Date;
  /**
   * The attachments as the caller saved them. Missing: every attachment of the message is listed
   * as not saved.
   */
  attachments?: readonly NoteAttachment[];
}

const DEFAULT_MAX_BODY_CHARS = 100_000;
/** Caps that keep the front matter well under the 64 Ki characters a note may have. */
const MAX_HEADER_CHARS = 1000;
const MAX_ADDRESS_CHARS = 200;
const MAX_NAME_CHARS = 100;
const MAX_LIST_ITEMS = 50;
const MAX_ATTACHMENTS = 100;
const MAX_DEPTH = 30;
const SOURCE = "gmail";

/**
 * The id of a message's task note (also its file name): `EMAIL_<gmail id>`.
 *
 * @example
 * ```ts
 * mailTaskId({ id: "18c2f0a9b3e4d5f6" }); // "EMAIL_18c2f0a9b3e4d5f6"
 * ```
 */
export function mailTaskId(message: MailMessage): string {
  const id = (message.id ?? "").replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64);
  if (!id) throw new TypeError("Cannot name the note of a Gmail message without an id");
  return `EMAIL_${id}`;
}

/**
 * Reads a message's headers (RFC 2047 encoded words decoded, addresses as `Name <address>`) and
 * its body as plain text: the text/plain part of a multipart/alternative, else its HTML converted
 * to readable text, each in the charset its part names (utf-8, iso-8859-1, windows-1252, …).
 */
export function readMail(message: MailMessage, options: ReadMailOptions = {}): MailContent {
  const payload = message.payload ?? {};
  const headers = payload.headers ?? [];
  const maxBody = options.maxBodyChars ?? DEFAULT_MAX_BODY_CHARS;
  const pieces = bodyPieces(payload, 0);
  const text = pieces.map((piece) =>
    piece.html ? htmlToText(piece.text, { maxOutputChars: maxBody }) : piece.text
  ).join("\n\n");
  return {
    from: mailboxes(header(headers, "from"))[0] ?? "",
    replyTo: mailboxes(header(headers, "reply-to")),
    to: mailboxes(header(headers, "to")),
    cc: mailboxes(header(headers, "cc")),
    subject: decodedHeader(header(headers, "subject")),
    date: decodedHeader(header(headers, "date")),
    messageId: oneLine(header(headers, "message-id")).slice(0, MAX_ADDRESS_CHARS),
    references: messageIds(header(headers, "references")),
    text: capText(cleanText(text), maxBody),
    textSource: pieces.length === 0
      ? "none"
      : pieces.some((piece) => piece.html)
      ? "text/html"
      : "text/plain",
  };
}

/**
 * The attachments of a message, in order: parts with a file name or `Content-Disposition:
 * attachment`, and other parts that are not text (images, PDFs, forwarded messages). Names are
 * made safe with the inbox's rules (`safeFileName`: no path separators or control characters, no
 * leading dots, at most 120 bytes) and unique within the message (`a.pdf`, `a (2).pdf`).
 */
export function attachmentsOf(message: MailMessage): MailAttachment[] {
  const found: MailAttachment[] = [];
  const taken = new Set<string>();
  const visit = (part: MailPart, depth: number) => {
    if (found.length >= MAX_ATTACHMENTS || depth > MAX_DEPTH) return;
    const mimeType = mimeTypeOf(part);
    if (mimeType.startsWith("multipart/") && part.parts?.length) {
      for (const child of part.parts) visit(child, depth + 1);
      return;
    }
    if (!isAttachment(part, mimeType)) return;
    const { attachmentId, data } = part.body ?? {};
    if (!attachmentId && !data) return;
    const originalName = nameOf(part);
    const fallback = `attachment-${found.length + 1}${EXTENSIONS[mimeType] ?? ""}`;
    const filename = uniqueName(safeFileName(originalName || fallback), taken);
    const bytes = attachmentId ? undefined : fromBase64url(data ?? "");
    found.push({
      filename,
      originalName,
      mimeType,
      size: part.body?.size ?? bytes?.length ?? 0,
      ...(part.partId ? { partId: part.partId } : {}),
      ...(attachmentId ? { attachmentId } : { data: bytes }),
    });
  };
  if (message.payload) visit(message.payload, 0);
  return found;
}

/**
 * Builds the task note of a received message. Front matter: `id` (`EMAIL_<gmail id>`),
 * `type: email`, `source: gmail`, `received` (Gmail's time), `priority: normal`, `status: new`,
 * `trust: untrusted`, the decoded headers, `thread_id`, `gmail_id`, `labels` and the saved
 * `attachments`' vault paths. Body: the subject as heading, the plain text fenced inside an
 * untrusted-content block (whose random id the text cannot know, so it cannot close the block
 * early), and the attachments.
 *
 * `priority` is always `normal`, also for Gmail's IMPORTANT label: the default query takes only
 * important mail, so the label says nothing about one message against another, and a marked
 * priority would stop the queue from finding urgent words in the mail (see src/tasks).
 */
export function mailNote(message: MailMessage, options: MailNoteOptions): Note {
  const mail = readMail(message, options);
  const attachments: readonly NoteAttachment[] = options.attachments ??
    attachmentsOf(message).map(({ filename, mimeType, size }) => ({ filename, mimeType, size }));
  const references = mail.references.slice(-MAX_LIST_ITEMS);
  const frontMatter: Record<string, unknown> = {
    id: mailTaskId(message),
    type: "email",
    source: SOURCE,
    received: receivedOf(message, mail, options.now),
    priority: "normal",
    status: "new",
    trust: "untrusted",
    from: mail.from,
    ...(mail.replyTo.length ? { reply_to: capList(mail.replyTo) } : {}),
    to: capList(mail.to),
    cc: capList(mail.cc),
    subject: mail.subject,
    date: mail.date,
    thread_id: message.threadId ?? "",
    message_id: mail.messageId,
    references,
    gmail_id: message.id ?? "",
    labels: capList([...(message.labelIds ?? [])]),
    attachments: attachments.flatMap((attachment) => attachment.path ? [attachment.path] : []),
  };
  const title = defang(mail.subject.slice(0, 200)) || "(no subject)";
  let body = `# Email: ${title}\n\nFrom ${defang(mail.from) || "an unknown sender"}, received ` +
    `${frontMatter.received}.\n`;
  body = replaceSection(`${body}\n## Message\n`, "message", messageBlock(mail));
  if (attachments.length) body += `\n## Attachments\n\n${attachments.map(listItem).join("\n")}\n`;
  return { frontMatter, body };
}

/**
 * The body fenced (so Markdown in it stays text) inside an untrusted-content block, section
 * markers defanged.
 */
function messageBlock(mail: MailContent): string {
  if (mail.text.trim() === "") return "_The message has no text._";
  const text = defang(mail.text);
  const longestRun = (text.match(/`+/g) ?? []).reduce((max, run) => Math.max(max, run.length), 2);
  const fence = "`".repeat(longestRun + 1);
  return untrustedBlock(`${fence}text\n${text}\n${fence}`, SOURCE);
}

/**
 * Text with anything that looks like aiemp's section markers (`<!-- aiemp:end message -->`)
 * altered by a zero-width space, so text from a message cannot end or start a note's section.
 */
function defang(text: string): string {
  return text.replace(/<!--(\s*)aiemp:/gi, "<!--$1aiemp\u200b:");
}

function listItem(attachment: NoteAttachment): string {
  const about = `${attachment.mimeType}, ${formatSize(attachment.size)}`;
  if (attachment.path) return `- [[${attachment.path}|${attachment.filename}]] (${about})`;
  return `- ${attachment.filename} (${about}): not saved${
    attachment.problem ? `: ${oneLine(attachment.problem)}` : ""
  }`;
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function receivedOf(message: MailMessage, mail: MailContent, now: Date): string {
  const internal = Number(message.internalDate);
  if (message.internalDate && Number.isFinite(internal)) {
    const at = new Date(internal);
    if (!Number.isNaN(at.getTime())) return at.toISOString();
  }
  const sent = new Date(mail.date);
  return (Number.isNaN(sent.getTime()) ? now : sent).toISOString();
}

// ---------------------------------------------------------------------------------------------
// Body

interface Piece {
  text: string;
  html: boolean;
}

/**
 * The text pieces of a part: of a multipart/alternative the child with plain text (else the
 * first with any text), of another multipart every child's in order, of a text part itself.
 * Attachments and forwarded messages give none.
 */
function bodyPieces(part: MailPart, depth: number): Piece[] {
  const mimeType = mimeTypeOf(part);
  if (depth > MAX_DEPTH || isAttachment(part, mimeType)) return [];
  const children = part.parts ?? [];
  if (mimeType === "multipart/alternative") {
    const choices = children.map((child) => bodyPieces(child, depth + 1))
      .filter((pieces) => pieces.some((piece) => piece.text.trim() !== ""));
    return choices.find((pieces) => pieces.every((piece) => !piece.html)) ?? choices[0] ?? [];
  }
  if (mimeType.startsWith("multipart/")) {
    return children.flatMap((child) => bodyPieces(child, depth + 1));
  }
  if (mimeType !== "text/plain" && mimeType !== "text/html") return [];
  const data = part.body?.data;
  if (!data) return [];
  return [{
    text: decodeText(fromBase64url(data), charsetOf(part)),
    html: mimeType === "text/html",
  }];
}

/** Bytes as text in `charset`; an unknown charset is read as UTF-8. */
function decodeText(bytes: Uint8Array, charset: string | undefined): string {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset || "utf-8");
  } catch {
    decoder = new TextDecoder("utf-8");
  }
  return decoder.decode(bytes);
}

/** Text with LF line ends and without control characters other than tab and line feed. */
function cleanText(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\r\n?/g, "\n").replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "").trim();
}

/** Base64url text as bytes; what is not base64url gives no bytes. */
function fromBase64url(text: string): Uint8Array {
  try {
    return Uint8Array.fromBase64(text.replace(/\s/g, ""), { alphabet: "base64url" });
  } catch {
    return new Uint8Array();
  }
}

// ---------------------------------------------------------------------------------------------
// Parts and headers

const EXTENSIONS: Record<string, string> = {
  "application/pdf": ".pdf",
  "application/zip": ".zip",
  "image/png": ".png",
  "image/jpeg": ".jpg",
  "image/gif": ".gif",
  "text/calendar": ".ics",
  "text/plain": ".txt",
  "text/html": ".html",
  "message/rfc822": ".eml",
};

/** `name`, or `name (2)`, `name (3)`… before its extension: the first not yet in `taken`. */
function uniqueName(name: string, taken: Set<string>): string {
  const dot = name.lastIndexOf(".");
  const ext = dot > 0 && name.length - dot <= 12 ? name.slice(dot) : "";
  const stem = name.slice(0, name.length - ext.length);
  let unique = name;
  for (let n = 2; taken.has(unique.toLowerCase()); n++) {
    unique = safeFileName(`${stem.slice(0, 100)} (${n})${ext}`);
  }
  taken.add(unique.toLowerCase());
  return unique;
}

/** A part's MIME type, lower case; `text/plain` when missing, octet-stream when malformed. */
function mimeTypeOf(part: MailPart): string {
  const type = (part.mimeType || paramsOf(header(part.headers ?? [], "content-type")).value ||
    "text/plain").trim().toLowerCase();
  return /^[a-z0-9!#$&^_.+-]{1,64}\/[a-z0-9!#$&^_.+-]{1,64}$/.test(type)
    ? type
    : "application/octet-stream";
}

/** A part is an attachment when it has a name, says so, or is a single part that is not text. */
function isAttachment(part: MailPart, mimeType: string): boolean {
  if (mimeType.startsWith("multipart/") && part.parts?.length) return false;
  if (part.filename) return true;
  const disposition = paramsOf(header(part.headers ?? [], "content-disposition"));
  if (disposition.value === "attachment" || disposition.params.filename) return true;
  return mimeType !== "text/plain" && mimeType !== "text/html";
}

/** An attachment's name as sent: Gmail's `filename`, else the headers' filename or name. */
function nameOf(part: MailPart): string {
  const headers = part.headers ?? [];
  const name = part.filename ||
    paramsOf(header(headers, "content-disposition")).params.filename ||
    paramsOf(header(headers, "content-type")).params.name || "";
  return oneLine(decodeWords(name));
}

function charsetOf(part: MailPart): string | undefined {
  return paramsOf(header(part.headers ?? [], "content-type")).params.charset?.trim();
}

/** The first header called `name` (any case), unfolded; `""` when missing. */
function header(headers: readonly MailHeader[], name: string): string {
  const found = headers.find((entry) => entry.name?.toLowerCase() === name);
  return (found?.value ?? "").replace(/\r?\n[ \t]+/g, " ");
}

/** A header's value with encoded words decoded, on one line, capped. */
function decodedHeader(value: string): string {
  return oneLine(decodeWords(value)).slice(0, MAX_HEADER_CHARS);
}

/** The mailboxes of an address header as `Name <address>` (name quoted when it needs it). */
function mailboxes(value: string): string[] {
  if (value.trim() === "") return [];
  const parsed = addressParser(value, { flatten: true }).flatMap((entry) => {
    const name = oneLine(entry.name ?? "").slice(0, MAX_NAME_CHARS);
    const address = oneLine(entry.address ?? "");
    if (!address) return name ? [name] : [];
    if (!name) return [address];
    const quoted = /[()<>[\]:;@\\,."]/.test(name) ? `"${name.replace(/["\\]/g, "\\$&")}"` : name;
    return [`${quoted} <${address}>`];
  });
  const list = parsed.length ? parsed : [decodedHeader(value)];
  return list.map((entry) => entry.slice(0, MAX_ADDRESS_CHARS));
}

function messageIds(value: string): string[] {
  const ids = value.match(/<[^<>\s]+>/g) ?? [];
  return [...new Set(ids)].map((id) => id.slice(0, MAX_ADDRESS_CHARS));
}

/** A list of at most {@linkcode MAX_LIST_ITEMS}, the last saying how many more there were. */
function capList(list: string[]): string[] {
  if (list.length <= MAX_LIST_ITEMS) return list;
  return [...list.slice(0, MAX_LIST_ITEMS - 1), `… and ${list.length - MAX_LIST_ITEMS + 1} more`];
}

/**
 * A structured header's value and parameters (`type/subtype; name="value"`), with RFC 2231
 * parameters (`filename*=utf-8''%C3%BC.pdf`, continuations `name*0*=…`) decoded.
 */
function paramsOf(value: string): { value: string; params: Record<string, string> } {
  const [head, ...rest] = splitParams(value);
  const pieces = new Map<string, { index: number; text: string; extended: boolean }[]>();
  for (const param of rest) {
    const eq = param.indexOf("=");
    if (eq <= 0) continue;
    const key = param.slice(0, eq).trim().toLowerCase();
    let text = param.slice(eq + 1).trim();
    if (text.startsWith('"') && text.endsWith('"') && text.length >= 2) {
      text = text.slice(1, -1).replace(/\\(.)/g, "$1");
    }
    const match = /^([^*]+)(?:\*(\d+))?(\*)?$/.exec(key);
    if (!match) continue;
    const list = pieces.get(match[1]) ?? [];
    list.push({ index: Number(match[2] ?? 0), text, extended: match[3] === "*" });
    pieces.set(match[1], list);
  }
  const params: Record<string, string> = {};
  for (const [key, list] of pieces) {
    list.sort((a, b) => a.index - b.index);
    if (!list.some((piece) => piece.extended)) {
      params[key] = list.map((piece) => piece.text).join("");
      continue;
    }
    const first = /^([^']*)'[^']*'(.*)$/.exec(list[0].text);
    const charset = first?.[1] || "utf-8";
    if (first) list[0] = { ...list[0], text: first[2] };
    const bytes: number[] = [];
    for (const piece of list) {
      const raw = piece.extended ? piece.text : encodeURIComponent(piece.text);
      for (let i = 0; i < raw.length; i++) {
        const hex = raw[i] === "%" ? raw.slice(i + 1, i + 3) : "";
        if (/^[0-9a-f]{2}$/i.test(hex)) {
          bytes.push(parseInt(hex, 16));
          i += 2;
        } else bytes.push(...new TextEncoder().encode(raw[i]));
      }
    }
    params[key] = decodeText(new Uint8Array(bytes), charset);
  }
  return { value: head.trim().toLowerCase(), params };
}

/** Splits a structured header at the semicolons that are not inside quotes. */
function splitParams(value: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const char = value[i];
    if (char === "\\" && quoted) {
      current += char + (value[i + 1] ?? "");
      i++;
    } else if (char === '"') {
      quoted = !quoted;
      current += char;
    } else if (char === ";" && !quoted) {
      parts.push(current);
      current = "";
    } else current += char;
  }
  parts.push(current);
  return parts;
}

/** A value on one line: control characters become spaces, runs of spaces one. */
function oneLine(value: string): string {
  // deno-lint-ignore no-control-regex
  return value.replace(/[\u0000-\u001f\u007f]+/g, " ").replace(/\s+/g, " ").trim();
}
