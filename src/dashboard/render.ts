import { type ChildStatus, restartsToday } from "../supervisor/mod.ts";
import { replaceSection } from "../vault/mod.ts";

/** One line of recent activity. */
export interface ActivityEntry {
  /** When it happened (ISO 8601). */
  when: string;
  /** What happened, in one line. */
  text: string;
}

/** Everything the Dashboard shows, gathered by the orchestrator. */
export interface DashboardSnapshot {
  /** The time of the snapshot, shown as "Last updated". */
  now: Date;
  /** Whether the orchestrator runs. */
  online: boolean;
  /** "System Online: all components active", "System Offline: orchestrator stopped"… */
  headline: string;
  /** When the orchestrator started; shown while it is online. */
  startedAt?: Date;
  /** The orchestrator's process id. */
  pid?: number;
  /** Whether dry-run mode is on (nothing is sent). */
  dryRun: boolean;
  /** Each component's state, for the Health table. */
  components: ChildStatus[];
  /** Items per vault folder. */
  counts: Record<string, number>;
  /** Newest first. */
  activity: ActivityEntry[];
  /** Open alerts, shown in the Status section (e.g. stale approval requests). */
  alerts: string[];
  /** Sections other parts own (e.g. the scheduler's), rendered after the built-in ones. */
  extraSections?: { name: string; heading: string; content: string }[];
}

const STATE_LABELS: Record<string, string> = {
  running: "🟢 running",
  starting: "🟡 starting",
  restarting: "🟠 restarting",
  stopped: "⚪ stopped",
  exited: "⚪ exited",
  failed: "🔴 down",
  paused: "⏸️ paused",
};

/** The sections aiemp manages in Dashboard.md, with the heading each gets when it is missing. */
export const DASHBOARD_SECTIONS = {
  status: "## Status",
  health: "## Health",
  queue: "## Queue",
  activity: "## Recent activity",
} as const;

/**
 * Renders the Dashboard's managed sections into `text` (the current Dashboard.md), leaving every
 * character outside the markers as the owner wrote it.
 */
export function renderDashboard(text: string, snapshot: DashboardSnapshot): string {
  const sections: Record<keyof typeof DASHBOARD_SECTIONS, string> = {
    status: statusSection(snapshot),
    health: healthSection(snapshot),
    queue: queueSection(snapshot),
    activity: activitySection(snapshot),
  };
  let out = text;
  for (const [name, heading] of Object.entries(DASHBOARD_SECTIONS)) {
    out = replaceSection(out, name, sections[name as keyof typeof sections], heading);
  }
  for (const extra of snapshot.extraSections ?? []) {
    out = replaceSection(out, extra.name, extra.content, extra.heading);
  }
  return out;
}

function statusSection(s: DashboardSnapshot): string {
  const lines = [`**${s.online ? "✅" : "⛔"} ${s.headline}**`, ""];
  if (s.online && s.startedAt) {
    lines.push(`- Running since ${stamp(s.startedAt)}${s.pid ? ` (PID ${s.pid})` : ""}`);
  }
  lines.push(`- Dry run: ${s.dryRun ? "on (nothing is sent)" : "off"}`);
  lines.push(`- Last updated: ${stamp(s.now)}`);
  for (const alert of s.alerts) lines.push(`- ⚠️ ${alert}`);
  return lines.join("\n");
}

function healthSection(s: DashboardSnapshot): string {
  if (s.components.length === 0) return "_No components are running._";
  const rows = s.components.map((c) =>
    `| ${c.description} | ${STATE_LABELS[c.state] ?? c.state} | ${stamp(new Date(c.since))} | ${
      restartsToday(c, s.now)
    } | ${cell(c.lastError ?? "")} |`
  );
  return [
    "| Component | State | Since | Restarts today | Last error |",
    "|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}

function queueSection(s: DashboardSnapshot): string {
  const rows = Object.entries(s.counts).map(([folder, count]) => `| ${folder}/ | ${count} |`);
  return ["| Folder | Items |", "|---|---|", ...rows].join("\n");
}

function activitySection(s: DashboardSnapshot): string {
  if (s.activity.length === 0) return "_Nothing yet._";
  const rows = s.activity.map((a) => `| ${stamp(new Date(a.when))} | ${cell(a.text)} |`);
  return ["| When | What |", "|---|---|", ...rows].join("\n");
}

/** A readable UTC time, e.g. `2026-11-21 05:41:00 UTC`. */
function stamp(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** Text that is safe inside a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\s+/g, " ").slice(0, 200);
}
