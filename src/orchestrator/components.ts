import { isAbsolute, join } from "node:path";
import type { Config, ExternalWatcherConfig, RestartSettings } from "../config/mod.ts";
import {
  NeedsOwner,
  type RestartKind,
  type RestartPolicy,
  type SubprocessComponent,
} from "../supervisor/mod.ts";
import { EXECUTOR_WORKER, type ExecutorWorkerInit } from "../executor/mod.ts";
import {
  GMAIL_AUTH_COMMAND,
  GmailAuthError,
  type GmailCredentials,
  readGmailCredentials,
} from "../gmail/mod.ts";
import {
  gmailWatcherPermissions,
  vaultComponentPermissions,
  whatsappWatcherPermissions,
} from "../sandbox/mod.ts";
import { SecretError, type SecretStore } from "../secrets/mod.ts";
import type { VaultLayout } from "../vault/mod.ts";
import {
  GMAIL_WORKER,
  type GmailWorkerInit,
  INBOX_WORKER,
  type InboxWorkerInit,
  WHATSAPP_WORKER,
  type WhatsAppWorkerInit,
} from "../watchers/mod.ts";

/** The built-in components that run as Workers. */
export type WorkerId = "inbox" | "gmail" | "whatsapp" | "executor";

/** A component the orchestrator will supervise. */
export type PlannedComponent =
  | { id: WorkerId; description: string; kind: "worker" }
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
  if (config.gmail.enabled && !noWatchers) {
    list.push({ id: "gmail", description: "Gmail watcher", kind: "worker" });
  }
  if (config.whatsapp.enabled && !noWatchers) {
    list.push({ id: "whatsapp", description: "WhatsApp watcher", kind: "worker" });
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
  init: InboxWorkerInit | GmailWorkerInit | WhatsAppWorkerInit | ExecutorWorkerInit;
}

/** What {@linkcode workerOf} plans a Worker with. */
export interface WorkerContext {
  /** The vault. */
  layout: VaultLayout;
  /** The settings. */
  config: Config;
  /** `--once`: one sweep, then the Worker ends. */
  once: boolean;
  /** Where the Gmail watcher's credentials are read. @default none: the watcher is paused */
  secrets?: SecretStore;
  /**
   * The browser the WhatsApp watcher drives, found in the main thread (`findBrowser`); or why
   * none was found, with the fix. @default none: the watcher is paused
   */
  browser?: { executable: string } | { missing: string };
}

/**
 * How a built-in component runs as a Worker: the one place its module and permissions meet.
 * The Gmail watcher's credentials are read here from `secrets`, in the main thread, and go to the
 * Worker in its start data; when they are missing or unreadable this throws
 * {@linkcode NeedsOwner} naming `aiemp auth gmail`, so the watcher is paused, not restarted.
 * Likewise the WhatsApp watcher without a browser (`context.browser`) is paused with the fix.
 */
export function workerOf(id: WorkerId, context: WorkerContext): WorkerPlan {
  const { layout, config, once, secrets } = context;
  if (id === "whatsapp") return whatsappWorkerOf(context);
  if (id === "gmail") {
    const { gmail } = config;
    const endpoints = { apiRoot: gmail.api_root, tokenUri: gmail.token_uri };
    return {
      module: GMAIL_WORKER,
      permissions: gmailWatcherPermissions(layout, endpoints),
      init: {
        vault: layout.root,
        credentials: gmailCredentialsOf(secrets),
        ...endpoints,
        settings: {
          query: gmail.query,
          maxPerCheck: gmail.max_per_check,
          afterNote: gmail.after_note,
          label: gmail.label,
          maxAttachmentMb: gmail.max_attachment_mb,
          checkIntervalMs: gmail.check_interval_s * 1000,
        },
        once,
      },
    };
  }
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

/** The WhatsApp watcher's Worker: its browser, its profile's places, what to take. */
function whatsappWorkerOf({ layout, config, once, browser }: WorkerContext): WorkerPlan {
  if (!browser || !("executable" in browser)) {
    throw new NeedsOwner(
      browser?.missing ?? "The WhatsApp watcher needs a browser, and none was looked for",
    );
  }
  const { whatsapp } = config;
  const init: WhatsAppWorkerInit = {
    vault: layout.root,
    executable: browser.executable,
    url: whatsapp.url,
    headless: config.browser.headless,
    stepTimeoutMs: config.browser.step_timeout_s * 1000,
    keystroke: { minMs: config.browser.keystroke_ms.min, maxMs: config.browser.keystroke_ms.max },
    settings: {
      checkIntervalMs: whatsapp.check_interval_s * 1000,
      urgentKeywords: whatsapp.urgent_keywords,
      vipContacts: whatsapp.vip_contacts,
      maxChatsPerCheck: whatsapp.max_chats_per_check,
    },
    once,
  };
  return {
    module: WHATSAPP_WORKER,
    permissions: whatsappWatcherPermissions(layout, browser.executable),
    init,
  };
}

/** The owner's Gmail credentials from the secrets; what keeps them out is the owner's to fix. */
function gmailCredentialsOf(secrets: SecretStore | undefined): GmailCredentials {
  try {
    if (!secrets) {
      throw new GmailAuthError(
        `Gmail is not set up: no secrets given; run '${GMAIL_AUTH_COMMAND}'`,
      );
    }
    return readGmailCredentials(secrets);
  } catch (error) {
    if (error instanceof GmailAuthError) throw new NeedsOwner(error.message);
    if (error instanceof SecretError) {
      throw new NeedsOwner(
        `Cannot read Gmail's credentials: ${error.message} (or store them again with '${GMAIL_AUTH_COMMAND}')`,
      );
    }
    throw error;
  }
}
