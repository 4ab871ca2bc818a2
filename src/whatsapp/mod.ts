/**
 * The WhatsApp channel's page work, on the browser layer (src/browser): WhatsApp Web has no
 * personal API, so the channel reads and writes the page as a person would.
 *
 * - {@linkcode openWhatsAppWeb}: the profile's browser started and WhatsApp Web loaded;
 * - {@linkcode sessionState}: logged in, logged out (the QR code) or broken, with evidence;
 * - {@linkcode readUnreadChats} and {@linkcode readNewMessages}: what arrived, by stable id;
 * - {@linkcode isUrgent} and {@linkcode messageNote}: pure, a message to a Needs_Action/ note;
 * - {@linkcode sendReply}: an approved reply typed exactly, sent and confirmed, reported as
 *   {@linkcode ReplyNotSent} or {@linkcode ReplyNotConfirmed} ("may have been sent") on failure.
 *
 * The selectors live in `selectors.ts` and target the local imitation of WhatsApp Web in
 * `tests/fixtures/pages/whatsapp/`; check them against the real site before relying on them.
 * Nothing here loads playwright-core at import: its types are imported as types only.
 *
 * @example
 * ```ts
 * const session = await sessionState(page, { evidenceDir });
 * if (session.state === "logged_in") {
 *   for (const chat of await readUnreadChats(page, { evidenceDir })) {
 *     for (const message of await readNewMessages(page, chat, { evidenceDir, seen })) {
 *       const urgency = isUrgent(message, { vipContacts });
 *       if (urgency.urgent) notes.push(messageNote(message, { now: new Date(), urgency }));
 *     }
 *   }
 * }
 * ```
 * @module
 */
export {
  ChatNotFound,
  isLoggedOut,
  ReplyFailed,
  ReplyNotConfirmed,
  ReplyNotSent,
  WhatsAppLoggedOut,
} from "./errors.ts";
export { messageNote, type MessageNoteOptions, whatsappTaskId } from "./message_note.ts";
export { type OpenWhatsApp, type OpenWhatsAppOptions, openWhatsAppWeb } from "./open.ts";
export {
  currentChat,
  type ReadChatsOptions,
  type ReadMessagesOptions,
  readNewMessages,
  readUnreadChats,
  unreadCount,
} from "./read.ts";
export {
  CONFIRMED_STATUSES,
  WHATSAPP_ATTRIBUTES,
  WHATSAPP_SELECTORS,
  type WhatsAppAttribute,
  type WhatsAppPart,
  type WhatsAppSelectors,
} from "./selectors.ts";
export { type ReplySent, sendReply, type SendReplyOptions } from "./send.ts";
export { LOGGED_OUT_DETAIL, type SessionCheck, sessionState } from "./session.ts";
export {
  type ChatRef,
  DEFAULT_STEP_TIMEOUT_MS,
  type UnreadChat,
  type WhatsAppMessage,
  type WhatsAppStepOptions,
} from "./types.ts";
export { DEFAULT_URGENT_KEYWORDS, isUrgent, type Urgency, type UrgencyRules } from "./urgency.ts";
