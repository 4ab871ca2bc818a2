import type { HumanPace } from "../../browser/mod.ts";
import type { WhatsAppWatcherSettings } from "./whatsapp_watcher.ts";

/**
 * What the orchestrator sends the WhatsApp watcher's Worker at start. The browser is found in
 * the main thread (the Worker may not search PATH) and comes only this way.
 */
export interface WhatsAppWorkerInit {
  /** The vault's root folder. */
  vault: string;
  /** The browser program (`browser.executable`, or the Chromium found). */
  executable: string;
  /** WhatsApp Web's address (`whatsapp.url`). */
  url: string;
  /** Without a window (`browser.headless`). */
  headless: boolean;
  /** How long each browser step may take (`browser.step_timeout_s`). */
  stepTimeoutMs: number;
  /** Between keystrokes (`browser.keystroke_ms`). */
  keystroke: HumanPace;
  /** What to take. */
  settings: WhatsAppWatcherSettings;
  /** Check once, then exit (`aiemp start --once`). */
  once: boolean;
}
