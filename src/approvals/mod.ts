/**
 * Approval integrity: what was pending, and the gate an approved file passes before it is
 * performed — it must have been pending with exactly this content, must not have expired, and an
 * item mentioning an approval keyword always needs that history.
 * @module
 */
export { type Expiry, expiryOf } from "./expiry.ts";
export { type ApprovalVerdict, type ApprovedFileFacts, judgeApproved } from "./gate.ts";
export { approvalKeywordsIn } from "./keywords.ts";
export {
  type PendingRecord,
  type PendingRecords,
  recordOf,
  recordSighting,
  type Sighting,
  withoutRecord,
} from "./records.ts";
export { MARKS_KEPT_BY_AIEMP, requestHash } from "./request_hash.ts";
export {
  type ApprovalRegistry,
  type ApprovalRegistryOptions,
  createApprovalRegistry,
  type HumanDecision,
  type ReadRequest,
  readRequest,
} from "./registry.ts";
