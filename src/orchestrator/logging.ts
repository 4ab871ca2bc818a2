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
import { redactValue } from "../secrets/mod.ts";

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

/**
 * Passes `record` on with secrets masked in everything a formatter may print: the message parts
 * (interpolated values too), the raw template and the properties.
 */
function redacting(sink: Sink): Sink {
  return (record: LogRecord) => {
    sink({
      ...record,
      message: redactValue(record.message),
      rawMessage: redactValue(record.rawMessage),
      properties: redactValue(record.properties),
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
