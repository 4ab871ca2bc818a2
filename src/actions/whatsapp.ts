/**
 * `whatsapp_reply`: an approved reply typed into a WhatsApp chat through WhatsApp Web, in the
 * browser of the vault's WhatsApp profile, and confirmed as sent.
 *
 * Only the light part is here: this module is loaded by the main thread and the executor's
 * Worker (through the registry). The run's own entry (`runs/whatsapp.ts`) brings the browser
 * work (`_whatsapp_reply.ts`); playwright-core loads there, when the browser is opened.
 * @module
 */
import { browserPlacesOf } from "../sandbox/mod.ts";
import { vaultLayout } from "../vault/mod.ts";
import { contentSection, textField } from "./_email_input.ts";
import {
  ActionInputError,
  type ActionResult,
  type ActionSettings,
  type ActionType,
  type ApprovedItem,
  type PreparedAction,
} from "./types.ts";

/** What a run is handed: everything it needs, since its Worker reads nothing of the vault. */
export interface WhatsAppReplyRequest {
  /** The approval's id: names the evidence files and the errors. */
  itemId: string;
  /** The chat's name, exactly as WhatsApp shows it. */
  chat: string;
  /** The approved text, typed exactly. */
  text: string;
  /** WhatsApp Web's address. */
  url: string;
  /** The browser program. */
  executable: string;
  /** The WhatsApp profile. */
  profileDir: string;
  /** The profile's PID file. */
  pidFile: string;
  /** Where failed steps leave a screenshot and the HTML: `Logs/browser/`. */
  evidenceDir: string;
  /** Without a window. */
  headless: boolean;
  /** How long each browser step may take. */
  stepTimeoutMs: number;
  /** Between keystrokes. */
  keystroke: { minMs: number; maxMs: number };
  /** Between opening the chat, typing and sending. */
  action: { minMs: number; maxMs: number };
}

/** How long the browser may take to start, as `openProfile` allows. */
const LAUNCH_MS = 30_000;
/** The browser steps of a reply: open the page, open the chat, type, send, confirm, and spare. */
const STEPS = 6;

/**
 * `whatsapp_reply`: front matter `chat` (the chat's name exactly as WhatsApp shows it) and the
 * reply's exact text in `text:` or under the note's `## Content` heading. Not idempotent:
 * WhatsApp has no idempotency key, so a reply that may have gone out goes back to the owner
 * ("may have been sent") and is never sent again by aiemp. Paced by the `whatsapp` rate limit.
 */
export const whatsappReplyAction: ActionType = {
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
  const text = replyText(fields, item.body);
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
    ...places,
    headless: browser.headless,
    stepTimeoutMs: browser.stepTimeoutMs,
    keystroke: browser.keystroke,
    action: browser.action,
  };
  // Typing is paced like a person's, so a long reply needs more than the usual action time.
  const typed = Array.from(chat + text).length;
  return {
    hosts: [],
    readable: [],
    browser: places,
    pace: "whatsapp",
    minTimeoutMs: LAUNCH_MS + STEPS * browser.stepTimeoutMs + typed * browser.keystroke.maxMs +
      STEPS * browser.action.maxMs,
    summary: { via: "WhatsApp Web", chat, text },
    request,
  };
}

/** The reply's exact text: `text:`, else the `## Content` section; blank ends dropped. */
function replyText(fields: Record<string, unknown>, body: string): string {
  const given = fields.text;
  let text: string;
  if (given !== undefined && given !== null) {
    if (typeof given !== "string") {
      throw new ActionInputError("'text' must be the reply's text, as text");
    }
    text = given;
  } else {
    const content = contentSection(body);
    if (content === undefined) {
      throw new ActionInputError(
        "a WhatsApp reply needs its exact text: write it under '## Content' in the note, or in 'text:'",
      );
    }
    text = content;
  }
  // WhatsApp drops blank space at the ends of a message; inside, the text stays as approved.
  const trimmed = text.trim();
  if (trimmed === "") {
    throw new ActionInputError(
      "the WhatsApp reply is empty: write its text under '## Content' in the note, or in 'text:'",
    );
  }
  return trimmed;
}
