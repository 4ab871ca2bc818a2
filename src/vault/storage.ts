/** A write the owner can make possible again: a full disk, a read-only vault, no permission. */
export interface StorageProblem {
  /** What is wrong, e.g. "the disk is full (No space left on device)". */
  what: string;
  /** What the owner does about it, e.g. "free disk space". */
  fix: string;
}

/**
 * Tells whether `error` is a storage problem the owner can fix — the disk is full, the vault's
 * filesystem is read-only, aiemp may not write there — and says what and the fix; undefined for
 * any other error (a bug, a file that vanished).
 *
 * @example
 * ```ts
 * storageProblemOf(enospcError); // { what: "the disk is full (No space left on device)", fix: "free disk space" }
 * ```
 */
export function storageProblemOf(error: unknown): StorageProblem | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  switch (code) {
    case "ENOSPC":
      return { what: "the disk is full (No space left on device)", fix: "free disk space" };
    case "EDQUOT":
      return {
        what: "the disk quota is used up (Disk quota exceeded)",
        fix: "free disk space or raise the quota",
      };
    case "EROFS":
      return {
        what: "the vault's filesystem is read-only",
        fix: "make it writable again (e.g. remount it read-write)",
      };
    case "EACCES":
    case "EPERM":
      return {
        what: "aiemp may not write in the vault (Permission denied)",
        fix: "make the vault writable for the user aiemp runs as (e.g. chmod -R u+w on it)",
      };
  }
  return undefined;
}

/** Work held up by storage problems: what each held item needs to be tried again. */
export interface HeldUpWork<T> {
  /** Holds `key` up by `problem`; true when it was not held already (worth a log line). */
  hold(key: string, problem: StorageProblem, retry: T): boolean;
  /** Lets `key` go after its work succeeded; true when it had been held. */
  release(key: string): boolean;
  /**
   * Records a problem with work not taken yet (e.g. a claim that failed), or clears it; true when
   * that problem is new (worth a log line).
   */
  blocked(problem: StorageProblem | undefined): boolean;
  /** The held items, oldest first. */
  held(): [string, T][];
}

/**
 * Keeps track of a component's work held up by storage problems, and keeps one alert in step
 * with it: `alert(text)` whenever the text changes, an empty text when nothing is held up.
 * `describe` words the alert from the latest problem and how many items wait.
 */
export function heldUpWork<T>(
  alert: (text: string) => void,
  describe: (problem: StorageProblem, waiting: number) => string,
): HeldUpWork<T> {
  const items = new Map<string, { problem: StorageProblem; retry: T }>();
  let blocked: StorageProblem | undefined;
  let shown = "";
  const update = () => {
    const latest = [...items.values()].at(-1)?.problem ?? blocked;
    const text = latest ? describe(latest, items.size) : "";
    if (text !== shown) alert(shown = text);
  };
  return {
    hold(key, problem, retry) {
      const fresh = !items.has(key);
      items.delete(key);
      items.set(key, { problem, retry });
      update();
      return fresh;
    },
    release(key) {
      const was = items.delete(key);
      if (was) update();
      return was;
    },
    blocked(problem) {
      const fresh = problem !== undefined && problem.what !== blocked?.what;
      blocked = problem;
      update();
      return fresh;
    },
    held: () => [...items].map(([key, { retry }]) => [key, retry]),
  };
}
