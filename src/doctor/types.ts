import type { InstalledService } from "../service/mod.ts";

/**
 * The environment the doctor reads, as the CLI read it (`readEnvironment` of src/config gives
 * one).
 */
export interface DoctorEnvironment {
  /** `true` turns dry-run mode on, as for every command. */
  DRY_RUN?: string;
  /** The home folder, where the user's service is installed. */
  HOME?: string;
  /** The `AIEMP_SECRET_*` variables by full name: secrets given in the environment. @default {} */
  secrets?: Readonly<Record<string, string>>;
}

/** What the doctor asks Google about the stored Gmail credentials (see `checkGmail`). */
export interface GmailProbeRequest {
  /** The OAuth client's id. */
  clientId: string;
  /** The OAuth client's secret, when it has one. */
  clientSecret?: string;
  /** The owner's grant. */
  refreshToken: string;
  /** `gmail.api_root`. */
  apiRoot: string;
  /** `gmail.token_uri`. */
  tokenUri: string;
  /** How long one call may take. */
  timeoutMs: number;
  /** How often, and how long at most, to retry. */
  retry: { maxAttempts: number; maxDelayMs: number };
}

/** Google's answer to a {@linkcode GmailProbeRequest}. */
export type GmailProbeAnswer =
  | {
    /** The credentials work. */
    ok: true;
    /** The account. */
    profile: { emailAddress: string };
    /** What the grant allows. */
    token: { scopes: string[] };
  }
  | {
    /** The credentials do not work, or Google could not be asked. */
    ok: false;
    /** The error's class: `GmailAuthError` means signing in again is the fix. */
    name: string;
    /** What went wrong. */
    message: string;
  };

/**
 * One finding of `aiemp doctor`: what was checked, whether it passed, and the fix.
 *
 * `ok` is `true` (passes), `"warn"` (works, but look at it) or `false` (fails). A check that is
 * not `required` never fails: what would fail it is a warning, and it never changes the exit code.
 */
export interface DoctorCheck {
  /** A stable name for scripts, e.g. `vault_writable`, `token_linkedin`. */
  id: string;
  /** What was checked, for people: "Vault writable". */
  title: string;
  /** Whether aiemp cannot work as set up unless this passes. */
  required: boolean;
  /** Passes, fails, or passes with a warning. */
  ok: boolean | "warn";
  /** What was found, in one line. */
  detail: string;
  /** What to do about a failure or a warning, in one line. */
  fix?: string;
}

/** How a program run by {@linkcode CommandRunner} ended. */
export type CommandOutcome =
  | {
    /** The program ran to its end. */
    ran: true;
    /** Its exit code. */
    code: number;
    /** What it printed on stdout. */
    stdout: string;
    /** What it printed on stderr. */
    stderr: string;
  }
  | {
    /** The program could not be run, or did not end in time. */
    ran: false;
    /**
     * `not_found`: no such program; `denied`: not executable or not allowed; `timeout`: it
     * was stopped when its time was up; `error`: anything else.
     */
    reason: "not_found" | "denied" | "timeout" | "error";
    /** What went wrong, for people. */
    message: string;
  };

/** What {@linkcode CommandRunner} may be told besides the program and its arguments. */
export interface RunCommandOptions {
  /** The working directory. @default the process's */
  cwd?: string;
  /** The program is stopped after this many milliseconds. @default 10000 */
  timeoutMs?: number;
}

/** Runs a program to its end and reports how it ended; never throws. */
export type CommandRunner = (
  command: string,
  args: string[],
  options?: RunCommandOptions,
) => Promise<CommandOutcome>;

/** The operating systems whose service managers doctor knows. */
export type DoctorOs = typeof Deno.build.os;

/** The doctor's view of the world: every side effect it has, injectable for tests. */
export interface DoctorOptions {
  /** The vault's folder. */
  vault: string;
  /** The environment as the CLI read it (its `AIEMP_SECRET_*` variables count as secrets). @default {} */
  env?: DoctorEnvironment;
  /** Runs the agent CLI, `systemctl` or `launchctl`, and `df`. @default real subprocesses */
  run?: CommandRunner;
  /** The clock. @default () => new Date() */
  now?: () => Date;
  /**
   * The free bytes on the filesystem that holds `path`, or a reason why they cannot be told.
   * @default `df -Pk PATH` through `run`
   */
  freeSpace?: (path: string) => Promise<number | { problem: string }>;
  /**
   * The browser program, as `findBrowser` finds it from `browser.executable`; throws
   * when there is none. @default findBrowser of src/browser
   */
  findBrowser?: (configured: string) => Promise<string>;
  /** Asks Google whether the stored Gmail credentials work. @default checkGmail of src/gmail */
  checkGmail?: (request: GmailProbeRequest) => Promise<GmailProbeAnswer>;
  /** The operating system, for the service manager to ask. @default Deno.build.os */
  os?: DoctorOs;
  /**
   * aiemp's installed service (its scope, the `PATH` it runs with), or undefined when it cannot be
   * told. @default findService of src/service, from `env.HOME`
   */
  installedService?: () => Promise<InstalledService | undefined>;
  /** The user id files should belong to. @default Deno.uid() */
  uid?: number | null;
}
