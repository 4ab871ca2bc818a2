/**
 * Worker entry of the WhatsApp watcher; runs with its vault folders, its browser profile and the
 * browser program (`whatsappWatcherPermissions`). playwright-core loads at the first check.
 */
import { join } from "node:path";
import { browserPaths } from "../../browser/mod.ts";
import { serveComponent } from "../../supervisor/mod.ts";
import { vaultLayout } from "../../vault/mod.ts";
import { pageSessionOpener } from "./_page_session.ts";
import { createWhatsAppWatcher } from "./whatsapp_watcher.ts";
import type { WhatsAppWorkerInit } from "./worker_init.ts";

serveComponent<WhatsAppWorkerInit>(async ({ init, signal, send, log }) => {
  const layout = vaultLayout(init.vault);
  const watcher = createWhatsAppWatcher({
    layout,
    settings: init.settings,
    open: pageSessionOpener({
      executable: init.executable,
      ...browserPaths(layout.internal, "whatsapp"),
      evidenceDir: join(layout.folder("Logs"), "browser"),
      url: init.url,
      headless: init.headless,
      stepTimeoutMs: init.stepTimeoutMs,
      keystroke: init.keystroke,
      log,
    }),
    log,
    activity: (text, counter) => send({ kind: "activity", text, counter }),
    record: (entry) => send({ kind: "audit", entry }),
    alert: (text) => send({ kind: "alert", text }),
    session: (health) => send({ kind: "session", health }),
  });
  if (init.once) {
    const check = await watcher.check(signal);
    return check.ok ? { notes: check.notes } : { notes: check.notes, problem: check.reason };
  }
  send({ kind: "ready" });
  await watcher.run(signal);
});
