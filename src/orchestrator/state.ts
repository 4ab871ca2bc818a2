import type { SessionHealth } from "../browser/mod.ts";
import type { ActivityEntry } from "../dashboard/mod.ts";
import type { DailyCounters, TaskRecord } from "../scheduler/mod.ts";
import type { ChildStatus } from "../supervisor/mod.ts";
import type { SocialAccount } from "./social.ts";
import { writeFileAtomic } from "../vault/mod.ts";

/** What the orchestrator keeps in `.aiemp/state.json`: read by `aiemp status`, kept across restarts. */
export interface OrchestratorState {
  /** Set while the orchestrator runs, cleared when it stops (a crash leaves it set). */
  online: boolean;
  /** The process id of the orchestrator that last ran. */
  pid?: number;
  /** When that orchestrator started (ISO 8601). */
  started?: string;
  /** When the file was last written (ISO 8601). */
  updated?: string;
  /** Whether that orchestrator ran in dry-run mode. */
  dry_run: boolean;
  /** Each component Worker as the supervisor last reported it. */
  components: ChildStatus[];
  /** Newest first. */
  activity: ActivityEntry[];
  /** Open alerts, by what raised them. */
  alerts: Record<string, string>;
  /** Each schedule's last run, outcome and missed runs, by task name. */
  schedules: Record<string, TaskRecord>;
  /** Today's counters (files received, approvals executed…), reset by the daily rollover. */
  counters?: DailyCounters;
  /** Each browser channel's session as it last reported it, by platform (`whatsapp`). */
  sessions?: Record<string, SessionHealth>;
  /** The social platforms set up, and how their tokens stand (checked at start and hourly). */
  social_accounts?: SocialAccount[];
}

/** Reads the state file; a missing or damaged one gives an empty state. */
export async function readState(path: string): Promise<OrchestratorState> {
  const empty: OrchestratorState = {
    online: false,
    dry_run: false,
    components: [],
    activity: [],
    alerts: {},
    schedules: {},
  };
  try {
    return { ...empty, ...JSON.parse(await Deno.readTextFile(path)) };
  } catch {
    return empty;
  }
}

/** Writes the state file atomically. */
export async function writeState(path: string, state: OrchestratorState): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(state, null, 2) + "\n");
}

/** When each schedule last ran, by name, as the due rule wants it. */
export function lastRunsOf(state: OrchestratorState): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(state.schedules).map(([name, run]) => [name, run.last_run]),
  );
}
