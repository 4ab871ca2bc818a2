/**
 * The WhatsApp watcher's link to the real page: the profile's browser opened for one check, and
 * a reader over src/whatsapp's page functions. Private to the watcher's Worker.
 * @module
 */
import { type BrowserLog, type HumanPace, ProfileBusy } from "../../browser/mod.ts";
import {
  currentChat,
  openWhatsAppWeb,
  readNewMessages,
  readUnreadChats,
  sessionState,
} from "../../whatsapp/mod.ts";
import type { OpenWhatsAppSession } from "./whatsapp_watcher.ts";

/** Where the watcher's browser runs and how its steps are paced and timed. */
export interface PageSessionOptions {
  /** The browser program. */
  executable: string;
  /** The WhatsApp profile. */
  profileDir: string;
  /** The profile's PID file. */
  pidFile: string;
  /** Where failed steps leave a screenshot and the HTML: the vault's `Logs/browser/`. */
  evidenceDir: string;
  /** WhatsApp Web's address. */
  url: string;
  /** Without a window. */
  headless: boolean;
  /** How long each step may take. */
  stepTimeoutMs: number;
  /** Between keystrokes, when a chat must be searched for. */
  keystroke: HumanPace;
  /** Where warnings of fallback selectors and a stopped leftover go. */
  log: BrowserLog;
}

/**
 * Opens WhatsApp Web for each check: `"busy"` while an approved reply's run has the profile.
 * The steps of a check are named after the channel (`whatsapp-read_chats-….png`).
 */
export function pageSessionOpener(options: PageSessionOptions): OpenWhatsAppSession {
  return async (signal) => {
    const step = {
      evidenceDir: options.evidenceDir,
      itemId: "whatsapp",
      timeoutMs: options.stepTimeoutMs,
      signal,
      log: options.log,
    };
    let opened;
    try {
      opened = await openWhatsAppWeb({
        ...step,
        executable: options.executable,
        profileDir: options.profileDir,
        pidFile: options.pidFile,
        url: options.url,
        headless: options.headless,
      });
    } catch (error) {
      if (error instanceof ProfileBusy) return "busy";
      throw error;
    }
    const { page } = opened;
    return {
      reader: {
        session: () => sessionState(page, step),
        unreadChats: (limit) => readUnreadChats(page, { ...step, limit }),
        currentChat: () => currentChat(page),
        messages: (chat, limit) =>
          readNewMessages(page, chat, { ...step, limit, pace: options.keystroke }),
      },
      close: opened.close,
    };
  };
}
