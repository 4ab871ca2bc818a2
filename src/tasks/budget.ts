import type { Config } from "../config/mod.ts";

/** What the agent has used on one day (kept in the checkpoint's `usage`). */
export interface DailyUsage {
  /** The day, `YYYY-MM-DD`, in the time zone the caller counts days in. */
  day: string;
  /** Agent runs started that day. */
  agent_runs: number;
  /** Seconds the agent ran that day. */
  agent_seconds: number;
}

/** The daily budget from the settings. */
export type DailyBudget = Config["tasks"]["daily_budget"];

/** Whether the agent may run again today, and if not, why. */
export type BudgetVerdict = { ok: true } | { ok: false; why: string };

/**
 * The calendar day of `now`, `YYYY-MM-DD`, in `timeZone` (an IANA name; UTC when not given).
 *
 * @example
 * ```ts
 * dayOf(new Date("2026-11-21T23:30:00Z"), "Asia/Tokyo"); // "2026-11-22"
 * ```
 */
export function dayOf(now: Date, timeZone = "UTC"): string {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
    });
  } catch {
    throw new RangeError(
      `Cannot tell the day: '${timeZone}' is not a time zone; use an IANA name such as Europe/Lisbon`,
    );
  }
  const parts = Object.fromEntries(format.formatToParts(now).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/**
 * Today's usage: `usage` while it is still the same day in `timeZone` (UTC when not given),
 * otherwise a fresh count for today (the budget resets at local midnight).
 *
 * @example
 * ```ts
 * usageFor({ day: "2026-11-20", agent_runs: 9, agent_seconds: 600 }, new Date("2026-11-21T08:00:00Z"));
 * // { day: "2026-11-21", agent_runs: 0, agent_seconds: 0 }
 * ```
 */
export function usageFor(usage: DailyUsage | undefined, now: Date, timeZone?: string): DailyUsage {
  const day = dayOf(now, timeZone);
  if (usage !== undefined && usage.day === day) return usage;
  return { day, agent_runs: 0, agent_seconds: 0 };
}

/** The usage after one more agent run of `seconds` (negative counts as 0), on the same day. */
export function withRun(usage: DailyUsage, seconds: number): DailyUsage {
  return {
    day: usage.day,
    agent_runs: usage.agent_runs + 1,
    agent_seconds: usage.agent_seconds + Math.max(0, seconds),
  };
}

/**
 * Whether today's usage (from {@linkcode usageFor}) leaves room for another agent run. Spent when
 * the runs reach `agent_runs` or the seconds reach `agent_minutes`·60; `why` says which, and when
 * it resets.
 *
 * @example
 * ```ts
 * budgetLeft({ day: "2026-11-21", agent_runs: 50, agent_seconds: 900 }, { agent_runs: 50, agent_minutes: 120 });
 * // { ok: false, why: "the daily budget of 50 agent runs is spent; it resets at midnight" }
 * ```
 */
export function budgetLeft(usage: DailyUsage, budget: DailyBudget): BudgetVerdict {
  if (usage.agent_runs >= budget.agent_runs) {
    return { ok: false, why: spent(count(budget.agent_runs, "agent run")) };
  }
  if (usage.agent_seconds >= budget.agent_minutes * 60) {
    return { ok: false, why: spent(count(budget.agent_minutes, "agent minute")) };
  }
  return { ok: true };
}

function spent(what: string): string {
  return `the daily budget of ${what} is spent; it resets at midnight`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
