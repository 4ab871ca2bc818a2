import { actionRunPermissions } from "../sandbox/mod.ts";
import { runWorkerComponent } from "../supervisor/mod.ts";
import type { ActionResult, PreparedAction } from "./types.ts";

const RUN_WORKER = new URL("./run_worker.ts", import.meta.url);

/**
 * Performs a prepared action in a fresh Worker that can reach only `prepared.hosts` and read only
 * `prepared.readable`. It is cut off after `timeoutMs`, or when `signal` aborts (shutdown): then
 * the result says it may have reached the remote.
 */
export async function runActionSandboxed(
  action: string,
  prepared: PreparedAction,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<ActionResult> {
  const cutOff = AbortSignal.any([
    AbortSignal.timeout(options.timeoutMs),
    ...(options.signal ? [options.signal] : []),
  ]);
  let result: ActionResult | undefined;
  try {
    await runWorkerComponent({
      module: RUN_WORKER,
      permissions: actionRunPermissions(prepared.hosts, prepared.readable),
      init: { action, request: prepared.request },
      shutdownMs: 1000,
      onMessage(message) {
        if (message.kind === "exited") {
          result = (message.summary as { result: ActionResult } | undefined)?.result;
        }
      },
    }, cutOff);
  } catch (error) {
    return {
      ok: false,
      retryable: false,
      reason: `the action run failed: ${error instanceof Error ? error.message : error}`,
    };
  }
  return result ?? {
    ok: false,
    retryable: false,
    reason: cutOff.aborted
      ? "the action was cut off (timeout or shutdown); it may have been performed"
      : "the action run ended without a result",
  };
}
