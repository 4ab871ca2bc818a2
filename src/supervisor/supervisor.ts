import { NeedsOwner } from "./protocol.ts";
import {
  DEFAULT_RESTART_POLICY,
  nextRestart,
  type RestartHistory,
  type RestartPolicy,
} from "./restart_policy.ts";

/**
 * When a child is started again: `permanent` always, `transient` only after a failure,
 * `temporary` never (OTP's restart kinds). `aiemp restart NAME` starts any of them again.
 */
export type RestartKind = "permanent" | "transient" | "temporary";

/** What a child's run gets from the supervisor. */
export interface ChildRun {
  /** Aborted to stop this run: at shutdown, for a manual restart, or when a health check fails. */
  signal: AbortSignal;
  /** Tells the supervisor the child is up. */
  ready(): void;
  /** Registers the health check of this run: resolves to a reason when the child is not alive. */
  setProbe(probe: () => Promise<string | undefined>): void;
}

/** One supervised component, as data. */
export interface ChildSpec {
  /** Unique name, as in `aiemp restart NAME`. */
  id: string;
  /** What the owner sees, e.g. "Inbox watcher". */
  description: string;
  /** Whether it is started again after it ends. */
  restart: RestartKind;
  /** Overrides of the supervisor's restart policy for this child. @default the supervisor's */
  policy?: Partial<RestartPolicy>;
  /** Runs the child until it ends; rejects when it fails. */
  start(run: ChildRun): Promise<void>;
}

/** Where a child is in its life. */
export type ChildState =
  | "starting"
  | "running"
  | "restarting"
  | "paused"
  | "stopped"
  | "exited"
  | "failed";

/** What the Dashboard and `aiemp status` show about one child; kept in `.aiemp/state.json`. */
export interface ChildStatus {
  /** The child's name. */
  id: string;
  /** What the owner sees. */
  description: string;
  /** Where it is now. */
  state: ChildState;
  /** When it entered that state (ISO 8601). */
  since: string;
  /** Restarts since the vault was set up. */
  restarts: number;
  /** Restarts on `restartsDay` (the local date, YYYY-MM-DD). */
  restartsToday?: number;
  /** The local date `restartsToday` counts. */
  restartsDay?: string;
  /** When the current or last run started. */
  lastStart?: string;
  /** When the last run ended. */
  lastExit?: string;
  /** Why the last run ended, when it failed. */
  lastError?: string;
  /** Recent restarts and the failure streak, for the backoff and the crash-loop guard. */
  history?: RestartHistory;
}

/** What the supervisor needs from the outside world. */
export interface SupervisorOptions {
  /** The restart policy of every child (each may override it). @default DEFAULT_RESTART_POLICY */
  policy?: Partial<RestartPolicy>;
  /** How often running children are health-checked. @default 30000 */
  healthCheckMs?: number;
  /** How long a health check may take before the child counts as hung. @default 5000 */
  probeTimeoutMs?: number;
  /**
   * Whether a child that ended (and is not restarted by its kind) waits for `restart(id)`;
   * false for a one-shot run such as `aiemp start --once`, which returns when all have ended.
   * @default true
   */
  awaitRestarts?: boolean;
  /** Statuses saved by a previous run: restart counts, history and pauses carry over. */
  previous?: ChildStatus[];
  /** The clock. @default () => new Date() */
  now?: () => Date;
  /** Where the supervisor's lines go ("has died, restarting…"). */
  log?: (level: "info" | "warning" | "error", message: string) => void;
  /** Called on every change of a child's status. */
  onChange?: (status: ChildStatus) => void;
  /** Called when a child is paused by the crash-loop guard, with the reason for the owner. */
  onPause?: (status: ChildStatus, reason: string) => void;
}

/** Runs children side by side with restart policies; a failing or paused child never blocks others. */
export interface Supervisor {
  /** Runs every child until `signal` aborts and all of them have stopped. */
  run(signal: AbortSignal): Promise<void>;
  /** The status of each child. */
  status(): ChildStatus[];
  /**
   * Resumes a paused (or ended) child, or restarts a running one now, with a fresh backoff.
   * Returns false when there is no child of that name.
   */
  restart(id: string): boolean;
}

/** Why a run was stopped by the supervisor itself. */
class StopReason {
  constructor(readonly kind: "manual" | "hung", readonly detail = "") {}
}

/**
 * Creates a supervisor for `children`: a child that fails is restarted after an exponential
 * backoff (2, 4, 8… s, capped), reset by a stable run; more than `maxRestarts` restarts within
 * `periodMs` pause it until `restart(id)`. A health check catches children that hang.
 *
 * @example
 * ```ts
 * const supervisor = createSupervisor([inboxSpec, executorSpec], { healthCheckMs: 30_000 });
 * await supervisor.run(shutdown.signal); // returns when every child has stopped
 * ```
 */
export function createSupervisor(
  children: ChildSpec[],
  options: SupervisorOptions = {},
): Supervisor {
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => {});
  const previous = new Map((options.previous ?? []).map((s) => [s.id, s]));
  const statuses = new Map<string, ChildStatus>();
  const runs = new Map<
    string,
    { controller: AbortController; probe?: () => Promise<string | undefined> }
  >();
  const wakers = new Map<string, () => void>();
  /** Wake-ups that came while the child was not waiting yet; its next wait ends at once. */
  const pendingWakes = new Set<string>();
  for (const child of children) {
    const before = previous.get(child.id);
    statuses.set(child.id, {
      id: child.id,
      description: child.description,
      state: before?.state === "paused" ? "paused" : "stopped",
      since: before?.state === "paused" ? before.since : now().toISOString(),
      restarts: before?.restarts ?? 0,
      restartsToday: before?.restartsToday,
      restartsDay: before?.restartsDay,
      lastStart: before?.lastStart,
      lastExit: before?.lastExit,
      lastError: before?.lastError,
      history: before?.history,
    });
  }
  const set = (id: string, change: Partial<ChildStatus>) => {
    const status = { ...statuses.get(id)!, ...change, since: now().toISOString() };
    statuses.set(id, status);
    options.onChange?.(status);
    return status;
  };
  /** Waits until `restart(id)` wakes the child, `ms` pass, or `signal` aborts. */
  const sleep = (id: string, ms: number, signal: AbortSignal) =>
    new Promise<"woken" | "elapsed" | "aborted">((resolve) => {
      if (signal.aborted) return resolve("aborted");
      if (pendingWakes.delete(id)) return resolve("woken");
      const timer = Number.isFinite(ms) ? setTimeout(() => done("elapsed"), ms) : undefined;
      const onAbort = () => done("aborted");
      signal.addEventListener("abort", onAbort, { once: true });
      wakers.set(id, () => done("woken"));
      function done(how: "woken" | "elapsed" | "aborted") {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        wakers.delete(id);
        resolve(how);
      }
    });

  async function supervise(child: ChildSpec, signal: AbortSignal): Promise<void> {
    const policy = { ...DEFAULT_RESTART_POLICY, ...options.policy, ...child.policy };
    if (statuses.get(child.id)!.state === "paused") {
      log(
        "warning",
        `${child.description} is paused (it was when aiemp stopped); 'aiemp restart ${child.id}' resumes it`,
      );
      if (await sleep(child.id, Infinity, signal) === "aborted") return;
      set(child.id, { history: { restarts: [], streak: 0 } });
    }
    let isRestart = false;
    while (!signal.aborted) {
      const controller = new AbortController();
      const stopRun = () => controller.abort();
      signal.addEventListener("abort", stopRun, { once: true });
      runs.set(child.id, { controller });
      const startedAt = now().getTime();
      set(child.id, { state: "starting", lastStart: new Date(startedAt).toISOString() });
      const restartNumber = statuses.get(child.id)!.restarts;
      let failure: unknown;
      try {
        await child.start({
          signal: controller.signal,
          ready: () => {
            if (isRestart) {
              log(
                "info",
                `${child.description} restarted successfully (restart #${restartNumber})`,
              );
            }
            set(child.id, { state: "running" });
          },
          setProbe: (probe) => {
            const current = runs.get(child.id);
            if (current?.controller === controller) current.probe = probe;
          },
        });
      } catch (error) {
        failure = error;
      }
      signal.removeEventListener("abort", stopRun);
      runs.delete(child.id);
      if (signal.aborted) break;
      const reason = controller.signal.reason;
      if (reason instanceof StopReason && reason.kind === "manual") {
        log("info", `Restarting ${child.description} on request`);
        set(child.id, {
          state: "restarting",
          lastExit: now().toISOString(),
          history: { restarts: [], streak: 0 },
        });
        isRestart = false;
        continue;
      }
      if (reason instanceof StopReason && reason.kind === "hung") {
        failure = new Error(reason.detail);
      }
      const ended = now().getTime();
      const lastError = failure === undefined ? undefined : message(failure);
      set(child.id, { lastExit: new Date(ended).toISOString(), lastError });
      const again = child.restart === "permanent" ||
        (child.restart === "transient" && failure !== undefined);
      if (!again) {
        set(child.id, { state: failure === undefined ? "exited" : "failed" });
        if (options.awaitRestarts === false) return;
        if (await sleep(child.id, Infinity, signal) === "aborted") return;
        isRestart = false;
        continue;
      }
      if (failure instanceof NeedsOwner) {
        const why =
          `${child.description} is paused: ${failure.message}. Then run 'aiemp restart ${child.id}'`;
        log("error", why);
        options.onPause?.(set(child.id, { state: "paused" }), why);
        if (await sleep(child.id, Infinity, signal) === "aborted") return;
        isRestart = false;
        continue;
      }
      const decision = nextRestart(
        statuses.get(child.id)!.history ?? { restarts: [], streak: 0 },
        ended,
        ended - startedAt,
        policy,
      );
      if (decision.action === "pause") {
        const why = `${child.description} failed ${decision.recentRestarts + 1} times within ${
          Math.round(policy.periodMs / 60_000)
        } min${
          lastError ? ` (last error: ${lastError})` : ""
        }; paused. Fix the cause, then run 'aiemp restart ${child.id}'`;
        log("error", why);
        options.onPause?.(set(child.id, { state: "paused", history: decision.history }), why);
        if (await sleep(child.id, Infinity, signal) === "aborted") return;
        set(child.id, { history: { restarts: [], streak: 0 } });
        isRestart = false;
        continue;
      }
      log(
        "warning",
        `${child.description} ${
          failure === undefined ? "has exited" : `has died (${lastError})`
        }, restarting...`,
      );
      log("info", `Waiting ${decision.delayMs / 1000}s before restart...`);
      const today = localDay(now());
      const status = statuses.get(child.id)!;
      set(child.id, {
        state: "restarting",
        restarts: status.restarts + 1,
        restartsToday: status.restartsDay === today ? (status.restartsToday ?? 0) + 1 : 1,
        restartsDay: today,
        history: decision.history,
      });
      if (await sleep(child.id, decision.delayMs, signal) === "aborted") break;
      isRestart = true;
    }
    set(child.id, { state: statuses.get(child.id)!.state === "paused" ? "paused" : "stopped" });
  }

  async function checkHealth(timeoutMs: number) {
    await Promise.all([...runs.entries()].map(async ([id, run]) => {
      if (!run.probe || statuses.get(id)?.state !== "running") return;
      const verdict = await Promise.race([
        run.probe().catch((error) => `its health check failed: ${message(error)}`),
        new Promise<string>((resolve) =>
          setTimeout(
            () => resolve(`it did not answer a health check within ${timeoutMs / 1000}s`),
            timeoutMs,
          )
        ),
      ]);
      if (verdict && runs.get(id) === run) {
        log(
          "warning",
          `${statuses.get(id)!.description} is not responding: ${verdict}; restarting`,
        );
        run.controller.abort(new StopReason("hung", `hung: ${verdict}`));
      }
    }));
  }

  return {
    run: async (signal) => {
      const probeTimeout = options.probeTimeoutMs ?? 5_000;
      const timer = setInterval(() => checkHealth(probeTimeout), options.healthCheckMs ?? 30_000);
      try {
        await Promise.all(children.map((child) => supervise(child, signal)));
      } finally {
        clearInterval(timer);
      }
    },
    status: () => [...statuses.values()],
    restart: (id) => {
      if (!statuses.has(id)) return false;
      const waker = wakers.get(id);
      const run = runs.get(id);
      if (waker) waker();
      else if (run) run.controller.abort(new StopReason("manual"));
      else pendingWakes.add(id);
      return true;
    },
  };
}

/** How many times the child was restarted on `now`'s local date. */
export function restartsToday(status: ChildStatus, now: Date): number {
  return status.restartsDay === localDay(now) ? status.restartsToday ?? 0 : 0;
}

/** The local date as YYYY-MM-DD: what "today" means to the owner. */
function localDay(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
