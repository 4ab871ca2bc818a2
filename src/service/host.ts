import { join } from "node:path";
import { LAUNCHD_LABEL, ServiceError, UNIT_NAME } from "./spec.ts";

/** What a program said and how it ended. A program that is not installed ends with code 127. */
export interface CommandResult {
  /** The exit code; 127 when the program could not be found. */
  code: number;
  /** Its standard output. */
  stdout: string;
  /** Its standard error. */
  stderr: string;
}

/** Runs a program with arguments (no shell) and collects what it said. */
export type CommandRunner = (program: string, args: readonly string[]) => Promise<CommandResult>;

/**
 * The machine the service manager runs on: every side effect besides the service file itself,
 * passed in so tests can replace it.
 */
export interface ServiceHost {
  /** Runs `systemctl`, `loginctl`, `launchctl`, `journalctl`. */
  run: CommandRunner;
  /**
   * Runs a program with the terminal as its output until it ends (`journalctl -f`, `tail -F`);
   * resolves with its exit code. @default run, printing what it said when it ends
   */
  stream?: (program: string, args: readonly string[]) => Promise<number>;
  /** The home folder of the user running the command. */
  home: string;
  /** The operating system: `linux`, `darwin` or another of `Deno.build.os`. */
  os: string;
  /** The user running the command (the linger check; a system unit's default account). */
  user: string;
  /** The user's numeric id (launchd's `gui/<uid>` domain). */
  uid: number;
  /** Where the steps and advice are printed. */
  print: (line: string) => void;
  /**
   * The folder the unit or plist goes in, instead of the usual one (tests, unusual set-ups).
   * @default ~/.config/systemd/user, /etc/systemd/system, or ~/Library/LaunchAgents
   */
  unitDir?: string;
}

/** The file of the installed service and how its manager is addressed. */
export interface ServiceLocation {
  /** The service manager. */
  manager: "systemd" | "launchd";
  /** A per-user service (systemd user unit, launchd agent) or a system unit. */
  scope: "user" | "system";
  /** The unit or plist. */
  file: string;
  /** The folder of aiemp's own making that may be removed when empty again on uninstall. */
  ownFolders: string[];
}

/** The usual folder of system units. */
export const SYSTEM_UNIT_DIR = "/etc/systemd/system";

/** What {@linkcode locateService} needs to know of the machine. */
export type ServiceLocator = Pick<ServiceHost, "home" | "os" | "unitDir">;

/**
 * Where the service file goes on `host`: a systemd user unit, a system unit (`system`), or a
 * launchd agent on macOS. Throws a {@linkcode ServiceError} elsewhere (Windows).
 */
export function locateService(host: ServiceLocator, system: boolean): ServiceLocation {
  if (host.os === "linux") {
    if (system) {
      return {
        manager: "systemd",
        scope: "system",
        file: join(host.unitDir ?? SYSTEM_UNIT_DIR, UNIT_NAME),
        ownFolders: [],
      };
    }
    const config = join(host.home, ".config");
    const dir = host.unitDir ?? join(config, "systemd", "user");
    return {
      manager: "systemd",
      scope: "user",
      file: join(dir, UNIT_NAME),
      ownFolders: host.unitDir ? [] : [dir, join(config, "systemd")],
    };
  }
  if (host.os === "darwin") {
    if (system) {
      throw new ServiceError(
        "Cannot install a system service on macOS: --system is for Linux; leave it out to install a launchd agent that runs while you are logged in",
      );
    }
    const dir = host.unitDir ?? join(host.home, "Library", "LaunchAgents");
    return {
      manager: "launchd",
      scope: "user",
      file: join(dir, `${LAUNCHD_LABEL}.plist`),
      ownFolders: [],
    };
  }
  throw new ServiceError(
    `Cannot manage a service on ${host.os}: aiemp knows systemd (Linux) and launchd (macOS); on Windows, run 'aiemp start' from Task Scheduler at logon`,
  );
}

/**
 * A command as a shell line, each word quoted when it needs to be, for printing.
 *
 * @example
 * ```ts
 * shellLine("systemctl", ["--user", "enable", "--now", "aiemp.service"]);
 * // "systemctl --user enable --now aiemp.service"
 * shellLine("launchctl", ["bootstrap", "gui/501", "/Users/a b/x.plist"]);
 * // "launchctl bootstrap gui/501 '/Users/a b/x.plist'"
 * ```
 */
export function shellLine(program: string, args: readonly string[]): string {
  return [program, ...args].map((word) =>
    /^[A-Za-z0-9_./:@%+=,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`
  ).join(" ");
}

/** Runs a program through `Deno.Command`, output collected; 127 when it is not installed. */
export async function runCommand(
  program: string,
  args: readonly string[],
): Promise<CommandResult> {
  try {
    const result = await new Deno.Command(program, {
      args: [...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder();
    return {
      code: result.code,
      stdout: text.decode(result.stdout),
      stderr: text.decode(result.stderr),
    };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { code: 127, stdout: "", stderr: `${program}: command not found` };
    }
    throw error;
  }
}

/** Runs a program with this terminal as its output (`journalctl -f`); 127 when not installed. */
export async function streamCommand(program: string, args: readonly string[]): Promise<number> {
  try {
    const child = new Deno.Command(program, {
      args: [...args],
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    return (await child.status).code;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return 127;
    throw error;
  }
}

/**
 * Whether what a service manager said means there is no session to reach, rather than a refusal:
 * no user bus (`systemctl --user` outside a login session, or under sudo), no systemd at all (a
 * container), or no GUI domain for launchd (an SSH session without a login at the Mac).
 *
 * @example
 * ```ts
 * saysNoSession("Failed to connect to bus: No medium found"); // true
 * saysNoSession("Bootstrap failed: 5: Input/output error"); // false
 * ```
 */
export function saysNoSession(output: string): boolean {
  return NO_SESSION.some((pattern) => pattern.test(output));
}

/** What systemctl and launchctl say when there is no manager or session to talk to. */
const NO_SESSION = [
  /Failed to connect to (?:[\w ]+ )?bus/i, // "…to bus", "…to user scope bus via local transport"
  /No medium found/i,
  /\$DBUS_SESSION_BUS_ADDRESS and \$XDG_RUNTIME_DIR not defined/i,
  /System has not been booted with systemd/i,
  /Could not find domain for/i,
  /Domain does not support specified action/i,
];

/**
 * The line that says why a command failed, for a one-line message: the first that speaks of a
 * failure (systemctl reports the symlinks it made before the error), else the first.
 */
export function failureLine(result: CommandResult): string {
  const lines = (result.stderr.trim() || result.stdout.trim()).split("\n").map((l) => l.trim())
    .filter(Boolean);
  const line = lines.find((l) => /fail|error|cannot|can't|not found|denied|no such/i.test(l)) ??
    lines[0];
  return line?.replace(/\.$/, "") || `exit code ${result.code}`;
}
