/**
 * Schedules: the registry (schedules.yaml, overridden by the vault's), the due rule, and the task
 * each schedule triggers. Decisions are plain functions of (task, last run, now).
 * @module
 */
export { loadSchedules, type ScheduledTask, ScheduleError } from "./registry.ts";
export { cronPattern, dueTasks, isDue, latestScheduledTime, nextRunTime } from "./is_due.ts";
export { TASK_TRIGGERS, type TaskContext, type TaskResult, type Trigger } from "./tasks.ts";
