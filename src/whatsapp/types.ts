import type { BrowserLog } from "../browser/mod.ts";

/** A chat to open: by its name as the chat list shows it, and its id when known. */
export interface ChatRef {
  /** The chat's name, matched exactly (spaces at the ends aside): "Ana" never opens "Ana Lima". */
  name: string;
  /** The chat's id (from {@linkcode UnreadChat}); when given, a row must carry it too. */
  chatId?: string;
}

/** A chat with unread messages, as the chat list shows it. */
export interface UnreadChat {
  /** The chat's stable id (its name when the page shows no id). */
  chatId: string;
  /** The chat's name. */
  name: string;
  /** How many messages are unread (1 for a chat marked unread without a number). */
  unread: number;
}

/** A message the owner received. Everything in it came from the page: it is untrusted. */
export interface WhatsAppMessage {
  /** The message's stable id, from the page; the same message always has the same id. */
  id: string;
  /** The chat it is in, by name. */
  chat: string;
  /** Who wrote it: the member's name in a group, the chat's name otherwise. */
  sender: string;
  /** When it was sent, as the page gives it (ISO 8601 in the imitation); `""` when not shown. */
  time: string;
  /** Its text; `""` for media without a caption. */
  text: string;
  /** True when a photo, video, voice note or file was attached. */
  hasMedia: boolean;
}

/** How a WhatsApp function runs its browser steps. */
export interface WhatsAppStepOptions {
  /** Where a failed step leaves its screenshot and HTML: the vault's `Logs/browser/`. */
  evidenceDir: string;
  /** The item the steps work for, naming the evidence files. @default "whatsapp" */
  itemId?: string;
  /** How long each step may take. @default 20000 */
  timeoutMs?: number;
  /** A stop from outside (shutdown): the wait ends with the signal's reason. */
  signal?: AbortSignal;
  /** Where a warning goes when a fallback selector was needed. @default nowhere */
  log?: BrowserLog;
  /** The clock: stamps evidence files and `sentAt`. @default () => new Date() */
  now?: () => Date;
}

/** {@linkcode WhatsAppStepOptions} with their defaults filled in. */
export type ResolvedStepOptions =
  & Required<Omit<WhatsAppStepOptions, "signal">>
  & Pick<WhatsAppStepOptions, "signal">;

/** The default of {@linkcode WhatsAppStepOptions.timeoutMs}: WhatsApp Web loads slowly. */
export const DEFAULT_STEP_TIMEOUT_MS = 20_000;

/** Fills in the defaults of {@linkcode WhatsAppStepOptions}. */
export function resolveStepOptions(options: WhatsAppStepOptions): ResolvedStepOptions {
  return {
    evidenceDir: options.evidenceDir,
    itemId: options.itemId ?? "whatsapp",
    timeoutMs: options.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS,
    signal: options.signal,
    log: options.log ?? (() => {}),
    now: options.now ?? (() => new Date()),
  };
}
