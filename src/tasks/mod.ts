/**
 * The task loop: takes every item in Needs_Action/ through its states to Done/ or Rejected/ with
 * the agent. Decisions (priority, states, retries, the daily budget, metrics) are plain functions
 * of their inputs; the loop that reads the vault and runs the agent is the thin shell.
 * @module
 */
export {
  orderByPriority,
  type PriorityScore,
  type PrioritySettings,
  type RankedItem,
  scoreItem,
} from "./priority.ts";
export {
  canMove,
  isFinal,
  isTaskState,
  MAX_RETRY_WAIT_S,
  nextAttemptAt,
  TASK_STATES,
  type TaskState,
} from "./states.ts";
export {
  budgetLeft,
  type BudgetVerdict,
  type DailyBudget,
  type DailyUsage,
  dayOf,
  usageFor,
  withRun,
} from "./budget.ts";
export {
  computeMetrics,
  type MetricsOptions,
  type PendingApproval,
  percentile,
  type TaskMetrics,
} from "./metrics.ts";
export { type AgentWork, judgeAgentWork, planNameOf } from "./agent_work.ts";
export {
  type Checkpoint,
  type CheckpointExit,
  type CheckpointItem,
  readCheckpoint,
  withExit,
  writeCheckpoint,
} from "./checkpoint.ts";
export { type ItemPrompt, itemPrompt } from "./prompt.ts";
export { createTaskLoop, type TaskLoop, type TaskLoopOptions } from "./loop.ts";
