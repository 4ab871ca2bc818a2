import { join } from "node:path";
import type { AgentRun } from "../agent/mod.ts";
import type { Config } from "../config/mod.ts";
import { listNames, moveInto, type VaultLayout } from "../vault/mod.ts";

/** What a scheduled task may use; given by the orchestrator (or by `aiemp trigger`). */
export interface TaskContext {
  /** The vault the task works on. */
  layout: VaultLayout;
  /** The vault's settings. */
  config: Config;
  /** A dry run: the agent gets `DRY_RUN=true` and the task itself moves and sends nothing. */
  dryRun: boolean;
  /** The time of this run; read once, so the task sees one consistent "now". */
  now: Date;
  /** Runs the agent with a prompt, bounded by the task's timeout. */
  runAgent(prompt: string): Promise<AgentRun>;
  /** Rewrites the Dashboard from the current state. */
  refreshDashboard(): Promise<void>;
  /** Shows an alert on the Dashboard (replacing the task's previous one); empty text clears it. */
  alert(text: string): void;
  /** Removes the recent-activity entries older than the newest `keep`, and returns them. */
  rollActivity(keep: number): { when: string; text: string }[];
}

/** What a task did, for the log, the Dashboard and `aiemp trigger`. */
export interface TaskResult {
  /** False when the task failed; `summary` then says why. */
  ok: boolean;
  /** One line on what the task did (or why it failed). */
  summary: string;
  /** Task-specific counts and flags, e.g. `items`, `archived`. */
  [detail: string]: unknown;
}

/** The code a scheduled task runs: does its work with what `context` offers and reports it. */
export type Trigger = (context: TaskContext) => Promise<TaskResult>;

const SKILLS = ".claude/skills";

function agentPrompt(context: TaskContext, job: string, skills: string[]): string {
  return [
    `You are the AI employee of this vault. The time is ${context.now.toISOString()}.`,
    `Read Company_Handbook.md and Business_Goals.md, and the skills ${
      skills.map((s) => `${SKILLS}/${s}/SKILL.md`).join(", ")
    }.`,
    job,
    "Put plans in Plans/ and every outward action as an approval request in Pending_Approval/.",
    "Never write to Approved/, Done/, Rejected/ or .aiemp/: only the owner approves.",
    context.dryRun ? "DRY RUN: draft as usual, nothing will be sent." : "",
  ].filter(Boolean).join("\n");
}

async function agentTask(context: TaskContext, job: string, skills: string[]): Promise<TaskResult> {
  const run = await context.runAgent(agentPrompt(context, job, skills));
  return run.ok
    ? { ok: true, summary: `agent finished in ${Math.round(run.durationMs / 1000)}s` }
    : { ok: false, summary: run.error ?? "the agent failed" };
}

/** The date in the machine's local time, as YYYY-MM-DD (what the owner calls "today"). */
function localDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

const notes = async (folder: string) => (await listNames(folder)).filter((n) => n.endsWith(".md"));

/** The triggers of the default schedules, by task name. */
export const TASK_TRIGGERS: Record<string, Trigger> = {
  async morning_triage(context) {
    const pending = await notes(context.layout.folder("Needs_Action"));
    if (pending.length === 0) return { ok: true, summary: "No pending items", items: 0 };
    const result = await agentTask(
      context,
      `Morning triage: process the ${pending.length} items in Needs_Action/ — triage, plan, and create approval requests where needed.`,
      ["email-triage", "task-planner", "approval-request"],
    );
    return { ...result, items: pending.length };
  },

  async linkedin_post(context) {
    const pending = (await notes(context.layout.folder("Pending_Approval")))
      .filter((name) => name.toUpperCase().startsWith("LINKEDIN_"));
    const today = localDate(context.now).replaceAll("-", "");
    if (pending.some((name) => name.includes(today))) {
      return { ok: true, summary: "A LinkedIn post was already drafted today", drafted: false };
    }
    if (pending.length > 1) {
      return {
        ok: true,
        summary: `${pending.length} LinkedIn drafts still await approval; not drafting more`,
        drafted: false,
      };
    }
    const result = await agentTask(
      context,
      "Draft one LinkedIn post for today, in line with Business_Goals.md, as an approval request.",
      ["social-post", "approval-request"],
    );
    return { ...result, drafted: result.ok };
  },

  async stale_approval_check(context) {
    const folder = context.layout.folder("Pending_Approval");
    const limitMs = context.config.approvals.stale_after_hours * 3_600_000;
    const stale: string[] = [];
    for (const name of await notes(folder)) {
      const info = await Deno.stat(join(folder, name)).catch(() => undefined);
      if (info?.mtime && context.now.getTime() - info.mtime.getTime() > limitMs) stale.push(name);
    }
    context.alert(
      stale.length === 0
        ? ""
        : `${stale.length} approval request(s) waiting for more than ${context.config.approvals.stale_after_hours} h: ${
          stale.slice(0, 5).join(", ")
        }${stale.length > 5 ? ", …" : ""}`,
    );
    return {
      ok: true,
      summary: `${stale.length} stale approval request(s)`,
      stale_count: stale.length,
    };
  },

  async daily_rollover(context) {
    const keep = context.config.dashboard.activity_entries;
    const rolled = context.rollActivity(keep);
    if (rolled.length > 0 && !context.dryRun) {
      const month = context.now.toISOString().slice(0, 7);
      const lines = rolled.map((entry) => `- ${entry.when} ${entry.text}\n`).join("");
      await Deno.writeTextFile(join(context.layout.folder("Logs"), `activity-${month}.md`), lines, {
        append: true,
      });
    }
    await context.refreshDashboard();
    return {
      ok: true,
      summary: `${rolled.length} activity entries moved to Logs/`,
      rolled: rolled.length,
    };
  },

  weekly_audit_prep: (context) =>
    agentTask(
      context,
      "Prepare this week's briefing for the owner in Briefings/: what was done (Done/), what waits (Pending_Approval/, Needs_Action/), and progress against Business_Goals.md.",
      ["task-planner"],
    ),

  async health_dashboard_update(context) {
    await context.refreshDashboard();
    return { ok: true, summary: "Dashboard refreshed" };
  },

  async done_archive(context) {
    const folder = context.layout.folder("Done");
    const cutoff = context.now.getTime() - context.config.archive.done_after_days * 86_400_000;
    let moved = 0;
    for (const name of await listNames(folder)) {
      const path = join(folder, name);
      const info = await Deno.lstat(path).catch(() => undefined);
      if (!info?.isFile || !info.mtime || info.mtime.getTime() >= cutoff) continue;
      const month = localDate(info.mtime).slice(0, 7);
      if (!context.dryRun) await moveInto(path, join(folder, "Archive", month));
      moved++;
    }
    const verb = context.dryRun ? "would be archived" : "archived";
    return { ok: true, summary: `${moved} item(s) from Done/ ${verb}`, archived: moved };
  },
};
