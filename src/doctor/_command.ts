import type { CommandOutcome, RunCommandOptions } from "./types.ts";

/** How long a checked program may take when the caller does not say. */
const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Runs `command` with `args` as a subprocess (no stdin, output collected) and reports how it
 * ended. When `timeoutMs` is up it is killed and its output no longer waited for: a program it
 * started may still hold the output open. Never throws.
 */
export async function runCommand(
  command: string,
  args: string[],
  options: RunCommandOptions = {},
): Promise<CommandOutcome> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command, {
      args,
      cwd: options.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal, // kills it when the time is up
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
  const [status, stdout, stderr] = await Promise.all([
    child.status,
    textOf(child.stdout, signal),
    textOf(child.stderr, signal),
  ]);
  if (signal.aborted) {
    return { ran: false, reason: "timeout", message: `gave no answer within ${timeoutMs} ms` };
  }
  return { ran: true, code: status.code, stdout, stderr };
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
