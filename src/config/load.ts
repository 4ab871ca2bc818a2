import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { type Config, configSchema } from "./schema.ts";

/** A setting that cannot be used; the message names the file, the key and the expected form. */
export class ConfigError extends Error {
  /** Always `"ConfigError"`, for logs and stack traces. */
  override name = "ConfigError";
}

/** What the command line may override in the settings. */
export interface ConfigOverrides {
  /** Force dry-run on (`--dry-run`). @default undefined (use the file and DRY_RUN) */
  dryRun?: boolean;
  /** Force the log format (`--log-format`). @default undefined */
  logFormat?: "text" | "json";
}

/**
 * Turns the text of aiemp.yaml, the environment and command-line overrides into one frozen Config.
 *
 * An absent or empty file gives every default. `DRY_RUN=true` in the environment means dry-run.
 *
 * @example
 * ```ts
 * const config = loadConfig("inbox:\n  settle_ms: 100\n", { DRY_RUN: "true" });
 * config.inbox.settle_ms; // 100
 * config.dry_run; // true
 * ```
 */
export function loadConfig(
  text: string | undefined,
  env: { DRY_RUN?: string } = {},
  overrides: ConfigOverrides = {},
  source = "aiemp.yaml",
): Config {
  let raw: unknown;
  try {
    raw = text === undefined ? {} : parseYaml(text) ?? {};
  } catch (error) {
    throw new ConfigError(
      `Cannot read ${source}: ${
        firstLine(error).replace(/:$/, "")
      }; fix the YAML syntax (indent with spaces)`,
    );
  }
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError(`Cannot read ${source}: expected settings as "key: value" lines`);
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(describeIssue(source, result.error, raw));
  const config = result.data;
  if (isTrue(env.DRY_RUN)) config.dry_run = true;
  if (overrides.dryRun) config.dry_run = true;
  if (overrides.logFormat) config.log.format = overrides.logFormat;
  return deepFreeze(config);
}

function describeIssue(source: string, error: z.ZodError, raw: unknown): string {
  const issue = error.issues[0];
  if (issue.code === "unrecognized_keys") {
    const at = [...issue.path, issue.keys[0]].join(".");
    return `Cannot load ${source}: unknown setting '${at}'; check its spelling against the commented aiemp.yaml of 'aiemp vault init'`;
  }
  const key = issue.path.join(".");
  if (issue.code === "invalid_key") {
    return `Cannot load ${source}: '${key}' is not a usable name: ${
      issue.issues[0]?.message ?? issue.message
    }`;
  }
  const got = valueAt(raw, issue.path);
  // Webhook URLs may carry tokens, so their values are never echoed.
  const secret = issue.path[0] === "webhooks";
  const shown = got === undefined || secret ? "" : `, got ${JSON.stringify(got)}`;
  return `Cannot load ${source}: setting '${key}': ${issue.message}${shown}`;
}

function valueAt(raw: unknown, path: PropertyKey[]): unknown {
  let value = raw;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && ["1", "true", "yes", "on"].includes(value.trim().toLowerCase());
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split("\n")[0];
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
