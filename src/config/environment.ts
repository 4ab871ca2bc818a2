import { join } from "node:path";

/** The environment variables aiemp reads, read once at the edge. */
export interface Environment {
  /** The vault to use when `--vault` is not given. */
  AIEMP_VAULT?: string;
  /** `true`, `1`, `yes` or `on` turns dry-run mode on. */
  DRY_RUN?: string;
  /** The home folder, where the default vault `~/AI_Employee_Vault` lives. */
  HOME?: string;
  /** The home folder on Windows, used when `HOME` is not set. */
  USERPROFILE?: string;
  /** Who runs the command (`USER`, else `LOGNAME`, else `USERNAME`): named in the audit log. */
  USER?: string;
  /**
   * Every `AIEMP_SECRET_*` variable by its full name: secrets given in the environment rather than
   * in `.aiemp/secrets/` (`AIEMP_SECRET_SLACK_URL` for the secret `slack_url`). @default {}
   */
  secrets?: Readonly<Record<string, string>>;
}

/** The prefix of the variables that hold secrets. */
const SECRET_PREFIX = "AIEMP_SECRET_";

/** Reads the few environment variables aiemp uses. The only place that touches `Deno.env`. */
export function readEnvironment(): Environment {
  const get = (name: string) => Deno.env.get(name);
  return {
    AIEMP_VAULT: get("AIEMP_VAULT"),
    DRY_RUN: get("DRY_RUN"),
    HOME: get("HOME"),
    USERPROFILE: get("USERPROFILE"),
    USER: get("USER") ?? get("LOGNAME") ?? get("USERNAME"),
    secrets: secretVariables(),
  };
}

/** The `AIEMP_SECRET_*` variables; none when the environment may not be listed as a whole. */
function secretVariables(): Record<string, string> {
  let all: Record<string, string>;
  try {
    all = Deno.env.toObject();
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      return {};
    }
    throw error;
  }
  return Object.fromEntries(Object.entries(all).filter(([name]) => name.startsWith(SECRET_PREFIX)));
}

/**
 * Picks the vault folder: `--vault`, then `AIEMP_VAULT`, then `~/AI_Employee_Vault`.
 *
 * @example
 * ```ts
 * resolveVaultPath(undefined, { HOME: "/home/ana" }); // "/home/ana/AI_Employee_Vault"
 * ```
 */
export function resolveVaultPath(flag: string | undefined, env: Environment): string {
  const chosen = flag || env.AIEMP_VAULT;
  if (chosen) return chosen;
  const home = env.HOME || env.USERPROFILE;
  if (!home) {
    throw new Error(
      "Cannot find a vault: no --vault, no AIEMP_VAULT and no HOME; pass --vault DIR",
    );
  }
  return join(home, "AI_Employee_Vault");
}
