/**
 * The body of one action run's Worker: performs one prepared request, with only its permissions.
 * Each action has its own small entry module (`runs/`), so a run loads only its own action: a
 * webhook run does not pay for the mail libraries (and a Worker may not import more later).
 */
import { serveComponent } from "../supervisor/mod.ts";
import type { ActionResult, ActionType } from "./types.ts";

/** Serves one run of one of `types` (the one its start data names). */
export function serveActionRun(types: readonly ActionType[]): void {
  serveComponent<{ action: string; request: unknown }>(async ({ init, signal }) => {
    const type = types.find((t) => t.name === init.action);
    const result: ActionResult = type
      ? await type.perform(init.request, signal)
      : { ok: false, retryable: false, reason: `no action '${init.action}' in this run` };
    return { result };
  });
}
