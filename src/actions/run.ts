import { actionRunPermissions, browserActionRunPermissions } from "../sandbox/mod.ts";
import { runWorkerComponent } from "../supervisor/mod.ts";
import { ACTION_RUNS } from "./registry.ts";
import type { ActionResult, PreparedAction } from "./types.ts";

/**
 * Performs a prepared action in a fresh Worker that can reach only `prepared.hosts`, read only
 * `prepared.readable` and only the environment variables in `prepared.env` — or, for an action
 * that drives a browser (`prepared.browser`), what driving that browser takes besides reading
 * `prepared.readable` (see `browserActionRunPermissions`). It is cut off after
 * `timeoutMs`, or when `signal` aborts (shutdown): then the result says it may have reached the
 * remote.
 */
export async function runActionSandboxed(
  action: string,
  prepared: PreparedAction,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<ActionResult & { interrupted?: boolean }> {
  const cutOff = AbortSignal.any([
    AbortSignal.timeout(options.timeoutMs),
    ...(options.signal ? [options.signal] : []),
  ]);
  const entry = ACTION_RUNS[prepared.run ?? action];
  if (!entry) return { ok: false, retryable: false, reason: `no run of action '${action}'` };
  let result: ActionResult | undefined;
  try {
    await runWorkerComponent({
      module: entry,
      permissions: prepared.browser
        ? browserActionRunPermissions(prepared.browser, prepared.readable)
        : actionRunPermissions(prepared.hosts, prepared.readable, prepared.env),
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
  if (cutOff.aborted && !result?.ok) {
    // Cut off by the timeout or the shutdown: whether the remote acted is unknown.
    const why = options.signal?.aborted
      ? "aiemp was shutting down"
      : `no answer within ${options.timeoutMs / 1000}s`;
    return {
      ok: false,
      retryable: result?.ok === false && result.retryable,
      reason: `the action was cut off (${why}); it may have been performed`,
      interrupted: true,
    };
  }
  return result ?? { ok: false, retryable: false, reason: "the action run ended without a result" };
}
