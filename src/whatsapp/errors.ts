import type { StepEvidence } from "../browser/mod.ts";

/**
 * WhatsApp Web shows its QR code instead of the chats: the session was logged out (on the phone,
 * or it expired). The channel pauses until the owner runs `aiemp login whatsapp`.
 */
export class WhatsAppLoggedOut extends Error {
  /** Always `"WhatsAppLoggedOut"`, for logs and stack traces. */
  override readonly name = "WhatsAppLoggedOut";

  /** A logged-out session, seen while doing `doing` (e.g. "opening the chat 'Ana'"). */
  constructor(doing: string) {
    super(
      `WhatsApp Web shows its QR code while ${doing}: the session is logged out; run aiemp login whatsapp`,
    );
  }
}

/** No chat of that name in the chat list nor in the search results. */
export class ChatNotFound extends Error {
  /** Always `"ChatNotFound"`, for logs and stack traces. */
  override readonly name = "ChatNotFound";
}

/** What both reply errors tell about the failed step. */
interface ReplyFailure {
  /** The chat the reply was for. */
  chat: string;
  /** The approval the reply was for. */
  itemId: string;
  /** The step that failed: `open_chat`, `type`, `send` or `confirm`. */
  step: string;
  /** The screenshot and HTML saved when it failed (none when stopped from outside). */
  evidence: StepEvidence;
}

/** What both reply failures carry: the chat, the approval, the step that failed, its evidence. */
export abstract class ReplyFailed extends Error {
  /** Whether the reply may be in the chat. */
  abstract readonly mayHaveBeenSent: boolean;
  /** The chat the reply was for. */
  readonly chat: string;
  /** The approval the reply was for. */
  readonly itemId: string;
  /** The step that failed. */
  readonly step: string;
  /** The screenshot and HTML of the failure. */
  readonly evidence: StepEvidence;

  /** A failed reply; `options.cause` is the step's error. */
  constructor(failure: ReplyFailure, message: string, options?: ErrorOptions) {
    super(message, options);
    this.chat = failure.chat;
    this.itemId = failure.itemId;
    this.step = failure.step;
    this.evidence = failure.evidence;
  }
}

/**
 * The reply was NOT sent: a step failed before Enter was pressed (the chat could not be opened,
 * the text could not be typed exactly; `step` is `open_chat` or `type`). Safe to try again.
 */
export class ReplyNotSent extends ReplyFailed {
  /** Always `"ReplyNotSent"`, for logs and stack traces. */
  override readonly name = "ReplyNotSent";
  /** Always false: nothing was sent. */
  readonly mayHaveBeenSent = false;
  /** True when the cause is a logged-out session (the channel pauses; see {@linkcode isLoggedOut}). */
  readonly loggedOut: boolean;

  /** A reply not sent; `options.cause` is the step's error. */
  constructor(failure: ReplyFailure, message: string, options?: ErrorOptions) {
    super(failure, message, options);
    this.loggedOut = isLoggedOut(options?.cause);
  }
}

/**
 * Enter was pressed but the reply was not seen as sent in time (`step` is `send` or `confirm`):
 * it MAY HAVE BEEN SENT. Never retried by itself: a person checks the chat (at-most-once).
 */
export class ReplyNotConfirmed extends ReplyFailed {
  /** Always `"ReplyNotConfirmed"`, for logs and stack traces. */
  override readonly name = "ReplyNotConfirmed";
  /** Always true: the reply may be in the chat. */
  readonly mayHaveBeenSent = true;
}

/**
 * True when `error`, or any error in its `cause` chain (a `BrowserStepError` wraps the step's
 * own error), is a {@linkcode WhatsAppLoggedOut}: the channel pauses instead of retrying.
 *
 * @example
 * ```ts
 * try { await readUnreadChats(page, options); }
 * catch (error) { if (isLoggedOut(error)) return pause("run aiemp login whatsapp"); throw error; }
 * ```
 */
export function isLoggedOut(error: unknown): boolean {
  for (let at = error, depth = 0; at !== undefined && depth < 10; depth++) {
    if (at instanceof WhatsAppLoggedOut) return true;
    if (at instanceof ReplyNotSent) return at.loggedOut;
    at = at instanceof Error ? at.cause : undefined;
  }
  return false;
}
