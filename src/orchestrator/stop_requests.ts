import { onAbort } from "../abort/mod.ts";
import { exists } from "../vault/mod.ts";

/**
 * Calls `stop(reason)` on SIGINT or SIGTERM (SIGINT only on Windows, which has no SIGTERM).
 * Returns a function that stops listening.
 */
export function onStopSignals(stop: (reason: string) => void): () => void {
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const removers = signals.map((name) => {
    const handler = () => stop(`Received ${name}`);
    Deno.addSignalListener(name, handler);
    return () => Deno.removeSignalListener(name, handler);
  });
  return () => removers.forEach((remove) => remove());
}

/**
 * Calls `stop(reason)` when the emergency stop file (`.claude_stop`) appears in the vault, until
 * `signal` aborts.
 */
export async function watchStopFile(
  vault: string,
  stopFile: string,
  stop: (reason: string) => void,
  signal: AbortSignal,
): Promise<void> {
  const watcher = Deno.watchFs(vault, { recursive: false });
  onAbort(signal, () => watcher.close());
  try {
    for await (const event of watcher) {
      if (event.paths.includes(stopFile) && await exists(stopFile)) {
        stop("Found the stop file .claude_stop");
      }
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
}
