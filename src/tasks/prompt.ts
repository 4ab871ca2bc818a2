import { AGENT_PROMPT_RULES } from "../agent/mod.ts";
import { planNameOf } from "./agent_work.ts";

/** What the prompt of one item's run says about it. */
export interface ItemPrompt {
  /** The item's id. */
  id: string;
  /** Its note, relative to the vault. */
  file: string;
  /** The time of the run. */
  now: Date;
  /** Why earlier attempts failed, so the agent does better. */
  errors: string[];
  /** Whether aiemp runs in dry-run mode. */
  dryRun: boolean;
}

/**
 * The prompt of one item's agent run: the item, what to read, the contract of the plan and the
 * approval requests, and the rules no content can change ({@linkcode AGENT_PROMPT_RULES}). The
 * note's text is not copied in: the agent reads the note, where inbound content is fenced.
 */
export function itemPrompt(item: ItemPrompt): string {
  return [
    `You are the AI employee of this vault. The time is ${item.now.toISOString()}.`,
    `Work on one item: ${item.file} (id ${item.id}). Read it, Company_Handbook.md, ` +
    "Business_Goals.md and the skills in .claude/skills/ (task-planner, approval-request, " +
    "email-triage).",
    `Then write your plan to Plans/${planNameOf(item.id)}, with front matter 'task: ${item.id}' ` +
    "and 'result:' set to one of:",
    "- approval_needed: the item needs outward actions (an email, a reply, a post, a message, a " +
    "webhook, a payment). Draft each one as an approval request in Pending_Approval/ in the " +
    `approval-request skill's format, with 'task: ${item.id}' and 'expires:' in its front matter.`,
    "- done: only local work was needed (a summary, a filed note) and the handbook allows it " +
    "without approval.",
    "- needs_human: you need the owner to decide; put the question in 'question:'.",
    ...(item.errors.length > 0
      ? [
        "Earlier attempts on this item failed; do better this time:",
        ...item.errors.map((error, i) => `- attempt ${i + 1}: ${error}`),
      ]
      : []),
    AGENT_PROMPT_RULES,
    item.dryRun ? "DRY RUN: draft as usual; nothing will be sent." : "",
  ].filter(Boolean).join("\n");
}
