/**
 * The body of a WhatsApp reply's run, in its Worker: opens WhatsApp Web in the profile's browser,
 * sends the approved text and says how it ended, in the executor's terms. Loaded by the run's
 * entry (`runs/whatsapp.ts`), never at start-up: it brings the browser layer with it.
 * @module
 */
import { BrowserStartError, BrowserStepError, ProfileBusy } from "../browser/mod.ts";
import {
  ChatNotFound,
  openWhatsAppWeb,
  ReplyNotConfirmed,
  ReplyNotSent,
  sendReply,
} from "../whatsapp/mod.ts";
import type { ActionResult } from "./types.ts";
import type { WhatsAppReplyRequest } from "./whatsapp.ts";

/**
 * How long a reply waits while the WhatsApp watcher has the browser open: asked again then,
 * costing no attempt.
 */
const PROFILE_BUSY_WAIT_MS = 15_000;

/** What fixes a logged-out session. */
const LOGIN_COMMAND = "aiemp login whatsapp";

/**
 * Sends one approved reply. Sent and seen sent: ok, with the sent message's id and the time.
 * Not sent (the browser busy with the watcher's check, the page or a step failing before Enter):
 * retryable — unless the session is logged out (the owner logs in first) or no chat has that
 * name. Enter pressed but not seen sent: `mayHaveActed`, so the owner checks the chat and the
 * reply is never sent again by itself. Each failed step's screenshot and HTML are named.
 */
export async function sendWhatsAppReply(
  request: WhatsAppReplyRequest,
  signal: AbortSignal,
): Promise<ActionResult> {
  const step = {
    evidenceDir: request.evidenceDir,
    itemId: request.itemId,
    timeoutMs: request.stepTimeoutMs,
    signal,
  };
  let whatsapp;
  try {
    whatsapp = await openWhatsAppWeb({
      ...step,
      executable: request.executable,
      profileDir: request.profileDir,
      pidFile: request.pidFile,
      url: request.url,
      headless: request.headless,
    });
  } catch (error) {
    if (error instanceof ProfileBusy) {
      return {
        ok: false,
        retryable: true,
        retryAfterMs: PROFILE_BUSY_WAIT_MS,
        reason:
          "the WhatsApp browser is busy (the WhatsApp watcher is looking for new messages); asked again in 15 s; nothing was sent",
      };
    }
    if (error instanceof BrowserStartError || error instanceof BrowserStepError) {
      return { ok: false, retryable: true, reason: `${error.message}; nothing was sent` };
    }
    throw error;
  }
  try {
    const sent = await sendReply(whatsapp.page, {
      ...step,
      chat: request.chat,
      text: request.text,
      pace: request.keystroke,
      actionPace: request.action,
    });
    return { ok: true, remoteId: sent.messageId, detail: `sent at ${sent.sentAt}` };
  } catch (error) {
    if (error instanceof ReplyNotConfirmed) {
      return { ok: false, retryable: false, mayHaveActed: true, reason: error.message };
    }
    if (!(error instanceof ReplyNotSent)) throw error;
    if (error.loggedOut) {
      const fix = error.message.includes(LOGIN_COMMAND)
        ? "once logged in again, approve it again"
        : `run ${LOGIN_COMMAND}, then approve it again`;
      return { ok: false, retryable: false, reason: `${error.message}; ${fix}` };
    }
    if (causedBy(error, ChatNotFound)) {
      return {
        ok: false,
        retryable: false,
        reason: `${error.message}; correct 'chat:' to the chat's name as WhatsApp shows it`,
      };
    }
    return { ok: false, retryable: true, reason: error.message };
  } finally {
    await whatsapp.close();
  }
}

/** True when `error` or an error in its `cause` chain is a `type`. */
function causedBy(error: unknown, type: abstract new (...args: never[]) => Error): boolean {
  let at: unknown = error;
  for (let depth = 0; at instanceof Error && depth < 10; depth++) {
    if (at instanceof type) return true;
    at = (at as Error).cause;
  }
  return false;
}
