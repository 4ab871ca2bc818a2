/**
 * What a fault-injection scenario is and what it reports: what was injected and how often, and
 * each property that had to hold, with whether it did.
 * @module
 */

/** One property a scenario checks after (or while) injecting its faults. */
export interface Check {
  /** The property, in the owner's words: "every dropped file has exactly one task note". */
  what: string;
  /** Whether it held. */
  held: boolean;
  /** Figures or the first counter-examples. */
  detail?: string;
}

/** What one scenario did and found. */
export interface ScenarioReport {
  /** What was injected and how often, one line each. */
  injected: string[];
  /** What had to hold. */
  checks: Check[];
  /** Set when the scenario could not run here, with the reason (e.g. "cannot mount"). */
  skipped?: string;
}

/** What every scenario gets from the runner. */
export interface ChaosContext {
  /** The short CI run: fewer iterations. */
  quick: boolean;
  /** Random numbers in [0, 1) from the run's seed, so a failing run can be repeated. */
  random(): number;
  /** Prints a progress line under the scenario's heading. */
  progress(line: string): void;
}

/** One fault-injection scenario against the real CLI. */
export interface Scenario {
  /** Its number and name, e.g. `1 kill-orchestrator` (for `--only`). */
  id: string;
  /** What it injects, as the heading of its report. */
  title: string;
  /** Whether `--quick` runs it. */
  quick: boolean;
  /** Runs it on temporary vaults, cleaning up after itself. */
  run(context: ChaosContext): Promise<ScenarioReport>;
}

/** A check from a condition, with its detail. */
export function check(what: string, held: boolean, detail?: string): Check {
  return { what, held, ...(detail ? { detail } : {}) };
}

/** The first few items of a list, for a check's detail: "a, b, c (and 12 more)". */
export function sample(items: readonly unknown[], shown = 3): string {
  const head = items.slice(0, shown).map((item) =>
    typeof item === "string" ? item : JSON.stringify(item)
  ).join(", ");
  return items.length > shown ? `${head} (and ${items.length - shown} more)` : head;
}
