import { onAbort } from "../abort/mod.ts";
import { join } from "node:path";
import { writeFileAtomic } from "../vault/mod.ts";

/** A request from the command line to the running orchestrator. */
export type OrchestratorRequest =
  | {
    /** Run a scheduled task now (`aiemp trigger`). */
    kind: "trigger";
    /** The task's name. */
    name: string;
    /** Contact nothing outside. */
    dryRun: boolean;
  }
  | {
    /** Resume a paused component or restart a running one (`aiemp restart`). */
    kind: "restart";
    /** The component's name. */
    name: string;
  }
  | {
    /** Approve a pending request (`aiemp approve`) or reject it (`aiemp reject`). */
    kind: "approve" | "reject";
    /** The request's id or file name. */
    id: string;
    /** Who decided (the user running the command). */
    by: string;
    /** For a rejection: why. */
    reason?: string;
  };

const REQUEST = ".request.json";
const ANSWER = ".answer.json";

/**
 * Hands a request to the orchestrator running on this vault (a file in `.aiemp/requests/`) and
 * waits for its answer; undefined when none came within `timeoutMs`.
 */
export async function submitRequest(
  requestsDir: string,
  request: OrchestratorRequest,
  timeoutMs: number,
): Promise<unknown> {
  await Deno.mkdir(requestsDir, { recursive: true });
  const id = crypto.randomUUID();
  const answerPath = join(requestsDir, id + ANSWER);
  await writeFileAtomic(join(requestsDir, id + REQUEST), JSON.stringify(request));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const answer = JSON.parse(await Deno.readTextFile(answerPath));
      await Deno.remove(answerPath).catch(() => {});
      return answer;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await Deno.remove(join(requestsDir, id + REQUEST)).catch(() => {});
  return undefined;
}

/**
 * Answers requests dropped into `requestsDir` until `signal` aborts: each is read, removed, handled
 * by `handle`, and answered in a file beside it.
 */
export async function serveRequests(
  requestsDir: string,
  handle: (request: OrchestratorRequest) => Promise<unknown>,
  signal: AbortSignal,
): Promise<void> {
  await Deno.mkdir(requestsDir, { recursive: true });
  const watcher = Deno.watchFs(requestsDir, { recursive: false });
  onAbort(signal, () => watcher.close());
  const answer = async (name: string) => {
    const path = join(requestsDir, name);
    let request: OrchestratorRequest;
    try {
      request = JSON.parse(await Deno.readTextFile(path));
      await Deno.remove(path);
    } catch {
      return; // taken already, or not fully written yet (a rename makes it whole)
    }
    const reply = await handle(request).catch((error) => ({ ok: false, summary: String(error) }));
    await writeFileAtomic(path.replace(REQUEST, ANSWER), JSON.stringify(reply));
  };
  for await (const entry of Deno.readDir(requestsDir)) {
    if (entry.name.endsWith(REQUEST)) await answer(entry.name);
  }
  try {
    for await (const event of watcher) {
      for (const path of event.paths) {
        const name = path.slice(requestsDir.length + 1);
        if (name.endsWith(REQUEST) && !name.startsWith(".")) await answer(name);
      }
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
}
