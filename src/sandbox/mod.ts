/**
 * The permissions of every component, in one place (DESIGN.md's table). The main process holds
 * broad permissions; each Worker gets only these, and the tests of each component try what it
 * must not do against exactly these.
 * @module
 */
import type { VaultLayout } from "../vault/mod.ts";

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
 * The places in the vault each component works in; it may read and write there and nowhere else.
 * The inbox watcher never touches approvals; the executor never touches the inbox or the audit log.
 */
function placesOf(component: VaultComponent, layout: VaultLayout): string[] {
  switch (component) {
    case "inbox":
      // Claims move dropped files out of Inbox/; notes and originals go to Needs_Action/.
      return [layout.folder("Inbox"), layout.folder("Needs_Action"), layout.inboxClaims];
    case "executor":
      // Claims move approved files into .aiemp/inflight/; results go to Done/ or Rejected/, and
      // an interrupted or expired request back to Pending_Approval/.
      return [
        layout.folder("Approved"),
        layout.inflight,
        layout.folder("Done"),
        layout.folder("Rejected"),
        layout.folder("Pending_Approval"),
      ];
  }
}

/**
 * Permissions of a vault component (the inbox watcher, the approval executor): read and write its
 * own folders of the vault, nothing else — no other folder, no network, no programs, no
 * environment beyond what the YAML library reads.
 */
export function vaultComponentPermissions(
  component: VaultComponent,
  layout: VaultLayout,
): Deno.PermissionOptionsObject {
  const places = placesOf(component, layout);
  return { ...NOTHING, read: places, write: places, env: YAML_LIBRARY_ENV };
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
