/**
 * What the WhatsApp functions share about the page: which state it shows, finding the chats and
 * the open conversation, opening a chat by name. Private to src/whatsapp.
 * @module
 */
import type { Locator, Page } from "playwright-core";
import { poll } from "../abort/mod.ts";
import {
  type BrowserLog,
  firstMatch,
  type HumanPace,
  type RandomSource,
  type SelectorMatch,
  SelectorNotFound,
  type SelectorScope,
  type StepOptions,
  typeHumanly,
} from "../browser/mod.ts";
import { ChatNotFound, WhatsAppLoggedOut } from "./errors.ts";
import { WHATSAPP_ATTRIBUTES, WHATSAPP_SELECTORS } from "./selectors.ts";
import type { ChatRef, ResolvedStepOptions } from "./types.ts";

const S = WHATSAPP_SELECTORS;

/**
 * What the functions run in the page use of a DOM element (Deno's types have no DOM). Those
 * functions are sent to the browser as text, so each carries its own small helpers.
 */
export interface PageElement {
  querySelector(selector: string): PageElement | null;
  getAttribute(name: string): string | null;
  readonly textContent: string | null;
  readonly innerText?: string;
  readonly children: { readonly length: number };
  checkVisibility?(): boolean;
}

/** How long a search may take to show the chat searched for (less when the step has less left). */
const SEARCH_WAIT_MS = 3000;

/** What a wait inside a step works with. */
export interface WaitContext {
  /** How long the wait may take at most (the step's own limit ends it sooner). */
  timeoutMs: number;
  /** The step's signal: aborted when the step runs out of time or is stopped. */
  signal: AbortSignal;
  /** Where a warning goes when a fallback selector was needed. */
  log: BrowserLog;
}

/** The options of `runStep` for the step `name`, from the resolved WhatsApp options. */
export function stepOf(
  options: ResolvedStepOptions,
  name: string,
  timeoutMs = options.timeoutMs,
): StepOptions {
  const { evidenceDir, itemId, signal, now } = options;
  return { name, timeoutMs, evidenceDir, itemId, signal, now };
}

/**
 * How long a wait inside a step may take: a little less than the step, so that the wait's own
 * error (naming what it looked for and the selectors it tried) ends the step, not the bare
 * "timed out" of the step's clock.
 */
export function waitWithin(stepMs: number): number {
  return Math.max(0, stepMs - Math.min(1000, Math.max(250, Math.round(stepMs / 4))));
}

/** `firstMatch`, with a warning in the log when only a fallback matched. */
export async function findPart(
  scope: SelectorScope,
  selectors: readonly string[],
  what: string,
  context: WaitContext,
): Promise<SelectorMatch> {
  const { timeoutMs, signal } = context;
  const match = await firstMatch(scope, selectors, { timeoutMs, signal, what });
  warnOfFallback(match, selectors, what, context.log);
  return match;
}

/**
 * The first of `selectors` that matches anything in `scope` now (visible or not), or undefined
 * when none does; a selector the browser refuses counts as not matching.
 */
export async function pickSelector(
  scope: SelectorScope,
  selectors: readonly string[],
  what: string,
  log: BrowserLog,
): Promise<string | undefined> {
  for (const [index, selector] of selectors.entries()) {
    const count = await scope.locator(selector).count().catch((error: unknown) => {
      if (/has been closed|crashed/i.test(String(error))) throw error;
      return 0;
    });
    if (count > 0) {
      warnOfFallback({ selector, index }, selectors, what, log);
      return selector;
    }
  }
  return undefined;
}

function warnOfFallback(
  match: { selector: string; index: number },
  selectors: readonly string[],
  what: string,
  log: BrowserLog,
): void {
  if (match.index === 0) return;
  log(
    "warning",
    `WhatsApp Web: ${what} was found by the fallback selector '${match.selector}', not '${
      selectors[0]
    }'; the page has changed, check src/whatsapp/selectors.ts`,
  );
}

/**
 * Waits until the page shows the chat list (`logged_in`) or the QR code to link a device
 * (`logged_out`). Throws `SelectorNotFound`, naming every selector tried, when it shows neither
 * within `timeoutMs`.
 */
export async function waitForApp(
  page: Page,
  context: WaitContext,
): Promise<"logged_in" | "logged_out"> {
  const selectors = [...S.qrCode, ...S.chatList];
  const match = await firstMatch(page, selectors, {
    timeoutMs: context.timeoutMs,
    signal: context.signal,
    what: "the chat list or the QR code",
  });
  const qr = match.index < S.qrCode.length;
  const list = qr ? S.qrCode : S.chatList;
  const index = qr ? match.index : match.index - S.qrCode.length;
  warnOfFallback(
    { selector: match.selector, index },
    list,
    qr ? "the QR code" : "the chat list",
    context.log,
  );
  return qr ? "logged_out" : "logged_in";
}

/**
 * Waits for the chat list and returns it; throws {@linkcode WhatsAppLoggedOut} when the QR code
 * is shown instead.
 */
export async function requireChatList(
  page: Page,
  context: WaitContext,
  doing: string,
): Promise<Locator> {
  if (await waitForApp(page, context) === "logged_out") throw new WhatsAppLoggedOut(doing);
  const list = await pickSelector(page, S.chatList, "the chat list", () => {});
  return page.locator(list ?? S.chatList[0]).first();
}

/** A chat row as the page shows it. */
export interface RowInfo {
  /** The row's chat id attribute; null when the row has none. */
  chatId: string | null;
  /** The chat's name as shown. */
  name: string;
  /** The unread badge's text; null when the row has no badge. */
  badge: string | null;
}

/** The rows of the chat list, and the selector that found them (undefined when there are none). */
export interface Rows {
  selector?: string;
  rows: RowInfo[];
}

/**
 * Reads every row of the chat list in one go. A list that has entries of which no row selector
 * matches one throws `SelectorNotFound`: the page changed, and an empty answer would hide it.
 */
export async function readRows(list: Locator, log: BrowserLog): Promise<Rows> {
  const selector = await pickSelector(list, S.chatRow, "a chat row", log);
  if (selector === undefined) {
    const entries = await list.evaluate((element) => element.children.length);
    if (entries === 0) return { rows: [] };
    throw new SelectorNotFound(
      `Cannot find the chats: the chat list has ${entries} entries, but none of ${S.chatRow.length} selector(s) matched one; tried ${
        S.chatRow.map((one) => `'${one}'`).join(", ")
      }`,
      S.chatRow,
    );
  }
  const rows = await list.locator(selector).evaluateAll(
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
      return elements.map((row) => {
        const name = pick(row, parts.name);
        const badge = pick(row, parts.badge);
        return {
          chatId: row.getAttribute(parts.chatId),
          name: (name?.textContent || name?.getAttribute("title") || "").trim(),
          badge: badge
            ? (badge.textContent ?? "").trim() || badge.getAttribute("aria-label")
            : null,
        };
      });
    },
    { name: S.chatName, badge: S.unreadBadge, chatId: WHATSAPP_ATTRIBUTES.chatId },
  );
  return { selector, rows };
}

/** A name as compared: Unicode NFC, no-break spaces as spaces, runs of space as one, trimmed. */
export function normalName(name: string): string {
  return name.normalize("NFC").replace(/\u00a0/g, " ").replace(/\s+/g, " ").trim();
}

/** The index of the row that is `chat`: its name equal, and its id when both are known. */
function rowIndex(rows: readonly RowInfo[], chat: ChatRef): number {
  const name = normalName(chat.name);
  return rows.findIndex((row) =>
    normalName(row.name) === name &&
    (chat.chatId === undefined || row.chatId === null || row.chatId === chat.chatId)
  );
}

/** How {@linkcode openChat} types into the search box. */
export interface OpenChatContext extends WaitContext {
  /** Between keystrokes in the search box. */
  pace: HumanPace;
  /** Where delays are drawn from. */
  random: RandomSource;
}

/**
 * Opens `chat` by its exact name: its row in the chat list, else through the search box; then
 * waits until the conversation's title is the chat's name. Throws {@linkcode WhatsAppLoggedOut}
 * when the QR code shows, {@linkcode ChatNotFound} when no chat has that name.
 */
export async function openChat(page: Page, chat: ChatRef, context: OpenChatContext): Promise<void> {
  const deadline = Date.now() + context.timeoutMs;
  const name = normalName(chat.name);
  const list = await requireChatList(page, context, `opening the chat '${name}'`);
  if (await isOpen(page, chat)) return;
  let found = await readRows(list, context.log);
  let index = rowIndex(found.rows, chat);
  let search: Locator | undefined;
  if (index === -1) {
    search = (await findPart(page, S.searchBox, "the chat search box", {
      ...context,
      timeoutMs: Math.min(context.timeoutMs, SEARCH_WAIT_MS),
    })).locator;
    await search.click();
    await search.fill("");
    await typeHumanly(search, name, {
      ...context.pace,
      random: context.random,
      signal: context.signal,
    });
    const shown = await poll(async () => {
      found = await readRows(list, context.log);
      index = rowIndex(found.rows, chat);
      return index === -1 ? undefined : index;
    }, { ...context, timeoutMs: Math.min(SEARCH_WAIT_MS, waitWithin(deadline - Date.now())) });
    if (shown === undefined) {
      await search.fill("").catch(() => {});
      const names = found.rows.map((row) => `'${row.name}'`).join(", ") || "nothing";
      throw new ChatNotFound(
        `No chat is named '${name}': not in the chat list, and a search for it shows ${names}; check the chat's name as WhatsApp shows it`,
      );
    }
  }
  // By its id when it has one: a message arriving meanwhile reorders the list.
  const id = found.rows[index].chatId;
  const row = id === null
    ? list.locator(found.selector!).nth(index)
    : list.locator(`${found.selector!}[${WHATSAPP_ATTRIBUTES.chatId}=${JSON.stringify(id)}]`);
  await row.first().click({ timeout: Math.max(1, deadline - Date.now()) });
  // The search has done its work: the list shows every chat again for the next reader.
  if (search) await search.fill("");
  const opened = await poll(
    async () => await isOpen(page, chat) || undefined,
    { ...context, timeoutMs: Math.max(0, deadline - Date.now()) },
  );
  if (!opened) throw new Error(`The conversation did not show '${name}' after its row was clicked`);
}

/** True when the open conversation is `chat`: its title is the chat's name (and its id, if shown). */
async function isOpen(page: Page, chat: ChatRef): Promise<boolean> {
  const shown = await shownConversation(page);
  if (!shown || normalName(shown.name) !== normalName(chat.name)) return false;
  return chat.chatId === undefined || shown.chatId === undefined || shown.chatId === chat.chatId;
}

/** The chat whose conversation the page shows now, or undefined when it shows none. */
export async function shownConversation(page: Page): Promise<ChatRef | undefined> {
  const shown = await page.locator("html").evaluate(
    (root, parts) => {
      const pick = (selectors: readonly string[]) => {
        for (const selector of selectors) {
          try {
            const found = root.querySelector(selector);
            if (found) return found;
          } catch { /* a selector this browser refuses */ }
        }
        return null;
      };
      const conversation = pick(parts.conversation);
      const title = pick(parts.title);
      const visible = (conversation as { checkVisibility?: () => boolean } | null)
        ?.checkVisibility?.() ?? true;
      if (!conversation || !title || !visible) return null;
      return {
        title: title.textContent ?? "",
        chatId: conversation.getAttribute(parts.chatId),
      };
    },
    {
      conversation: S.conversation,
      title: S.conversationTitle,
      chatId: WHATSAPP_ATTRIBUTES.chatId,
    },
  );
  if (!shown || normalName(shown.title) === "") return undefined;
  const name = normalName(shown.title);
  return shown.chatId === null ? { name } : { name, chatId: shown.chatId };
}

/** Text as the page shows it, made comparable: no-break spaces as spaces, line ends as `\n`. */
export function shownText(text: string): string {
  return text.replace(/\u00a0/g, " ").replace(/\r\n?/g, "\n");
}
