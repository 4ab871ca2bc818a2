import { getFileSink } from "@logtape/file";
import {
  configure,
  dispose,
  getJsonLinesFormatter,
  getLogger,
  getTextFormatter,
  type Logger,
  type LogRecord,
  type Sink,
} from "@logtape/logtape";
import { join } from "node:path";

/** Where and how the orchestrator logs. */
export interface LoggingOptions {
  logsDir: string;
  format: "text" | "json";
  level: "debug" | "info" | "warning" | "error";
  /** Components with a log of their own, `Logs/<id>.log`. */
  components: string[];
  /** Also write to stderr (the service manager's journal). @default true */
  console?: boolean;
}

/** Patterns of secrets that must never reach a log, whatever a message contains. */
const SECRET_PATTERNS: [RegExp, string][] = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, "$1 [redacted]"],
  [/\b(https?:\/\/)[^/\s:@]+:[^/\s@]+@/g, "$1[redacted]@"],
  [
    /\b((?:access|refresh|id)_token|api[_-]?key|client_secret|password|token)(["']?\s*[:=]\s*["']?)[^\s"'&,}]+/gi,
    "$1$2[redacted]",
  ],
  [/\bhooks\.slack\.com\/services\/[A-Za-z0-9/]+/g, "hooks.slack.com/services/[redacted]"],
];

/** Removes anything that looks like a secret from a log message. */
export function redactSecrets(text: string): string {
  return SECRET_PATTERNS.reduce(
    (out, [pattern, replacement]) => out.replace(pattern, replacement),
    text,
  );
}

function redacting(sink: Sink): Sink {
  return (record: LogRecord) => {
    sink({
      ...record,
      message: record.message.map((part) => typeof part === "string" ? redactSecrets(part) : part),
    });
  };
}

/**
 * Configures logging: every message goes to `Logs/system.log` (and stderr), a component's messages
 * also to `Logs/<component>.log`; text or JSON lines; secrets redacted on the way out.
 * Returns the loggers and a function that flushes and closes the files.
 */
export async function setupLogging(options: LoggingOptions): Promise<{
  system: Logger;
  component(id: string): Logger;
  close(): Promise<void>;
}> {
  await Deno.mkdir(options.logsDir, { recursive: true });
  const formatter = options.format === "json" ? getJsonLinesFormatter() : getTextFormatter({
    timestamp: "date-time",
    category: (c) => c.slice(1).join(".") || "aiemp",
  });
  const file = (name: string) =>
    redacting(getFileSink(join(options.logsDir, `${name}.log`), { formatter, bufferSize: 0 }));
  const stderr: Sink = redacting((record) => {
    Deno.stderr.writeSync(new TextEncoder().encode(String(formatter(record))));
  });
  const sinks: Record<string, Sink> = { system: file("system") };
  if (options.console !== false) sinks.console = stderr;
  for (const id of options.components) sinks[id] = file(id);
  await configure({
    reset: true,
    sinks,
    loggers: [
      {
        category: ["aiemp"],
        lowestLevel: options.level,
        sinks: Object.keys(sinks).filter((s) => s === "system" || s === "console"),
      },
      ...options.components.map((id) => ({ category: ["aiemp", id], sinks: [id] })),
      { category: ["logtape", "meta"], lowestLevel: "warning" as const, sinks: [] },
    ],
  });
  return {
    system: getLogger(["aiemp"]),
    component: (id) => getLogger(["aiemp", id]),
    close: () => dispose(),
  };
}
