/** Every state a task note's `status` may hold, from arrival to the end. */
export const TASK_STATES = [
  "new",
  "queued",
  "running",
  "waiting_approval",
  "done",
  "rejected",
  "failed",
] as const;

/** One of {@linkcode TASK_STATES}. */
export type TaskState = typeof TASK_STATES[number];

const MOVES: Readonly<Record<TaskState, readonly TaskState[]>> = {
  new: ["queued"],
  queued: ["running"],
  // Back to queued is a retry (e.g. the agent stopped early and another iteration is allowed).
  running: ["queued", "waiting_approval", "done", "rejected", "failed"],
  // Back to queued: the owner sent the item back for more work.
  waiting_approval: ["done", "rejected", "queued"],
  done: [],
  rejected: [],
  // Back to queued once the backoff has passed; rejected when the attempts are spent.
  failed: ["queued", "rejected"],
};

/** Whether `value` is one of the task states (e.g. a `status` read from front matter). */
export function isTaskState(value: unknown): value is TaskState {
  return typeof value === "string" && (TASK_STATES as readonly string[]).includes(value);
}

/**
 * Whether an item may move from one state to another. Only the listed moves are allowed; staying
 * in the same state is not a move.
 *
 * @example
 * ```ts
 * canMove("running", "waiting_approval"); // true
 * canMove("new", "done"); // false
 * ```
 */
export function canMove(from: TaskState, to: TaskState): boolean {
  return MOVES[from]?.includes(to) ?? false;
}

/** Whether an item in this state has left the loop for good (`done` or `rejected`). */
export function isFinal(state: TaskState): boolean {
  return state === "done" || state === "rejected";
}

/** The longest wait between two attempts, whatever the count: one day. */
export const MAX_RETRY_WAIT_S = 24 * 3600;

/**
 * When the next attempt may start after `attempts` attempts, the last of which failed at
 * `failedAt`. The wait doubles: the 2nd attempt waits `backoffS`, the 3rd `2·backoffS`, the 4th
 * `4·backoffS`…, never more than {@linkcode MAX_RETRY_WAIT_S}. No attempt made yet: no wait.
 *
 * @example
 * ```ts
 * nextAttemptAt(2, 30, new Date("2026-11-21T10:00:00Z")); // 2026-11-21T10:01:00Z (3rd attempt)
 * ```
 */
export function nextAttemptAt(attempts: number, backoffS: number, failedAt: Date): Date {
  if (!(attempts >= 1)) return new Date(failedAt.getTime());
  const waitS = Math.min(MAX_RETRY_WAIT_S, Math.max(0, backoffS) * 2 ** (attempts - 1));
  return new Date(failedAt.getTime() + waitS * 1000);
}
