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

/** One scheduled task, as the registry defines it. */
export type ScheduledTask = z.infer<typeof taskSchema>;

/** A schedules.yaml that cannot be used; the message names the file, the task and the fix. */
export class ScheduleError extends Error {
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
