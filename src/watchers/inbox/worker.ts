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
  // Up means able to take a drop: Inbox/ exists again (the owner may have removed it).
  await Deno.mkdir(vaultLayout(init.vault).folder("Inbox"), { recursive: true });
  send({ kind: "ready" });
  await watcher.run(signal);
});
