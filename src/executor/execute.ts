import {
  ActionInputError,
  type ActionSettings,
  type ApprovedItem,
  findActionType,
  runActionSandboxed,
} from "../actions/mod.ts";
import type { AuditEntry, AuditLog } from "../audit/mod.ts";
import type { RateLimiter, Reservation } from "../pacing/mod.ts";
import { redactValue, SecretError, type SecretStore } from "../secrets/mod.ts";
import { storageProblemOf } from "../vault/mod.ts";
import type { ExecutionOutcome } from "./outcome.ts";

/** What one attempt needs from the orchestrator. */
export interface ExecuteOptions {
  /** What actions need from aiemp.yaml (named webhooks, User-Agent). */
  settings: Omit<ActionSettings, "secret">;
  /**
   * Where the secrets an action names are read (`.aiemp/secrets/`, then the environment).
   * @default none: an item that needs a secret fails, saying so
   */
  secrets?: SecretStore;
  /** Where `started`, `done`, `failed`, `dry_run` and `invalid` are recorded. */
  audit: AuditLog;
  /** Record what would be sent instead of sending it. */
  dryRun: boolean;
  /** Milliseconds the sandboxed run may take before it is cut off. */
  timeoutMs: number;
  /** Aborts a running action at shutdown. */
  signal?: AbortSignal;
  /** Told when the result of a performed attempt cannot be recorded. @default ignores it */
  onAuditError?: (error: unknown) => void;
  /**
   * The rate limits (`.aiemp/pacing.json`) an action that names a platform (`prepared.pace`)
   * counts against; one limiter for the process, so parallel runs never both take the last slot.
   * @default none: nothing is paced
   */
  limiter?: RateLimiter;
}

/**
 * Performs one attempt of an approved item, in the main thread: prepares the request (reading the
 * secrets it names), takes a slot of the platform's rate limit when the action is paced (over the
 * limit, nothing begins: the outcome says how long to wait, `waitMs`, and why), records
 * `started` in the audit log (on disk before anything is sent), runs it in a sandboxed Worker,
 * and records `done` or `failed`; a slot is given back when nothing was sent. In dry-run mode it
 * records what would be sent and contacts nothing. Every audit entry and the outcome pass through redaction, so no
 * secret value read here (nor anything shaped like a token) is recorded or reported.
 */
export async function executeApproved(
  item: ApprovedItem,
  attempt: number,
  options: ExecuteOptions,
): Promise<ExecutionOutcome> {
  const audit: AuditLog = { append: (entry) => options.audit.append(redactValue(entry)) };
  const settings: ActionSettings = {
    ...options.settings,
    secret: (name) => readSecret(options.secrets, name),
  };
  return redactValue(await performAttempt(item, attempt, { ...options, audit, settings }));
}

async function performAttempt(
  item: ApprovedItem,
  attempt: number,
  options: Omit<ExecuteOptions, "settings"> & { settings: ActionSettings },
): Promise<ExecutionOutcome> {
  const type = findActionType(item.action);
  if (!type) return { ok: false, retryable: false, reason: `unknown action '${item.action}'` };
  const base = { id: item.id, action: item.action, file: item.fileName, attempt };
  let prepared;
  try {
    prepared = await type.prepare(item, options.settings);
  } catch (error) {
    if (!(error instanceof ActionInputError)) throw error;
    await options.audit.append({ event: "invalid", ...base, reason: error.message });
    return { ok: false, retryable: error.retryable, reason: error.message };
  }
  // Over the rate limit, the attempt does not begin: nothing is announced, nothing sent.
  const slot = options.dryRun ? undefined : await reserveSlot(prepared.pace, options);
  if (slot && !slot.ok) {
    const reason = `over the rate limit: ${slot.why}; nothing was sent, tried again later`;
    await options.audit.append({ event: "deferred", ...base, reason, wait_ms: slot.waitMs })
      .catch((error) => options.onAuditError?.(error));
    return { ok: false, retryable: true, reason, waitMs: slot.waitMs };
  }
  // Nothing goes out unless its attempt is on record first.
  const announced = await recorded(
    options.audit,
    options.dryRun
      ? { event: "dry_run", ...base, would_send: prepared.summary }
      : { event: "started", ...base, hosts: prepared.hosts },
  );
  if (announced) {
    await slot?.cancel().catch(() => {});
    return announced;
  }
  if (options.dryRun) return { ok: true, dryRun: true, wouldSend: prepared.summary };
  const result = asOutcome(
    await runActionSandboxed(type.name, prepared, {
      timeoutMs: Math.max(options.timeoutMs, prepared.minTimeoutMs ?? 0),
      signal: options.signal,
    }),
  );
  // Nothing went out: the slot is given back. A send that may have gone out keeps it.
  if (slot && !result.ok && !result.interrupted) await slot.cancel().catch(() => {});
  if (!result.ok && result.waitMs !== undefined) {
    await options.audit.append({
      event: "deferred",
      ...base,
      reason: result.reason,
      wait_ms: result.waitMs,
    })
      .catch((error) => options.onAuditError?.(error));
    return result;
  }
  // The action has happened (or not): failing to record that must not change what is reported.
  await options.audit.append(
    result.ok
      ? {
        event: "done",
        ...base,
        remote_id: result.remoteId,
        ...(result.url ? { url: result.url } : {}),
        detail: result.detail,
      }
      : {
        event: "failed",
        ...base,
        retryable: result.retryable,
        reason: result.reason,
        ...(result.interrupted ? { may_have_acted: true } : {}),
      },
  ).catch((error) => options.onAuditError?.(error));
  return result;
}

/**
 * The outcome of a run's result. A failure after which the remote may have acted (`mayHaveActed`,
 * e.g. a 5xx while a message was being sent) is `interrupted` and never retryable: the dispatcher
 * hands it back to the owner in Pending_Approval/, marked "may have been sent". A remote that
 * asked to be asked later (`retryAfterMs`, a 429) makes the item wait that long (`waitMs`).
 */
function asOutcome(result: ExecutionOutcome): ExecutionOutcome {
  if (!result.ok && result.retryAfterMs !== undefined && !result.mayHaveActed) {
    // The remote asked to be asked later (a 429): nothing was done, so the item waits that long.
    const { retryAfterMs, ...rest } = result;
    return { ...rest, retryable: true, waitMs: retryAfterMs };
  }
  if (result.ok || !result.mayHaveActed) return result;
  const { mayHaveActed: _mayHaveActed, ...rest } = result;
  return { ...rest, retryable: false, interrupted: true };
}

/**
 * A slot of `platform`'s rate limit, or undefined when the action is not paced (or no limiter was
 * given). A limit the settings do not know, or a file that cannot be written, fails the attempt.
 */
async function reserveSlot(
  platform: string | undefined,
  options: { limiter?: RateLimiter },
): Promise<Reservation | undefined> {
  if (platform === undefined || !options.limiter) return undefined;
  return await options.limiter.reserve(platform);
}

/** The secret `name`, or an {@linkcode ActionInputError} whose message says how to fix it. */
function readSecret(store: SecretStore | undefined, name: string): string {
  if (!store) {
    throw new ActionInputError(`the secret '${name}' cannot be read: no secret store is set up`);
  }
  try {
    return store.read(name);
  } catch (error) {
    if (error instanceof SecretError) throw new ActionInputError(error.message);
    throw error;
  }
}

/** Appends `entry`; when that fails, the outcome of an attempt that must not begin. */
async function recorded(
  audit: AuditLog,
  entry: AuditEntry,
): Promise<ExecutionOutcome | undefined> {
  try {
    await audit.append(entry);
    return undefined;
  } catch (error) {
    const problem = storageProblemOf(error) ??
      { what: `the audit log cannot be written (${error})`, fix: "check .aiemp/audit.jsonl" };
    return {
      ok: false,
      retryable: true,
      reason: `cannot record the attempt in the audit log: ${problem.what}; nothing was sent`,
      notStarted: problem,
    };
  }
}
