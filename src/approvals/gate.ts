import type { Expiry } from "./expiry.ts";
import type { PendingRecord } from "./records.ts";

/** What becomes of a file found in Approved/. */
export type ApprovalVerdict =
  | { verdict: "perform"; firstApproval: boolean }
  | { verdict: "refuse"; why: "never_pending" | "changed"; reason: string }
  | { verdict: "expired"; reason: string };

/** What the gate weighs for one approved file. */
export interface ApprovedFileFacts {
  /** Its record from the time it was pending, if it has one. */
  record?: PendingRecord;
  /** Its content hash now. */
  hash: string;
  /** When it expires (or why that cannot be read). */
  expiry: Expiry;
  /**
   * Whether it may be performed only after being pending: always for an outward action, and for
   * any item that mentions an `approval_keywords` word.
   */
  historyRequired: boolean;
  /** The keywords it mentions, for the reason given. */
  keywords: string[];
  /** The time of the decision. */
  now: Date;
}

/**
 * Decides whether an approved file may be performed: it must have been seen pending with exactly
 * this content, and not have expired. Pure: the registry supplies the facts and acts on the verdict.
 */
export function judgeApproved(facts: ApprovedFileFacts): ApprovalVerdict {
  const { record } = facts;
  const keywords = facts.keywords.length > 0
    ? ` It mentions ${facts.keywords.map((k) => `'${k}'`).join(", ")} (approval_keywords).`
    : "";
  if (facts.historyRequired && !record) {
    return {
      verdict: "refuse",
      why: "never_pending",
      reason: "it was never pending: aiemp never saw a request of this name in " +
        "Pending_Approval/, so no human approved it (written straight into Approved/ — by the " +
        `agent? — or renamed on the way).${keywords} Nothing was sent. To send it, put it in ` +
        "Pending_Approval/, review it, then move it to Approved/ without renaming it",
    };
  }
  if (facts.historyRequired && record && record.hash !== facts.hash) {
    return {
      verdict: "refuse",
      why: "changed",
      reason: "it is not what was pending: its content differs from the request aiemp saw in " +
        "Pending_Approval/ (changed on the way, or another file under the same name). Nothing " +
        "was sent. Put it in Pending_Approval/, review it, then move it to Approved/",
    };
  }
  if ("invalid" in facts.expiry) {
    return { verdict: "expired", reason: `its expiry cannot be read: ${facts.expiry.invalid}` };
  }
  if (facts.expiry.at.getTime() <= facts.now.getTime()) {
    const when = facts.expiry.at.toISOString();
    return {
      verdict: "expired",
      reason:
        `it expired at ${when}${
          facts.expiry.given ? "" : " (it had no 'expires', so it lasted the default time)"
        }; nothing was sent. To send it anyway, set 'expires:' to a later time and move it to ` +
        "Approved/ again",
    };
  }
  return { verdict: "perform", firstApproval: record?.state !== "approved" };
}
