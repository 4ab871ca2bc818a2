/**
 * Worker entry of the approval executor (the dispatcher); runs with read and write on the vault
 * only. Each attempt is a round trip to the main thread, which runs the action in its own Worker.
 */
import type { ApprovedItem } from "../actions/mod.ts";
import { serveComponent } from "../supervisor/mod.ts";
import { vaultLayout } from "../vault/mod.ts";
import { createDispatcher } from "./dispatcher.ts";
import type { ExecutionOutcome } from "./outcome.ts";
import type { ExecutorWorkerInit } from "./worker_init.ts";

serveComponent<ExecutorWorkerInit>(async ({ init, signal, send, log, onMessage }) => {
  const waiting = new Map<string, (outcome: ExecutionOutcome) => void>();
  onMessage((message) => {
    if (message.kind !== "executed") return;
    waiting.get(message.ticket as string)?.(message.outcome as ExecutionOutcome);
    waiting.delete(message.ticket as string);
  });
  const dispatcher = createDispatcher({
    layout: vaultLayout(init.vault),
    maxRetries: init.maxRetries,
    retryDelayMs: init.retryDelayMs,
    settleMs: init.settleMs,
    execute: (item: ApprovedItem, attempt: number) =>
      new Promise((resolve) => {
        const ticket = crypto.randomUUID();
        waiting.set(ticket, resolve);
        send({ kind: "execute", ticket, item, attempt });
      }),
    record: (entry) => send({ kind: "audit", entry }),
    log,
    activity: (text, counter) => send({ kind: "activity", text, counter }),
    alert: (text) => send({ kind: "alert", text }),
  });
  if (init.once) return { finished: await dispatcher.sweep() };
  send({ kind: "ready" });
  await dispatcher.run(signal);
});
