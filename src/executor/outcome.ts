import type { ActionResult } from "../actions/mod.ts";
import { type Note, replaceSection, type StorageProblem } from "../vault/mod.ts";

/** How the execution of one approved item ended, as the main thread reports it. */
export type ExecutionOutcome = ActionResult & {
  /** True when nothing was contacted because aiemp runs in dry-run mode. */
  dryRun?: boolean;
  /** For a dry run: exactly what would have been sent (secrets left out). */
  wouldSend?: Record<string, unknown>;
  /** Cut off (timeout, shutdown) with the remote's answer unknown: it may have acted. */
  interrupted?: boolean;
  /**
   * Set when the attempt could not begin because the vault could not be written (the audit log's
   * `started` entry, e.g. on a full disk): nothing was contacted, and the attempt does not count.
   */
  notStarted?: StorageProblem;
  /**
   * Set when the attempt did not begin because the platform's rate limit is full (nothing was
   * sent): the attempt does not count, and the item waits this many milliseconds for its slot.
   */
  waitMs?: number;
  /**
   * Set when the approval gate did not let it run: `unapproved` (never pending, or not what was
   * pending) goes to Rejected/; `expired` goes back to Pending_Approval/ marked expired.
   */
  refused?: "unapproved" | "expired";
};

/** The final word on an item: where it goes and what its result section says. */
export interface FinalResult {
  /** How it ended: `sent` and `dry_run` go to Done/, `failed` and `rejected` to Rejected/. */
  outcome: "sent" | "dry_run" | "failed" | "rejected";
  /** When it ended. */
  when: Date;
  /** Attempts made; 0 for an item rejected before any. */
  attempts: number;
  /** The remote's id for what was sent, when it gave one. */
  remoteId?: string;
  /** Where what was published can be seen (a post's address), when the remote said. */
  url?: string;
  /** The remote's answer in short, e.g. `HTTP 200`. */
  detail?: string;
  /** Why it failed or was rejected. */
  error?: string;
  /** For a dry run: what would have been sent (secrets left out). */
  wouldSend?: Record<string, unknown>;
}

/** The folder a finished item moves to: Done/ when it went out (or was dry-run), else Rejected/. */
export function destinationOf(result: FinalResult): "Done" | "Rejected" {
  return result.outcome === "sent" || result.outcome === "dry_run" ? "Done" : "Rejected";
}

/**
 * Records a result in an item: `status`, `outcome`, `completed`, `attempts`, `remote_id` (and
 * `remote_url`) or `error` (and `dry_run: true`) in the front matter, and a `## Result` section
 * at the end of the body.
 */
export function noteWithResult(note: Note, result: FinalResult): Note {
  const frontMatter: Record<string, unknown> = {
    ...note.frontMatter,
    status: destinationOf(result) === "Done" ? "done" : "rejected",
    outcome: result.outcome,
    completed: result.when.toISOString(),
    attempts: result.attempts,
  };
  if (result.remoteId) frontMatter.remote_id = result.remoteId;
  if (result.url) frontMatter.remote_url = result.url;
  if (result.error) frontMatter.error = result.error;
  if (result.outcome === "dry_run") frontMatter.dry_run = true;
  return {
    frontMatter,
    body: replaceSection(note.body, "result", resultText(result), "## Result"),
  };
}

/**
 * Records a result in a file whose front matter cannot be read: the text stays exactly as it was,
 * with the result section added at the end.
 */
export function textWithResult(text: string, result: FinalResult): string {
  return replaceSection(text, "result", resultText(result), "## Result");
}

function resultText(result: FinalResult): string {
  const lines = [
    `- When: ${result.when.toISOString()}`,
    `- Outcome: ${result.outcome.replace("_", " ")}`,
    `- Attempts: ${result.attempts}`,
  ];
  if (result.remoteId) lines.push(`- Remote id: ${result.remoteId}`);
  if (result.url) lines.push(`- Link: ${result.url}`);
  if (result.detail) lines.push(`- Detail: ${result.detail}`);
  if (result.error) lines.push(`- Error: ${result.error}`);
  if (result.wouldSend) {
    lines.push("", "Dry run: nothing was contacted. This is what would have been sent:", "");
    lines.push("```json", JSON.stringify(result.wouldSend, null, 2), "```");
  }
  return lines.join("\n");
}
