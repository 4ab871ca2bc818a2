import { poll } from "../abort/mod.ts";
import type { Locator, Page } from "playwright-core";
import {
  BrowserStepError,
  DEFAULT_ACTION_PACE,
  DEFAULT_KEYSTROKE_PACE,
  humanDelay,
  type HumanPace,
  keystrokes,
  pauseHumanly,
  type RandomSource,
  runStep,
  typeHumanly,
} from "../browser/mod.ts";
import {
  findPart,
  normalName,
  openChat,
  type PageElement,
  pickSelector,
  shownText,
  stepOf,
  type WaitContext,
  waitWithin,
} from "./_page.ts";
import { ReplyNotConfirmed, ReplyNotSent } from "./errors.ts";
import { CONFIRMED_STATUSES, WHATSAPP_ATTRIBUTES, WHATSAPP_SELECTORS } from "./selectors.ts";
import { type ChatRef, resolveStepOptions, type WhatsAppStepOptions } from "./types.ts";

const S = WHATSAPP_SELECTORS;

/** How {@linkcode sendReply} sends. */
export interface SendReplyOptions extends WhatsAppStepOptions {
  /** The chat to reply in, by its exact name (or a {@linkcode ChatRef}). */
  chat: string | ChatRef;
  /** The approved text, typed exactly; a line break is typed with Shift+Enter. */
  text: string;
  /** The approval the reply is for: names the evidence files and the errors. */
  itemId: string;
  /** Between keystrokes. @default DEFAULT_KEYSTROKE_PACE */
  pace?: HumanPace;
  /** Between opening the chat, typing and sending. @default DEFAULT_ACTION_PACE */
  actionPace?: HumanPace;
  /** Where delays are drawn from. @default Math.random */
  random?: RandomSource;
}

/** A reply seen as sent. */
export interface ReplySent {
  /** When it was seen sent (ISO 8601), by the `now` clock. */
  sentAt: string;
  /** The sent message's id on the page. */
  messageId: string;
}

/**
 * Sends `text` as a reply in `chat`, in four steps, each with its timeout and, when it fails, a
 * screenshot and the HTML in `evidenceDir`:
 *
 * 1. `open_chat`: finds the chat by its exact name, in the list or through the search box;
 * 2. `type`: types the text into the emptied composer, key by key at a human pace (Shift+Enter
 *    for a line break), and checks the composer holds exactly that text;
 * 3. `send`: checks the chat and the text once more, then presses Enter;
 * 4. `confirm`: waits for a new sent message with exactly that text and a sent (or delivered)
 *    mark. WhatsApp drops blank space at the ends of a message, and so does the comparison.
 *
 * A failure before Enter is pressed throws {@linkcode ReplyNotSent} (nothing was sent; its
 * `loggedOut` says when the session was the cause). A failure after throws
 * {@linkcode ReplyNotConfirmed}: the reply may have been sent, and a person checks the chat.
 * A stop from outside before Enter throws the signal's reason; after Enter, ReplyNotConfirmed.
 *
 * @example
 * ```ts
 * const { sentAt } = await sendReply(page, {
 *   chat: request.chat, text: request.body, itemId: request.id, evidenceDir,
 * });
 * ```
 */
export async function sendReply(page: Page, options: SendReplyOptions): Promise<ReplySent> {
  const resolved = resolveStepOptions(options);
  const chat = typeof options.chat === "string" ? { name: options.chat } : options.chat;
  const name = normalName(chat.name);
  const { text, itemId } = options;
  if (text.trim() === "") {
    throw new RangeError(`Cannot send an empty WhatsApp reply to '${name}' for ${itemId}`);
  }
  if (name === "") throw new RangeError(`Cannot send the WhatsApp reply ${itemId}: no chat named`);
  const pace = options.pace ?? DEFAULT_KEYSTROKE_PACE;
  const actionPace = options.actionPace ?? DEFAULT_ACTION_PACE;
  const random = options.random ?? Math.random;
  humanDelay(pace, random); // a bad range fails here, before anything is done
  humanDelay(actionPace, random);
  const context = (signal: AbortSignal): WaitContext => ({
    timeoutMs: waitWithin(resolved.timeoutMs),
    signal,
    log: resolved.log,
  });
  const failure = (step: string, error: BrowserStepError) => ({
    chat: name,
    itemId,
    step,
    evidence: error.evidence,
  });

  let composer: Locator;
  let before: Set<string>;
  try {
    await runStep(
      page,
      stepOf(resolved, "open_chat"),
      (signal) => openChat(page, chat, { ...context(signal), pace, random }),
    );
    await pauseHumanly(actionPace, { random, signal: resolved.signal });
    // Typing takes as long as the keystrokes, on top of the step's own time.
    const typingMs = resolved.timeoutMs + keystrokes(text).length * pace.maxMs;
    [composer, before] = await runStep(
      page,
      stepOf(resolved, "type", typingMs),
      async (signal) => {
        const found = await findPart(page, S.composer, "the composer", context(signal));
        await emptyComposer(found.locator);
        await typeHumanly(found.locator, text, {
          ...pace,
          random,
          signal,
          newline: "Shift+Enter",
        });
        await expectComposerHolds(found.locator, text);
        return [found.locator, new Set(await sentMessages(page, context(signal)).then(ids))];
      },
    );
    await pauseHumanly(actionPace, { random, signal: resolved.signal });
  } catch (error) {
    if (!(error instanceof BrowserStepError)) throw error;
    throw new ReplyNotSent(
      failure(error.step, error),
      `WhatsApp reply ${itemId} to '${name}' was not sent: ${error.message}`,
      { cause: error },
    );
  }

  let pressed = false;
  try {
    await runStep(page, stepOf(resolved, "send"), async (signal) => {
      // The page may have changed during the pause: the session, the chat, the composer.
      await openChat(page, chat, { ...context(signal), pace, random });
      await expectComposerHolds(composer, text);
      // A step that ran out of time must not press Enter later, after "not sent" was reported.
      if (signal.aborted) throw signal.reason;
      pressed = true;
      await composer.press("Enter");
    });
    const messageId = await runStep(
      page,
      stepOf(resolved, "confirm"),
      (signal) => waitForSent(page, text, before, context(signal)),
    );
    return { sentAt: resolved.now().toISOString(), messageId };
  } catch (error) {
    if (!pressed) {
      if (!(error instanceof BrowserStepError)) throw error;
      throw new ReplyNotSent(
        failure(error.step, error),
        `WhatsApp reply ${itemId} to '${name}' was not sent: ${error.message}`,
        { cause: error },
      );
    }
    if (error instanceof BrowserStepError) {
      throw new ReplyNotConfirmed(
        failure(error.step, error),
        `WhatsApp reply ${itemId} to '${name}' may have been sent: Enter was pressed, but ${error.message}; check the chat before sending it again`,
        { cause: error },
      );
    }
    throw new ReplyNotConfirmed(
      { chat: name, itemId, step: "confirm", evidence: { problems: ["stopped from outside"] } },
      `WhatsApp reply ${itemId} to '${name}' may have been sent: it was stopped after Enter was pressed, before it was seen sent; check the chat before sending it again`,
      { cause: error },
    );
  }
}

/** Empties the composer of a draft left in it, so only the approved text is sent. */
async function emptyComposer(composer: Locator): Promise<void> {
  if ((await composerText(composer)).trim() === "") return;
  await composer.fill("");
  if ((await composerText(composer)).trim() !== "") {
    throw new Error("The composer holds a draft that could not be removed");
  }
}

/** The composer's text as a person sees it. */
async function composerText(composer: Locator): Promise<string> {
  return shownText(
    await composer.evaluate((element) =>
      (element as { innerText?: string }).innerText ?? element.textContent ?? ""
    ),
  );
}

/**
 * Throws when the composer does not hold exactly `text` (line breaks at the end aside: an
 * editable box may show one more); a wrong text is removed first so nobody sends it.
 */
async function expectComposerHolds(composer: Locator, text: string): Promise<void> {
  const held = await composerText(composer);
  if (held.replace(/\n+$/, "") === shownText(text).replace(/\n+$/, "")) return;
  await composer.fill("").catch(() => {});
  throw new Error(
    `The composer holds ${preview(held)} instead of the approved text ${preview(text)}`,
  );
}

/** A sent message as the page shows it. */
interface SentBubble {
  id: string | null;
  text: string;
  status: string | null;
}

/** The messages the owner sent in the open conversation, oldest first. */
async function sentMessages(page: Page, context: WaitContext): Promise<SentBubble[]> {
  const conversation = await findPart(page, S.conversation, "the open conversation", context);
  const selector = await pickSelector(
    conversation.locator,
    S.outgoingMessage,
    "a sent message",
    context.log,
  );
  if (selector === undefined) return [];
  return await conversation.locator.locator(selector).evaluateAll(
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
      return elements.map((bubble) => {
        const text = pick(bubble, parts.text);
        return {
          id: bubble.getAttribute(parts.idAttribute),
          text: text ? (text as { innerText?: string }).innerText ?? text.textContent ?? "" : "",
          status: pick(bubble, parts.status)?.getAttribute(parts.statusAttribute) ?? null,
        };
      });
    },
    {
      text: S.messageText,
      status: S.messageStatus,
      idAttribute: WHATSAPP_ATTRIBUTES.messageId,
      statusAttribute: WHATSAPP_ATTRIBUTES.status,
    },
  );
}

function ids(bubbles: readonly SentBubble[]): string[] {
  return bubbles.flatMap((bubble) => bubble.id ? [bubble.id] : []);
}

/**
 * Waits for a sent message that was not there before Enter, holding exactly `text`, with a
 * confirmed mark; returns its id. The error on time-out says what was seen instead.
 */
async function waitForSent(
  page: Page,
  text: string,
  before: ReadonlySet<string>,
  context: WaitContext,
): Promise<string> {
  const wanted = shownText(text).trim();
  let lastStatus: string | null | undefined;
  const found = await poll(async () => {
    const fresh = (await sentMessages(page, context)).filter((bubble) =>
      bubble.id !== null && !before.has(bubble.id) && shownText(bubble.text).trim() === wanted
    );
    const confirmed = fresh.find((bubble) => CONFIRMED_STATUSES.includes(bubble.status ?? ""));
    lastStatus = fresh.at(-1)?.status;
    return confirmed?.id ?? undefined;
  }, context);
  if (found !== undefined) return found;
  throw new Error(
    lastStatus === undefined
      ? `no new sent message with the reply's text appeared within ${context.timeoutMs} ms`
      : `the reply shows in the chat but is still marked '${
        lastStatus ?? "nothing"
      }' after ${context.timeoutMs} ms, not ${CONFIRMED_STATUSES.join(" or ")}`,
  );
}

/** A text for an error message: quoted, at most 80 characters. */
function preview(text: string): string {
  const shown = text.length > 80 ? `${text.slice(0, 77)}…` : text;
  return JSON.stringify(shown);
}
