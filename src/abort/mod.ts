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
