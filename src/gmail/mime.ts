/**
 * Outgoing mail as RFC 822 bytes, for Gmail's `users.messages.send` (the client's `sendRaw`
 * encodes them as the base64url `raw` field).
 *
 * Built with nodemailer's MailComposer (`nodemailer/lib/mail-composer`) rather than `mimetext`:
 * MailComposer has no dependencies, ships its own types, and gets the details right that
 * `mimetext` (tried) gets wrong — it folds long headers into encoded words of at most 75
 * characters (mimetext writes one over-long word), picks quoted-printable or base64 for non-ASCII
 * text (mimetext labels UTF-8 text `7bit`), encodes non-ASCII attachment names per RFC 2231, and
 * keeps lines under 78 characters. It runs on Deno's Node compatibility as it is: we hand it
 * strings and buffers and take one buffer back, no streams of our own. File and URL access are
 * switched off, so only the bytes given here can end up in a message.
 * @module
 */
import { Buffer } from "node:buffer";
import MailComposer from "nodemailer/lib/mail-composer";
import { messageIds, oneLine } from "./_header_text.ts";

/** A mailbox: an address with an optional display name (any Unicode; encoded as needed). */
export interface MailAddress {
  /** The display name, e.g. "Zoë Ñandú". */
  name?: string;
  /** The address itself, e.g. "zoe@example.com". */
  address: string;
}

/** One or more mailboxes: `"a@x.com"`, `"Ann <a@x.com>"`, a {@linkcode MailAddress}, or a list. */
export type MailAddresses = string | MailAddress | readonly (string | MailAddress)[];

/** A file attached to an outgoing message. */
export interface OutgoingAttachment {
  /** The name the recipient sees (any Unicode; encoded as needed). */
  filename: string;
  /** Its MIME type. @default guessed from the name, else application/octet-stream */
  contentType?: string;
  /** Its bytes. */
  content: Uint8Array;
}

/** Everything an outgoing message says. */
export interface OutgoingMessage {
  /** The sender. Gmail fills in the account's own address when it is missing. */
  from?: MailAddresses;
  /** The recipients. At least one of `to`, `cc` and `bcc` must name someone. */
  to: MailAddresses;
  /** Copy recipients. */
  cc?: MailAddresses;
  /**
   * Blind copy recipients. Kept as a `Bcc:` header in the built bytes, because that is where
   * Gmail's send reads them from (it removes the header before delivery).
   */
  bcc?: MailAddresses;
  /** The subject (any Unicode; line breaks become spaces). */
  subject: string;
  /** The plain-text body. */
  text: string;
  /** An HTML version of the body; with it the message is multipart/alternative. */
  html?: string;
  /** For a reply: the Message-ID of the message replied to. */
  inReplyTo?: string;
  /** For a reply: the Message-IDs of the thread so far (a list or one space-separated string). */
  references?: string | readonly string[];
  /** Files to attach; with any, the message is multipart/mixed. */
  attachments?: readonly OutgoingAttachment[];
  /** The `Date:` header. @default the time of building */
  date?: Date;
  /**
   * The `Message-ID:` header, e.g. `<unique@example.com>`.
   * @default a random one at the sender's domain (`localhost` without `from`)
   */
  messageId?: string;
}

/**
 * Builds an outgoing message as raw RFC 822 bytes (CRLF line ends): plain text, optionally with
 * an HTML alternative (multipart/alternative), attachments (multipart/mixed), non-ASCII subjects
 * and display names as RFC 2047 encoded words, non-ASCII file names per RFC 2231, and the
 * In-Reply-To and References headers of a reply. Throws a `TypeError` when there is no recipient.
 *
 * @example
 * ```ts
 * const raw = await buildMessage({
 *   to: { name: "Zoë Ñandú", address: "zoe@example.com" },
 *   subject: "Grüße",
 *   text: "Hello",
 * });
 * await client.sendRaw(raw);
 * ```
 */
export async function buildMessage(message: OutgoingMessage): Promise<Uint8Array> {
  const to = addresses(message.to);
  const cc = addresses(message.cc);
  const bcc = addresses(message.bcc);
  if (to.length + cc.length + bcc.length === 0) {
    throw new TypeError(
      "Cannot build the email: it names no recipient in to, cc or bcc; add at least one address",
    );
  }
  const references = messageIds(message.references);
  const composer = new MailComposer({
    from: message.from === undefined ? undefined : addresses(message.from),
    to,
    cc: cc.length ? cc : undefined,
    bcc: bcc.length ? bcc : undefined,
    subject: oneLine(message.subject),
    text: message.text,
    html: message.html,
    inReplyTo: message.inReplyTo ? oneLine(message.inReplyTo) : undefined,
    references: references.length ? references : undefined,
    date: message.date,
    messageId: message.messageId ? oneLine(message.messageId) : undefined,
    attachments: message.attachments?.map((attachment) => ({
      filename: oneLine(attachment.filename),
      contentType: attachment.contentType,
      content: Buffer.from(
        attachment.content.buffer,
        attachment.content.byteOffset,
        attachment.content.byteLength,
      ),
    })),
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const node = composer.compile();
  node.keepBcc = true;
  const built = await new Promise<Uint8Array>((resolve, reject) => {
    node.build((error, bytes) => error ? reject(error) : resolve(bytes));
  });
  return new Uint8Array(built.buffer, built.byteOffset, built.byteLength);
}

function addresses(value: MailAddresses | undefined): (string | MailAddress)[] {
  if (value === undefined) return [];
  const list: readonly (string | MailAddress)[] = typeof value === "string" || !isList(value)
    ? [value]
    : value;
  return list
    .map((entry) =>
      typeof entry === "string" ? oneLine(entry) : {
        name: entry.name === undefined ? undefined : oneLine(entry.name),
        address: oneLine(entry.address),
      }
    )
    .filter((entry) => typeof entry === "string" ? entry !== "" : entry.address !== "");
}

function isList(value: MailAddresses): value is readonly (string | MailAddress)[] {
  return Array.isArray(value);
}
