/**
 * Schedules: the registry (schedules.yaml, overridden by the vault's), the due rule, the engine
 * that runs due tasks one at a time, and the task each schedule triggers. Decisions are plain
 * functions of (task, record, now); the engine is the thin shell that sleeps and records.
 * @module
 */
export {
  type Frequency,
  isTimezone,
  loadSchedules,
  type LoadSchedulesOptions,
  machineTimezone,
  type ScheduledTask,
  ScheduleError,
  type ScheduleLoad,
} from "./registry.ts";
export {
  cronPattern,
  dateIn,
  latestScheduledTime,
  localTime,
  nextScheduledTime,
} from "./timing.ts";
export { dueTasks, isDue, nextRunTime, planTask, type TaskPlan } from "./is_due.ts";
export {
  coveredUntil,
  MISSED_KEPT,
  type MissedRun,
  type TaskRecord,
  withMiss,
  withRun,
} from "./record.ts";
export {
  createScheduler,
  type RunRequest,
  type Scheduler,
  type SchedulerOptions,
  type ScheduleStore,
  type TickReport,
} from "./engine.ts";
export {
  type DailyCounters,
  TASK_TRIGGERS,
  type TaskContext,
  type TaskResult,
  type Trigger,
} from "./tasks.ts";
export { ACTIVITY_KEPT } from "./_housekeeping.ts";
export { setTaskEnabled } from "./toggle.ts";
export {
  describeMiss,
  describeWhen,
  renderScheduleSection,
  type ScheduleRow,
  scheduleRows,
} from "./report.ts";
