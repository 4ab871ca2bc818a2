/**
 * Gmail: the client over Google's libraries, its error outcomes, retry policy, endpoints and the
 * permissions of a Worker that runs it.
 * @module
 */
export * from "./client.ts";
export * from "./endpoints.ts";
export * from "./errors.ts";
export * from "./retry.ts";
export * from "./types.ts";
export * from "./check.ts";
export { capText, htmlToText, type HtmlToTextOptions } from "./html_text.ts";
export {
  buildMessage,
  type MailAddress,
  type MailAddresses,
  MAX_REFERENCES,
  type OutgoingAttachment,
  type OutgoingMessage,
  type ReplyHeaders,
  replyHeaders,
  replySubject,
} from "./mime.ts";
export {
  attachmentsOf,
  type MailAttachment,
  type MailContent,
  type MailHeader,
  type MailMessage,
  mailNote,
  type MailNoteOptions,
  type MailPart,
  mailTaskId,
  type NoteAttachment,
  readMail,
  type ReadMailOptions,
} from "./mail_note.ts";
export * from "./credentials.ts";
export * from "./auth_flow.ts";
