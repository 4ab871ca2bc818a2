import type { ActivityEntry } from "../dashboard/mod.ts";
import type { ChildStatus } from "../supervisor/mod.ts";
import { writeFileAtomic } from "../vault/mod.ts";

/** What the orchestrator keeps in `.aiemp/state.json`: read by `aiemp status`, kept across restarts. */
export interface OrchestratorState {
  online: boolean;
  pid?: number;
  started?: string;
  updated?: string;
  dry_run: boolean;
  components: ChildStatus[];
  /** Newest first. */
  activity: ActivityEntry[];
  /** Open alerts, by what raised them. */
  alerts: Record<string, string>;
  schedules: Record<string, { last_run?: string; ok?: boolean; summary?: string }>;
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
