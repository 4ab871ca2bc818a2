import { delay } from "../abort/mod.ts";
import { basename, extname, join } from "node:path";
import { ACTION_TYPES, actionOf, type ApprovedItem, findActionType } from "../actions/mod.ts";
import type { AuditEntry } from "../audit/mod.ts";
import {
  exists,
  fileRefusal,
  heldUpWork,
  isTemporaryName,
  listNames,
  moveInto,
  NoteError,
  parseNote,
  readVaultFile,
  removeInterruptedWrites,
  renderNote,
  replaceSection,
  settleExistingFiles,
  type StorageProblem,
  storageProblemOf,
  type VaultLayout,
  watchSettledFiles,
  writeFileAtomic,
} from "../vault/mod.ts";
import {
  type InflightRecord,
  isInflightRecord,
  itemOfRecord,
  readInflight,
  removeInflight,
  writeInflight,
} from "./inflight.ts";
import {
  destinationOf,
  type ExecutionOutcome,
  type FinalResult,
  noteWithResult,
  textWithResult,
} from "./outcome.ts";

/** The approval executor's settings and its links to the outside world. */
export interface DispatcherOptions {
  /** The vault whose Approved/ folder is worked on. */
  layout: VaultLayout;
  /** Attempts per item before it is rejected. */
  maxRetries: number;
  /** Wait in milliseconds between a retryable failure and the next attempt. */
  retryDelayMs: number;
  /** Quiet time before a file in Approved/ is taken (a copy may still be running). */
  settleMs: number;
  /** Performs one attempt (in the orchestrator: a round trip to the main thread). */
  execute(item: ApprovedItem, attempt: number): Promise<ExecutionOutcome>;
  /** Appends to the audit log. */
  record(entry: AuditEntry): void;
  /** Where log lines go. @default discards them */
  log?: (level: "debug" | "info" | "warning" | "error", message: string) => void;
  /** Told what became of each item, for the Dashboard's recent activity. @default discards it */
  activity?: (text: string, counter?: "approvals_executed" | "approvals_failed") => void;
  /**
   * Shows (or with an empty text clears) the executor's alert on the Dashboard: items held up by a
   * full disk or a read-only vault. @default discards it
   */
  alert?: (text: string) => void;
  /** How often items held up by a storage problem are tried again, in ms. @default 5000 */
  retryMs?: number;
  /** The clock. @default () => new Date() */
  now?: () => Date;
}

/** Executes what the human approved, at most once each. */
export interface Dispatcher {
  /**
   * Deals with items a previous run left in `.aiemp/inflight/`. With `signal`, an item over its
   * rate limit is asked again once its slot is free, until `signal` aborts.
   */
  recover(signal?: AbortSignal): Promise<void>;
  /** Claims and executes one file that appeared in Approved/. */
  handleApproved(path: string, signal?: AbortSignal): Promise<void>;
  /** Recovers, then executes each file that settles in Approved/ until `signal` aborts. */
  run(signal: AbortSignal): Promise<void>;
  /** Recovers and executes what is waiting now, then returns how many items were finished. */
  sweep(): Promise<number>;
  /**
   * Tries again the items held up by a storage problem (a full disk…), one after another;
   * `run()` does so every `retryMs`.
   */
  retryHeldUp(signal?: AbortSignal): Promise<void>;
}

/**
 * Creates the approval executor. For each file in Approved/ it:
 *
 * 1. claims it by renaming it into `.aiemp/inflight/` (another claimant finds nothing),
 * 2. reads it; an unreadable file or an unknown action goes to Rejected/ with the reason,
 * 3. records the attempt as started, then has it executed,
 * 4. records the outcome, writes the result section, and moves it to Done/ or Rejected/.
 *
 * A retryable failure is tried again after `retryDelayMs`, up to `maxRetries` attempts. An item
 * over its platform's rate limit waits for its slot instead; that costs it no attempt.
 * At start-up, an item whose attempt was cut off by a crash is retried only when its action is
 * idempotent; otherwise it goes back to Pending_Approval/ marked `interrupted: may have been sent`.
 *
 * When the vault cannot be written (a full disk, a read-only folder), an item waits where it is —
 * in Approved/ or `.aiemp/inflight/` — under an alert naming the fix, and is tried again every
 * `retryMs` until it goes through; what the executor knows but could not record is kept meanwhile.
 */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { layout } = options;
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => {});
  const activity = options.activity ?? (() => {});
  const retryMs = options.retryMs ?? 5000;
  let finished = 0;
  /** The record an item should have on disk, while writing it fails (e.g. a full disk). */
  const known = new Map<string, InflightRecord>();
  const heldUp = heldUpWork<undefined>(
    options.alert ?? (() => {}),
    (problem, waiting) =>
      `Approved items are held up: ${problem.what}; ${problem.fix}. ${
        waiting ? `${waiting} item(s) wait in .aiemp/inflight/` : "They wait in Approved/"
      } and are performed once that is fixed (aiemp tries again by itself).`,
  );

  /**
   * Writes an item's record. When that fails and `remember` is set, the record is kept in memory
   * so a retry goes by it (e.g. an attempt's result); otherwise what is on disk stays right (e.g.
   * an attempt that could not be announced did not begin).
   */
  async function save(path: string, record: InflightRecord, remember: boolean) {
    try {
      await writeInflight(path, record);
      known.delete(path);
    } catch (error) {
      if (remember) known.set(path, record);
      throw error;
    }
  }

  async function finish(
    path: string,
    result: FinalResult,
    item?: ApprovedItem,
    { recorded = false } = {},
  ) {
    // Only notes get their result written into them; any other file (a link, a folder, bytes that
    // are not UTF-8 text) is moved untouched and its result goes in a note beside it.
    const text = await noteTextOf(path);
    const isNote = text !== undefined;
    if (isNote) {
      let updated: string;
      try {
        const note = noteWithResult(parseNote(text), result);
        updated = renderNote(note.frontMatter, note.body);
      } catch {
        updated = textWithResult(text, result);
      }
      await writeFileAtomic(path, updated);
    }
    const folder = destinationOf(result);
    const target = await moveInto(path, layout.folder(folder));
    if (!isNote) {
      const why = noteWithResult({
        frontMatter: { file: basename(target) },
        body: `# ${basename(target)}\n`,
      }, result);
      await writeFileAtomic(
        await freePath(`${target}.result.md`),
        renderNote(why.frontMatter, why.body),
      );
    }
    await removeInflight(path);
    known.delete(path);
    finished++;
    const name = basename(target);
    const why = result.error ? `: ${result.error}` : "";
    log(folder === "Done" ? "info" : "warning", `${name} → ${folder}/ (${result.outcome})${why}`);
    activity(
      `${item?.action ?? "approval"} ${name}: ${result.outcome.replace("_", " ")}${why}`,
      folder === "Done" ? "approvals_executed" : "approvals_failed",
    );
    if (result.outcome === "rejected" && !recorded) {
      options.record({ event: "rejected", id: item?.id, file: name, reason: result.error });
    }
  }

  const reject = (path: string, error: string, item?: ApprovedItem, attempts = 0) =>
    finish(path, { outcome: "rejected", when: now(), attempts, error }, item);

  /** Reads a claimed file into an item, or rejects it with the reason. */
  async function readItem(path: string): Promise<ApprovedItem | undefined> {
    const fileName = basename(path);
    // A link is never read through, a hard link may be a file outside the vault: refused unread.
    const refused = fileRefusal(await Deno.lstat(path));
    if (refused) {
      await reject(path, `not performed: ${refused.reason}; ${refused.fix}`);
      return undefined;
    }
    if (extname(fileName).toLowerCase() !== ".md") {
      await reject(path, "not an approval request: approval requests are Markdown (.md) notes");
      return undefined;
    }
    const text = await noteTextOf(path);
    if (text === undefined) {
      await reject(path, "not an approval request: it is not UTF-8 text; save it as UTF-8");
      return undefined;
    }
    let note;
    try {
      note = parseNote(text);
    } catch (error) {
      const why = error instanceof NoteError ? error.message : `cannot read it: ${error}`;
      await reject(path, `malformed front matter: ${why}; fix it and approve again`);
      return undefined;
    }
    const id = typeof note.frontMatter.id === "string" || typeof note.frontMatter.id === "number"
      ? String(note.frontMatter.id)
      : fileName.replace(/\.md$/i, "");
    const action = actionOf(fileName, note.frontMatter);
    const item = { id, action: action ?? "", fileName, ...note };
    if (!action) {
      await reject(
        path,
        "no action: add 'action: NAME' to the front matter or name the file with a prefix such as WEBHOOK_",
        item,
      );
      return undefined;
    }
    if (!findActionType(action)) {
      const known = ACTION_TYPES.map((type) => type.name).join(", ");
      await reject(path, `unknown action '${action}'; this version can perform: ${known}`, item);
      return undefined;
    }
    return item;
  }

  async function attempt(
    path: string,
    item: ApprovedItem,
    record: InflightRecord,
    signal?: AbortSignal,
  ) {
    for (let n = record.attempts + 1; n <= options.maxRetries; n++) {
      const before = record;
      record = { ...record, attempts: n, attemptStarted: now().toISOString() };
      await save(path, record, false);
      const outcome = await options.execute(item, n);
      if (!outcome.ok && outcome.notStarted) {
        // Nothing went out: the attempt is given back, and the item waits for the fix.
        await save(path, before, true).catch(() => {});
        throw new StorageFailure(outcome.notStarted, outcome.reason);
      }
      if (!outcome.ok && outcome.waitMs !== undefined) {
        // Over a rate limit nothing began: the attempt is given back, and the item waits for its
        // slot in .aiemp/inflight/ without holding up the others (a stop meanwhile, or a single
        // sweep, leaves it there for the next start).
        const waitUntil = new Date(now().getTime() + Math.max(outcome.waitMs, 0)).toISOString();
        await save(path, { ...before, waitUntil }, true);
        if (!signal) {
          log("info", `${item.fileName}: ${outcome.reason}; it waits for the next start`);
          return;
        }
        log(
          "info",
          `${item.fileName}: ${outcome.reason}; asked again in ${
            Math.ceil(outcome.waitMs / 1000)
          }s`,
        );
        return waitThenWork(path, waitUntil, signal);
      }
      if (outcome.ok) {
        const result: FinalResult = outcome.dryRun
          ? { outcome: "dry_run", when: now(), attempts: n, wouldSend: outcome.wouldSend }
          : {
            outcome: "sent",
            when: now(),
            attempts: n,
            remoteId: outcome.remoteId,
            ...(outcome.url ? { url: outcome.url } : {}),
            detail: outcome.detail,
          };
        await save(path, {
          ...record,
          result: { ...result, when: result.when.toISOString() },
        }, true);
        return await finish(path, result, item);
      }
      if (outcome.refused === "expired") return await sendBackExpired(path, item, outcome.reason);
      if (outcome.refused === "unapproved") {
        // Not performed, so no attempt was made; the gate has recorded why.
        const result: FinalResult = { outcome: "rejected", when: now(), attempts: 0 };
        return await finish(path, { ...result, error: outcome.reason }, item, { recorded: true });
      }
      if (outcome.interrupted && !outcome.retryable) {
        return await sendBack(path, item, record, outcome.reason);
      }
      if (!outcome.retryable || n === options.maxRetries) {
        const result: FinalResult = {
          outcome: "failed",
          when: now(),
          attempts: n,
          error: outcome.reason,
        };
        await save(path, {
          ...record,
          result: { ...result, when: result.when.toISOString() },
        }, true);
        return await finish(path, result, item);
      }
      record = { ...record, attemptStarted: undefined, lastError: outcome.reason };
      await save(path, record, true);
      log(
        "warning",
        `${item.fileName}: attempt ${n} failed (${outcome.reason}); retrying in ${
          options.retryDelayMs / 1000
        }s`,
      );
      if (await delay(options.retryDelayMs, signal)) return; // retried at the next start
    }
    // Only reached when no attempt was left to begin with: the last one was cut off by a stop.
    const error = record.lastError ??
      "its last attempt was cut off by a stop and no attempts are left; approve it again to retry";
    const result: FinalResult = {
      outcome: "failed",
      when: now(),
      attempts: record.attempts,
      error,
    };
    await save(path, {
      ...record,
      result: { ...result, when: result.when.toISOString() },
    }, true);
    await finish(path, result, item);
  }

  /** Takes a claimed item up again; `waited` when its wait (`waitUntil`) was just sat out. */
  async function resume(path: string, signal?: AbortSignal, waited = false) {
    const record = known.get(path) ?? await readInflight(path);
    if (record?.result) {
      const { when, ...rest } = record.result;
      return await finish(path, { ...rest, when: new Date(when) }, undefined);
    }
    const item = await readItem(path);
    if (!item) return;
    const fresh: InflightRecord = record ?? { id: item.id, action: item.action, attempts: 0 };
    if (!waited && fresh.waitUntil && Date.parse(fresh.waitUntil) > now().getTime()) {
      // Asked to wait (a 429's reset, a full rate limit): nothing begins before that time.
      if (signal) waitThenWork(path, fresh.waitUntil, signal);
      return;
    }
    if (fresh.attemptStarted) {
      const type = findActionType(item.action)!;
      if (!type.idempotent(item)) return await sendBack(path, item, fresh);
      // The remote may have acted on the attempt that was cut off, so with none left the item
      // has not failed: its outcome is unknown, and the human decides.
      if (fresh.attempts >= options.maxRetries) {
        return await sendBack(
          path,
          item,
          fresh,
          `aiemp stopped while performing this, and all ${options.maxRetries} attempts are used up`,
        );
      }
      log(
        "warning",
        `${item.fileName}: an attempt was cut off; retrying (the action is idempotent)`,
      );
      fresh.attemptStarted = undefined;
    }
    await attempt(path, item, fresh, signal);
  }

  /**
   * Works on the claimed item again at `waitUntil`, checking the clock at least every
   * {@linkcode MAX_PACING_WAIT_MS} (a clock set forward or a machine that slept is noticed), and
   * never before that time; a stop meanwhile leaves it for the next start.
   */
  function waitThenWork(path: string, waitUntil: string, signal: AbortSignal) {
    const left = Math.max(Date.parse(waitUntil) - now().getTime(), 0);
    const timer = left <= MAX_PACING_WAIT_MS
      ? setTimeout(() => void work(path, signal, true), left)
      : setTimeout(() => waitThenWork(path, waitUntil, signal), MAX_PACING_WAIT_MS);
    signal.addEventListener("abort", () => clearTimeout(timer), { once: true });
  }

  /** An attempt was cut off and repeating it could act twice: the human decides. */
  async function sendBack(
    path: string,
    item: ApprovedItem,
    record: InflightRecord,
    why = "aiemp stopped while performing this",
  ) {
    const frontMatter = {
      ...item.frontMatter,
      status: "interrupted",
      interrupted: "may have been sent",
      interrupted_at: record.attemptStarted,
    };
    const notice = `${why[0].toUpperCase()}${why.slice(1)}. (Attempt ${record.attempts}, started ` +
      `${record.attemptStarted}.) It may or may not have gone out. Check before approving it again; ` +
      "moving it to Approved/ will perform it again.";
    const body = replaceSection(item.body, "interrupted", notice, "## Interrupted");
    await writeFileAtomic(path, renderNote(frontMatter, body));
    const target = await moveInto(path, layout.folder("Pending_Approval"));
    await removeInflight(path);
    known.delete(path);
    options.record({
      event: "interrupted",
      id: item.id,
      action: item.action,
      file: basename(target),
    });
    log(
      "warning",
      `${
        basename(target)
      } was interrupted and may have been sent; back in Pending_Approval/ for you to check`,
    );
    activity(`${item.action} ${basename(target)}: interrupted, may have been sent — check it`);
  }

  /** The approval gate found the item expired: it goes back to the human, marked. */
  async function sendBackExpired(path: string, item: ApprovedItem, why: string) {
    const frontMatter = {
      ...item.frontMatter,
      status: "expired",
      expired: true,
      expired_at: now().toISOString(),
    };
    const notice = `Not performed: ${why}.`;
    const body = replaceSection(item.body, "expired", notice, "## Expired");
    await writeFileAtomic(path, renderNote(frontMatter, body));
    const target = await moveInto(path, layout.folder("Pending_Approval"));
    await removeInflight(path);
    known.delete(path);
    log("warning", `${basename(target)} has expired; back in Pending_Approval/ (${why})`);
    activity(`${item.action} ${basename(target)}: expired, back in Pending_Approval/`);
  }

  /** Takes a claimed item as far as it goes; one held up by a storage problem waits for a retry. */
  async function work(claimed: string, signal?: AbortSignal, waited = false) {
    const name = basename(claimed);
    try {
      await resume(claimed, signal, waited);
      if (heldUp.release(claimed)) {
        log("info", `${name}: went through now that the vault can be written`);
      }
    } catch (error) {
      const problem = error instanceof StorageFailure ? error.problem : storageProblemOf(error);
      if (!problem) {
        heldUp.release(claimed);
        log(
          "error",
          `${name}: ${
            errorText(error)
          }; it stays in .aiemp/inflight/ and is resumed at the next start`,
        );
        return;
      }
      if (heldUp.hold(claimed, problem, undefined)) {
        log(
          "error",
          `${name} is held up: ${problem.what}; ${problem.fix}. It waits in .aiemp/inflight/ and ` +
            `is tried again every ${retryMs / 1000}s`,
        );
      }
    }
  }

  let retrying = false;

  const dispatcher: Dispatcher = {
    async recover(signal) {
      await Deno.mkdir(layout.inflight, { recursive: true });
      // A crash between writing a temporary file and renaming it leaves `.<name>.<id>.tmp`
      // behind: it is not an item (the item and its record are intact), so it goes.
      // (When the vault cannot be written just now, they wait for the next start.)
      await removeInterruptedWrites(layout.inflight).catch(() => {});
      // A crash after an item was filed but before its record was removed leaves the record
      // alone; were it kept, a later item of the same name would be taken for done.
      for (const name of await listNames(layout.inflight)) {
        const item = itemOfRecord(name);
        if (item && !(await exists(join(layout.inflight, item)))) {
          await Deno.remove(join(layout.inflight, name)).catch(() => {});
        }
      }
      for await (const entry of Deno.readDir(layout.inflight)) {
        // Claimed items keep their visible names; a hidden file was never claimed.
        if (entry.name.startsWith(".") || isInflightRecord(entry.name)) continue;
        await work(join(layout.inflight, entry.name), signal);
      }
    },

    async handleApproved(path, signal) {
      if (signal?.aborted) return;
      let claimed: string;
      try {
        claimed = await moveInto(path, layout.inflight);
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return;
        const problem = storageProblemOf(error);
        if (!problem) throw error;
        // It stays in Approved/, where the folder's rescan finds it again (logged once).
        if (heldUp.blocked(problem)) {
          log("error", `Cannot claim ${basename(path)}: ${problem.what}; ${problem.fix}`);
        }
        return;
      }
      heldUp.blocked(undefined);
      // A fresh claim has no record yet: one left by an earlier item of the same name is stale.
      await removeInflight(claimed);
      options.record({ event: "claimed", file: basename(path) });
      await work(claimed, signal);
    },

    async run(signal) {
      await dispatcher.recover(signal);
      const retry = setInterval(() => dispatcher.retryHeldUp(signal), retryMs);
      try {
        await watchSettledFiles({
          folders: [layout.folder("Approved")],
          settleMs: options.settleMs,
          skip: isTemporaryName,
          onSettled: (path) => dispatcher.handleApproved(path, signal),
        }, signal);
      } finally {
        clearInterval(retry);
      }
    },

    async sweep() {
      const before = finished;
      await dispatcher.recover();
      await settleExistingFiles({
        folders: [layout.folder("Approved")],
        settleMs: options.settleMs,
        skip: isTemporaryName,
        onSettled: (path) => dispatcher.handleApproved(path),
      });
      return finished - before;
    },

    async retryHeldUp(signal) {
      if (retrying || signal?.aborted) return;
      retrying = true;
      try {
        for (const [claimed] of heldUp.held()) {
          if (signal?.aborted) break;
          await work(claimed, signal);
        }
      } finally {
        retrying = false;
      }
    },
  };
  return dispatcher;
}

/**
 * The text of a note aiemp may read and rewrite: a `.md` regular file with one name, in UTF-8;
 * undefined for anything else (which is then filed untouched).
 */
async function noteTextOf(path: string): Promise<string | undefined> {
  if (extname(path).toLowerCase() !== ".md" || fileRefusal(await Deno.lstat(path))) {
    return undefined;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(
      await readVaultFile(path, { what: "approved item" }),
    );
  } catch (error) {
    if (error instanceof TypeError) return undefined; // not UTF-8
    throw error;
  }
}

/** `path`, or `path` with `-2`, `-3`… before its extension when that name is taken. */
async function freePath(path: string): Promise<string> {
  const ext = extname(path);
  for (let n = 1;; n++) {
    const candidate = n === 1 ? path : `${path.slice(0, path.length - ext.length)}-${n}${ext}`;
    if (!(await exists(candidate))) return candidate;
  }
}

/**
 * The longest a waiting item sleeps before the clock is looked at again: a clock set forward or
 * a machine that slept is noticed by then.
 */
const MAX_PACING_WAIT_MS = 10 * 60_000;

/** An attempt that could not begin because the vault could not be written. */
class StorageFailure extends Error {
  constructor(readonly problem: StorageProblem, message: string) {
    super(message);
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
