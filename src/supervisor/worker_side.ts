import type { ComponentLogLevel, ComponentMessage, ComponentReport } from "./protocol.ts";

/** What a component's body gets: its start data, a stop signal and a way to talk to the main thread. */
export interface ComponentContext<Init> {
  /** The start data the orchestrator sent with the start order. */
  init: Init;
  /** Aborted when the orchestrator asks the component to stop. */
  signal: AbortSignal;
  /** Posts a message to the main thread. */
  send(message: ComponentReport | ComponentMessage): void;
  /** Writes a line to the component's log in the main thread. */
  log(level: ComponentLogLevel, message: string): void;
  /** Other messages from the main thread (component-specific ones). */
  onMessage(handler: (message: ComponentMessage) => void): void;
}

/**
 * Runs inside a Worker: waits for the start order, runs `body` until it returns or the stop order
 * aborts it, then reports `exited`. An error thrown by `body` becomes the worker's error event, which
 * the supervisor sees at once.
 */
export function serveComponent<Init>(
  body: (context: ComponentContext<Init>) => Promise<Record<string, unknown> | void>,
): void {
  const scope = self as unknown as {
    onmessage: ((event: MessageEvent) => void) | null;
    postMessage(message: unknown): void;
  };
  const stop = new AbortController();
  const handlers: ((message: ComponentMessage) => void)[] = [];
  const send = (message: ComponentReport | ComponentMessage) => scope.postMessage(message);
  scope.onmessage = (event) => {
    const message = event.data as ComponentMessage;
    if (message.kind === "start") {
      const context: ComponentContext<Init> = {
        init: message.init as Init,
        signal: stop.signal,
        send,
        log: (level, text) => send({ kind: "log", level, message: text }),
        onMessage: (handler) => handlers.push(handler),
      };
      body(context).then(
        (summary) => send({ kind: "exited", summary: summary ?? undefined }),
        (error) => {
          // The owner must act: said as a message (a class does not cross the Worker boundary).
          if (error instanceof Error && error.name === "NeedsOwner") {
            return send({ kind: "needs_owner", reason: error.message });
          }
          throw error;
        },
      );
    } else if (message.kind === "stop") {
      stop.abort();
    } else if (message.kind === "ping") {
      // Answered from the worker's event loop: a worker stuck in a busy loop never answers.
      send({ kind: "pong", n: message.n });
    } else {
      for (const handler of handlers) handler(message);
    }
  };
}
