/**
 * Every selector and attribute name the WhatsApp channel uses, in this one file.
 *
 * **They target the local imitation** in `tests/fixtures/pages/whatsapp/`, a page structure
 * invented for aiemp's tests that behaves like WhatsApp Web (a QR code to link, a chat list
 * with unread badges, a conversation, a composer where Enter sends). They were not taken from
 * the real site and must be checked against it, and kept up to date when it changes, before the
 * channel is pointed at the real address. When they go stale the channel fails loudly: a step
 * names the selectors it tried and leaves a screenshot and the page's HTML in `Logs/browser/`.
 *
 * Each list is in order of preference: the first selector matches today's page, the rest are
 * fallbacks built on what a redesign tends to keep (roles, ARIA labels, data attributes) rather
 * than class names. The code says so in the log when a fallback was needed.
 * @module
 */
import type { SelectorSet } from "../browser/mod.ts";

/** The parts of WhatsApp Web the channel touches. */
export type WhatsAppPart =
  | "qrCode"
  | "chatList"
  | "chatRow"
  | "chatName"
  | "unreadBadge"
  | "searchBox"
  | "conversation"
  | "conversationTitle"
  | "incomingMessage"
  | "outgoingMessage"
  | "messageSender"
  | "messageText"
  | "messageMedia"
  | "messageTime"
  | "messageStatus"
  | "composer";

/** Each part's selectors, in order of preference. */
export type WhatsAppSelectors = Readonly<Record<WhatsAppPart, readonly string[]>>;

/** The attributes the channel reads values from. */
export type WhatsAppAttribute = "chatId" | "messageId" | "status" | "time";

/**
 * The parts of WhatsApp Web the channel touches, by name. The selectors of a row's or a
 * bubble's parts (`chatName`, `unreadBadge`, `messageText`, …) are looked up inside that row or
 * bubble.
 */
export const WHATSAPP_SELECTORS: WhatsAppSelectors = Object.freeze(
  {
    /** The QR code shown to link a device: the session is logged out. */
    qrCode: [".pairing-code", "canvas[data-ref-code]", 'canvas[aria-label*="scan" i]'],
    /** The list of chats, shown once the session is logged in. */
    chatList: [".roster-list", '[role="list"][aria-label="Chats"]'],
    /** One chat of the list; it carries the chat's id (see `WHATSAPP_ATTRIBUTES.chatId`). */
    chatRow: [".roster-row", '[role="listitem"][data-chat-id]'],
    /** A row's chat name (inside a row). */
    chatName: [".roster-name", '[data-part="name"]', "span[title]"],
    /** A row's unread badge, its text the number of unread messages (inside a row). */
    unreadBadge: [".roster-badge", '[data-part="badge"]', '[aria-label*="unread" i]'],
    /** The box that searches the chats. */
    searchBox: [".roster-search", 'input[type="search"]', '[role="searchbox"]'],
    /** The open conversation. */
    conversation: [".thread", 'section[aria-label="Conversation"]'],
    /** The open conversation's title: the chat's name. */
    conversationTitle: [".thread-title", '[data-part="title"]', 'header [role="heading"]'],
    /** A message the owner received (inside the conversation). */
    incomingMessage: [".bubble-in", '[data-msg-id][data-direction="in"]'],
    /** A message the owner sent (inside the conversation). */
    outgoingMessage: [".bubble-out", '[data-msg-id][data-direction="out"]'],
    /** Who wrote a received message, shown in groups (inside a message). */
    messageSender: [".bubble-sender", '[data-part="sender"]'],
    /** A message's text (inside a message). */
    messageText: [".bubble-text", '[data-part="text"]'],
    /** A photo, video, voice note or file attached to a message (inside a message). */
    messageMedia: [".bubble-media", '[data-part="media"]'],
    /** When a message was sent (inside a message). */
    messageTime: [".bubble-time", "time[datetime]"],
    /** A sent message's delivery mark (inside a message), see `WHATSAPP_ATTRIBUTES.status`. */
    messageStatus: [".bubble-tick", '[data-part="status"]'],
    /** The composer: Enter sends, Shift+Enter makes a line break. */
    composer: [".compose-box", 'footer [contenteditable="true"][role="textbox"]'],
  } satisfies SelectorSet,
);

/** The attributes the channel reads values from. */
export const WHATSAPP_ATTRIBUTES: Readonly<Record<WhatsAppAttribute, string>> = Object.freeze(
  {
    /** A chat row's stable id. */
    chatId: "data-chat-id",
    /** A message's stable id: the key that keeps a message from giving two notes. */
    messageId: "data-msg-id",
    /** A sent message's delivery state: `pending`, `sent`, `delivered` or `read`. */
    status: "data-status",
    /** A message time's machine-readable value (ISO 8601), on the `messageTime` element. */
    time: "datetime",
  },
);

/** The delivery states that confirm a sent message left the device. */
export const CONFIRMED_STATUSES: readonly string[] = Object.freeze(["sent", "delivered", "read"]);
