import { parse as parseYaml } from "yaml";
import { z } from "zod";

const DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

const taskSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9_]+$/, { error: "use lower-case letters, digits and _" }),
  description: z.string().default(""),
  frequency: z.enum(["daily", "weekdays", "mwf", "weekly", "hourly", "every_n_minutes"], {
    error: "use daily, weekdays, mwf, weekly, hourly or every_n_minutes",
  }),
  time_of_day: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: "use HH:MM" }).optional(),
  day_of_week: z.union([
    z.enum(DAYS as [string, ...string[]]),
    z.number().int().min(0).max(6),
  ], { error: "use a day name such as sunday (or 0 = Monday … 6 = Sunday)" }).optional(),
  interval_minutes: z.number().int().min(1, { error: "use a whole number of minutes ≥ 1" })
    .optional(),
  enabled: z.boolean().default(true),
  requires_agent: z.boolean().default(false),
  timeout_minutes: z.number().int().min(1).default(10),
});

/** One scheduled task, as the registry defines it (an entry of schedules.yaml, after defaults). */
export interface ScheduledTask {
  /** Lower-case letters, digits and `_`; names the built-in trigger it runs. */
  name: string;
  /** What the task does, for people. @default "" */
  description: string;
  /** When it runs: a calendar rule, or `hourly` / `every_n_minutes` counted from its last run. */
  frequency: "daily" | "weekdays" | "mwf" | "weekly" | "hourly" | "every_n_minutes";
  /** `HH:MM` in the machine's local time; required by daily, weekdays, mwf and weekly. */
  time_of_day?: string;
  /** For weekly: a day name such as `sunday`, or 0 = Monday … 6 = Sunday. */
  day_of_week?: string | number;
  /** For every_n_minutes: the interval in minutes (at least 1). */
  interval_minutes?: number;
  /** A disabled task never runs by itself. @default true */
  enabled: boolean;
  /** Whether the task runs the agent; informational. @default false */
  requires_agent: boolean;
  /** Limit in minutes on its agent run (`agent.timeout_minutes` may be lower). @default 10 */
  timeout_minutes: number;
}

/** True when `A` and `B` are the same type. */
type SameType<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;

// ScheduledTask must say exactly what taskSchema produces: this fails to type-check otherwise.
const _taskIsExact: SameType<ScheduledTask, z.infer<typeof taskSchema>> = true;

/** A schedules.yaml that cannot be used; the message names the file, the task and the fix. */
export class ScheduleError extends Error {
  /** Always `"ScheduleError"`, for logs and stack traces. */
  override name = "ScheduleError";
}

/**
 * Builds the schedule registry from the default schedules.yaml and a vault's own (optional): a vault
 * task with the name of a default one overrides the fields it sets; other vault tasks are added.
 * Each resulting task is checked; an error names the file, the task and the fix.
 *
 * @example
 * ```ts
 * loadSchedules("tasks:\n  - name: x\n    frequency: daily\n    time_of_day: '25:00'\n");
 * // throws: Cannot load schedules.yaml: task 'x' has time_of_day "25:00"; use HH:MM
 * ```
 */
export function loadSchedules(defaultsText: string, vaultText?: string): ScheduledTask[] {
  const merged = new Map<string, { entry: Record<string, unknown>; source: string }>();
  const add = (text: string, source: string) => {
    readTaskList(text, source).forEach((entry, index) => {
      const name = typeof entry.name === "string" ? entry.name : `#${index + 1}`;
      const base = merged.get(name)?.entry ?? {};
      merged.set(name, { entry: { ...base, ...entry }, source });
    });
  };
  add(defaultsText, "the default schedules.yaml");
  if (vaultText !== undefined) add(vaultText, "schedules.yaml");
  return [...merged.entries()].map(([name, { entry, source }]) => checkTask(name, entry, source));
}

function readTaskList(text: string, source: string): Record<string, unknown>[] {
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (error) {
    const why = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    throw new ScheduleError(`Cannot load ${source}: ${why}`);
  }
  const list = (raw as { tasks?: unknown }).tasks ?? [];
  if (!Array.isArray(list) || list.some((e) => typeof e !== "object" || e === null)) {
    throw new ScheduleError(
      `Cannot load ${source}: 'tasks' must be a list of tasks, each with a name`,
    );
  }
  return list;
}

function checkTask(name: string, entry: Record<string, unknown>, source: string): ScheduledTask {
  const result = taskSchema.safeParse(entry);
  if (!result.success) {
    const issue = result.error.issues[0];
    const unknown = issue.code === "unrecognized_keys";
    const key = unknown ? issue.keys[0] : issue.path.join(".");
    const value = entry[key];
    const shown = value === undefined ? "" : ` ${JSON.stringify(value)}`;
    throw new ScheduleError(
      `Cannot load ${source}: task '${name}' has ${unknown ? `an unknown setting '${key}'` : key}${
        unknown ? "" : shown
      }; ${unknown ? "check its spelling" : issue.message}`,
    );
  }
  return checkComplete(result.data, source);
}

function checkComplete(task: ScheduledTask, source: string): ScheduledTask {
  const needs = (field: keyof ScheduledTask, form: string) => {
    if (task[field] === undefined) {
      throw new ScheduleError(
        `Cannot load ${source}: task '${task.name}' (${task.frequency}) needs ${field}; use ${form}`,
      );
    }
  };
  if (["daily", "weekdays", "mwf", "weekly"].includes(task.frequency)) {
    needs("time_of_day", "HH:MM");
  }
  if (task.frequency === "weekly") needs("day_of_week", "a day name such as sunday");
  if (task.frequency === "every_n_minutes") needs("interval_minutes", "a number of minutes");
  return task;
}

/** The weekday of a task as 0 = Monday … 6 = Sunday. */
export function weekdayIndex(day: string | number): number {
  return typeof day === "number" ? day : DAYS.indexOf(day);
}
