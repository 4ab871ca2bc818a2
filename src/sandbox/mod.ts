/**
 * The permissions of every component, in one place (DESIGN.md's table). The main process holds
 * broad permissions; each Worker gets only these.
 * @module
 */

/**
 * Environment variables a worker may read: only the two the YAML library consults while parsing
 * (`LOG_TOKENS`, `LOG_STREAM`, debug switches). Nothing else of the environment is visible.
 */
const YAML_LIBRARY_ENV = ["LOG_TOKENS", "LOG_STREAM"];

const NOTHING: Deno.PermissionOptionsObject = {
  read: false,
  write: false,
  net: false,
  run: false,
  env: false,
  sys: false,
  ffi: false,
  import: false,
};

/** The built-in components that run as Workers over the vault. */
export type VaultComponent = "inbox" | "executor";

/**
 * Permissions of a vault component (the inbox watcher, the approval executor): read and write the
 * vault, nothing else — no network, no programs, no environment.
 */
export function vaultComponentPermissions(vault: string): Deno.PermissionOptionsObject {
  return { ...NOTHING, read: [vault], write: [vault], env: YAML_LIBRARY_ENV };
}

/**
 * Permissions of one action run: read the item and its attachments, reach only the hosts of that
 * action (`host:port`), write nothing. A dry run or an action with no host gets no network.
 *
 * @example
 * ```ts
 * actionRunPermissions(["hooks.example.net:443"], ["/v/.aiemp/inflight/WEBHOOK_a.md"]);
 * ```
 */
export function actionRunPermissions(
  hosts: string[],
  readable: string[],
): Deno.PermissionOptionsObject {
  return {
    ...NOTHING,
    net: hosts.length > 0 ? hosts : false,
    read: readable.length > 0 ? readable : false,
  };
}
