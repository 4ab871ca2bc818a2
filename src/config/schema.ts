import { z } from "zod";

const wholeNumber = (what: string, min = 0) =>
  z.number({ error: `expected a whole number of ${what}` }).int({
    error: `expected a whole number of ${what}`,
  }).min(min, { error: `expected at least ${min} ${what}` });

const flag = z.boolean({ error: "expected true or false" });

const webhookUrl = z.url({
  protocol: /^https?$/,
  error: "expected an http:// or https:// URL",
});

/**
 * The schema of aiemp.yaml: every setting, its type and its default. Used by
 * {@linkcode loadConfig}; its parsed result is a {@linkcode Config}.
 *
 * @internal Its zod type is not part of the documented API: depend on {@linkcode Config} instead.
 */
export const configSchema = z.strictObject({
  dry_run: flag.default(false),
  log: z.strictObject({
    level: z.enum(["debug", "info", "warning", "error"], {
      error: "expected one of debug, info, warning, error",
    }).default("info"),
    format: z.enum(["text", "json"], { error: "expected text or json" }).default("text"),
  }).prefault({}),
  inbox: z.strictObject({
    enabled: flag.default(true),
    settle_ms: wholeNumber("milliseconds").default(200),
    max_file_mb: z.number({ error: "expected a number of megabytes" }).positive({
      error: "expected a positive number of megabytes",
    }).default(50),
    preview_chars: wholeNumber("characters").default(1500),
  }).prefault({}),
  approvals: z.strictObject({
    enabled: flag.default(true),
    settle_ms: wholeNumber("milliseconds").default(50),
    max_retries: wholeNumber("attempts", 1).default(3),
    retry_delay_s: z.number({ error: "expected a number of seconds" }).min(0, {
      error: "expected 0 or more seconds",
    }).default(5),
    action_timeout_s: wholeNumber("seconds", 1).default(60),
    stale_after_hours: wholeNumber("hours", 1).default(24),
  }).prefault({}),
  supervisor: z.strictObject({
    restart_delay_s: z.number({ error: "expected a number of seconds" }).min(0, {
      error: "expected 0 or more seconds",
    }).default(2),
    shutdown_timeout_s: wholeNumber("seconds", 1).default(5),
  }).prefault({}),
  dashboard: z.strictObject({
    refresh_ms: wholeNumber("milliseconds").default(1000),
    activity_entries: wholeNumber("entries", 1).default(20),
  }).prefault({}),
  scheduler: z.strictObject({
    enabled: flag.default(true),
    tick_s: wholeNumber("seconds", 1).default(30),
  }).prefault({}),
  archive: z.strictObject({
    done_after_days: wholeNumber("days", 1).default(7),
  }).prefault({}),
  agent: z.strictObject({
    command: z.string({ error: "expected the agent program's name or path" }).min(1)
      .default("claude"),
    args: z.array(z.string(), { error: "expected a list of arguments" }).default(["--print"]),
    timeout_minutes: wholeNumber("minutes", 1).default(10),
  }).prefault({}),
  webhooks: z.record(
    z.string().regex(/^[A-Za-z0-9_-]+$/, { error: "names may use letters, digits, _ and -" }),
    webhookUrl,
    { error: "expected a map of name: URL" },
  ).default({}),
});

/** The settings of one vault (aiemp.yaml), after defaults; read-only. */
export interface Config {
  /** Contact nothing outside; record what would be sent instead. @default false */
  dry_run: boolean;
  /** The orchestrator's log, in Logs/. */
  log: {
    /** The least severe level written. @default "info" */
    level: "debug" | "info" | "warning" | "error";
    /** Log lines as plain text or as JSON. @default "text" */
    format: "text" | "json";
  };
  /** The inbox watcher, which turns files dropped into Inbox/ into task notes. */
  inbox: {
    /** Whether the inbox watcher runs. @default true */
    enabled: boolean;
    /** Milliseconds of quiet after which a dropped file counts as written. @default 200 */
    settle_ms: number;
    /** Size limit in megabytes; a larger file is noted but not read. @default 50 */
    max_file_mb: number;
    /** How many characters of a text file its task note quotes. @default 1500 */
    preview_chars: number;
  };
  /** The approval executor, which performs what the owner moves into Approved/. */
  approvals: {
    /** Whether the approval executor runs. @default true */
    enabled: boolean;
    /** Quiet time in milliseconds before a file in Approved/ is taken. @default 50 */
    settle_ms: number;
    /** Attempts per item before it is rejected (at least 1). @default 3 */
    max_retries: number;
    /** Wait in seconds between a retryable failure and the next attempt. @default 5 */
    retry_delay_s: number;
    /** Seconds an action may run before it is cut off. @default 60 */
    action_timeout_s: number;
    /** Hours after which a request in Pending_Approval/ raises a Dashboard alert. @default 24 */
    stale_after_hours: number;
  };
  /** How the component Workers are supervised. */
  supervisor: {
    /** Wait in seconds between a component's failure and its restart. @default 2 */
    restart_delay_s: number;
    /** Seconds the components get to stop at shutdown before they are terminated. @default 5 */
    shutdown_timeout_s: number;
  };
  /** Dashboard.md and `.aiemp/state.json`. */
  dashboard: {
    /** Both files are written at most once per this many milliseconds. @default 1000 */
    refresh_ms: number;
    /** Recent-activity lines the Dashboard shows; older ones roll over to Logs/. @default 20 */
    activity_entries: number;
  };
  /** The scheduler, which runs the tasks of schedules.yaml. */
  scheduler: {
    /** Whether due tasks run on the tick (`aiemp trigger` works either way). @default true */
    enabled: boolean;
    /** Seconds between two checks for due tasks. @default 30 */
    tick_s: number;
  };
  /** The `done_archive` task. */
  archive: {
    /** Days after which an item in Done/ moves to `Done/Archive/YYYY-MM/`. @default 7 */
    done_after_days: number;
  };
  /** The agent CLI that scheduled tasks run. */
  agent: {
    /** The program's name or path. @default "claude" */
    command: string;
    /** Arguments before the prompt. @default ["--print"] */
    args: string[];
    /** Upper bound in minutes on one agent run (a task's own timeout may be lower). @default 10 */
    timeout_minutes: number;
  };
  /** Named http(s) webhook URLs, for an approved item's `webhook: NAME`. @default {} */
  webhooks: Record<string, string>;
}

/** True when `A` and `B` are the same type. */
type SameType<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;

// Config must say exactly what configSchema produces: this fails to type-check when they differ.
const _configIsExact: SameType<Config, z.infer<typeof configSchema>> = true;
