import type { Page } from "playwright-core";
import {
  DEFAULT_KEYSTROKE_PACE,
  type HumanPace,
  type RandomSource,
  runStep,
} from "../browser/mod.ts";
import {
  findPart,
  normalName,
  openChat,
  type PageElement,
  pickSelector,
  readRows,
  requireChatList,
  shownConversation,
  shownText,
  stepOf,
  waitWithin,
} from "./_page.ts";
import { WHATSAPP_ATTRIBUTES, WHATSAPP_SELECTORS } from "./selectors.ts";
import {
  type ChatRef,
  resolveStepOptions,
  type UnreadChat,
  type WhatsAppMessage,
  type WhatsAppStepOptions,
} from "./types.ts";

const S = WHATSAPP_SELECTORS;

/** How {@linkcode readUnreadChats} reads. */
export interface ReadChatsOptions extends WhatsAppStepOptions {
  /** Chats returned at most, in the list's order (most recent first). @default 20 */
  limit?: number;
}

/**
 * The chats with an unread badge, in the chat list's order, at most `limit`. Runs as the step
 * `read_chats`: a logged-out session throws a `BrowserStepError` whose cause is a
 * `WhatsAppLoggedOut` (see `isLoggedOut`); a page without the chat list throws one naming the
 * selectors tried, with a screenshot and the HTML.
 *
 * @example
 * ```ts
 * for (const chat of await readUnreadChats(page, { evidenceDir, limit: 10 })) {
 *   const messages = await readNewMessages(page, chat, { evidenceDir, seen });
 * }
 * ```
 */
export async function readUnreadChats(
  page: Page,
  options: ReadChatsOptions,
): Promise<UnreadChat[]> {
  const resolved = resolveStepOptions(options);
  const limit = positive(options.limit ?? 20, "limit");
  return await runStep(page, stepOf(resolved, "read_chats"), async (signal) => {
    const context = { timeoutMs: waitWithin(resolved.timeoutMs), signal, log: resolved.log };
    const list = await requireChatList(page, context, "reading the chat list");
    // A search left in the box would hide chats.
    const search = await pickSelector(page, S.searchBox, "the chat search box", () => {});
    if (search && await page.locator(search).first().inputValue().catch(() => "") !== "") {
      await page.locator(search).first().fill("");
    }
    const { rows } = await readRows(list, resolved.log);
    const chats: UnreadChat[] = [];
    for (const row of rows) {
      const unread = unreadCount(row.badge);
      if (unread === 0) continue;
      const name = normalName(row.name);
      chats.push({ chatId: row.chatId ?? name, name, unread });
      if (chats.length === limit) break;
    }
    return chats;
  });
}

/** How {@linkcode readNewMessages} reads. */
export interface ReadMessagesOptions extends WhatsAppStepOptions {
  /** The ids of messages already handled; they are left out. @default none */
  seen?: ReadonlySet<string> | readonly string[];
  /** Messages returned at most: the newest ones. @default 20 */
  limit?: number;
  /** Between keystrokes, when the chat has to be searched for. @default DEFAULT_KEYSTROKE_PACE */
  pace?: HumanPace;
  /** Where delays are drawn from. @default Math.random */
  random?: RandomSource;
}

/**
 * Opens `chat` (step `open_chat`) and reads its newest received messages not in `seen`
 * (step `read_messages`), oldest first, at most `limit`. Messages the owner sent are left out,
 * and so is a message without its id (it could not be told apart from itself next time; the log
 * says so). Opening a chat marks it read in WhatsApp, as it does for a person.
 *
 * @example
 * ```ts
 * const fresh = await readNewMessages(page, chat, { evidenceDir, seen: state.seenIds });
 * ```
 */
export async function readNewMessages(
  page: Page,
  chat: ChatRef,
  options: ReadMessagesOptions,
): Promise<WhatsAppMessage[]> {
  const resolved = resolveStepOptions(options);
  const limit = positive(options.limit ?? 20, "limit");
  const seen = new Set(options.seen ?? []);
  const name = normalName(chat.name);
  await runStep(page, stepOf(resolved, "open_chat"), (signal) =>
    openChat(page, chat, {
      timeoutMs: waitWithin(resolved.timeoutMs),
      signal,
      log: resolved.log,
      pace: options.pace ?? DEFAULT_KEYSTROKE_PACE,
      random: options.random ?? Math.random,
    }));
  return await runStep(page, stepOf(resolved, "read_messages"), async (signal) => {
    const context = { timeoutMs: waitWithin(resolved.timeoutMs), signal, log: resolved.log };
    const conversation = await findPart(page, S.conversation, "the open conversation", context);
    const selector = await pickSelector(
      conversation.locator,
      S.incomingMessage,
      "a received message",
      resolved.log,
    );
    if (selector === undefined) return [];
    const bubbles = await conversation.locator.locator(selector).evaluateAll(
      (elements, parts) => {
        const pick = (root: PageElement, selectors: readonly string[]) => {
          for (const selector of selectors) {
            try {
              const found = root.querySelector(selector);
              if (found) return found;
            } catch { /* a selector this browser refuses */ }
          }
          return null;
        };
        const text = (element: PageElement | null) =>
          element ? (element as { innerText?: string }).innerText ?? element.textContent ?? "" : "";
        return elements.map((bubble) => {
          const time = pick(bubble, parts.time);
          return {
            id: bubble.getAttribute(parts.idAttribute),
            sender: text(pick(bubble, parts.sender)).trim(),
            text: text(pick(bubble, parts.text)),
            hasMedia: pick(bubble, parts.media) !== null,
            time: (time?.getAttribute(parts.timeAttribute) || time?.textContent || "").trim(),
          };
        });
      },
      {
        sender: S.messageSender,
        text: S.messageText,
        media: S.messageMedia,
        time: S.messageTime,
        idAttribute: WHATSAPP_ATTRIBUTES.messageId,
        timeAttribute: WHATSAPP_ATTRIBUTES.time,
      },
    );
    const fresh: WhatsAppMessage[] = [];
    let withoutId = 0;
    for (const bubble of bubbles) {
      if (!bubble.id) {
        withoutId++;
        continue;
      }
      if (seen.has(bubble.id)) continue;
      fresh.push({
        id: bubble.id,
        chat: name,
        sender: normalName(bubble.sender) || name,
        time: bubble.time,
        text: shownText(bubble.text).trim(),
        hasMedia: bubble.hasMedia,
      });
    }
    if (withoutId > 0) {
      resolved.log(
        "warning",
        `WhatsApp Web: ${withoutId} received message(s) in '${name}' carry no ${WHATSAPP_ATTRIBUTES.messageId} and were skipped; check src/whatsapp/selectors.ts`,
      );
    }
    return fresh.slice(-limit);
  });
}

/**
 * The chat whose conversation is open now, or undefined when none is. WhatsApp marks a message
 * read as it arrives in the open chat, so that chat never shows an unread badge: a watcher reads
 * it too (with `readNewMessages` and its `seen` ids) to miss nothing. Throws only when the page
 * is gone.
 *
 * @example
 * ```ts
 * const chats = await readUnreadChats(page, options);
 * const open = await currentChat(page);
 * if (open && !chats.some((chat) => chat.name === open.name)) chats.push({ ...open, unread: 0 });
 * ```
 */
export async function currentChat(page: Page): Promise<ChatRef | undefined> {
  return await shownConversation(page);
}

/** The number on an unread badge: its digits, 1 for a badge without any, 0 for no badge. */
export function unreadCount(badge: string | null): number {
  if (badge === null) return 0;
  const digits = /\d+/.exec(badge.replace(/[\s,.]/g, ""));
  return digits ? Number(digits[0]) : 1;
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`Cannot read WhatsApp with ${name} ${value}; use a whole number from 1`);
  }
  return value;
}
