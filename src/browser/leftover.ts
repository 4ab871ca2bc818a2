import { dirname } from "node:path";
import { stopLeftoverTree } from "../supervisor/mod.ts";
import { processLine } from "./_process.ts";

/** What a browser's PID file holds while it runs. */
export interface BrowserPidRecord {
  /** The browser's main process. */
  pid: number;
  /** Its program as `ps` showed it at launch; a PID running another program is left alone. */
  command: string;
  /** The profile it was started on; a process without it on its command line is left alone. */
  profileDir: string;
  /** When it started (ISO 8601). */
  started: string;
}

/** Where lines about a browser go. */
export type BrowserLog = (level: "info" | "warning" | "error", message: string) => void;

/** How {@linkcode stopLeftoverBrowser} stops a leftover. */
export interface StopLeftoverOptions {
  /** Between SIGTERM and SIGKILL. @default 3000 */
  graceMs?: number;
  /** Where a line about a stopped leftover goes. @default nowhere */
  log?: BrowserLog;
}

/**
 * Stops a browser that an earlier aiemp started on a profile and could not close (it was killed
 * with SIGKILL, or crashed), found through `pidFile`: SIGTERM to its process group, SIGKILL after
 * `graceMs`. The PID is only acted on while it still runs the recorded program with the recorded
 * profile on its command line, so a PID since reused by another program is left alone. The PID
 * file is removed either way. True when a leftover was running and was stopped.
 *
 * @example
 * ```ts
 * if (await stopLeftoverBrowser(".aiemp/browser/whatsapp.pid")) console.log("stopped a leftover");
 * ```
 */
export async function stopLeftoverBrowser(
  pidFile: string,
  { graceMs = 3000, log = () => {} }: StopLeftoverOptions = {},
): Promise<boolean> {
  const record = await readPidFile(pidFile);
  if (record === undefined) return false;
  try {
    const line = await processLine(record.pid);
    if (line === undefined || (line !== "unknown" && line.zombie)) return false;
    if (line !== "unknown" && !line.command.includes(`--user-data-dir=${record.profileDir}`)) {
      log("info", `PID ${record.pid} of ${pidFile} now runs another program; left alone`);
      return false;
    }
    const stopped = await stopLeftoverTree(record, graceMs);
    if (stopped) {
      log(
        "warning",
        `A browser was still running on ${record.profileDir} from an earlier run (PID ${record.pid}); stopped it`,
      );
    }
    return stopped;
  } finally {
    await Deno.remove(pidFile).catch(() => {});
  }
}

/**
 * Writes `record` to `pidFile`, readable by its owner; its folder is created (0700) when missing.
 * One small write, not a temporary file renamed over it: a Worker may then write this file and
 * nothing else beside it. A file torn by a crash is garbled, and {@linkcode readPidFile} drops it.
 */
export async function writePidFile(pidFile: string, record: BrowserPidRecord): Promise<void> {
  const text = JSON.stringify(record) + "\n";
  try {
    await Deno.writeTextFile(pidFile, text, { mode: 0o600 });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    await Deno.mkdir(dirname(pidFile), { recursive: true, mode: 0o700 });
    await Deno.writeTextFile(pidFile, text, { mode: 0o600 });
  }
}

/**
 * The record in `pidFile`; undefined when there is none. A garbled file is removed. Any other
 * failure (no permission to read it) is thrown: a leftover must not go unnoticed in silence.
 */
export async function readPidFile(pidFile: string): Promise<BrowserPidRecord | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(pidFile);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  try {
    const record = JSON.parse(text) as Partial<BrowserPidRecord>;
    if (
      Number.isInteger(record.pid) && record.pid! > 0 && typeof record.command === "string" &&
      typeof record.profileDir === "string"
    ) {
      return record as BrowserPidRecord;
    }
  } catch { /* garbled */ }
  await Deno.remove(pidFile).catch(() => {});
  return undefined;
}
