import type { CommandOutcome, RunCommandOptions } from "./types.ts";

/** How long a checked program may take when the caller does not say. */
const DEFAULT_TIMEOUT_MS = 10_000;

/** How long a program stopped at its timeout gets to end after SIGTERM before SIGKILL. */
export const KILL_GRACE_MS = 1_000;

/**
 * Runs `command` with `args` as a subprocess (no stdin, output collected) and reports how it
 * ended. When `timeoutMs` is up it gets SIGTERM, and SIGKILL when it has not ended
 * {@linkcode KILL_GRACE_MS} later; its output is no longer waited for (a program it started may
 * still hold it open), nor is its end after the SIGKILL: the answer comes at most
 * `timeoutMs + KILL_GRACE_MS` after the start. Never throws.
 */
export async function runCommand(
  command: string,
  args: string[],
  options: RunCommandOptions = {},
): Promise<CommandOutcome> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command, {
      args,
      cwd: options.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof Deno.errors.NotFound) return { ran: false, reason: "not_found", message };
    if (
      error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable
    ) {
      return { ran: false, reason: "denied", message };
    }
    return { ran: false, reason: "error", message };
  }
  const reading = new AbortController();
  const ended = Promise.all([
    child.status,
    textOf(child.stdout, reading.signal),
    textOf(child.stderr, reading.signal),
  ]);
  const done = await within(ended, timeoutMs);
  if (done) {
    const [status, stdout, stderr] = done;
    return { ran: true, code: status.code, stdout, stderr };
  }
  reading.abort();
  signal(child, "SIGTERM");
  if (!await within(child.status, KILL_GRACE_MS)) signal(child, "SIGKILL");
  return { ran: false, reason: "timeout", message: `gave no answer within ${timeoutMs} ms` };
}

/** What `promise` resolves to within `ms` milliseconds, else undefined (it is not cancelled). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Sends `name` to the child; nothing when it has ended already. */
function signal(child: Deno.ChildProcess, name: Deno.Signal): void {
  try {
    child.kill(name);
  } catch { /* it has ended */ }
}

/** The text of `stream`, up to where `signal` aborts (the rest is dropped). */
async function textOf(stream: ReadableStream<Uint8Array>, signal: AbortSignal): Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  const stop = () => reader.cancel().catch(() => {});
  signal.addEventListener("abort", stop, { once: true });
  let text = "";
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      text += chunk.value;
    }
  } catch {
    /* cancelled */
  } finally {
    signal.removeEventListener("abort", stop);
  }
  return text;
}
