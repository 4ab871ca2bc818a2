import { hostname } from "node:os";
import type { ActionSettings, ApprovedItem } from "../actions/mod.ts";
import { type AuditEntry, createAuditLog } from "../audit/mod.ts";
import { type Config, type Environment, loadConfig } from "../config/mod.ts";
import { executeApproved, EXECUTOR_WORKER, type ExecutorWorkerInit } from "../executor/mod.ts";
import { vaultComponentPermissions } from "../sandbox/mod.ts";
import { dueTasks, type ScheduledTask, type TaskResult } from "../scheduler/mod.ts";
import {
  type ChildSpec,
  type ComponentMessage,
  type ComponentReport,
  createSupervisor,
  runWorkerComponent,
} from "../supervisor/mod.ts";
import {
  acquireVaultLock,
  exists,
  initVault,
  isVault,
  type VaultLayout,
  vaultLayout,
} from "../vault/mod.ts";
import { INBOX_WORKER, type InboxWorkerInit } from "../watchers/mod.ts";
import { countItems, StatusBoard } from "./board.ts";
import { setupLogging } from "./logging.ts";
import { serveRequests } from "./requests.ts";
import { runScheduledTask } from "./run_task.ts";
import { loadVaultSchedules } from "./schedules.ts";
import { lastRunsOf, readState } from "./state.ts";
import { VERSION } from "./version.ts";

/** How `aiemp start` runs. */
export interface StartOptions {
  /** The environment, read once by the caller (`DRY_RUN` among others). */
  env: Environment;
  /** One sweep of every component and due schedule, then stop. @default false */
  once?: boolean;
  /** Contact nothing outside; record what would be sent. @default false (or DRY_RUN) */
  dryRun?: boolean;
  /** Start no watchers (the executor and schedules still run). @default false */
  noWatchers?: boolean;
  /** Overrides `log.format` of aiemp.yaml (`--log-format`). @default undefined (the file's) */
  logFormat?: "text" | "json";
  /** Where start-up and shutdown lines go (stdout). */
  print?: (line: string) => void;
  /** The clock. @default () => new Date() */
  now?: () => Date;
}

/** What `aiemp start --once` reports. */
export interface SweepSummary {
  /** The vault's root folder. */
  vault: string;
  /** Whether the sweep ran in dry-run mode. */
  dry_run: boolean;
  /** By component id: what it reported (e.g. `{ notes: 2 }`), or the error that stopped it. */
  components: Record<string, Record<string, unknown> | { error: string }>;
  /** The scheduled tasks that were due and ran, with their results. */
  schedules: ({ name: string } & TaskResult)[];
  /** Items per vault folder after the sweep. */
  counts: Record<string, number>;
}

/** A line the owner must act on before aiemp can start. */
export class StartError extends Error {
  /** Always `"StartError"`, for logs and stack traces. */
  override name = "StartError";
}

/**
 * Runs the orchestrator on a vault until it is told to stop (SIGINT, SIGTERM, `aiemp stop`, or a
 * `.claude_stop` file), then shuts down gracefully: no new work, the action in flight finishes or
 * is recorded as interrupted, workers stop, the Dashboard says "System Offline", the lock is
 * released. With `once`, it sweeps once and returns a summary instead.
 */
export async function startOrchestrator(
  vaultPath: string,
  options: StartOptions,
): Promise<SweepSummary | undefined> {
  const print = options.print ?? ((line: string) => console.log(line));
  const now = options.now ?? (() => new Date());
  const once = options.once ?? false;
  const layout = vaultLayout(vaultPath);
  const say = once ? () => {} : print;

  if (!(await isVault(layout.root))) {
    const report = await initVault(layout.root);
    say(`No vault at ${layout.root}: created one (${report.created.length} files and folders).`);
  }
  if (await exists(layout.stopFile)) {
    throw new StartError(
      `Emergency stop is on: ${layout.stopFile} exists. Remove it to let aiemp start again.`,
    );
  }
  const config = loadConfig(
    await Deno.readTextFile(layout.config).catch(() => undefined),
    options.env,
    { dryRun: options.dryRun, logFormat: options.logFormat },
    layout.config,
  );
  const schedules = await loadVaultSchedules(layout);
  const lock = await acquireVaultLock(layout.lock, layout.root, {
    pid: Deno.pid,
    started: now().toISOString(),
    hostname: hostname(),
  });
  const components = componentsToRun(config, options.noWatchers ?? false);
  const logging = await setupLogging({
    logsDir: layout.folder("Logs"),
    format: config.log.format,
    level: config.log.level,
    components: components.map((c) => c.id),
  });
  const log = logging.system;
  try {
    if (lock.takenOverFrom) {
      log.warn(
        `Took over the lock left by PID ${lock.takenOverFrom.pid}, which is no longer running`,
      );
    }
    const board = new StatusBoard(layout, config, await readState(layout.state), now);
    Object.assign(board.state, {
      online: true,
      pid: Deno.pid,
      started: now().toISOString(),
      dry_run: config.dry_run,
      components: [],
    });
    const run = new Orchestrator(layout, config, board, logging, schedules, now);
    say("=".repeat(60));
    say(`aiemp ${VERSION} — AI Employee orchestrator`);
    say("=".repeat(60));
    say(`Vault path: ${layout.root}`);
    say(`Dry run: ${config.dry_run ? "on — nothing will be sent" : "off"}`);
    say("");
    return await run.start(components, { once, say });
  } finally {
    await logging.close().catch(() => {});
    lock.release();
  }
}

type ComponentId = "inbox" | "executor";

function componentsToRun(config: Config, noWatchers: boolean) {
  const list: { id: ComponentId; description: string }[] = [];
  if (config.inbox.enabled && !noWatchers) list.push({ id: "inbox", description: "Inbox watcher" });
  if (config.approvals.enabled) list.push({ id: "executor", description: "Approval executor" });
  return list;
}

class Orchestrator {
  readonly #shutdown = new AbortController();
  /** Aborted when an action still running must be cut off (the end of the shutdown window). */
  readonly #cutOff = new AbortController();
  readonly #audit;
  readonly #summaries: SweepSummary["components"] = {};
  #stopReason = "";

  constructor(
    readonly layout: VaultLayout,
    readonly config: Config,
    readonly board: StatusBoard,
    readonly logging: Awaited<ReturnType<typeof setupLogging>>,
    readonly schedules: ScheduledTask[],
    readonly now: () => Date,
  ) {
    this.#audit = createAuditLog(layout.audit, now);
  }

  get #log() {
    return this.logging.system;
  }

  async start(
    components: { id: ComponentId; description: string }[],
    { once, say }: { once: boolean; say: (line: string) => void },
  ): Promise<SweepSummary | undefined> {
    const started = new Set<string>();
    const supervisor = createSupervisor(
      components.map((c) => this.#childSpec(c.id, c.description, once)),
      {
        restartDelayMs: this.config.supervisor.restart_delay_s * 1000,
        now: this.now,
        log: (level, message) => this.#log[level === "warning" ? "warn" : level](message),
        onChange: (status) => {
          this.board.setComponents(supervisor.status());
          if (status.state === "running" && !started.has(status.id)) {
            started.add(status.id);
            say(`Started ${status.description} (worker in PID ${Deno.pid})`);
            if (started.size === components.length) {
              say(
                `Scheduler: ${
                  this.schedules.filter((t) => t.enabled).length
                } of ${this.schedules.length} schedules enabled`,
              );
              say("");
              say("=".repeat(60));
              say("All components started. Press Ctrl+C to stop.");
              say("=".repeat(60));
              this.#log.info("System Online: all components active");
              this.board.addActivity("System Online: all components active");
            }
          }
        },
      },
    );
    this.board.setComponents(supervisor.status());
    await this.board.flush();

    if (once) {
      await supervisor.run(this.#shutdown.signal);
      const results = await this.#runDueSchedules();
      this.board.state.online = false;
      this.board.addActivity("Swept once (--once)");
      await this.board.flush();
      return {
        vault: this.layout.root,
        dry_run: this.config.dry_run,
        components: this.#summaries,
        schedules: results,
        counts: await countItems(this.layout),
      };
    }

    const stopListeners = this.#listenForStop();
    const supervised = supervisor.run(this.#shutdown.signal);
    const background = [
      this.#scheduleLoop(),
      this.#watchStopFile(),
      serveRequests(
        this.layout.requests,
        (request) => this.#answer(request),
        this.#shutdown.signal,
      ),
    ].map((task) =>
      task.catch((error) => this.#log.error(`${error instanceof Error ? error.message : error}`))
    );
    await new Promise<void>((resolve) =>
      this.#shutdown.signal.addEventListener("abort", () => resolve(), { once: true })
    );

    say(`${this.#stopReason}, initiating graceful shutdown...`);
    this.#log.info(`${this.#stopReason}: shutting down`);
    say("Shutting down all components...");
    const windowMs = this.config.supervisor.shutdown_timeout_s * 1000;
    const cutOffTimer = setTimeout(() => this.#cutOff.abort(), Math.max(windowMs - 1500, 500));
    await Promise.race([
      Promise.all([supervised, ...background]),
      new Promise((resolve) => setTimeout(resolve, windowMs)),
    ]);
    clearTimeout(cutOffTimer);
    stopListeners();
    this.board.state.online = false;
    this.board.setComponents(supervisor.status());
    this.board.addActivity("System Offline: orchestrator stopped");
    await this.board.flush();
    this.#log.info("System Offline: orchestrator stopped");
    say("All components stopped");
    return undefined;
  }

  #childSpec(id: ComponentId, description: string, once: boolean): ChildSpec {
    const logger = this.logging.component(id);
    const init = id === "inbox"
      ? {
        vault: this.layout.root,
        settleMs: this.config.inbox.settle_ms,
        maxFileMb: this.config.inbox.max_file_mb,
        previewChars: this.config.inbox.preview_chars,
        once,
      } satisfies InboxWorkerInit
      : {
        vault: this.layout.root,
        maxRetries: this.config.approvals.max_retries,
        retryDelayMs: this.config.approvals.retry_delay_s * 1000,
        settleMs: this.config.approvals.settle_ms,
        once,
      } satisfies ExecutorWorkerInit;
    return {
      id,
      description,
      restart: once ? "temporary" : "permanent",
      start: (signal, ready) => {
        if (once) ready();
        return runWorkerComponent({
          module: id === "inbox" ? INBOX_WORKER : EXECUTOR_WORKER,
          permissions: vaultComponentPermissions(this.layout.root),
          init,
          shutdownMs: this.config.supervisor.shutdown_timeout_s * 1000 - 250,
          onMessage: (message, reply) =>
            this.#onComponentMessage(id, message, reply, ready, logger),
        }, signal).catch((error) => {
          this.#summaries[id] = { error: error instanceof Error ? error.message : String(error) };
          throw error;
        });
      },
    };
  }

  #onComponentMessage(
    id: ComponentId,
    message: ComponentReport | ComponentMessage,
    reply: (message: ComponentMessage) => void,
    ready: () => void,
    logger: ReturnType<Awaited<ReturnType<typeof setupLogging>>["component"]>,
  ): void {
    switch (message.kind) {
      case "ready":
        return ready();
      case "log": {
        const { level, message: text } = message as Extract<ComponentReport, { kind: "log" }>;
        logger[level === "warning" ? "warn" : level](text);
        return;
      }
      case "activity":
        return this.board.addActivity(String(message.text));
      case "exited":
        this.#summaries[id] = (message.summary as Record<string, unknown>) ?? {};
        return;
      case "audit":
        this.#audit.append(message.entry as AuditEntry).catch((error) =>
          this.#log.error(`Cannot write the audit log: ${error}`)
        );
        return;
      case "execute":
        this.#execute(message.item as ApprovedItem, message.attempt as number).then((outcome) =>
          reply({ kind: "executed", ticket: message.ticket, outcome })
        );
        return;
    }
  }

  async #execute(item: ApprovedItem, attempt: number) {
    const settings: ActionSettings = {
      webhooks: this.config.webhooks,
      userAgent: `aiemp/${VERSION}`,
    };
    try {
      return await executeApproved(item, attempt, {
        settings,
        audit: this.#audit,
        dryRun: this.config.dry_run,
        timeoutMs: this.config.approvals.action_timeout_s * 1000,
        signal: this.#cutOff.signal,
      });
    } catch (error) {
      const reason = `cannot execute: ${error instanceof Error ? error.message : error}`;
      this.#log.error(`${item.fileName}: ${reason}`);
      return { ok: false as const, retryable: false, reason };
    }
  }

  async #runDueSchedules(): Promise<({ name: string } & TaskResult)[]> {
    const results: ({ name: string } & TaskResult)[] = [];
    if (!this.config.scheduler.enabled) return results;
    const lastRuns = lastRunsOf(this.board.state);
    for (const task of dueTasks(this.schedules, lastRuns, this.now())) {
      if (this.#shutdown.signal.aborted && results.length > 0) break;
      this.#log.info(`Running scheduled task ${task.name}`);
      const result = await runScheduledTask(task, {
        layout: this.layout,
        config: this.config,
        board: this.board,
        dryRun: this.config.dry_run,
        now: this.now(),
        signal: this.#cutOff.signal,
      });
      this.#log[result.ok ? "info" : "warn"](`Scheduled task ${task.name}: ${result.summary}`);
      results.push({ name: task.name, ...result });
    }
    return results;
  }

  async #scheduleLoop(): Promise<void> {
    const signal = this.#shutdown.signal;
    while (!signal.aborted) {
      await this.#runDueSchedules();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.config.scheduler.tick_s * 1000);
        signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
      });
    }
  }

  async #answer(request: { kind: string; name: string; dryRun: boolean }): Promise<unknown> {
    const task = this.schedules.find((t) => t.name === request.name);
    if (request.kind !== "trigger" || !task) {
      return { ok: false, summary: `no schedule named '${request.name}'` };
    }
    this.#log.info(`Running ${task.name} on request (aiemp trigger)`);
    return await runScheduledTask(task, {
      layout: this.layout,
      config: this.config,
      board: this.board,
      dryRun: request.dryRun || this.config.dry_run,
      now: this.now(),
      signal: this.#cutOff.signal,
    });
  }

  #stop(reason: string): void {
    if (this.#shutdown.signal.aborted) return;
    this.#stopReason = reason;
    this.#shutdown.abort();
  }

  #listenForStop(): () => void {
    const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
    const handlers = signals.map((name) => {
      const handler = () => this.#stop(`Received ${name}`);
      Deno.addSignalListener(name, handler);
      return () => Deno.removeSignalListener(name, handler);
    });
    return () => handlers.forEach((remove) => remove());
  }

  async #watchStopFile(): Promise<void> {
    const watcher = Deno.watchFs(this.layout.root, { recursive: false });
    this.#shutdown.signal.addEventListener("abort", () => watcher.close(), { once: true });
    try {
      for await (const event of watcher) {
        if (event.paths.includes(this.layout.stopFile) && await exists(this.layout.stopFile)) {
          this.#stop("Found the stop file .claude_stop");
        }
      }
    } catch (error) {
      if (!this.#shutdown.signal.aborted) throw error;
    }
  }
}
