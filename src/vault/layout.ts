import { join, resolve } from "node:path";

/** The folders of a vault, in the order an item travels through them. */
export const VAULT_FOLDERS = [
  "Inbox",
  "Needs_Action",
  "Plans",
  "Pending_Approval",
  "Approved",
  "Rejected",
  "Done",
  "Logs",
  "Briefings",
] as const;

/** One of the vault's folders. */
export type VaultFolder = typeof VAULT_FOLDERS[number];

/** Where everything in one vault lives; plain paths, computed once. */
export interface VaultLayout {
  /** The vault's folder, absolute. */
  root: string;
  /** The path of one of the vault's folders, e.g. `<root>/Approved`. */
  folder(name: VaultFolder): string;
  /** `Dashboard.md`, written by the orchestrator. */
  dashboard: string;
  /** `aiemp.yaml`, the vault's settings. */
  config: string;
  /** `schedules.yaml`, the vault's own schedules (optional). */
  schedules: string;
  /** `.claude_stop`: while it exists, aiemp stops and will not start. */
  stopFile: string;
  /** `.aiemp/`: aiemp's own state, never edited by hand. */
  internal: string;
  /** `.aiemp/lock`, held by the running orchestrator. */
  lock: string;
  /** `.aiemp/state.json`, what `aiemp status` reads. */
  state: string;
  /** `.aiemp/audit.jsonl`, the append-only audit trail. */
  audit: string;
  /** `.aiemp/approvals.json`, every request seen pending (its provenance). */
  approvals: string;
  /** `.aiemp/checkpoint.json`, where the task loop stands. */
  checkpoint: string;
  /** `.aiemp/inflight/`, approved items being executed. */
  inflight: string;
  /** `.aiemp/requests/`, where the CLI asks the running orchestrator (e.g. `aiemp trigger`). */
  requests: string;
  /** `.aiemp/inbox-claims/`, dropped files being turned into notes. */
  inboxClaims: string;
  /** `.aiemp/secrets/` (0700), kept from the agent. */
  secrets: string;
  /** Where the originals of dropped files are kept, beside their task notes. */
  attachments: string;
}

/**
 * Computes the layout of the vault at `root` (made absolute).
 *
 * @example
 * ```ts
 * vaultLayout("vault").folder("Approved"); // "/abs/path/vault/Approved"
 * ```
 */
export function vaultLayout(root: string): VaultLayout {
  const abs = resolve(root);
  const internal = join(abs, ".aiemp");
  return {
    root: abs,
    folder: (name) => join(abs, name),
    dashboard: join(abs, "Dashboard.md"),
    config: join(abs, "aiemp.yaml"),
    schedules: join(abs, "schedules.yaml"),
    stopFile: join(abs, ".claude_stop"),
    internal,
    lock: join(internal, "lock"),
    state: join(internal, "state.json"),
    audit: join(internal, "audit.jsonl"),
    approvals: join(internal, "approvals.json"),
    checkpoint: join(internal, "checkpoint.json"),
    inflight: join(internal, "inflight"),
    requests: join(internal, "requests"),
    inboxClaims: join(internal, "inbox-claims"),
    secrets: join(internal, "secrets"),
    attachments: join(abs, "Needs_Action", "attachments"),
  };
}
