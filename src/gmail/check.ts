/**
 * Whether the stored Gmail credentials work and which scopes they carry, checked from inside a
 * Worker with the Gmail permissions only — for `aiemp doctor` and `aiemp auth status`.
 * @module
 */
import type { GmailClientOptions } from "./client.ts";
import { gmailWorkerPermissions } from "./endpoints.ts";
import type { GmailProfile, GmailTokenInfo } from "./types.ts";

/** What the check needs: the client's settings that can cross into a Worker. */
export type GmailCheckRequest = Pick<
  GmailClientOptions,
  | "clientId"
  | "clientSecret"
  | "refreshToken"
  | "apiRoot"
  | "tokenUri"
  | "tokenInfoUri"
  | "timeoutMs"
  | "retry"
>;

/**
 * The check's outcome. On failure `name` is the error's class (`GmailAuthError`: run
 * `aiemp auth gmail`; `NotCapable`: the permissions lack a host; `WorkerError`: the Worker could
 * not even start, e.g. an environment variable missing from its permissions).
 */
export type GmailCheck =
  | { ok: true; profile: GmailProfile; token: GmailTokenInfo }
  | { ok: false; name: string; message: string; status?: number };

const WORKER = new URL("./check_worker.ts", import.meta.url);

/**
 * Runs the check in a Worker with `permissions` (default: {@link gmailWorkerPermissions} of the
 * request's endpoints) and resolves with its outcome; the Worker is stopped afterwards.
 *
 * @example
 * ```ts
 * const check = await checkGmail({ clientId, refreshToken, apiRoot, tokenUri });
 * if (check.ok) console.log(check.profile.emailAddress, check.token.scopes);
 * ```
 */
export async function checkGmail(
  request: GmailCheckRequest,
  permissions: Deno.PermissionOptionsObject = gmailWorkerPermissions(request),
): Promise<GmailCheck> {
  const worker = new Worker(WORKER, { type: "module", deno: { permissions } });
  try {
    return await new Promise<GmailCheck>((resolve) => {
      worker.onmessage = (event: MessageEvent<GmailCheck>) => resolve(event.data);
      worker.onerror = (event) => {
        event.preventDefault();
        resolve({ ok: false, name: "WorkerError", message: event.message });
      };
      worker.postMessage(request);
    });
  } finally {
    worker.terminate();
  }
}
