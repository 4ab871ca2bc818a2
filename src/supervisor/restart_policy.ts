/** How a child is restarted, as numbers (milliseconds). */
export interface RestartPolicy {
  /** Wait before the first restart; doubles with each failure in a row. @default 2000 */
  initialDelayMs: number;
  /** The longest wait between restarts. @default 60000 */
  maxDelayMs: number;
  /** A run this long counts as stable: the next failure starts the backoff again. @default 300000 */
  stableAfterMs: number;
  /** Restarts allowed within `periodMs` before the child is paused (OTP's intensity). @default 5 */
  maxRestarts: number;
  /** The window `maxRestarts` is counted over. @default 600000 */
  periodMs: number;
}

/** The defaults of the seed's Master Orchestrator: 2, 4, 8, 16, 32 s, capped at 60 s; 5 in 10 min. */
export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 2_000,
  maxDelayMs: 60_000,
  stableAfterMs: 300_000,
  maxRestarts: 5,
  periodMs: 600_000,
};

/** What the supervisor remembers of a child's failures, to decide the next restart. */
export interface RestartHistory {
  /** When each restart happened (epoch ms), oldest first; only the recent ones are kept. */
  restarts: number[];
  /** Failures in a row since the child last ran stably (0 after a stable run). */
  streak: number;
}

/** What to do after a child ended: restart it after a delay, or pause it (a crash loop). */
export type RestartDecision =
  | { action: "restart"; delayMs: number; history: RestartHistory }
  | { action: "pause"; recentRestarts: number; history: RestartHistory };

/**
 * Decides what follows a child's failure at `now`, after it had been up for `uptimeMs`:
 * a restart after `initial · 2^streak` (capped), with the streak reset by a stable run; or a pause
 * when `maxRestarts` restarts already happened within `periodMs`.
 *
 * @example
 * ```ts
 * let history = { restarts: [], streak: 0 };
 * const first = nextRestart(history, 0, 1000, DEFAULT_RESTART_POLICY); // restart after 2000 ms
 * ```
 */
export function nextRestart(
  history: RestartHistory,
  now: number,
  uptimeMs: number,
  policy: RestartPolicy,
): RestartDecision {
  const recent = history.restarts.filter((at) => now - at < policy.periodMs);
  const streak = uptimeMs >= policy.stableAfterMs ? 0 : history.streak;
  if (recent.length >= policy.maxRestarts) {
    return {
      action: "pause",
      recentRestarts: recent.length,
      history: { restarts: recent, streak },
    };
  }
  const delayMs = Math.min(policy.initialDelayMs * 2 ** streak, policy.maxDelayMs);
  return {
    action: "restart",
    delayMs,
    history: { restarts: [...recent, now + delayMs], streak: streak + 1 },
  };
}
