import { writeFileAtomic } from "../vault/mod.ts";
import type { DailyUsage } from "./budget.ts";
import type { TaskState } from "./states.ts";

/** What the checkpoint knows of one item that has not ended yet. */
export interface CheckpointItem {
  /** Its state. */
  state: TaskState;
  /** Its note, relative to the vault (`Needs_Action/<id>.md`). */
  file: string;
  /** Its priority score. */
  score: number;
  /** When it came in (ISO). */
  received: string;
  /** When it entered its state (ISO). */
  state_since: string;
  /** Attempts made. */
  attempts: number;
  /** Why each failed attempt failed. */
  errors: string[];
  /** When a failed item may be tried again (ISO). */
  next_attempt_at?: string;
  /** The process group of the agent run working on it, while one does. */
  agent_pid?: number;
  /** The approval requests it waits for. */
  approvals?: string[];
}

/** An item that ended. */
export interface CheckpointExit {
  /** The item's id. */
  id: string;
  /** How it ended. */
  state: TaskState;
  /** When (ISO). */
  at: string;
  /** Attempts it took. */
  attempts: number;
  /** Why, in words. */
  why: string;
}

/** `.aiemp/checkpoint.json`: where the task loop stands, so a crash loses nothing. */
export interface Checkpoint {
  /** Sweeps made so far. */
  iteration: number;
  /** When it was last written (ISO). */
  updated: string;
  /** Every item not yet done or rejected, by id. */
  items: Record<string, CheckpointItem>;
  /** The last items that ended, newest last. */
  recent_exits: CheckpointExit[];
  /** The agent's use today. */
  usage?: DailyUsage;
}

/** How many ended items the checkpoint remembers. */
const RECENT_EXITS = 50;

/** Reads the checkpoint; an empty one when there is none or it cannot be read. */
export async function readCheckpoint(path: string): Promise<Checkpoint> {
  try {
    const data = JSON.parse(await Deno.readTextFile(path));
    if (data && typeof data === "object" && data.items && typeof data.items === "object") {
      return {
        iteration: Number(data.iteration) || 0,
        updated: String(data.updated ?? ""),
        items: data.items,
        recent_exits: Array.isArray(data.recent_exits) ? data.recent_exits : [],
        usage: data.usage,
      };
    }
  } catch { /* none yet, or unreadable: the sweep rebuilds it from the notes */ }
  return { iteration: 0, updated: "", items: {}, recent_exits: [] };
}

/** Writes the checkpoint atomically. */
export async function writeCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(checkpoint, null, 1)}\n`);
}

/** The checkpoint with `id` ended: out of `items`, into `recent_exits` (the last 50 kept). */
export function withExit(checkpoint: Checkpoint, exit: CheckpointExit): Checkpoint {
  const { [exit.id]: _ended, ...items } = checkpoint.items;
  return {
    ...checkpoint,
    items,
    recent_exits: [...checkpoint.recent_exits, exit].slice(-RECENT_EXITS),
  };
}
