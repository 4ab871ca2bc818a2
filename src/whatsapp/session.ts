import type { Page } from "playwright-core";
import { BrowserStepError, runStep, type SessionState, type StepEvidence } from "../browser/mod.ts";
import { stepOf, waitForApp, waitWithin } from "./_page.ts";
import { resolveStepOptions, type WhatsAppStepOptions } from "./types.ts";

/** What {@linkcode sessionState} saw. */
export interface SessionCheck {
  /** `logged_in`: the chats are shown; `logged_out`: the QR code is; `broken`: neither in time. */
  state: SessionState;
  /** Why, in a few words, when not logged in (for `sessionHealth`'s `detail`). */
  detail?: string;
  /** The step that failed, for `broken`: `session`. */
  step?: string;
  /** The screenshot and HTML of the page, for `broken`. */
  evidence?: StepEvidence;
}

/** The `detail` of a logged-out session. */
export const LOGGED_OUT_DETAIL = "WhatsApp Web shows the QR code to link a device";

/**
 * The state of the WhatsApp Web session on `page` (already at WhatsApp Web's address): waits up
 * to `timeoutMs` for the chat list (`logged_in`) or the QR code (`logged_out`). When neither
 * shows in time the session is `broken` (a changed page, a page that does not load), with the
 * screenshot and HTML the step `session` saved. Only a stop from outside throws.
 *
 * @example
 * ```ts
 * const check = await sessionState(page, { evidenceDir, timeoutMs: 30_000 });
 * const health = sessionHealth("whatsapp", check.state, new Date(), check.detail);
 * ```
 */
export async function sessionState(
  page: Page,
  options: WhatsAppStepOptions,
): Promise<SessionCheck> {
  const resolved = resolveStepOptions(options);
  try {
    const state = await runStep(
      page,
      stepOf(resolved, "session"),
      (signal) =>
        waitForApp(page, { timeoutMs: waitWithin(resolved.timeoutMs), signal, log: resolved.log }),
    );
    return state === "logged_out" ? { state, detail: LOGGED_OUT_DETAIL } : { state };
  } catch (error) {
    if (!(error instanceof BrowserStepError)) throw error;
    return {
      state: "broken",
      detail: error.message,
      step: error.step,
      evidence: error.evidence,
    };
  }
}
