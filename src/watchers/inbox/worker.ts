/** Worker entry of the inbox watcher; runs with read and write on the vault only. */
import { serveComponent } from "../../supervisor/mod.ts";
import { vaultLayout } from "../../vault/mod.ts";
import { createInboxWatcher } from "./inbox.ts";
import type { InboxWorkerInit } from "./worker_init.ts";

serveComponent<InboxWorkerInit>(async ({ init, signal, send, log }) => {
  const watcher = createInboxWatcher({
    layout: vaultLayout(init.vault),
    settleMs: init.settleMs,
    maxFileMb: init.maxFileMb,
    previewChars: init.previewChars,
    log,
    activity: (text, counter) => send({ kind: "activity", text, counter }),
    record: (entry) => send({ kind: "audit", entry }),
    alert: (text) => send({ kind: "alert", text }),
  });
  if (init.once) return { notes: await watcher.sweep() };
  send({ kind: "ready" });
  await watcher.run(signal);
});
