import { onAbort } from "../abort/mod.ts";
import { basename, dirname } from "node:path";
import type { ChildRun } from "./supervisor.ts";
import { ComponentCrash } from "./worker_child.ts";

/** How to run one external watcher (any program) as a supervised subprocess. */
export interface SubprocessComponent {
  /** The watcher's name, as in aiemp.yaml. */
  name: string;
  /** The program to run. */
  command: string;
  /** Its arguments. @default [] */
  args: string[];
  /** Extra environment variables (added to aiemp's own). */
  env: Record<string, string>;
  /** Its working directory. */
  cwd: string;
  /** Where its stdout and stderr go (appended), e.g. `Logs/NAME.log`. */
  logFile: string;
  /** Where its PID is kept while it runs, so a leftover is found after a crash. */
  pidFile: string;
  /** A file it must touch at least every `heartbeatTimeoutMs`; passed as AIEMP_HEARTBEAT_FILE. */
  heartbeatFile?: string;
  /** How stale the heartbeat file may get before the watcher counts as hung. @default none */
  heartbeatTimeoutMs?: number;
  /** Between SIGTERM and SIGKILL at shutdown. @default 10000 */
  graceMs: number;
  /** Where lines about it go. */
  log(level: "info" | "warning" | "error", message: string): void;
}

/** What the PID file of a running subprocess holds. */
interface PidRecord {
  pid: number;
  command: string;
  started: string;
}

/**
 * Runs an external watcher until it exits or `run.signal` stops it. It gets its own process group,
 * so stopping it (SIGTERM, then SIGKILL after the grace period) also stops whatever it started.
 * A leftover from a previous run (after the orchestrator was killed) is stopped first, so it never
 * runs twice. A non-zero exit rejects with {@linkcode ComponentCrash}; a clean exit resolves.
 */
export async function runSubprocessComponent(
  spec: SubprocessComponent,
  run: ChildRun,
): Promise<void> {
  await stopLeftover(spec);
  await Deno.mkdir(dirname(spec.logFile), { recursive: true });
  await Deno.mkdir(dirname(spec.pidFile), { recursive: true });
  const startedAt = Date.now();
  const started = new Date(startedAt).toISOString();
  const posix = Deno.build.os !== "windows";
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(posix ? "/bin/sh" : spec.command, {
      args: posix ? ["-c", RECORD_THEN_EXEC, "sh", spec.command, ...spec.args] : spec.args,
      cwd: spec.cwd,
      env: {
        ...spec.env,
        ...(spec.heartbeatFile ? { AIEMP_HEARTBEAT_FILE: spec.heartbeatFile } : {}),
        ...(posix
          ? {
            AIEMP_PID_RECORD: JSON.stringify({ command: spec.command, started }).slice(0, -1),
            AIEMP_PID_FILE: spec.pidFile,
          }
          : {}),
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      detached: posix,
    }).spawn();
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? notFound(spec)
      : `cannot start '${spec.command}': ${error instanceof Error ? error.message : error}`;
    throw new ComponentCrash(why);
  }
  if (!posix) {
    const record: PidRecord = { pid: child.pid, command: spec.command, started };
    await Deno.writeTextFile(spec.pidFile, JSON.stringify(record));
  }
  const output = await Deno.open(spec.logFile, { append: true, create: true });
  const copy = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) await output.write(chunk);
  };
  const copied = Promise.all([copy(child.stdout), copy(child.stderr)]).catch(() => {});
  if (spec.heartbeatFile && spec.heartbeatTimeoutMs) {
    const file = spec.heartbeatFile;
    const limit = spec.heartbeatTimeoutMs;
    run.setProbe(async () => {
      const touched = (await Deno.stat(file).catch(() => undefined))?.mtime?.getTime() ?? startedAt;
      const quiet = Date.now() - Math.max(touched, startedAt);
      return quiet > limit
        ? `its heartbeat file was last touched ${Math.round(quiet / 1000)}s ago`
        : undefined;
    });
  }
  spec.log("info", `Started ${spec.name} (PID ${child.pid})`);
  run.ready();
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => {
    signalTree(child.pid, "SIGTERM");
    killTimer = setTimeout(() => signalTree(child.pid, "SIGKILL"), spec.graceMs);
  };
  const forget = onAbort(run.signal, stop);
  const status = await child.status;
  forget();
  clearTimeout(killTimer);
  // Whatever it left behind in its group goes too.
  signalTree(child.pid, "SIGKILL");
  await copied;
  output.close();
  await Deno.remove(spec.pidFile).catch(() => {});
  if (run.signal.aborted) {
    spec.log("info", `Stopped ${spec.name}`);
    return;
  }
  if (status.success) return;
  // The shell that starts it says 127 when there is no such program.
  if (posix && status.code === 127) throw new ComponentCrash(notFound(spec));
  throw new ComponentCrash(
    status.signal
      ? `killed by ${status.signal}`
      : `exited with code ${status.code} (see Logs/${basename(spec.logFile)})`,
  );
}

/**
 * How a watcher starts on Linux and macOS: a shell writes the PID file (its own PID, which
 * becomes the watcher's at `exec`) before it runs the watcher, so no watcher ever runs without
 * its record — not even when aiemp is killed the instant after starting it, which would
 * otherwise leave one that the next start cannot find and so runs twice. The record's fields
 * come in `AIEMP_PID_RECORD` (JSON without its closing brace), its path in `AIEMP_PID_FILE`;
 * both are removed before the watcher runs.
 */
const RECORD_THEN_EXEC =
  `printf '%s,"pid":%s}\\n' "$AIEMP_PID_RECORD" "$$" > "$AIEMP_PID_FILE.tmp" && ` +
  `mv "$AIEMP_PID_FILE.tmp" "$AIEMP_PID_FILE" && unset AIEMP_PID_RECORD AIEMP_PID_FILE && exec "$@"`;

function notFound(spec: SubprocessComponent): string {
  return `'${spec.command}' was not found; check watchers → ${spec.name} → command in aiemp.yaml`;
}

/**
 * Stops a watcher left running by a previous orchestrator (killed before it could stop it), found
 * through its PID file. A PID now used by another program is left alone.
 */
async function stopLeftover(spec: SubprocessComponent): Promise<void> {
  let record: PidRecord;
  try {
    record = JSON.parse(await Deno.readTextFile(spec.pidFile));
  } catch {
    return;
  }
  if (await isRunning(record)) {
    spec.log(
      "warning",
      `${spec.name} was still running from a previous run (PID ${record.pid}); stopping it first`,
    );
    await stopLeftoverTree(record, spec.graceMs);
  }
  await Deno.remove(spec.pidFile).catch(() => {});
}

/**
 * Stops a process and its group left running by an earlier aiemp, found by its recorded PID and
 * command: SIGTERM, then SIGKILL after `graceMs`. A PID now used by another program is left
 * alone. True when it was still running.
 */
export async function stopLeftoverTree(
  record: { pid: number; command: string },
  graceMs: number,
): Promise<boolean> {
  if (!(await isRunning(record))) return false;
  signalTree(record.pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && await isRunning(record)) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  signalTree(record.pid, "SIGKILL");
  return true;
}

/** True when the PID is alive and still runs the recorded command (not a reused PID). */
async function isRunning(record: { pid: number; command: string }): Promise<boolean> {
  const info = await processInfo(record.pid);
  if (info === "unknown") {
    try {
      Deno.kill(record.pid, "SIGCONT");
      return true;
    } catch {
      return false;
    }
  }
  // A zombie (killed, not yet collected by its parent) is not running.
  return info !== undefined && !info.zombie && info.command.includes(basename(record.command));
}

/**
 * What `ps` says of a process: undefined when there is none, "unknown" when `ps` cannot tell.
 * (`/proc` is not readable under Deno's permissions, and `ps` exists on Linux and macOS alike.)
 */
async function processInfo(
  pid: number,
): Promise<{ zombie: boolean; command: string } | undefined | "unknown"> {
  try {
    const out = await new Deno.Command("ps", {
      args: ["-o", "stat=", "-o", "command=", "-p", String(pid)],
    })
      .output();
    const text = new TextDecoder().decode(out.stdout).trim();
    if (!out.success || text === "") return undefined;
    const [stat, ...command] = text.split(/\s+/);
    return { zombie: stat.startsWith("Z"), command: command.join(" ") };
  } catch {
    return "unknown";
  }
}

/** Sends a signal to a process and its group; ignores a process that is gone. */
function signalTree(pid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(Deno.build.os === "windows" ? pid : -pid, signal);
  } catch { /* gone already */ }
}
