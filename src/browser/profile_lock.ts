import { join } from "node:path";
import type { BrowserPaths } from "./profile.ts";
import { stopLeftoverBrowser, type StopLeftoverOptions } from "./leftover.ts";

/**
 * The file, inside a profile, that whoever has the profile's browser open holds locked. An
 * advisory lock of the operating system: two Workers of one process exclude each other as two
 * processes do, and a process that dies (even by SIGKILL) lets go of it at once.
 */
export const PROFILE_LOCK_FILE = ".aiemp-profile.lock";

/**
 * Another part of aiemp has this profile's browser open right now (a channel's check, an
 * approved action's run, `aiemp login`): nothing was started, and trying again shortly is safe.
 */
export class ProfileBusy extends Error {
  /** Always `"ProfileBusy"`, for logs and stack traces. */
  override readonly name = "ProfileBusy";
  /** The profile that is in use. */
  readonly profileDir: string;

  /** The profile `profileDir` is in use. */
  constructor(profileDir: string) {
    super(
      `The browser profile ${profileDir} is in use by another part of aiemp (a channel's check, an approved action, or aiemp login); nothing was started`,
    );
    this.profileDir = profileDir;
  }
}

/** A profile held: nobody else opens its browser until `release()`. */
export interface ProfileHold {
  /** Lets go of the profile. Calling it again is harmless. */
  release(): void;
}

/**
 * Takes the profile `profileDir` (which must exist) for this caller alone, without waiting:
 * undefined when someone holds it now. Only write access to the profile is needed.
 *
 * @example
 * ```ts
 * const hold = await holdProfile(paths.profileDir);
 * if (!hold) throw new ProfileBusy(paths.profileDir);
 * try { … } finally { hold.release(); }
 * ```
 */
export async function holdProfile(profileDir: string): Promise<ProfileHold | undefined> {
  const file = await Deno.open(join(profileDir, PROFILE_LOCK_FILE), {
    write: true,
    create: true,
    mode: 0o600,
  });
  let held = false;
  try {
    held = await file.tryLock(true);
  } finally {
    if (!held) file.close();
  }
  if (!held) return undefined;
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      file.close(); // closing lets go of the lock
    },
  };
}

/**
 * Stops a browser that a crashed or killed aiemp left running on the profile of `paths` — but
 * only when nobody holds the profile now (a concurrent `aiemp login` keeps its browser). Returns
 * `"busy"` when the profile is held, else whether a leftover was stopped. For the orchestrator,
 * at start and after shutdown.
 */
export async function stopLeftoverWhenFree(
  paths: BrowserPaths,
  options: StopLeftoverOptions = {},
): Promise<boolean | "busy"> {
  let hold: ProfileHold | undefined;
  try {
    hold = await holdProfile(paths.profileDir);
  } catch (error) {
    // No profile folder: no lock to take, and no browser of ours can be on it.
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    return await stopLeftoverBrowser(paths.pidFile, options);
  }
  if (!hold) return "busy";
  try {
    return await stopLeftoverBrowser(paths.pidFile, options);
  } finally {
    hold.release();
  }
}
