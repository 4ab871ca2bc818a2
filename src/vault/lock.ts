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
  /** Clears and releases the lock; call once, when the orchestrator stops. */
  release(): void;
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
  const file = await Deno.open(lockPath, { read: true, write: true, create: true });
  if (!(await file.tryLock(true))) {
    const holder = await readLockOwner(lockPath);
    file.close();
    throw new VaultLockedError(vault, holder);
  }
  const previous = parseOwner(await readAll(file));
  await file.truncate(0);
  await file.write(new TextEncoder().encode(JSON.stringify(owner) + "\n"));
  await file.syncData();
  return {
    takenOverFrom: previous && previous.pid !== owner.pid ? previous : undefined,
    release() {
      file.truncateSync(0);
      file.unlockSync();
      file.close();
    },
  };
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
