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
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(spec.command, {
      args: spec.args,
      cwd: spec.cwd,
      env: {
        ...spec.env,
        ...(spec.heartbeatFile ? { AIEMP_HEARTBEAT_FILE: spec.heartbeatFile } : {}),
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      detached: Deno.build.os !== "windows",
    }).spawn();
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? `'${spec.command}' was not found; check watchers → ${spec.name} → command in aiemp.yaml`
      : `cannot start '${spec.command}': ${error instanceof Error ? error.message : error}`;
    throw new ComponentCrash(why);
  }
  const record: PidRecord = {
    pid: child.pid,
    command: spec.command,
    started: new Date(startedAt).toISOString(),
  };
  await Deno.writeTextFile(spec.pidFile, JSON.stringify(record));
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
  throw new ComponentCrash(
    status.signal
      ? `killed by ${status.signal}`
      : `exited with code ${status.code} (see Logs/${basename(spec.logFile)})`,
  );
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
