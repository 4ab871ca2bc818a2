import { dirname } from "node:path";
import { writeFileAtomic } from "../vault/mod.ts";
import { clockWords, machineTimeZone } from "./_words.ts";
import { type PacingState, parseState, renderState } from "./_state.ts";
import { decide, record, trim } from "./decide.ts";
import { DEFAULT_RATE_LIMITS, type RateLimit, RateLimitError } from "./limits.ts";

/** What a rate limiter needs; the clock and the file are passed in. */
export interface RateLimiterOptions {
  /** The JSON file the send times are kept in (the orchestrator: `.aiemp/pacing.json`). */
  file: string;
  /** Each platform's limit, e.g. from {@linkcode rateLimitsFrom}. @default DEFAULT_RATE_LIMITS */
  limits?: Readonly<Record<string, RateLimit>>;
  /** The wall clock, read once per reservation. @default () => new Date() */
  now?: () => Date;
  /** The IANA time zone refusals show times in. @default the machine's */
  timeZone?: string;
  /** Where a replaced corrupt file is told. @default discards it (refusals still say why) */
  log?: (level: "warning", message: string) => void;
}

/**
 * The answer to {@linkcode RateLimiter.reserve}: a slot taken (it already counts; `cancel()` gives
 * it back when the send did not happen), or how long to wait and why. A refused item waits (the
 * caller re-queues it for `waitMs`); it has not failed.
 */
export type Reservation =
  | {
    readonly ok: true;
    /** The time the slot was taken (the send's time in the window). */
    readonly at: Date;
    /** Gives the slot back: call it when the action failed before sending. Idempotent. */
    cancel(): Promise<void>;
  }
  | { readonly ok: false; readonly waitMs: number; readonly why: string };

/** A persisted per-platform sliding-window limiter; see {@linkcode createRateLimiter}. */
export interface RateLimiter {
  /**
   * Takes one send slot on `platform` now, or says how long to wait. Throws
   * {@linkcode RateLimitError} for a platform with no limit, and the file system's error when the
   * file cannot be written (then nothing was reserved).
   */
  reserve(platform: string): Promise<Reservation>;
}

/**
 * A rate limiter kept in `file`, so a restart does not reset the windows. Reservations and
 * cancellations run one at a time, each reading the file, deciding and writing it atomically, so
 * parallel callers in this process cannot both take the last slot. Share one limiter per file
 * (the browser and API drivers of a platform alike); two limiters on one file may interleave.
 *
 * A file that cannot be parsed is not taken as empty, which would allow a burst of sends the lost
 * history may forbid: it is kept as `<file>.corrupt`, replaced by one in which every platform is
 * full from now for one window, and a warning is logged; refusals in that window say so.
 *
 * @example
 * ```ts
 * const limiter = createRateLimiter({ file: ".aiemp/pacing.json" });
 * const slot = await limiter.reserve("linkedin");
 * if (!slot.ok) return requeue(item, slot.waitMs, slot.why);
 * const sent = await post(item);
 * if (!sent.ok && !sent.maybeSent) await slot.cancel();
 * ```
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const {
    file,
    limits = DEFAULT_RATE_LIMITS,
    now: clock = () => new Date(),
    timeZone = machineTimeZone(),
    log = () => {},
  } = options;
  const longestWindow = Math.max(0, ...Object.values(limits).map((limit) => limit.perMs));
  let tail: Promise<unknown> = Promise.resolve();

  /** Runs `work` after every earlier reservation and cancellation has finished. */
  function exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = tail.then(work);
    tail = run.catch(() => {});
    return run;
  }

  async function save(state: PacingState): Promise<void> {
    await Deno.mkdir(dirname(file), { recursive: true });
    await writeFileAtomic(file, renderState(state));
  }

  /** The state at `now`: a corrupt file replaced, sends dated after `now` moved back to it. */
  async function load(now: Date): Promise<PacingState> {
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return { sent: {} };
      throw error;
    }
    const parsed = parseState(text);
    if (!parsed.ok) return await recover(parsed.problem, now);
    const { state } = parsed;
    // The clock was set back: stored times after now would hold slots until it catches up.
    const future = Object.values(state.sent).some((times) => times.some((ms) => ms > +now));
    if (future) {
      for (const [platform, limit] of Object.entries(limits)) {
        if (state.sent[platform]) state.sent[platform] = trim(state.sent[platform], limit, now);
      }
      await save(state);
    }
    return state;
  }

  async function recover(problem: string, now: Date): Promise<PacingState> {
    const kept = `${file}.corrupt`;
    const moved = await Deno.rename(file, kept).then(() => true, () => false);
    const reason = `the rate-limit file ${file} was unreadable at ${
      clockWords(now, now, timeZone)
    } (${problem}), so every platform counts as full for one window${
      moved ? `; the bad file is kept as ${kept}` : ""
    }`;
    const sent: Record<string, number[]> = {};
    for (const [platform, limit] of Object.entries(limits)) {
      sent[platform] = Array(limit.count).fill(now.getTime());
    }
    const state: PacingState = { sent, recovered: { at: now.getTime(), reason } };
    await save(state);
    log("warning", `Rate limits: ${reason}.`);
    return state;
  }

  function limitOf(platform: string): RateLimit {
    const limit = Object.hasOwn(limits, platform) ? limits[platform] : undefined;
    if (limit) return limit;
    throw new RateLimitError(
      `Cannot pace sends to '${platform}': it has no rate limit; use one of ${
        Object.keys(limits).join(", ")
      } or add it under rate_limits with per_hour`,
    );
  }

  function cancel(platform: string, at: number): Promise<void> {
    return exclusive(async () => {
      const state = await load(clock());
      const times = state.sent[platform] ?? [];
      const index = times.indexOf(at);
      if (index < 0) return; // Already out of the window (or the file was replaced).
      state.sent[platform] = times.toSpliced(index, 1);
      await save(state);
    });
  }

  async function reserve(platform: string): Promise<Reservation> {
    const limit = limitOf(platform);
    return await exclusive(async (): Promise<Reservation> => {
      const now = clock();
      const state = await load(now);
      const decision = decide(state.sent[platform] ?? [], limit, now, { timeZone });
      if (!decision.allowed) {
        const recovered = state.recovered;
        const why = recovered && +now - recovered.at < limit.perMs
          ? `${decision.why} (${recovered.reason})`
          : decision.why;
        return { ok: false, waitMs: decision.waitMs, why };
      }
      for (const [name, other] of Object.entries(limits)) {
        if (state.sent[name]) state.sent[name] = trim(state.sent[name], other, now);
      }
      state.sent[platform] = record(state.sent[platform] ?? [], limit, now);
      if (state.recovered && +now - state.recovered.at >= longestWindow) delete state.recovered;
      await save(state);
      const at = now.getTime();
      let cancelled: Promise<void> | undefined;
      return {
        ok: true,
        at: new Date(at),
        cancel: () => cancelled ??= cancel(platform, at),
      };
    });
  }

  return { reserve };
}
