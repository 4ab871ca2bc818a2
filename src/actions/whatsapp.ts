/**
 * `whatsapp_reply`: an approved reply typed into a WhatsApp chat through WhatsApp Web, in the
 * browser of the vault's WhatsApp profile, and confirmed as sent.
 *
 * Only the light part is here: this module is loaded by the main thread and the executor's
 * Worker (through the registry). The run's own entry (`runs/whatsapp.ts`) brings the browser
 * work (`_whatsapp_reply.ts`); playwright-core loads there, when the browser is opened.
 * @module
 */
import type { BrowserRun } from "../browser/mod.ts";
import { browserPlacesOf } from "../sandbox/mod.ts";
import { vaultLayout } from "../vault/mod.ts";
import { browserRunOf, browserRunTimeoutMs } from "./_browser_run.ts";
import { exactText, textField } from "./_email_input.ts";
import {
  ActionInputError,
  type ActionResult,
  type ActionSettings,
  type ActionType,
  type ApprovedItem,
  type PreparedAction,
} from "./types.ts";

/** What a run is handed: everything it needs, since its Worker reads nothing of the vault. */
export interface WhatsAppReplyRequest extends BrowserRun {
  /** The approval's id: names the evidence files and the errors. */
  itemId: string;
  /** The chat's name, exactly as WhatsApp shows it. */
  chat: string;
  /** The approved text, typed exactly. */
  text: string;
  /** WhatsApp Web's address. */
  url: string;
}

/** The browser steps of a reply: open the page, open the chat, type, send, confirm, and spare. */
const STEPS = 6;

/**
 * `whatsapp_reply`: front matter `chat` (the chat's name exactly as WhatsApp shows it) and the
 * reply's exact text in `text:` or under the note's `## Content` heading. Not idempotent:
 * WhatsApp has no idempotency key, so a reply that may have gone out goes back to the owner
 * ("may have been sent") and is never sent again by aiemp. Paced by the `whatsapp` rate limit.
 */
export const whatsappReplyAction: ActionType<PreparedAction> = {
  name: "whatsapp_reply",
  prefixes: ["WHATSAPP_"],
  idempotent: () => false,
  prepare: prepareReply,
  // The run's entry module gives the real perform; this one loads it when used elsewhere.
  perform: async (request, signal): Promise<ActionResult> => {
    const { sendWhatsAppReply } = await import("./_whatsapp_reply.ts");
    return await sendWhatsAppReply(request as WhatsAppReplyRequest, signal);
  },
};

function prepareReply(item: ApprovedItem, settings: ActionSettings): PreparedAction {
  const fields = item.frontMatter;
  const chat = textField(fields, "chat");
  if (chat === undefined) {
    throw new ActionInputError(
      "a WhatsApp reply needs 'chat: NAME' in its front matter: the chat's name exactly as WhatsApp shows it",
    );
  }
  // WhatsApp drops blank space at the ends of a message; inside, the text stays as approved.
  const text = exactText(fields, item.body, "WhatsApp reply");
  if (!settings.vault) {
    throw new ActionInputError(
      "a WhatsApp reply needs the vault's browser profile; run it through 'aiemp start'",
    );
  }
  if (!settings.whatsapp?.url) {
    throw new ActionInputError("a WhatsApp reply needs whatsapp.url; run it through 'aiemp start'");
  }
  const browser = settings.browser;
  if (!browser?.executable) {
    throw new ActionInputError(
      browser?.missing ?? "a WhatsApp reply needs a browser; run it through 'aiemp start'",
    );
  }
  const places = browserPlacesOf(vaultLayout(settings.vault), "whatsapp", browser.executable);
  const request: WhatsAppReplyRequest = {
    itemId: item.id,
    chat,
    text,
    url: settings.whatsapp.url,
    ...browserRunOf(places, browser),
  };
  return {
    hosts: [],
    readable: [],
    browser: places,
    pace: "whatsapp",
    minTimeoutMs: browserRunTimeoutMs(request, STEPS, chat + text),
    summary: { via: "WhatsApp Web", chat, text },
    request,
  };
}
