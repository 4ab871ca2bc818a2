import { isAbsolute, join, resolve } from "node:path";
import { loadConfig } from "../config/mod.ts";

/** The systemd unit's name, user and system alike. */
export const UNIT_NAME = "aiemp.service";

/** The launchd agent's label; its plist is `~/Library/LaunchAgents/<label>.plist`. */
export const LAUNCHD_LABEL = "com.aiemp.agent";

/** Seconds between a crash and the restart (systemd `RestartSec`, launchd `ThrottleInterval`). */
export const RESTART_DELAY_S = 10;

/**
 * The start-rate limit: more than {@linkcode START_LIMIT_BURST} starts within this many seconds
 * and systemd gives up (the unit shows `failed`; `systemctl reset-failed` clears it), so a vault
 * that cannot start (its emergency stop file, a broken aiemp.yaml) does not loop forever.
 */
export const START_LIMIT_INTERVAL_S = 600;

/** Starts allowed within {@linkcode START_LIMIT_INTERVAL_S}. */
export const START_LIMIT_BURST = 5;

/**
 * Seconds added to the orchestrator's shutdown window (`supervisor.shutdown_timeout_s`) before
 * the service manager kills it: the window covers the components; after it aiemp still stops
 * leftover browsers, writes "System Offline" on the Dashboard and releases the lock.
 */
export const STOP_MARGIN_S = 10;

/** The file names of what launchd captures from aiemp's stdout and stderr, in the vault's Logs/. */
export const LAUNCHD_LOGS = { out: "service.out.log", err: "service.err.log" } as const;

/**
 * The first words of the comment every file `aiemp service install` writes begins with: uninstall
 * removes only a file that carries it, so a unit the owner wrote by hand is never deleted.
 */
export const WRITTEN_BY = "Written by 'aiemp service install'";

/** What one installed service runs: the same spec gives the same unit and plist, byte for byte. */
export interface ServiceSpec {
  /** The program the service starts (the `aiemp` binary), absolute. */
  readonly binary: string;
  /** The vault it runs on, absolute. */
  readonly vault: string;
  /** The account a system unit runs as; absent for a user unit or a launchd agent. */
  readonly systemUser?: string;
  /** Seconds the service manager waits for a graceful stop before it kills aiemp. */
  readonly stopTimeoutS: number;
  /**
   * The `PATH` aiemp gets: service managers start programs with a short one that would miss the
   * agent CLI (`claude` usually lives in `~/.local/bin` or `/usr/local/bin`).
   */
  readonly path: string;
}

/** A service that cannot be set up as asked; the message names the file or option and the fix. */
export class ServiceError extends Error {
  /** Always `"ServiceError"`, for logs and stack traces. */
  override readonly name = "ServiceError";
}

/** What {@linkcode serviceSpec} needs to know. */
export interface SpecInput {
  /** The program the service starts; made absolute against `cwd`. */
  binary: string;
  /** The vault; made absolute against `cwd`. */
  vault: string;
  /** The home folder of the account the service runs as (for its `PATH`). */
  home: string;
  /** The operating system the service is for. */
  os: string;
  /** The account a system unit runs as. @default undefined (a user unit or agent) */
  systemUser?: string;
  /** The folder relative paths are taken from. @default Deno.cwd() */
  cwd?: string;
}

/**
 * The spec for a vault: paths made absolute, the stop timeout from the vault's aiemp.yaml
 * (`supervisor.shutdown_timeout_s` + {@linkcode STOP_MARGIN_S}; the default window when the vault
 * or its aiemp.yaml does not exist yet). Throws `ConfigError` for an aiemp.yaml that cannot load.
 */
export async function serviceSpec(input: SpecInput): Promise<ServiceSpec> {
  const cwd = input.cwd ?? Deno.cwd();
  const binary = isAbsolute(input.binary) ? input.binary : resolve(cwd, input.binary);
  const vault = isAbsolute(input.vault) ? input.vault : resolve(cwd, input.vault);
  const configFile = join(vault, "aiemp.yaml");
  const config = loadConfig(await readIfThere(configFile), {}, {}, configFile);
  for (const [what, value] of [["binary", binary], ["vault", vault]]) {
    // deno-lint-ignore no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(value)) {
      throw new ServiceError(
        `Cannot install the service: the ${what} path ${
          JSON.stringify(value)
        } holds a control character (a line break?) that no unit or plist can carry; move it to a plain path`,
      );
    }
  }
  return Object.freeze({
    binary,
    vault,
    ...(input.systemUser === undefined ? {} : { systemUser: input.systemUser }),
    stopTimeoutS: config.supervisor.shutdown_timeout_s + STOP_MARGIN_S,
    path: servicePath(binary, input.home, input.os),
  });
}

/**
 * The `PATH` of the service: the binary's folder, the user's `~/.local/bin`, then the usual
 * system folders (Homebrew's on macOS), without repeats.
 *
 * @example
 * ```ts
 * servicePath("/home/ana/.local/bin/aiemp", "/home/ana", "linux");
 * // "/home/ana/.local/bin:/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"
 * ```
 */
export function servicePath(binary: string, home: string, os: string): string {
  const folders = [
    binary.slice(0, Math.max(1, binary.lastIndexOf("/"))),
    join(home, ".local/bin"),
    ...(os === "darwin" ? ["/opt/homebrew/bin"] : []),
    "/usr/local/bin",
    "/usr/bin",
    "/bin",
    "/usr/local/sbin",
    "/usr/sbin",
    "/sbin",
  ].filter((folder) => !folder.includes(":"));
  return [...new Set(folders)].join(":");
}

async function readIfThere(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new ServiceError(
      `Cannot read ${path}: ${
        error instanceof Error ? error.message : error
      }; check its permissions`,
    );
  }
}
