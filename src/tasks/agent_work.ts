import { NoteError, parseNote } from "../vault/mod.ts";

/** What the agent's run on one item came to, judged from what it left in the vault. */
export type AgentWork =
  | { kind: "waiting"; approvals: string[] }
  | { kind: "done" }
  | { kind: "question"; question: string }
  | { kind: "failed"; why: string };

/** The plan's answers: `result:` in its front matter. */
const RESULTS = ["approval_needed", "done", "needs_human"] as const;

/** The plan file the agent is asked to write for item `id`. */
export function planNameOf(id: string): string {
  return `PLAN_${id}.md`;
}

/**
 * Judges an agent run from its plan (`Plans/PLAN_<id>.md`, undefined when absent) and the
 * approval requests in Pending_Approval/ that name the item (`task: <id>`). The plan must say
 * `result: approval_needed | done | needs_human`; requests drafted for the item always make it wait
 * for the owner, whatever the plan says. Pure.
 *
 * @example
 * ```ts
 * judgeAgentWork("a", "---\ntask: a\nresult: done\n---\nFiled.\n", []); // { kind: "done" }
 * ```
 */
export function judgeAgentWork(
  id: string,
  plan: string | undefined,
  requests: string[],
): AgentWork {
  if (plan === undefined) {
    return { kind: "failed", why: `the agent left no plan (Plans/${planNameOf(id)})` };
  }
  let frontMatter: Record<string, unknown>;
  try {
    frontMatter = parseNote(plan).frontMatter;
  } catch (error) {
    const why = error instanceof NoteError ? error.message : String(error);
    return { kind: "failed", why: `the plan Plans/${planNameOf(id)} cannot be read: ${why}` };
  }
  const result = frontMatter.result;
  if (requests.length > 0) return { kind: "waiting", approvals: [...requests].sort() };
  if (!RESULTS.includes(result as typeof RESULTS[number])) {
    return {
      kind: "failed",
      why: `the plan Plans/${planNameOf(id)} does not say 'result: approval_needed', 'done' or ` +
        "'needs_human'",
    };
  }
  if (result === "approval_needed") {
    return {
      kind: "failed",
      why: "the plan says approval is needed, but no request in Pending_Approval/ names the " +
        `task ('task: ${id}')`,
    };
  }
  if (result === "needs_human") {
    const question = typeof frontMatter.question === "string" ? frontMatter.question.trim() : "";
    if (!question) {
      return { kind: "failed", why: "the plan says it needs the owner, but asks no 'question:'" };
    }
    return { kind: "question", question };
  }
  return { kind: "done" };
}
