/**
 * Worker entry of the Gmail watcher; runs with its vault folders, Google's OAuth and Gmail hosts
 * and the environment variables Google's libraries read (`gmailWatcherPermissions`).
 */
import { GmailAuthError, loadGmailClient } from "../../gmail/mod.ts";
import { NeedsOwner, serveComponent } from "../../supervisor/mod.ts";
import { vaultLayout } from "../../vault/mod.ts";
import { createGmailWatcher } from "./gmail_watcher.ts";
import type { GmailWorkerInit } from "./worker_init.ts";

serveComponent<GmailWorkerInit>(async ({ init, signal, send, log }) => {
  const { createGmailClient } = await loadGmailClient();
  let client;
  try {
    client = createGmailClient({
      ...init.credentials,
      apiRoot: init.apiRoot,
      tokenUri: init.tokenUri,
      signal,
      onRetry: ({ operation, attempt, delayMs, error }) =>
        log(
          "debug",
          `Gmail ${operation} attempt ${attempt} failed (${error.message}); again in ${delayMs} ms`,
        ),
    });
  } catch (error) {
    if (!(error instanceof GmailAuthError)) throw error;
    throw new NeedsOwner(error.message); // it names `aiemp auth gmail`
  }
  const watcher = createGmailWatcher({
    layout: vaultLayout(init.vault),
    client,
    settings: init.settings,
    log,
    activity: (text, counter) => send({ kind: "activity", text, counter }),
    record: (entry) => send({ kind: "audit", entry }),
    alert: (text) => send({ kind: "alert", text }),
    resolveLabel: (name) => client.labelIdOf(name),
  });
  if (init.once) {
    const check = await watcher.check(signal);
    return check.ok ? { notes: check.notes } : { notes: check.notes, problem: check.reason };
  }
  send({ kind: "ready" });
  await watcher.run(signal);
});
