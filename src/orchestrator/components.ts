import { isAbsolute, join } from "node:path";
import type { Config, ExternalWatcherConfig, RestartSettings } from "../config/mod.ts";
import type { RestartKind, RestartPolicy, SubprocessComponent } from "../supervisor/mod.ts";
import { EXECUTOR_WORKER, type ExecutorWorkerInit } from "../executor/mod.ts";
import { vaultComponentPermissions } from "../sandbox/mod.ts";
import type { VaultLayout } from "../vault/mod.ts";
import { INBOX_WORKER, type InboxWorkerInit } from "../watchers/mod.ts";

/** A component the orchestrator will supervise. */
export type PlannedComponent =
  | { id: "inbox" | "executor"; description: string; kind: "worker" }
  | { id: string; description: string; kind: "subprocess"; watcher: ExternalWatcherConfig };

/**
 * The components to run for these settings, in start order: the built-in workers that are
 * enabled, then the enabled external watchers. `--no-watchers` leaves out every watcher.
 */
export function plannedComponents(config: Config, noWatchers: boolean): PlannedComponent[] {
  const list: PlannedComponent[] = [];
  if (config.inbox.enabled && !noWatchers) {
    list.push({ id: "inbox", description: "Inbox watcher", kind: "worker" });
  }
  if (config.approvals.enabled) {
    list.push({ id: "executor", description: "Approval executor", kind: "worker" });
  }
  if (!noWatchers) {
    for (const watcher of config.watchers.filter((w) => w.enabled)) {
      list.push({
        id: watcher.name,
        description: `Watcher ${watcher.name}`,
        kind: "subprocess",
        watcher,
      });
    }
  }
  return list;
}

/**
 * The restart policy (milliseconds) of settings given in seconds; only the settings present are
 * returned, so a watcher's overrides can be laid over the supervisor's.
 *
 * @example
 * ```ts
 * restartPolicyOf({ backoff_initial_s: 1 }); // { initialDelayMs: 1000 }
 * ```
 */
export function restartPolicyOf(settings: Partial<RestartSettings>): Partial<RestartPolicy> {
  const ms = (seconds: number | undefined) => seconds === undefined ? undefined : seconds * 1000;
  const policy: Partial<RestartPolicy> = {
    initialDelayMs: ms(settings.backoff_initial_s),
    maxDelayMs: ms(settings.backoff_max_s),
    stableAfterMs: ms(settings.stable_after_s),
    maxRestarts: settings.max_restarts,
    periodMs: ms(settings.restart_period_s),
  };
  return Object.fromEntries(Object.entries(policy).filter(([, value]) => value !== undefined));
}

/** How a component is restarted: `--once` runs everything a single time. */
export function restartKindOf(component: PlannedComponent, once: boolean): RestartKind {
  if (once) return "temporary";
  return component.kind === "subprocess" ? component.watcher.restart : "permanent";
}

/** Where an external watcher runs and writes: its log, PID file and heartbeat file in the vault. */
export function subprocessOf(
  watcher: ExternalWatcherConfig,
  layout: VaultLayout,
  log: SubprocessComponent["log"],
): SubprocessComponent {
  const cwd = watcher.cwd === undefined
    ? layout.root
    : isAbsolute(watcher.cwd)
    ? watcher.cwd
    : join(layout.root, watcher.cwd);
  return {
    name: watcher.name,
    command: watcher.command,
    args: watcher.args,
    env: { AIEMP_VAULT: layout.root, ...watcher.env },
    cwd,
    logFile: join(layout.folder("Logs"), `${watcher.name}.log`),
    pidFile: join(layout.internal, "pids", `${watcher.name}.json`),
    heartbeatFile: watcher.heartbeat_timeout_s === undefined
      ? undefined
      : join(layout.internal, "heartbeats", watcher.name),
    heartbeatTimeoutMs: watcher.heartbeat_timeout_s === undefined
      ? undefined
      : watcher.heartbeat_timeout_s * 1000,
    graceMs: watcher.grace_s * 1000,
    log,
  };
}

/** A built-in component's Worker: its module, its permissions, and what it is started with. */
export interface WorkerPlan {
  /** The Worker's entry module. */
  module: URL;
  /** Its permissions, from the one table in src/sandbox/. */
  permissions: Deno.PermissionOptionsObject;
  /** What it is started with. */
  init: InboxWorkerInit | ExecutorWorkerInit;
}

/** How a built-in component runs as a Worker: the one place its module and permissions meet. */
export function workerOf(
  id: "inbox" | "executor",
  layout: VaultLayout,
  config: Config,
  once: boolean,
): WorkerPlan {
  const permissions = vaultComponentPermissions(id, layout);
  if (id === "inbox") {
    return {
      module: INBOX_WORKER,
      permissions,
      init: {
        vault: layout.root,
        settleMs: config.inbox.settle_ms,
        maxFileMb: config.inbox.max_file_mb,
        previewChars: config.inbox.preview_chars,
        once,
      },
    };
  }
  return {
    module: EXECUTOR_WORKER,
    permissions,
    init: {
      vault: layout.root,
      maxRetries: config.approvals.max_retries,
      retryDelayMs: config.approvals.retry_delay_s * 1000,
      settleMs: config.approvals.settle_ms,
      once,
    },
  };
}
