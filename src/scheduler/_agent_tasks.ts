import { join } from "node:path";
import { AGENT_PROMPT_RULES, untrustedBlock } from "../agent/mod.ts";
import { writeFileAtomic } from "../vault/mod.ts";
import { type FolderNote, notesIn, timeOf } from "./_notes.ts";
import type { TaskContext, TaskResult } from "./tasks.ts";
import { dateIn } from "./timing.ts";

const SKILLS = ".claude/skills";

/**
 * The prompt of an agent task: who it is, what to read, the job, and the rules every prompt
 * carries ({@linkcode AGENT_PROMPT_RULES}). Note content never goes into a prompt; should it ever,
 * it goes through `untrustedBlock`.
 */
function agentPrompt(context: TaskContext, job: string, skills: string[]): string {
  return [
    `You are the AI employee of this vault. The time is ${context.now.toISOString()}.`,
    `Read Company_Handbook.md and Business_Goals.md, and the skills ${
      skills.map((s) => `${SKILLS}/${s}/SKILL.md`).join(", ")
    }.`,
    job,
    "Put plans in Plans/ and every outward action as an approval request in Pending_Approval/.",
    AGENT_PROMPT_RULES,
    context.dryRun ? "DRY RUN: draft as usual, nothing will be sent." : "",
  ].filter(Boolean).join("\n");
}

async function agentTask(context: TaskContext, job: string, skills: string[]): Promise<TaskResult> {
  const run = await context.runAgent(agentPrompt(context, job, skills));
  return run.ok
    ? { ok: true, summary: `agent finished in ${Math.round(run.durationMs / 1000)}s` }
    : { ok: false, summary: run.error ?? "the agent failed" };
}

/**
 * Morning triage: the agent works through the new items in Needs_Action/, but only when there are
 * some. Items the task loop has taken up (any `status` but `new`) are its own, never run twice.
 */
export async function morningTriage(context: TaskContext): Promise<TaskResult> {
  const pending = (await notesIn(context.layout.folder("Needs_Action")))
    .filter((note) => (note.frontMatter.status ?? "new") === "new");
  if (pending.length === 0) return { ok: true, summary: "No pending items", items: 0 };
  const result = await agentTask(
    context,
    `Morning triage: process the ${pending.length} items in Needs_Action/ — triage, plan, and create approval requests where needed.`,
    ["email-triage", "task-planner", "approval-request"],
  );
  return { ...result, items: pending.length };
}

function isLinkedIn(note: FolderNote): boolean {
  const { action, platform } = note.frontMatter;
  return note.name.toUpperCase().startsWith("LINKEDIN_") ||
    [action, platform].some((v) => typeof v === "string" && v.toLowerCase() === "linkedin");
}

/** Whether a LinkedIn draft was made on `today` (its name's date, its `created`, or its mtime). */
function draftedOn(note: FolderNote, today: string, timezone: string, useMtime: boolean): boolean {
  if (note.name.includes(today) || note.name.includes(today.replaceAll("-", ""))) return true;
  const created = timeOf(note.frontMatter.created);
  if (created) return dateIn(timezone, created) === today;
  return useMtime && note.mtime !== undefined && dateIn(timezone, note.mtime) === today;
}

/**
 * LinkedIn post: the agent drafts one post as an approval request, unless one was drafted today
 * (waiting, approved or done) or more than one draft already waits for the owner.
 */
export async function linkedinPost(context: TaskContext): Promise<TaskResult> {
  const today = dateIn(context.timezone, context.now);
  const pending = (await notesIn(context.layout.folder("Pending_Approval"))).filter(isLinkedIn);
  const later = [
    ...await notesIn(context.layout.folder("Approved")),
    ...await notesIn(context.layout.folder("Done")),
  ].filter(isLinkedIn);
  if (
    pending.some((n) => draftedOn(n, today, context.timezone, true)) ||
    later.some((n) => draftedOn(n, today, context.timezone, false))
  ) {
    return { ok: true, summary: "A LinkedIn post was already drafted today", drafted: false };
  }
  if (pending.length > 1) {
    return {
      ok: true,
      summary: `${pending.length} LinkedIn drafts still await approval; not drafting more`,
      drafted: false,
    };
  }
  const result = await agentTask(
    context,
    `Draft one LinkedIn post for today, in line with Business_Goals.md, as an approval request named LINKEDIN_${
      today.replaceAll("-", "")
    }_<topic>.md with action: linkedin_post (the social-post skill says how).`,
    ["social-post", "approval-request"],
  );
  return { ...result, drafted: result.ok };
}

const WEEK_MS = 7 * 86_400_000;

/** Warning and error lines of a log file within [from, to), in text or JSON-lines format. */
async function logProblems(path: string, from: Date, to: Date): Promise<string[]> {
  const text = await Deno.readTextFile(path).catch(() => "");
  const lines: string[] = [];
  for (const line of text.split("\n")) {
    const stamp = /^(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?Z?)/.exec(line)?.[1] ??
      /"@timestamp"\s*:\s*"([^"]+)"/.exec(line)?.[1];
    if (!stamp) continue;
    const when = new Date(/Z$/.test(stamp) ? stamp : `${stamp.replace(" ", "T")}Z`);
    if (Number.isNaN(when.getTime()) || when < from || when >= to) continue;
    if (/\[(WRN|ERR|FTL)\]|"level"\s*:\s*"(WARNING|ERROR|FATAL)"/.test(line)) lines.push(line);
  }
  return lines;
}

/**
 * Weekly audit prep: gathers the week's Done/ items and the problems in Logs/ into a Briefings/
 * note, then asks the agent for the CEO briefing built on it.
 */
export async function weeklyAuditPrep(context: TaskContext): Promise<TaskResult> {
  const to = context.now;
  const from = new Date(to.getTime() - WEEK_MS);
  const inWeek = (note: FolderNote) => {
    const when = timeOf(note.frontMatter.completed) ?? note.mtime;
    return when !== undefined && when >= from && when < to;
  };
  const done = (await notesIn(context.layout.folder("Done"))).filter(inWeek);
  const rejected = (await notesIn(context.layout.folder("Rejected"))).filter(inWeek);
  const problems = await logProblems(join(context.layout.folder("Logs"), "system.log"), from, to);
  const day = dateIn(context.timezone, to);
  const name = `${day}_Weekly_Audit.md`;
  const row = (n: FolderNote) =>
    `| ${n.name} | ${String(n.frontMatter.action ?? n.frontMatter.type ?? "")} | ${
      String(n.frontMatter.outcome ?? "")
    } | ${(timeOf(n.frontMatter.completed) ?? n.mtime)?.toISOString().slice(0, 16) ?? ""} |`;
  const table = (notes: FolderNote[]) =>
    notes.length === 0
      ? "_None._"
      : ["| Item | Action | Outcome | When |", "|---|---|---|---|", ...notes.map(row)].join("\n");
  const note = [
    "---",
    "type: weekly_audit",
    `period_start: ${from.toISOString()}`,
    `period_end: ${to.toISOString()}`,
    `done: ${done.length}`,
    `rejected: ${rejected.length}`,
    `log_problems: ${problems.length}`,
    "---",
    `# Weekly audit — week ending ${day}`,
    "",
    `## Done (${done.length})`,
    table(done),
    "",
    `## Rejected (${rejected.length})`,
    table(rejected),
    "",
    `## Warnings and errors in Logs/system.log (${problems.length})`,
    // Log lines can quote inbound content (a subject, a file name): the agent reads them as data.
    problems.length === 0
      ? "_None._"
      : untrustedBlock(["```", ...problems.slice(-50), "```"].join("\n"), "Logs/system.log"),
    "",
  ].join("\n");
  await writeFileAtomic(join(context.layout.folder("Briefings"), name), note);
  const result = await agentTask(
    context,
    `Write the weekly CEO briefing as Briefings/${day}_CEO_Briefing.md from Briefings/${name} (the week's finished work and problems), Pending_Approval/, Needs_Action/ and Business_Goals.md: what was done, what waits, risks, and progress against the goals.`,
    ["task-planner"],
  );
  return { ...result, briefing_data: `Briefings/${name}`, done: done.length };
}
