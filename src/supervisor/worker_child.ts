import { type ComponentMessage, type ComponentReport, NeedsOwner } from "./protocol.ts";

/** How to run one component as a Worker. */
export interface WorkerComponent {
  /** The worker's entry module. */
  module: URL;
  /** Its narrowed permissions (see the sandbox part). */
  permissions: Deno.PermissionOptions;
  /** Sent with the start order. */
  init: unknown;
  /** Called for every message the worker sends; `reply` posts back to it. */
  onMessage(
    message: ComponentReport | ComponentMessage,
    reply: (m: ComponentMessage) => void,
  ): void;
  /** How long a stopping worker may take before it is terminated. @default 5000 */
  shutdownMs?: number;
  /** Receives the health check of this worker (a ping it must answer). @default none */
  setProbe?: (probe: () => Promise<string | undefined>) => void;
}

/** A worker that failed: it threw, or could not start. */
export class ComponentCrash extends Error {
  /** Always `"ComponentCrash"`, for logs and stack traces. */
  override name = "ComponentCrash";
}

/**
 * Runs a component in a fresh Worker until it exits by itself (resolves), fails (rejects with
 * {@linkcode ComponentCrash}), or `signal` asks it to stop: then it gets the stop order and
 * `shutdownMs` to finish before it is terminated.
 */
export function runWorkerComponent(spec: WorkerComponent, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(spec.module, {
      type: "module",
      deno: { permissions: spec.permissions },
    });
    let settled = false;
    let killTimer: ReturnType<typeof setTimeout> | undefined;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      pongs.clear();
      clearTimeout(killTimer);
      signal.removeEventListener("abort", onAbort);
      worker.terminate();
      if (error) reject(error);
      else resolve();
    };
    const reply = (message: ComponentMessage) => worker.postMessage(message);
    const onAbort = () => {
      reply({ kind: "stop" });
      killTimer = setTimeout(() => finish(), spec.shutdownMs ?? 5000);
    };
    const pongs = new Map<number, () => void>();
    spec.setProbe?.(() =>
      new Promise((answered) => {
        const n = pongs.size + 1 + Math.random();
        pongs.set(n, () => answered(undefined));
        reply({ kind: "ping", n });
      })
    );
    worker.onmessage = (event) => {
      const message = event.data as ComponentReport | ComponentMessage;
      if (message.kind === "pong") {
        pongs.get(message.n as number)?.();
        pongs.delete(message.n as number);
        return;
      }
      if (message.kind === "needs_owner") return finish(new NeedsOwner(String(message.reason)));
      try {
        spec.onMessage(message, reply);
      } finally {
        if (message.kind === "exited") finish();
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      // "Uncaught (in promise) Error: boom" → "boom": the owner needs the reason, not the wrapping.
      const reason = (event.message || "the worker failed")
        .replace(/^Uncaught (\(in promise\) )?/, "").replace(/^Error: /, "");
      finish(new ComponentCrash(reason));
    };
    worker.onmessageerror = () =>
      finish(new ComponentCrash("the worker sent a message that cannot be read"));
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    reply({ kind: "start", init: spec.init });
  });
}
