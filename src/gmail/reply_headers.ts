/**
 * The threading headers and subject of a reply. Library-free, so that preparing a reply (in the
 * executor's Worker) does not load the MIME builder.
 * @module
 */
import { messageIds, oneLine } from "./_header_text.ts";

/** The headers of a reply, from the message replied to. */
export interface ReplyHeaders {
  /** The original's Message-ID; `""` when it had none (Gmail then threads by thread id). */
  inReplyTo: string;
  /** The original's References followed by its Message-ID (at most {@linkcode MAX_REFERENCES}). */
  references: string[];
  /** The original's subject with one `Re: ` in front (never `Re: Re: `). */
  subject: string;
}

/**
 * Message-IDs kept in a reply's References at most: the thread's first and its latest ones, as
 * RFC 5322 allows, so a long thread does not grow the header without end.
 */
export const MAX_REFERENCES = 20;

/**
 * The threading headers and subject of a reply to `original`: In-Reply-To is its Message-ID,
 * References its References plus its Message-ID (first and latest kept when there are many), and
 * the subject gets `Re: ` unless it already starts with it (`Re:`, `RE:`, `Re[2]:`). With the
 * original's thread id on the send request, Gmail files the reply in the same thread.
 *
 * @example
 * ```ts
 * replyHeaders({ messageId: "<b@x>", references: "<a@x>", subject: "RE: Invoice" });
 * // { inReplyTo: "<b@x>", references: ["<a@x>", "<b@x>"], subject: "RE: Invoice" }
 * ```
 */
export function replyHeaders(
  original: { messageId: string; references?: string | readonly string[]; subject: string },
): ReplyHeaders {
  const messageId = messageIds(original.messageId)[0] ?? "";
  const chain = messageIds(original.references).filter((id) => id !== messageId);
  if (messageId) chain.push(messageId);
  const references = chain.length <= MAX_REFERENCES
    ? chain
    : [chain[0], ...chain.slice(chain.length - (MAX_REFERENCES - 1))];
  return { inReplyTo: messageId, references, subject: replySubject(original.subject) };
}

/** `subject` with one `Re: ` in front, unless it already starts with `Re:` in any case. */
export function replySubject(subject: string): string {
  const clean = oneLine(subject);
  return /^re\s*(\[\d+\]|\(\d+\))?\s*:/i.test(clean) ? clean : `Re: ${clean}`.trimEnd();
}
