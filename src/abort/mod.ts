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
