import { aborted, delay } from "../abort/mod.ts";
import { hostname } from "node:os";
import { join, relative } from "node:path";
import type { ApprovedItem, BrowserActionSettings } from "../actions/mod.ts";
import { runAgent } from "../agent/mod.ts";
import { type ApprovalRegistry, createApprovalRegistry } from "../approvals/mod.ts";
import { actingAs, type AuditEntry, createAuditLog } from "../audit/mod.ts";
import type { SessionHealth } from "../browser/mod.ts";
import { type Config, type Environment, loadConfig } from "../config/mod.ts";
import { executeApproved, type ExecutionOutcome } from "../executor/mod.ts";
import { createRateLimiter, type RateLimiter, rateLimitsFrom } from "../pacing/mod.ts";
import { createSecretStore, redactSecrets, redactValue } from "../secrets/mod.ts";
import type { ScheduledTask, Scheduler, TaskResult } from "../scheduler/mod.ts";
import { createTaskLoop, type TaskLoop } from "../tasks/mod.ts";
import {
  type ChildSpec,
  type ComponentMessage,
  type ComponentReport,
  createSupervisor,
  runSubprocessComponent,
  runWorkerComponent,
  type Supervisor,
} from "../supervisor/mod.ts";
import {
  acquireVaultLock,
  exists,
  initVault,
  isVault,
  removeInterruptedWrites,
  storageProblemOf,
  type VaultLayout,
  vaultLayout,
} from "../vault/mod.ts";
import { type ApprovalGate, createApprovalGate } from "./approval_gate.ts";
import { countItems, StatusBoard } from "./board.ts";
import { findChannelBrowser, type FoundBrowser, stopLeftoverBrowsers } from "./browsers.ts";
import {
  type PlannedComponent,
  plannedComponents,
  restartKindOf,
  restartPolicyOf,
  subprocessOf,
  workerOf,
} from "./components.ts";
import { setupLogging } from "./logging.ts";
import { onStopSignals, watchStopFile } from "./stop_requests.ts";
import { type OrchestratorRequest, serveRequests } from "./requests.ts";
import { createVaultScheduler } from "./run_task.ts";
import { loadVaultSchedules } from "./schedules.ts";
import { socialAccountsOf, socialActionSettings, socialTokenSource } from "./social.ts";
import { readState } from "./state.ts";
import { VERSION } from "./version.ts";

/** How often the social accounts' tokens are looked at for the Dashboard. */
const SOCIAL_CHECK_MS = 60 * 60_000;

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
  const components = plannedComponents(config, options.noWatchers ?? false);
  const logging = await setupLogging({
    logsDir: layout.folder("Logs"),
    format: config.log.format,
    level: config.log.level,
    // An external watcher's own output fills Logs/NAME.log; lines about it go to system.log.
    components: components.filter((c) => c.kind === "worker").map((c) => c.id),
  });
  const log = logging.system;
  let run: Orchestrator | undefined;
  // Were the lock file deleted, a second orchestrator could lock a new one: it is put back at once.
  const keeping = new AbortController();
  const kept = lock.keep(keeping.signal, {
    onRecreated: () =>
      log.warn(
        `The lock file ${layout.lock} was deleted or replaced; re-created it and locked it again, so no second aiemp can start on this vault`,
      ),
    onLost: (other) => {
      log.error(
        `The lock file ${layout.lock} was deleted and another aiemp${
          other ? ` (PID ${other.pid})` : ""
        } locked the new one first; stopping this one so that only one runs`,
      );
      run?.stop("Lost the vault's lock");
    },
  });
  try {
    if (lock.takenOverFrom) {
      log.warn(
        `Took over the lock left by PID ${lock.takenOverFrom.pid}, which is no longer running`,
      );
    }
    const leftovers = await removeInterruptedWritesOf(layout);
    if (leftovers.length > 0) {
      log.warn(
        `Removed ${leftovers.length} temporary file(s) of writes a crash interrupted: ${
          leftovers.slice(0, 5).join(", ")
        }${leftovers.length > 5 ? ", …" : ""}`,
      );
    }
    const board = new StatusBoard(layout, config, await readState(layout.state), now);
    board.onWriteProblem = (error) => {
      if (error === undefined) {
        return log.info("Dashboard.md and .aiemp/state.json are written again");
      }
      const problem = storageProblemOf(error);
      log.error(
        `Cannot update Dashboard.md and .aiemp/state.json: ${
          problem ? `${problem.what}; ${problem.fix}` : error
        } (tried again every few seconds)`,
      );
    };
    Object.assign(board.state, {
      online: true,
      pid: Deno.pid,
      started: now().toISOString(),
      dry_run: config.dry_run,
    });
    run = new Orchestrator(layout, config, board, logging, schedules, now, options.env);
    say("=".repeat(60));
    say(`aiemp ${VERSION} — AI Employee orchestrator`);
    say("=".repeat(60));
    say(`Vault path: ${layout.root}`);
    say(`Dry run: ${config.dry_run ? "on — nothing will be sent" : "off"}`);
    say("");
    return await run.start(components, { once, say });
  } finally {
    keeping.abort();
    await kept;
    await logging.close().catch(() => {});
    lock.release();
  }
}

/**
 * Removes the temporary files of atomic writes that a crash interrupted (the files they were
 * replacing are intact), in the folders aiemp writes while it holds the lock. Inbox/ and
 * Approved/ are the owner's: aiemp never writes there.
 */
async function removeInterruptedWritesOf(layout: VaultLayout): Promise<string[]> {
  const folders: [string, string[] | undefined][] = [
    ...(["Needs_Action", "Pending_Approval", "Done", "Rejected", "Briefings"] as const)
      .map((name): [string, undefined] => [layout.folder(name), undefined]),
    [layout.inflight, undefined],
    [layout.internal, ["state.json", "approvals.json", "audit.head.json"]],
    [layout.root, ["Dashboard.md"]],
  ];
  const removed: string[] = [];
  for (const [folder, targets] of folders) {
    for (const name of await removeInterruptedWrites(folder, { targets })) {
      removed.push(relative(layout.root, join(folder, name)));
    }
  }
  return removed;
}

class Orchestrator {
  readonly #shutdown = new AbortController();
  /** Aborted when an action still running must be cut off (the end of the shutdown window). */
  readonly #cutOff = new AbortController();
  readonly #audit;
  readonly #approvals: ApprovalRegistry;
  readonly #gate: ApprovalGate;
  readonly #tasks: TaskLoop | undefined;
  readonly #summaries: SweepSummary["components"] = {};
  /** The rate limits of everything sent on the owner's behalf: one limiter for the process. */
  readonly #limiter: RateLimiter;
  /** The browser found for browser actions (kept once found). */
  #browser: Promise<FoundBrowser> | undefined;
  #stopReason = "";
  #scheduler: Scheduler | undefined;

  constructor(
    readonly layout: VaultLayout,
    readonly config: Config,
    readonly board: StatusBoard,
    readonly logging: Awaited<ReturnType<typeof setupLogging>>,
    readonly schedules: ScheduledTask[],
    readonly now: () => Date,
    readonly env: Environment,
  ) {
    // Every entry is redacted on its way in: a remote's error text may quote a secret.
    this.#audit = createAuditLog(layout.audit, { now, filter: redactValue });
    this.#approvals = createApprovalRegistry({
      layout,
      defaultExpiryHours: config.approvals.default_expiry_hours,
      keywords: config.approval_keywords,
      record: (entry) =>
        this.#audit.append(entry).catch((error) => this.#auditFailed(error, entry)),
      alert: (key, text) => board.setAlert(key, text),
      log: (level, message) => this.#log[level === "warning" ? "warn" : level](message),
      now,
    });
    this.#gate = createApprovalGate(layout, this.#approvals, config.approvals.max_retries);
    this.#tasks = config.tasks.enabled ? this.#taskLoop() : undefined;
    this.#limiter = createRateLimiter({
      file: join(layout.internal, "pacing.json"),
      limits: rateLimitsFrom(config.pacing.rate_limits),
      log: (_, message) => this.#log.warn(message),
    });
  }

  /** The task loop, bound to the agent CLI, the audit log and the Dashboard. */
  #taskLoop(): TaskLoop {
    const { agent } = this.config;
    return createTaskLoop({
      layout: this.layout,
      settings: this.config.tasks,
      approvalKeywords: this.config.approval_keywords,
      dryRun: this.config.dry_run,
      agentCommand: agent.command,
      runAgent: (prompt, options) =>
        runAgent(prompt, {
          command: agent.command,
          args: agent.args,
          cwd: this.layout.root,
          timeoutMs: options.timeoutMs,
          dryRun: this.config.dry_run,
          signal: this.#cutOff.signal,
          onStart: options.onStart,
        }),
      record: (entry) =>
        this.#audit.append(entry).catch((error) => this.#auditFailed(error, entry)),
      alert: (kind, text) => this.board.setAlert(`tasks:${kind}`, text),
      activity: (text) => this.board.addActivity(text),
      log: (level, message) => this.#log[level === "warning" ? "warn" : level](message),
      now: this.now,
    });
  }

  get #log() {
    return this.logging.system;
  }

  async start(
    components: PlannedComponent[],
    { once, say }: { once: boolean; say: (line: string) => void },
  ): Promise<SweepSummary | undefined> {
    const started = new Set<string>();
    let announced = false;
    // The banner comes once every component is up or paused (a pause may date from before).
    const announce = () => {
      const all = supervisor.status();
      if (announced || !all.every((c) => c.state === "running" || c.state === "paused")) return;
      announced = true;
      const paused = all.filter((c) => c.state === "paused").map((c) => c.id);
      say(
        `Scheduler: ${
          this.schedules.filter((t) => t.enabled).length
        } of ${this.schedules.length} schedules enabled`,
      );
      say("");
      say("=".repeat(60));
      if (paused.length === 0) {
        say("All components started. Press Ctrl+C to stop.");
        this.#log.info("System Online: all components active");
        this.board.addActivity("System Online: all components active");
      } else {
        const resume = paused.map((id) => `'aiemp restart ${id}'`).join(", ");
        say(
          `All components started except the paused ${
            paused.join(", ")
          } (${resume} resumes). Press Ctrl+C to stop.`,
        );
        this.#log.warn(`System Online; paused: ${paused.join(", ")}`);
        this.board.addActivity(`System Online; paused: ${paused.join(", ")}`);
      }
      say("=".repeat(60));
    };
    // A browser a crashed aiemp left on one of the vault's profiles goes before anything starts.
    await this.#stopLeftoverBrowsers();
    const wanted = new Set(components.map((c) => c.id));
    const supervisor = createSupervisor(
      components.map((c) => this.#childSpec(c, once)),
      {
        policy: restartPolicyOf(this.config.supervisor),
        healthCheckMs: this.config.supervisor.health_check_s * 1000,
        probeTimeoutMs: this.config.supervisor.ping_timeout_s * 1000,
        previous: this.board.state.components.filter((c) => wanted.has(c.id)),
        awaitRestarts: !once,
        now: this.now,
        log: (level, message) => this.#log[level === "warning" ? "warn" : level](message),
        onPause: (status, why) => this.board.setAlert(`component:${status.id}`, why),
        onChange: (status) => {
          this.board.setComponents(supervisor.status());
          if (status.state === "running") this.board.setAlert(`component:${status.id}`, "");
          if (status.state === "running" && !started.has(status.id)) {
            started.add(status.id);
            const kind = components.find((c) => c.id === status.id)?.kind;
            say(
              `Started ${status.description}${
                kind === "worker" ? ` (worker in PID ${Deno.pid})` : ""
              }`,
            );
          }
          announce();
        },
      },
    );
    this.board.setComponents(supervisor.status());
    await this.board.flush().catch(() => {}); // logged; the components say what is held up

    if (once) {
      if (wanted.has("executor")) await this.#approvals.scan();
      await supervisor.run(this.#shutdown.signal);
      if (this.#tasks) {
        await this.#tasks.recover();
        await this.#tasks.sweep({ wait: true });
      }
      const results = await this.#runDueSchedules();
      await this.#checkSocialAccounts();
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

    const stopListeners = onStopSignals((reason) => this.#stop(reason));
    const supervised = supervisor.run(this.#shutdown.signal);
    announce();
    const background = [
      this.#scheduleLoop(),
      this.#watchSocialAccounts(this.#shutdown.signal),
      ...(this.#tasks ? [this.#tasks.run(this.#shutdown.signal)] : []),
      ...(wanted.has("executor") ? [this.#approvals.run(this.#shutdown.signal)] : []),
      watchStopFile(
        this.layout.root,
        this.layout.stopFile,
        (reason) => this.#stop(reason),
        this.#shutdown.signal,
      ),
      serveRequests(
        this.layout.requests,
        (request) => this.#answer(request, supervisor),
        this.#shutdown.signal,
      ),
    ].map((task) =>
      task.catch((error) => this.#log.error(`${error instanceof Error ? error.message : error}`))
    );
    await aborted(this.#shutdown.signal);

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
    // A component cut off while closing its browser may have left it: none outlives aiemp.
    await this.#stopLeftoverBrowsers();
    this.board.state.online = false;
    this.board.setComponents(supervisor.status());
    this.board.addActivity("System Offline: orchestrator stopped");
    await this.board.flush().catch(() => {}); // logged
    this.#log.info("System Offline: orchestrator stopped");
    say("All components stopped");
    return undefined;
  }

  /** Shows how the social accounts stand on the Dashboard, with an alert for a token to renew. */
  async #checkSocialAccounts(): Promise<void> {
    const secrets = createSecretStore({ dir: this.layout.secrets, env: this.env.secrets });
    this.board.setSocialAccounts(
      await socialAccountsOf(this.layout, this.config, secrets, this.now()),
    );
  }

  /** Checks the social accounts now and every hour, so an expiry is seen days before it bites. */
  async #watchSocialAccounts(signal: AbortSignal): Promise<void> {
    do {
      await this.#checkSocialAccounts().catch((error) =>
        this.#log.warn(`Cannot check the social accounts: ${error}`)
      );
    } while (!await delay(SOCIAL_CHECK_MS, signal));
  }

  async #stopLeftoverBrowsers(): Promise<void> {
    await stopLeftoverBrowsers(
      this.layout,
      (level, message) => this.#log[level === "warning" ? "warn" : level](message),
    );
  }

  /** The browser settings of browser actions, with the browser found (looked for until found). */
  async #browserSettings(): Promise<BrowserActionSettings> {
    const { browser } = this.config;
    this.#browser ??= findChannelBrowser(browser.executable)
      .catch((error) => ({ missing: `Cannot look for the browser: ${error}` }));
    const found = await this.#browser;
    if (!("executable" in found)) this.#browser = undefined; // looked for again next time
    return {
      ...found,
      headless: browser.headless,
      keystroke: { minMs: browser.keystroke_ms.min, maxMs: browser.keystroke_ms.max },
      action: { minMs: browser.action_ms.min, maxMs: browser.action_ms.max },
      stepTimeoutMs: browser.step_timeout_s * 1000,
    };
  }

  #restart(supervisor: Supervisor, name: string): { ok: boolean; summary: string } {
    if (!supervisor.restart(name)) {
      const names = supervisor.status().map((s) => s.id).join(", ");
      return { ok: false, summary: `no component named '${name}' (running: ${names})` };
    }
    this.#log.info(`Restart of ${name} requested (aiemp restart)`);
    return { ok: true, summary: `${name} is restarting` };
  }

  #childSpec(component: PlannedComponent, once: boolean): ChildSpec {
    const { id, description } = component;
    const base = {
      id,
      description,
      restart: restartKindOf(component, once),
    };
    if (component.kind === "subprocess") {
      const spec = subprocessOf(
        component.watcher,
        this.layout,
        (level, message) => this.#log[level === "warning" ? "warn" : level](message),
      );
      return {
        ...base,
        policy: restartPolicyOf(component.watcher),
        start: (run) => runSubprocessComponent({ ...spec, graceMs: once ? 0 : spec.graceMs }, run),
      };
    }
    const logger = this.logging.component(id);
    return {
      ...base,
      start: (run) => {
        if (once) run.ready();
        // Planned at each start: the Gmail watcher's credentials are read from the secrets then
        // (missing ones pause it), so `aiemp restart gmail` after `aiemp auth gmail` uses the new;
        // so is the WhatsApp watcher's browser looked for.
        return (component.id === "whatsapp"
          ? findChannelBrowser(this.config.browser.executable)
          : Promise.resolve(undefined)).then((browser) =>
            runWorkerComponent({
              ...workerOf(component.id, {
                layout: this.layout,
                config: this.config,
                once,
                secrets: createSecretStore({ dir: this.layout.secrets, env: this.env.secrets }),
                browser,
              }),
              shutdownMs: this.config.supervisor.shutdown_timeout_s * 1000 - 250,
              setProbe: run.setProbe,
              onMessage: (message, reply) =>
                this.#onComponentMessage(id, message, reply, run.ready, logger),
            }, run.signal)
          ).catch((error) => {
            this.#summaries[id] = { error: error instanceof Error ? error.message : String(error) };
            throw error;
          });
      },
    };
  }

  #onComponentMessage(
    id: string,
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
        return this.board.addActivity(
          String(message.text),
          message.counter as string | undefined,
        );
      case "alert":
        // Work held up by a full disk or a read-only vault; an empty text clears it.
        return this.board.setAlert(`storage:${id}`, String(message.text ?? ""));
      case "session":
        // A browser channel's session: logged in, logged out or broken.
        return this.board.setSession(message.health as SessionHealth);
      case "exited":
        this.#summaries[id] = (message.summary as Record<string, unknown>) ?? {};
        return;
      case "audit":
        this.#audit.append({
          // The executor is the one built-in Worker that is not a watcher.
          who: id === "executor" ? "executor" : "watcher",
          ...message.entry as AuditEntry,
        }).catch((error) => this.#auditFailed(error, message.entry as AuditEntry));
        return;
      case "execute":
        this.#execute(message.item as ApprovedItem, message.attempt as number).then((outcome) =>
          reply({ kind: "executed", ticket: message.ticket, outcome })
        );
        return;
    }
  }

  async #execute(approved: ApprovedItem, attempt: number): Promise<ExecutionOutcome> {
    const admitted = await this.#gate.admit(approved);
    if ("outcome" in admitted) return admitted.outcome;
    const item = admitted.item;
    const outcome = await this.#performAdmitted(item, attempt);
    await this.#gate.settle(item, attempt, outcome).catch((error) =>
      this.#log.error(`${item.fileName}: cannot update .aiemp/approvals.json: ${error}`)
    );
    return outcome;
  }

  async #performAdmitted(item: ApprovedItem, attempt: number): Promise<ExecutionOutcome> {
    // Secrets are read per item, so a fixed file or a new one counts at the next approval.
    const secrets = createSecretStore({ dir: this.layout.secrets, env: this.env.secrets });
    const { layout, config } = this;
    const settings = {
      webhooks: config.webhooks,
      userAgent: `aiemp/${VERSION}`,
      gmail: { apiRoot: config.gmail.api_root, tokenUri: config.gmail.token_uri },
      vault: layout.root,
      browser: await this.#browserSettings(),
      whatsapp: { url: config.whatsapp.url },
      social: socialActionSettings(config),
      socialToken: socialTokenSource({ layout, config, secrets, dryRun: config.dry_run }),
    };
    try {
      return await executeApproved(item, attempt, {
        settings,
        secrets,
        audit: actingAs(this.#audit, "executor"),
        dryRun: this.config.dry_run,
        timeoutMs: this.config.approvals.action_timeout_s * 1000,
        signal: this.#cutOff.signal,
        onAuditError: (error) => this.#auditFailed(error, { event: "result", id: item.id }),
        limiter: this.#limiter,
      });
    } catch (error) {
      const reason = redactSecrets(
        `cannot execute: ${error instanceof Error ? error.message : error}`,
      );
      this.#log.error(`${item.fileName}: ${reason}`);
      return { ok: false as const, retryable: false, reason };
    }
  }

  #auditFailed(error: unknown, entry: AuditEntry): void {
    const problem = storageProblemOf(error);
    this.#log.error(
      `Cannot write the audit log (${entry.event}${entry.id ? ` of ${entry.id}` : ""}): ${
        problem ? `${problem.what}; ${problem.fix}` : error
      }`,
    );
  }

  /** The schedule engine, made on first use (the --once sweep, the loop, or a trigger). */
  #schedulerOf(): Scheduler {
    return this.#scheduler ??= createVaultScheduler({
      layout: this.layout,
      config: this.config,
      board: this.board,
      signal: this.#cutOff.signal,
      clock: this.now,
      log: (level, message) => this.#log[level === "warning" ? "warn" : level](message),
    });
  }

  async #runDueSchedules(): Promise<({ name: string } & TaskResult)[]> {
    if (!this.config.scheduler.enabled) return [];
    const report = await this.#schedulerOf().tick(undefined, this.#shutdown.signal);
    return report.ran.map(({ task, result }) => ({ name: task.name, ...result }));
  }

  async #scheduleLoop(): Promise<void> {
    // With the scheduler off, nothing runs by itself; `aiemp trigger` still works (#answer).
    if (!this.config.scheduler.enabled) return;
    await this.#schedulerOf().run(this.#shutdown.signal);
  }

  async #answer(request: OrchestratorRequest, supervisor: Supervisor): Promise<unknown> {
    switch (request.kind) {
      case "restart":
        return this.#restart(supervisor, request.name);
      case "approve":
        return await this.#approvals.approve(request.id, request.by);
      case "reject":
        return await this.#approvals.reject(request.id, request.by, request.reason);
      case "trigger":
        return await this.#schedulerOf().trigger(request.name, { dryRun: request.dryRun }) ??
          { ok: false, summary: `no schedule named '${request.name}'` };
    }
  }

  /** Asks the orchestrator to shut down gracefully, giving the reason it logs. */
  stop(reason: string): void {
    this.#stop(reason);
  }

  #stop(reason: string): void {
    if (this.#shutdown.signal.aborted) return;
    this.#stopReason = reason;
    this.#shutdown.abort();
  }
}
