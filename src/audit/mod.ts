/**
 * The audit trail: `.aiemp/audit.jsonl`, one JSON entry a line, only ever appended to, written only
 * by the orchestrator's main thread, each entry chained to the one before by its hash.
 * @module
 */
export {
  actingAs,
  type Actor,
  type AuditEntry,
  type AuditLog,
  CHAIN_START,
  createAuditLog,
  type EntryFilter,
  headPathOf,
  sealed,
  type StoredAuditEntry,
} from "./log.ts";
export { sha256Hex } from "./hash.ts";
export {
  type AuditVerdict,
  historyOf,
  readAuditLog,
  verifyAuditLog,
  verifyAuditText,
} from "./verify.ts";
