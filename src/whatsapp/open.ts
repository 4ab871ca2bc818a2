import type { Page } from "playwright-core";
import { openProfile, runStep } from "../browser/mod.ts";
import { stepOf } from "./_page.ts";
import { resolveStepOptions, type WhatsAppStepOptions } from "./types.ts";

/** Where and how {@linkcode openWhatsAppWeb} opens WhatsApp Web. */
export interface OpenWhatsAppOptions extends WhatsAppStepOptions {
  /** The browser program (see `findBrowser`). */
  executable: string;
  /** The WhatsApp profile (see `browserPaths(…, "whatsapp")`). */
  profileDir: string;
  /** The profile's PID file. */
  pidFile: string;
  /** WhatsApp Web's address (the setting `whatsapp.url`). */
  url: string;
  /** Without a window. @default true */
  headless?: boolean;
}

/** WhatsApp Web open in the profile's browser; `close()` closes the browser. */
export interface OpenWhatsApp {
  /** The page at WhatsApp Web's address (loaded; the app may still be starting). */
  readonly page: Page;
  /** Closes the browser and lets go of the profile. Harmless to call twice. */
  close(): Promise<void>;
}

/**
 * Starts the browser on the WhatsApp profile and loads WhatsApp Web (step `open_page`, with a
 * screenshot and the HTML when it fails). Throws `ProfileBusy` when another part of aiemp has
 * the profile's browser open (nothing was started), `BrowserStartError` when the browser does
 * not start, `BrowserStepError` when the page does not load. The caller closes what it gets.
 *
 * @example
 * ```ts
 * const whatsapp = await openWhatsAppWeb({ executable, ...browserPaths(internal, "whatsapp"), url, evidenceDir });
 * try { await sessionState(whatsapp.page, { evidenceDir }); } finally { await whatsapp.close(); }
 * ```
 */
export async function openWhatsAppWeb(options: OpenWhatsAppOptions): Promise<OpenWhatsApp> {
  const resolved = resolveStepOptions(options);
  const browser = await openProfile({
    executable: options.executable,
    profileDir: options.profileDir,
    pidFile: options.pidFile,
    headless: options.headless ?? true,
    log: resolved.log,
  });
  try {
    const page = await browser.page();
    await runStep(page, stepOf(resolved, "open_page"), async () => {
      await page.goto(options.url, {
        waitUntil: "domcontentloaded",
        timeout: resolved.timeoutMs,
      });
    });
    return { page, close: () => browser.close() };
  } catch (error) {
    await browser.close();
    throw error;
  }
}
