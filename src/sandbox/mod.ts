/**
 * The permissions of every component, in one place (DESIGN.md's table). The main process holds
 * broad permissions; each Worker gets only these, and the tests of each component try what it
 * must not do against exactly these.
 * @module
 */
import { join } from "node:path";
import {
  browserPaths,
  browserWorkerPermissions,
  type BrowserWorkerPlaces,
} from "../browser/mod.ts";
import { type GmailEndpoints, gmailWorkerPermissions } from "../gmail/mod.ts";
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
export type VaultComponent = "inbox" | "executor" | "gmail" | "whatsapp";

/**
 * The places in the vault each component works in; it may read and write there and nowhere else.
 * The inbox watcher never touches approvals; the executor never touches the inbox or the audit log.
 */
function placesOf(component: VaultComponent, layout: VaultLayout): string[] {
  switch (component) {
    case "inbox":
      // Claims move dropped files out of Inbox/; notes and originals go to Needs_Action/.
      return [layout.folder("Inbox"), layout.folder("Needs_Action"), layout.inboxClaims];
    case "gmail":
      // Notes and saved attachments go to Needs_Action/; the ids already taken to .aiemp/gmail/.
      return [layout.folder("Needs_Action"), join(layout.internal, "gmail")];
    case "whatsapp":
      // Notes go to Needs_Action/; the ids of the messages handled to .aiemp/whatsapp/.
      return [layout.folder("Needs_Action"), join(layout.internal, "whatsapp")];
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
 * Permissions of the Gmail watcher: its folders of the vault (as {@linkcode vaultComponentPermissions}),
 * Google's OAuth and Gmail hosts from the settings, the environment variables Google's libraries
 * read, nothing else. Its credentials come in its start data, so it never reads the secrets.
 */
export function gmailWatcherPermissions(
  layout: VaultLayout,
  endpoints: GmailEndpoints,
): Deno.PermissionOptionsObject {
  const places = placesOf("gmail", layout);
  return gmailWorkerPermissions(endpoints, { read: places, write: places });
}

/**
 * Permissions of one action run: read the item and its attachments, reach only the hosts of that
 * action (`host:port`), read only the environment variables its client library needs (`env`),
 * write nothing. A dry run or an action with no host gets no network.
 *
 * @example
 * ```ts
 * actionRunPermissions(["hooks.example.net:443"], ["/v/.aiemp/inflight/WEBHOOK_a.md"]);
 * ```
 */
export function actionRunPermissions(
  hosts: string[],
  readable: string[],
  env: readonly string[] = [],
): Deno.PermissionOptionsObject {
  return {
    ...NOTHING,
    net: hosts.length > 0 ? hosts : false,
    read: readable.length > 0 ? readable : false,
    env: env.length > 0 ? [...env] : false,
  };
}

/**
 * Where a browser platform's Worker works in a vault: `executable`, the platform's profile and
 * PID file under `.aiemp/browser/`, and `Logs/browser/` for the evidence of failed steps.
 */
export function browserPlacesOf(
  layout: VaultLayout,
  platform: string,
  executable: string,
): BrowserWorkerPlaces {
  return {
    executable,
    ...browserPaths(layout.internal, platform),
    evidenceDir: join(layout.folder("Logs"), "browser"),
  };
}

/**
 * Permissions of the WhatsApp watcher: its folders of the vault (Needs_Action/ and
 * `.aiemp/whatsapp/`, as {@linkcode vaultComponentPermissions}) and what driving its browser
 * takes ({@linkcode browserWorkerPermissions}: run the browser and `ps`, its profile and PID
 * file, `Logs/browser/`, the environment Playwright reads). No network: the browser is a
 * subprocess, which Deno's sandbox does not reach into.
 */
export function whatsappWatcherPermissions(
  layout: VaultLayout,
  executable: string,
): Deno.PermissionOptionsObject {
  const places = placesOf("whatsapp", layout);
  const browser = browserWorkerPermissions(browserPlacesOf(layout, "whatsapp", executable));
  return {
    ...browser,
    read: [...places, ...asList(browser.read)],
    write: [...places, ...asList(browser.write)],
  };
}

/**
 * Permissions of one run of a browser action (a WhatsApp reply): what driving the platform's
 * browser takes ({@linkcode browserWorkerPermissions}) and reading `readable` (the item's
 * files), nothing else of the vault: not the rate limits, which the main thread keeps.
 */
export function browserActionRunPermissions(
  places: BrowserWorkerPlaces,
  readable: string[],
): Deno.PermissionOptionsObject {
  const browser = browserWorkerPermissions(places);
  return { ...browser, read: [...readable, ...asList(browser.read)] };
}

function asList(permission: Deno.PermissionOptionsObject["read"]): string[] {
  return Array.isArray(permission) ? permission.map(String) : [];
}
