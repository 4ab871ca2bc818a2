/**
 * Cancellation helpers. Every component is `run(signal)`; a stop may already have happened by the
 * time a listener is attached (a synchronous callback can abort), and a listener added to an
 * aborted signal never fires. These helpers close that gap.
 * @module
 */

/**
 * Runs `fn` once when `signal` aborts — at once when it already has. Returns a function that
 * removes the listener.
 *
 * @example
 * ```ts
 * const forget = onAbort(signal, () => watcher.close());
 * // … later, when done without a stop:
 * forget();
 * ```
 */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  if (signal.aborted) {
    fn();
    return () => {};
  }
  signal.addEventListener("abort", fn, { once: true });
  return () => signal.removeEventListener("abort", fn);
}

/** Resolves when `signal` aborts (at once if it already has). */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => onAbort(signal, resolve));
}

/**
 * Waits `ms`, or less when `signal` aborts first; resolves true when the wait was cut short.
 *
 * @example
 * ```ts
 * if (await delay(5000, signal)) return; // stopped while waiting
 * ```
 */
export function delay(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(true);
    const timer = setTimeout(() => finish(false), ms);
    const forget = signal ? onAbort(signal, () => finish(true)) : () => {};
    function finish(cut: boolean) {
      clearTimeout(timer);
      forget();
      resolve(cut);
    }
  });
}

/**
 * Calls `check` every `pollMs` until it gives a value, for at most `timeoutMs`; undefined when
 * time is up. Throws the signal's reason when the signal aborts. For waits on a page or a file
 * that has no event to wait for.
 *
 * @example
 * ```ts
 * const shown = await poll(() => page.title().then((t) => t || undefined), { timeoutMs: 5000, signal });
 * ```
 */
export async function poll<T>(
  check: () => Promise<T | undefined>,
  { timeoutMs, signal, pollMs = 100 }: { timeoutMs: number; signal: AbortSignal; pollMs?: number },
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    if (signal.aborted) throw signal.reason;
    const value = await check();
    if (value !== undefined) return value;
    const left = deadline - Date.now();
    if (left <= 0) return undefined;
    if (await delay(Math.min(pollMs, left), signal)) throw signal.reason;
  }
}
