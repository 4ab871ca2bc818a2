/** Worker entry of one action run: performs one prepared request, with only its permissions. */
import { serveComponent } from "../supervisor/mod.ts";
import { findActionType } from "./registry.ts";
import type { ActionResult } from "./types.ts";

serveComponent<{ action: string; request: unknown }>(async ({ init, signal }) => {
  const type = findActionType(init.action);
  const result: ActionResult = type
    ? await type.perform(init.request, signal)
    : { ok: false, retryable: false, reason: `no action '${init.action}'` };
  return { result };
});
