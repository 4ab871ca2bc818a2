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
}

/** Reads the few environment variables aiemp uses. The only place that touches `Deno.env`. */
export function readEnvironment(): Environment {
  const get = (name: string) => Deno.env.get(name);
  return {
    AIEMP_VAULT: get("AIEMP_VAULT"),
    DRY_RUN: get("DRY_RUN"),
    HOME: get("HOME"),
    USERPROFILE: get("USERPROFILE"),
  };
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
