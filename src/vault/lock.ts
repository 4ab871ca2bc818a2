import { dirname } from "node:path";

/** What the lock file says about the orchestrator that holds it. */
export interface LockOwner {
  /** The orchestrator's process id. */
  pid: number;
  /** When it started (ISO 8601). */
  started: string;
  /** The machine it runs on. */
  hostname?: string;
}

/** Another orchestrator runs on this vault. */
export class VaultLockedError extends Error {
  /** Always `"VaultLockedError"`, for logs and stack traces. */
  override name = "VaultLockedError";
  /** Says that `vault` is locked, naming `owner` when the lock file records one. */
  constructor(readonly vault: string, readonly owner: LockOwner | undefined) {
    const who = owner ? `PID ${owner.pid}, started ${owner.started}` : "a process";
    super(
      `Another aiemp is already running on ${vault} (${who}); stop it with 'aiemp stop' first`,
    );
  }
}

/** The lock of one vault, held for the life of the orchestrator. */
export interface VaultLock {
  /** The owner recorded by a previous orchestrator that died without releasing the lock. */
  takenOverFrom?: LockOwner;
  /**
   * Keeps the lock file in place until `signal` aborts. The lock lives on the file, not on its
   * name: were the file deleted or replaced, a second orchestrator would lock the new one. So the
   * name is watched (and checked every `checkMs`), and a file that is no longer the one held is
   * re-created and locked again at once. Resolves when `signal` aborts.
   */
  keep(signal: AbortSignal, options: KeepLockOptions): Promise<void>;
  /** Clears and releases the lock; call once, when the orchestrator stops. */
  release(): void;
}

/** What {@linkcode VaultLock.keep} reports, and how often it looks. */
export interface KeepLockOptions {
  /** The lock file was deleted or replaced, and has been re-created and locked again. */
  onRecreated(): void;
  /**
   * The lock file was replaced and another process locked the new one first: another
   * orchestrator now runs on the vault. The lock is no longer kept.
   */
  onLost(other: LockOwner | undefined): void;
  /** How often the file is checked besides watching its folder, in ms. @default 2000 */
  checkMs?: number;
}

/**
 * Takes the vault's lock, so only one orchestrator runs per vault. The operating system releases
 * it when the process dies (an advisory file lock), so a crash never leaves the vault locked;
 * the PID left in the file is reported as `takenOverFrom`.
 */
export async function acquireVaultLock(
  lockPath: string,
  vault: string,
  owner: LockOwner,
): Promise<VaultLock> {
  const opened = await lockFile(lockPath);
  if (!opened) throw new VaultLockedError(vault, await readLockOwner(lockPath));
  let file: Deno.FsFile = opened;
  const previous = parseOwner(await readAll(file));
  await writeOwner(file, owner);
  let released = false;

  /** True when `lockPath` still names the file this lock holds. */
  async function inPlace(): Promise<boolean> {
    const [held, named] = await Promise.all([
      file.stat(),
      Deno.stat(lockPath).catch(() => undefined),
    ]);
    return named !== undefined && named.ino === held.ino && named.dev === held.dev;
  }

  return {
    takenOverFrom: previous && previous.pid !== owner.pid ? previous : undefined,
    async keep(signal, options) {
      let lost = false;
      let checking = Promise.resolve();
      const check = () =>
        checking = checking.then(async () => {
          if (lost || released || signal.aborted || await inPlace()) return;
          await Deno.mkdir(dirname(lockPath), { recursive: true });
          if (released || signal.aborted) return;
          const fresh = await lockFile(lockPath);
          if (!fresh) {
            lost = true;
            return options.onLost(await readLockOwner(lockPath));
          }
          await writeOwner(fresh, owner);
          file.close(); // the deleted file's lock goes with it
          file = fresh;
          options.onRecreated();
        }).catch(() => {}); // looked at again at the next event or check
      const timer = setInterval(check, options.checkMs ?? 2000);
      const folder = dirname(lockPath);
      let watcher: Deno.FsWatcher | undefined;
      const stop = () => {
        clearInterval(timer);
        watcher?.close();
      };
      signal.addEventListener("abort", stop, { once: true });
      try {
        watcher = Deno.watchFs(folder, { recursive: false });
        if (signal.aborted) watcher.close();
        for await (const event of watcher) {
          if (event.paths.some((path) => path === lockPath || path === folder)) check();
        }
      } catch {
        // The folder itself went: the periodic check re-creates it and the lock.
      }
      await new Promise<void>((resolve) => {
        if (signal.aborted) return resolve();
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
      await checking;
    },
    release() {
      released = true;
      file.truncateSync(0);
      file.unlockSync();
      file.close();
    },
  };
}

/** Opens and locks `lockPath` (creating it); undefined when another process holds its lock. */
async function lockFile(lockPath: string): Promise<Deno.FsFile | undefined> {
  const file = await Deno.open(lockPath, { read: true, write: true, create: true });
  if (await file.tryLock(true)) return file;
  file.close();
  return undefined;
}

async function writeOwner(file: Deno.FsFile, owner: LockOwner): Promise<void> {
  await file.truncate(0);
  await file.seek(0, Deno.SeekMode.Start);
  await file.write(new TextEncoder().encode(JSON.stringify(owner) + "\n"));
  await file.syncData();
}

/**
 * Tells whether an orchestrator holds the lock, without disturbing it; returns its owner or
 * undefined when none runs.
 */
export async function runningOwner(lockPath: string): Promise<LockOwner | undefined> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(lockPath, { read: true, write: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  try {
    if (await file.tryLock(false)) {
      await file.unlock();
      return undefined;
    }
    return parseOwner(await readAll(file)) ?? { pid: 0, started: "unknown" };
  } finally {
    file.close();
  }
}

async function readLockOwner(lockPath: string): Promise<LockOwner | undefined> {
  return parseOwner(await Deno.readTextFile(lockPath).catch(() => ""));
}

async function readAll(file: Deno.FsFile): Promise<string> {
  await file.seek(0, Deno.SeekMode.Start);
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(512);
  for (let n = await file.read(buffer); n; n = await file.read(buffer)) {
    chunks.push(buffer.slice(0, n));
  }
  await file.seek(0, Deno.SeekMode.Start);
  return new TextDecoder().decode(await new Blob(chunks as BlobPart[]).arrayBuffer());
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value = JSON.parse(text);
    return typeof value?.pid === "number" ? value : undefined;
  } catch {
    return undefined;
  }
}
