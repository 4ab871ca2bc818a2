import { Cron } from "croner";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

const DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

const FREQUENCIES: readonly [Frequency, ...Frequency[]] = [
  "daily",
  "weekdays",
  "mwf",
  "weekly",
  "hourly",
  "every_n_minutes",
  "cron",
];

const taskSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9_]+$/, { error: "use lower-case letters, digits and _" }),
  description: z.string().default(""),
  frequency: z.enum(FREQUENCIES, {
    error: "use daily, weekdays, mwf, weekly, hourly, every_n_minutes or cron",
  }),
  time_of_day: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: "use HH:MM" }).optional(),
  day_of_week: z.union([
    z.enum(DAYS as [string, ...string[]]),
    z.number().int().min(0).max(6),
  ], { error: "use a day name such as sunday (or 0 = Monday … 6 = Sunday)" }).optional(),
  interval_minutes: z.number().int().min(1, { error: "use a whole number of minutes ≥ 1" })
    .optional(),
  cron: z.string({ error: "use a cron pattern such as '0 9 * * 1-5'" }).optional(),
  timezone: z.string({ error: "use an IANA time zone such as Europe/Berlin" }),
  enabled: z.boolean({ error: "use true or false" }).default(true),
  requires_agent: z.boolean({ error: "use true or false" }).default(false),
  timeout_minutes: z.number().int().min(1, { error: "use a whole number of minutes ≥ 1" })
    .default(10),
  trigger: z.string().regex(/^[a-z0-9_]+$/, { error: "use the name of a built-in task" }),
  catch_up: z.enum(["once", "skip"], { error: "use once or skip" }).default("once"),
});

/** How often a task runs: a calendar rule, an interval counted from its last run, or a cron pattern. */
export type Frequency =
  | "daily"
  | "weekdays"
  | "mwf"
  | "weekly"
  | "hourly"
  | "every_n_minutes"
  | "cron";

/** One scheduled task, as the registry defines it (an entry of schedules.yaml, after defaults). */
export interface ScheduledTask {
  /** Lower-case letters, digits and `_`; unique in the registry. */
  name: string;
  /** What the task does, for people. @default "" */
  description: string;
  /** When it runs: a calendar rule, `hourly` / `every_n_minutes` counted from its last run, or `cron`. */
  frequency: Frequency;
  /** `HH:MM` in the task's time zone; required by daily, weekdays, mwf and weekly. */
  time_of_day?: string;
  /** For weekly: a day name such as `sunday`, or 0 = Monday … 6 = Sunday. */
  day_of_week?: string | number;
  /** For every_n_minutes: the interval in minutes (at least 1). */
  interval_minutes?: number;
  /** For cron: a 5-field (or 6-field, with seconds) cron pattern, e.g. `0 9 * * 1-5`. */
  cron?: string;
  /** The IANA time zone its times are in. @default the machine's time zone */
  timezone: string;
  /** A disabled task never runs by itself (`aiemp trigger` still runs it). @default true */
  enabled: boolean;
  /** Whether the task runs the agent; informational. @default false */
  requires_agent: boolean;
  /** Limit in minutes on its agent run (`agent.timeout_minutes` may be lower). @default 10 */
  timeout_minutes: number;
  /** The built-in trigger it runs; several tasks may share one. @default the task's name */
  trigger: string;
  /**
   * What happens to a run missed while aiemp was down (always recorded): `once` runs it once when
   * aiemp is back (however many periods were missed), `skip` waits for the next period.
   * @default "once"
   */
  catch_up: "once" | "skip";
}

/** True when `A` and `B` are the same type. */
type SameType<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;

// ScheduledTask must say exactly what taskSchema produces: this fails to type-check otherwise.
const _taskIsExact: SameType<ScheduledTask, z.infer<typeof taskSchema>> = true;

/** A schedules.yaml that cannot be read at all; the message names the file and the fix. */
export class ScheduleError extends Error {
  /** Always `"ScheduleError"`, for logs and stack traces. */
  override name = "ScheduleError";
}

/** The registry: the tasks that can run, and one line for each entry that was refused. */
export interface ScheduleLoad {
  /** The valid tasks, defaults first (in their order), then the vault's own. */
  tasks: ScheduledTask[];
  /** Why each refused entry was refused, naming the file, the task and the fix. */
  errors: string[];
}

/** Options of {@linkcode loadSchedules}. */
export interface LoadSchedulesOptions {
  /** The time zone of tasks that name none. @default the machine's time zone */
  timezone?: string;
  /** The names of the built-in triggers; a task whose trigger is not among them is refused. */
  triggers?: readonly string[];
  /** How the vault's file is named in messages. @default "schedules.yaml" */
  vaultSource?: string;
}

/** The machine's IANA time zone (e.g. `Europe/Berlin`), or `UTC` when it cannot be told. */
export function machineTimezone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** Whether `zone` is an IANA time zone name this runtime knows. */
export function isTimezone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds the schedule registry from the default schedules.yaml and a vault's own (optional): a vault
 * task with the name of a default one overrides the fields it sets; other vault tasks are added.
 * Each resulting task is checked on its own: an invalid one is left out and its reason (naming the
 * file, the task and the fix) is listed in `errors`, so the others still run. Only a file that is
 * not YAML, or whose `tasks` is not a list, throws a {@linkcode ScheduleError}: running the
 * defaults instead could run tasks the owner turned off in that file.
 *
 * @example
 * ```ts
 * loadSchedules("tasks:\n  - name: x\n    frequency: daily\n    time_of_day: '25:00'\n").errors;
 * // ["Cannot load the default schedules.yaml: task 'x' has time_of_day \"25:00\"; use HH:MM"]
 * ```
 */
export function loadSchedules(
  defaultsText: string,
  vaultText?: string,
  options: LoadSchedulesOptions = {},
): ScheduleLoad {
  const merged = new Map<string, { entry: Record<string, unknown>; source: string }>();
  const add = (text: string, source: string) => {
    readTaskList(text, source).forEach((entry, index) => {
      const name = typeof entry.name === "string" ? entry.name : `#${index + 1}`;
      const base = merged.get(name)?.entry ?? {};
      merged.set(name, { entry: { ...base, ...entry }, source });
    });
  };
  add(defaultsText, "the default schedules.yaml");
  if (vaultText !== undefined) add(vaultText, options.vaultSource ?? "schedules.yaml");
  const timezone = options.timezone ?? machineTimezone();
  const tasks: ScheduledTask[] = [];
  const errors: string[] = [];
  for (const [name, { entry, source }] of merged) {
    const filled = { timezone, trigger: entry.name, ...entry };
    const problem = checkTask(name, filled, options.triggers);
    if (typeof problem === "string") errors.push(`Cannot load ${source}: ${problem}`);
    else tasks.push(problem);
  }
  return { tasks, errors };
}

function readTaskList(text: string, source: string): Record<string, unknown>[] {
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (error) {
    const why = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    throw new ScheduleError(
      `Cannot load ${source}: ${why}; fix the YAML (no task runs until then)`,
    );
  }
  const list = typeof raw === "object" && raw !== null
    ? (raw as { tasks?: unknown }).tasks ?? []
    : undefined;
  if (!Array.isArray(list) || list.some((e) => typeof e !== "object" || e === null)) {
    throw new ScheduleError(
      `Cannot load ${source}: 'tasks' must be a list of tasks, each with a name`,
    );
  }
  return list;
}

/** The task, or why it cannot run (naming the task, the setting and the fix). */
function checkTask(
  name: string,
  entry: Record<string, unknown>,
  triggers?: readonly string[],
): ScheduledTask | string {
  const result = taskSchema.safeParse(entry);
  if (!result.success) {
    const issue = result.error.issues[0];
    const unknown = issue.code === "unrecognized_keys";
    const key = unknown ? issue.keys[0] : issue.path.join(".");
    if (unknown) return `task '${name}' has an unknown setting '${key}'; check its spelling`;
    const value = entry[key];
    const shown = value === undefined ? "" : ` ${JSON.stringify(value)}`;
    return `task '${name}' has ${key}${shown}; ${issue.message}`;
  }
  const task = result.data;
  const needs = (field: keyof ScheduledTask, form: string) =>
    task[field] === undefined
      ? `task '${name}' (${task.frequency}) needs ${field}; use ${form}`
      : undefined;
  const missing =
    (["daily", "weekdays", "mwf", "weekly"].includes(task.frequency)
      ? needs("time_of_day", "HH:MM")
      : undefined) ??
      (task.frequency === "weekly"
        ? needs("day_of_week", "a day name such as sunday")
        : undefined) ??
      (task.frequency === "every_n_minutes"
        ? needs("interval_minutes", "a number of minutes")
        : undefined) ??
      (task.frequency === "cron"
        ? needs("cron", "a cron pattern such as '0 9 * * 1-5'")
        : undefined);
  if (missing) return missing;
  if (!isTimezone(task.timezone)) {
    return `task '${name}' has timezone ${
      JSON.stringify(task.timezone)
    }; use an IANA time zone such as Europe/Berlin or UTC`;
  }
  if (task.cron !== undefined) {
    try {
      new Cron(task.cron, { paused: true, timezone: task.timezone });
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return `task '${name}' has cron ${
        JSON.stringify(task.cron)
      } (${why}); use five fields: minute hour day-of-month month day-of-week`;
    }
  }
  if (triggers && !triggers.includes(task.trigger)) {
    return `task '${name}' has trigger '${task.trigger}', which is not a built-in task; use one of ${
      triggers.join(", ")
    }`;
  }
  return task;
}

/** The weekday of a task as 0 = Monday … 6 = Sunday. */
export function weekdayIndex(day: string | number): number {
  return typeof day === "number" ? day : DAYS.indexOf(day);
}
