/**
 * When a child is started again: `permanent` always, `transient` only after a failure,
 * `temporary` never (OTP's restart kinds).
 */
export type RestartKind = "permanent" | "transient" | "temporary";

/** One supervised component, as data. */
export interface ChildSpec {
  /** Unique among the supervisor's children, e.g. `inbox`. */
  id: string;
  /** What the owner sees, e.g. "Inbox watcher". */
  description: string;
  /** Whether the child is started again when it ends. */
  restart: RestartKind;
  /** Runs the child until it ends; calls `ready` once it is up. Rejects when it fails. */
  start(signal: AbortSignal, ready: () => void): Promise<void>;
}

/** Where a child is in its life. */
export type ChildState = "starting" | "running" | "restarting" | "stopped" | "exited" | "failed";

/** What the Dashboard and `aiemp status` show about one child. */
export interface ChildStatus {
  /** The child's id from its spec. */
  id: string;
  /** What the owner sees, e.g. "Inbox watcher". */
  description: string;
  /** Where the child is in its life. */
  state: ChildState;
  /** When it entered that state (ISO 8601). */
  since: string;
  /** How many times it has been restarted. */
  restarts: number;
  /** Why it last failed, if it did. */
  lastError?: string;
}

/** What the supervisor needs from the outside world. */
export interface SupervisorOptions {
  /** Wait between a failure and the restart. @default 2000 */
  restartDelayMs?: number;
  /** The clock, for `since`. @default () => new Date() */
  now?: () => Date;
  /** Where restart notices go. @default discards them */
  log?: (level: "info" | "warning" | "error", message: string) => void;
  /** Called with a child's new status each time it changes. */
  onChange?: (status: ChildStatus) => void;
}

/** Runs children side by side, restarting them by their restart kind after a fixed delay. */
export interface Supervisor {
  /** Starts every child and supervises it; resolves once all have stopped (`signal` stops them). */
  run(signal: AbortSignal): Promise<void>;
  /** The current status of each child, in spec order. */
  status(): ChildStatus[];
}

/**
 * Creates a supervisor for `children`. A failing child never stops the others.
 *
 * @example
 * ```ts
 * const supervisor = createSupervisor([inboxSpec, executorSpec], { restartDelayMs: 2000 });
 * await supervisor.run(shutdown.signal); // returns when every child has stopped
 * ```
 */
export function createSupervisor(
  children: ChildSpec[],
  options: SupervisorOptions = {},
): Supervisor {
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => {});
  const delayMs = options.restartDelayMs ?? 2000;
  const statuses = new Map<string, ChildStatus>(
    children.map((child) => [child.id, {
      id: child.id,
      description: child.description,
      state: "stopped",
      since: now().toISOString(),
      restarts: 0,
    }]),
  );
  const set = (id: string, change: Partial<ChildStatus>) => {
    const status = { ...statuses.get(id)!, ...change, since: now().toISOString() };
    statuses.set(id, status);
    options.onChange?.(status);
  };

  async function supervise(child: ChildSpec, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const restarts = statuses.get(child.id)!.restarts;
      set(child.id, { state: "starting" });
      let failure: unknown;
      try {
        await child.start(signal, () => {
          set(child.id, { state: "running" });
          if (restarts > 0) {
            log("info", `${child.description} restarted successfully (restart #${restarts})`);
          }
        });
      } catch (error) {
        failure = error;
      }
      if (signal.aborted) break;
      const again = child.restart === "permanent" ||
        (child.restart === "transient" && failure !== undefined);
      if (!again) {
        set(
          child.id,
          failure ? { state: "failed", lastError: message(failure) } : { state: "exited" },
        );
        return;
      }
      const reason = failure ? `has died (${message(failure)})` : "has exited";
      log("warning", `${child.description} ${reason}, restarting...`);
      set(child.id, {
        state: "restarting",
        restarts: restarts + 1,
        lastError: failure ? message(failure) : undefined,
      });
      log("info", `Waiting ${delayMs / 1000}s before restart...`);
      await wait(delayMs, signal);
    }
    set(child.id, { state: "stopped" });
  }

  return {
    run: async (signal) => {
      await Promise.all(children.map((child) => supervise(child, signal)));
    },
    status: () => [...statuses.values()],
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
