import { join } from "node:path";

/** The environment variables aiemp reads, read once at the edge. */
export interface Environment {
  AIEMP_VAULT?: string;
  DRY_RUN?: string;
  HOME?: string;
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
