import type { AgentRun } from "../agent/mod.ts";
import type { Config } from "../config/mod.ts";
import type { VaultLayout } from "../vault/mod.ts";
import { linkedinPost, morningTriage, weeklyAuditPrep } from "./_agent_tasks.ts";
import { dailyRollover, doneArchive, healthUpdate, staleApprovalCheck } from "./_housekeeping.ts";

/** The day's counters shown on the Dashboard (files received, approvals executed…). */
export interface DailyCounters {
  /** The day they count, YYYY-MM-DD in the machine's time zone. */
  date: string;
  /** By counter name, e.g. `files_received: 3`. */
  counts: Record<string, number>;
}

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
  /** The time zone the task's dates are in (its schedule's). */
  timezone: string;
  /** Runs the agent with a prompt, bounded by the task's timeout. */
  runAgent(prompt: string): Promise<AgentRun>;
  /** Rewrites the Dashboard from the current state. */
  refreshDashboard(): Promise<void>;
  /** Shows an alert on the Dashboard (replacing the task's previous one); empty text clears it. */
  alert(text: string): void;
  /** Removes the recent-activity entries older than the newest `keep`, and returns them. */
  rollActivity(keep: number): { when: string; text: string }[];
  /** Starts a new day of counters and returns the finished day's (undefined when none). */
  resetDailyCounters(): DailyCounters | undefined;
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

/** The built-in triggers, by name; a task names one with `trigger:` (default: its own name). */
export const TASK_TRIGGERS: Readonly<Record<string, Trigger>> = Object.freeze({
  morning_triage: morningTriage,
  linkedin_post: linkedinPost,
  stale_approval_check: staleApprovalCheck,
  daily_rollover: dailyRollover,
  weekly_audit_prep: weeklyAuditPrep,
  health_dashboard_update: healthUpdate,
  done_archive: doneArchive,
});
