import { describeSession, type SessionHealth } from "../browser/mod.ts";
import type { Config } from "../config/mod.ts";
import { type ActivityEntry, writeDashboard } from "../dashboard/mod.ts";
import type { ChildStatus } from "../supervisor/mod.ts";
import {
  type DailyCounters,
  dateIn,
  machineTimezone,
  renderScheduleSection,
  type ScheduledTask,
  scheduleRows,
  type ScheduleStore,
} from "../scheduler/mod.ts";
import type { VaultFolder, VaultLayout } from "../vault/mod.ts";
import { SOCIAL_PLATFORMS } from "../social/mod.ts";
import { renderSocialAccounts, type SocialAccount, socialAccountAlert } from "./social.ts";
import { type OrchestratorState, writeState } from "./state.ts";

/** The folders whose items the Dashboard and `aiemp status` count. */
export const COUNTED_FOLDERS: VaultFolder[] = [
  "Inbox",
  "Needs_Action",
  "Plans",
  "Pending_Approval",
  "Approved",
  "Done",
  "Rejected",
];

/**
 * Counts the items in each queue folder: plain files only, no hidden ones, no subfolders
 * (attachments and archives are not items).
 */
export async function countItems(layout: VaultLayout): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  await Promise.all(COUNTED_FOLDERS.map(async (folder) => {
    let n = 0;
    try {
      for await (const entry of Deno.readDir(layout.folder(folder))) {
        if (entry.isFile && !entry.name.startsWith(".")) n++;
      }
    } catch { /* a missing folder has no items */ }
    counts[folder] = n;
  }));
  return Object.fromEntries(COUNTED_FOLDERS.map((folder) => [folder, counts[folder]]));
}

/** How soon a write that failed is tried again. */
const WRITE_RETRY_MS = 2000;

const COUNTER_LABELS: Record<string, string> = {
  files_received: "Files received",
  emails_received: "Emails received",
  whatsapp_received: "Urgent WhatsApp messages",
  approvals_executed: "Approvals executed",
  approvals_failed: "Approvals failed or rejected",
  tasks_run: "Scheduled tasks run",
  tasks_failed: "Scheduled tasks failed",
};

/** The Dashboard's "Today" section: the day's counters. */
export function renderCounters(counters: DailyCounters): string {
  return [
    `| Today (${counters.date}) | Count |`,
    "|---|---|",
    ...Object.entries(COUNTER_LABELS).map(([key, label]) =>
      `| ${label} | ${counters.counts[key] ?? 0} |`
    ),
  ].join("\n");
}

/** The Dashboard's "Sessions" section: one line per browser channel, with when it was seen. */
export function renderSessions(sessions: readonly SessionHealth[]): string {
  return sessions.map((health) =>
    `- ${describeSession(health).replace(/\s+/g, " ")} (checked ${
      health.checkedAt.slice(0, 19).replace("T", " ")
    } UTC)`
  ).join("\n");
}

/**
 * The one writer of `.aiemp/state.json` and Dashboard.md. Components report to it; it writes both
 * files at most once per `dashboard.refresh_ms`, and at once on `flush()`.
 */
export class StatusBoard {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing: Promise<void> = Promise.resolve();
  #failing = false;

  /**
   * Told when writing the two files fails (a full disk, a read-only vault) — once, while the
   * write is tried again every few seconds — and told `undefined` once a write succeeds again.
   * @default ignores it
   */
  onWriteProblem: (error: unknown) => void = () => {};

  constructor(
    readonly layout: VaultLayout,
    readonly config: Config,
    readonly state: OrchestratorState,
    readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Adds a line to the recent activity (newest first, at most `dashboard.activity_entries`), and
   * to today's `counter` when the event is one the Dashboard counts.
   */
  addActivity(text: string, counter?: string): void {
    this.state.activity.unshift({ when: this.now().toISOString(), text });
    if (counter) this.count(counter);
    this.state.activity.length = Math.min(
      this.state.activity.length,
      this.config.dashboard.activity_entries * 5,
    );
    this.changed();
  }

  /** Keeps the newest `keep` activity entries and returns the others, oldest first. */
  rollActivity(keep: number): ActivityEntry[] {
    const rolled = this.state.activity.splice(keep).reverse();
    this.changed();
    return rolled;
  }

  /** Shows (or with empty text clears) the alert raised by `source`. */
  setAlert(source: string, text: string): void {
    if (text) this.state.alerts[source] = text;
    else delete this.state.alerts[source];
    this.changed();
  }

  /** Records a browser channel's session, shown on the Dashboard and by `aiemp status`. */
  setSession(health: SessionHealth): void {
    (this.state.sessions ??= {})[health.platform] = health;
    this.changed();
  }

  /**
   * Records how the social accounts stand, shown on the Dashboard, and raises or clears each
   * one's alert (a token expiring within a week, expired, or unreadable).
   */
  setSocialAccounts(accounts: SocialAccount[]): void {
    this.state.social_accounts = accounts;
    for (const platform of SOCIAL_PLATFORMS) {
      const account = accounts.find((a) => a.platform === platform);
      this.setAlert(`social:${platform}`, account ? socialAccountAlert(account) : "");
    }
    this.changed();
  }

  setComponents(components: ChildStatus[]): void {
    this.state.components = components;
    this.changed();
  }

  /** The schedules the Dashboard's Schedules section shows (the scheduler's current registry). */
  scheduleTasks: readonly ScheduledTask[] = [];

  /** The scheduler's records, kept in the state file. */
  readonly scheduleStore: ScheduleStore = {
    get: (name) => this.state.schedules[name],
    set: (name, record) => {
      this.state.schedules[name] = record;
      this.changed();
    },
  };

  /** Adds to one of today's counters (a new day starts them again). */
  count(counter: string, by = 1): void {
    const today = dateIn(machineTimezone(), this.now());
    if (this.state.counters?.date !== today) this.state.counters = { date: today, counts: {} };
    this.state.counters.counts[counter] = (this.state.counters.counts[counter] ?? 0) + by;
    this.changed();
  }

  /** Starts a new day of counters; returns the finished day's (undefined when none). */
  resetDailyCounters(): DailyCounters | undefined {
    const finished = this.state.counters;
    this.state.counters = { date: dateIn(machineTimezone(), this.now()), counts: {} };
    this.changed();
    return finished;
  }

  /**
   * The Dashboard sections the main thread owns besides the core: today's counters, the
   * schedules, the browser sessions and the social accounts.
   */
  #scheduleSections(now: Date) {
    const today = dateIn(machineTimezone(), now);
    const counters = this.state.counters?.date === today
      ? this.state.counters
      : { date: today, counts: {} };
    const sessions = Object.values(this.state.sessions ?? {});
    const accounts = this.state.social_accounts ?? [];
    return [
      { name: "today", heading: "## Today", content: renderCounters(counters) },
      {
        name: "schedules",
        heading: "## Schedules",
        content: renderScheduleSection(scheduleRows(this.scheduleTasks, this.state.schedules, now)),
      },
      // A line per browser channel, once one has reported.
      ...(sessions.length > 0
        ? [{ name: "sessions", heading: "## Sessions", content: renderSessions(sessions) }]
        : []),
      ...(accounts.length > 0
        ? [{
          name: "social",
          heading: "## Social accounts",
          content: renderSocialAccounts(accounts),
        }]
        : []),
    ];
  }

  /** Asks for a write soon (coalescing bursts of changes into one write). */
  changed(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.flush().catch(() => {});
    }, this.config.dashboard.refresh_ms);
  }

  /** Writes state.json and Dashboard.md now; rejects when that fails (and tries again later). */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#writing = this.#writing.catch(() => {}).then(() => this.#write()).then(() => {
      if (!this.#failing) return;
      this.#failing = false;
      this.onWriteProblem(undefined);
    }, (error) => {
      if (!this.#failing) this.onWriteProblem(error);
      this.#failing = true;
      // Tried again without holding the process open at exit.
      Deno.unrefTimer(setTimeout(() => this.changed(), WRITE_RETRY_MS));
      throw error;
    });
    return this.#writing;
  }

  async #write(): Promise<void> {
    const now = this.now();
    this.state.updated = now.toISOString();
    await writeState(this.layout.state, this.state);
    const online = this.state.online;
    const down = this.state.components.filter((c) => c.state !== "running");
    await writeDashboard(this.layout.dashboard, {
      now,
      online,
      headline: online
        ? down.length === 0
          ? "System Online: all components active"
          : `System Online: ${down.length} component(s) not running`
        : "System Offline: orchestrator stopped",
      startedAt: this.state.started ? new Date(this.state.started) : undefined,
      pid: this.state.pid,
      dryRun: this.state.dry_run,
      components: this.state.components,
      counts: await countItems(this.layout),
      activity: this.state.activity.slice(0, this.config.dashboard.activity_entries),
      alerts: Object.values(this.state.alerts),
      extraSections: this.#scheduleSections(now),
    });
  }
}
