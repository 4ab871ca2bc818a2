/** Log levels a component may use; the same names as the orchestrator's log. */
export type ComponentLogLevel = "debug" | "info" | "warning" | "error";

/** What every component worker may tell the main thread. */
export type ComponentReport =
  | { kind: "log"; level: ComponentLogLevel; message: string }
  | { kind: "activity"; text: string; counter?: string }
  | { kind: "ready" }
  | { kind: "exited"; summary?: Record<string, unknown> }
  | { kind: "needs_owner"; reason: string }
  | { kind: "pong"; n: number };

/** What the main thread tells every component worker. */
export type ComponentOrder =
  | { kind: "start"; init: unknown }
  | { kind: "stop" }
  | { kind: "ping"; n: number };

/** A message on a component's channel: the common reports and orders, or the component's own. */
export interface ComponentMessage {
  /** What the message is, e.g. `log`, `execute`, `executed`. */
  kind: string;
  /** The message's own data, by kind. */
  [field: string]: unknown;
}

/**
 * Thrown by a component that cannot go on until the owner acts (a revoked token, a logged-out
 * session): it is paused at once with the reason, instead of being restarted into the same wall.
 */
export class NeedsOwner extends Error {
  /** Always `"NeedsOwner"`; how the Worker boundary recognises it. */
  override name = "NeedsOwner";
}
