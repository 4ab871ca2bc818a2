import { onAbort } from "../abort/mod.ts";
import { basename, dirname, join } from "node:path";
import { listNames } from "./files.ts";

const TEMPORARY_SUFFIXES = [".part", ".tmp", ".crdownload", ".swp", ".partial", ".download"];

/**
 * True for names that mean "still being written": a leading dot, a trailing `~`, or a download or
 * editor suffix (`.part`, `.tmp`, `.crdownload`, `.swp`…). Such files wait until renamed.
 */
export function isTemporaryName(name: string): boolean {
  const lower = name.toLowerCase();
  return name.startsWith(".") || name.endsWith("~") ||
    TEMPORARY_SUFFIXES.some((suffix) => lower.endsWith(suffix));
}

/** How to watch some folders for files that have come to rest. */
export interface SettledFileOptions {
  /** Folders watched (not their subfolders); what is in them at start is handed over too. */
  folders: string[];
  /** Folders watched for changes only: what is in them at start is left alone. @default none */
  watchOnly?: string[];
  /** A file counts as settled after this long with no change. */
  settleMs: number;
  /** Called once a file is settled; calls for one path never overlap. */
  onSettled(path: string): Promise<void>;
  /** Names never handed over (still being written, hidden). @default none */
  skip?(name: string): boolean;
  /**
   * True for an event the caller caused itself and expected (e.g. its own rename into a watched
   * folder): that event is dropped without a look at the file. @default none
   */
  ownEvent?(path: string): boolean;
  /** How many files are handled at once. @default 8 */
  concurrency?: number;
  /**
   * A rescan of the folders catches what the OS did not report: dropped events, and new symbolic
   * links (which `Deno.watchFs` does not report at all). @default 5000
   */
  sweepMs?: number;
}

/**
 * Watches `folders` until `signal` aborts, handing each file to `onSettled` once it has been quiet
 * for `settleMs`: files already there at start, new ones, and ones that change again. The watch is
 * opened before the first scan, so nothing that arrives during start-up is missed.
 *
 * `Deno.watchFs` has no close-after-write event, hence the quiet window.
 */
export async function watchSettledFiles(
  options: SettledFileOptions,
  signal: AbortSignal,
): Promise<void> {
  const watchOnly = options.watchOnly ?? [];
  const all = [...options.folders, ...watchOnly];
  for (const folder of all) await Deno.mkdir(folder, { recursive: true });
  const watcher = Deno.watchFs(all, { recursive: false });
  const queue = settledQueue(options, signal);
  const sweep = async () => {
    for (const folder of options.folders) {
      for (const name of await listNames(folder, { includeHidden: true })) {
        queue.notice(join(folder, name));
      }
    }
  };
  const sweeper = setInterval(() => sweep().catch(() => {}), options.sweepMs ?? 5_000);
  const stop = () => {
    clearInterval(sweeper);
    queue.clear();
    try {
      watcher.close();
    } catch { /* closed already */ }
  };
  onAbort(signal, stop);
  if (signal.aborted) return;
  await sweep();
  const watched = new Set([...options.folders, ...watchOnly]);
  try {
    for await (const event of watcher) {
      for (const path of event.paths) {
        if (watched.has(dirname(path))) {
          if (!options.ownEvent?.(path)) queue.touch(path);
        } else if (watched.has(path) && event.kind === "remove") {
          throw new Deno.errors.NotFound(`the watched folder ${basename(path)}/ was removed`);
        }
      }
    }
  } catch (error) {
    if (!signal.aborted) {
      stop();
      throw error;
    }
  }
  await queue.idle();
}

/**
 * Hands over every file already in `folders` once it has been quiet for `settleMs`, then returns.
 * Used by `aiemp start --once`.
 */
export async function settleExistingFiles(options: SettledFileOptions): Promise<number> {
  let handled = 0;
  for (const folder of options.folders) {
    for (const name of await listNames(folder, { includeHidden: true })) {
      if (options.skip?.(name)) continue;
      const path = join(folder, name);
      for (let quietFor = await quietTime(path); quietFor < options.settleMs;) {
        await new Promise((resolve) => setTimeout(resolve, options.settleMs - quietFor));
        quietFor = await quietTime(path);
      }
      if (Number.isFinite(await quietTime(path))) {
        await options.onSettled(path);
        handled++;
      }
    }
  }
  return handled;
}

/** Milliseconds since `path` last changed; Infinity when it is gone (nothing to wait for). */
async function quietTime(path: string): Promise<number> {
  try {
    const info = await Deno.lstat(path);
    return Date.now() - (info.mtime?.getTime() ?? 0);
  } catch {
    return Infinity;
  }
}

function settledQueue(options: SettledFileOptions, signal: AbortSignal) {
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  const busy = new Set<string>();
  const again = new Set<string>();
  /** Settled files waiting for a free slot, in arrival order. */
  const ready = new Set<string>();
  const limit = options.concurrency ?? 8;
  let running = 0;
  let onIdle: (() => void) | undefined;

  const touch = (path: string) => {
    if (signal.aborted || options.skip?.(basename(path))) return;
    if (busy.has(path)) {
      again.add(path);
      return;
    }
    // A file that changes while waiting for a slot must settle again.
    ready.delete(path);
    clearTimeout(timers.get(path));
    timers.set(path, setTimeout(() => settle(path), options.settleMs));
  };
  const settle = async (path: string) => {
    timers.delete(path);
    // A change the OS did not report still shows in the modification time.
    const quietFor = await quietTime(path);
    if (quietFor === Infinity) return;
    if (quietFor < options.settleMs && quietFor >= 0) {
      timers.set(path, setTimeout(() => settle(path), options.settleMs - quietFor));
      return;
    }
    ready.add(path);
    pump();
  };
  const pump = () => {
    while (running < limit && ready.size > 0 && !signal.aborted) {
      const path: string = ready.values().next().value!;
      ready.delete(path);
      if (busy.has(path)) continue;
      busy.add(path);
      running++;
      options.onSettled(path).catch(() => {}).finally(() => {
        busy.delete(path);
        running--;
        if (again.delete(path)) touch(path);
        pump();
        if (running === 0) onIdle?.();
      });
    }
  };
  return {
    touch,
    /** Like touch, for a rescan: a file already waiting keeps its timer (a rescan is no change). */
    notice(path: string) {
      if (!timers.has(path) && !busy.has(path) && !ready.has(path)) touch(path);
    },
    clear() {
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      ready.clear();
    },
    idle: () => running === 0 ? Promise.resolve() : new Promise<void>((r) => onIdle = r),
  };
}
