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

/** The schema of aiemp.yaml: every setting, its type and its default. */
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

/** The settings of one vault, after defaults; read-only. */
export type Config = z.infer<typeof configSchema>;
