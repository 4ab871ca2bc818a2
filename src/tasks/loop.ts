import { basename, extname, join } from "node:path";
import type { AgentRun } from "../agent/mod.ts";
import { approvalKeywordsIn } from "../approvals/mod.ts";
import type { AuditEntry } from "../audit/mod.ts";
import type { Config } from "../config/mod.ts";
import { stopLeftoverTree } from "../supervisor/mod.ts";
import {
  exists,
  isTemporaryName,
  listNames,
  moveInto,
  type Note,
  parseNote,
  renderNote,
  replaceSection,
  type VaultLayout,
  watchSettledFiles,
  writeFileAtomic,
} from "../vault/mod.ts";
import { type AgentWork, judgeAgentWork, planNameOf } from "./agent_work.ts";
import { budgetLeft, usageFor, withRun } from "./budget.ts";
import { type Checkpoint, readCheckpoint, withExit, writeCheckpoint } from "./checkpoint.ts";
import { orderByPriority, scoreItem } from "./priority.ts";
import { itemPrompt } from "./prompt.ts";
import { canMove, nextAttemptAt, type TaskState } from "./states.ts";

/** The task loop's settings and its links to the rest of aiemp. */
export interface TaskLoopOptions {
  /** The vault. */
  layout: VaultLayout;
  /** `tasks:` of aiemp.yaml. */
  settings: Config["tasks"];
  /** `approval_keywords`: an item that mentions one is never done without the owner. */
  approvalKeywords: readonly string[];
  /** Whether aiemp runs in dry-run mode (said in the prompt). */
  dryRun: boolean;
  /** Runs the agent once (the orchestrator binds the command, the vault and the dry-run flag). */
  runAgent(
    prompt: string,
    options: { timeoutMs: number; onStart: (pid: number) => void },
  ): Promise<AgentRun>;
  /** The agent's program, to recognise a run a crash left behind. */
  agentCommand: string;
  /** Appends to the audit log. */
  record(entry: AuditEntry): void;
  /**
   * Shows (or with an empty text clears) one of the loop's alerts on the Dashboard: the daily
   * budget is spent, or the agent cannot run at all.
   */
  alert(kind: "budget" | "agent", text: string): void;
  /** Told what became of each item, for the Dashboard's recent activity. @default discards it */
  activity?: (text: string) => void;
  /** Where log lines go. @default discards them */
  log?: (level: "debug" | "info" | "warning" | "error", message: string) => void;
  /** The clock. @default () => new Date() */
  now?: () => Date;
}

/** Drives every item in Needs_Action/ to Done/ or Rejected/, by priority, with the owner. */
export interface TaskLoop {
  /** Stops agent runs a crash left behind and re-queues their items (call once, at start). */
  recover(): Promise<void>;
  /**
   * One pass: takes in new items, follows the ones waiting for the owner, starts agent runs on
   * the highest-priority queued items (up to `max_concurrent_tasks`). With `wait`, waits for the
   * runs it started (`--once`).
   */
  sweep(options?: { wait?: boolean }): Promise<void>;
  /** Sweeps on every change in Needs_Action/ and every `poll_interval_s`, until `signal` aborts. */
  run(signal: AbortSignal): Promise<void>;
}

const WAITING_FOLDERS = ["Pending_Approval", "Approved"] as const;

/** Creates the task loop (see {@linkcode TaskLoop}). */
export function createTaskLoop(options: TaskLoopOptions): TaskLoop {
  const { layout, settings } = options;
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => {});
  const activity = options.activity ?? (() => {});
  const notesFolder = layout.folder("Needs_Action");
  let checkpoint: Checkpoint | undefined;
  /** Items an agent run works on now, by id. */
  const running = new Map<string, Promise<void>>();
  /** Items whose run a crash cut off: their plan, if the agent finished it, is used as it is. */
  const interrupted = new Set<string>();
  let budgetAlert = "";
  /** The alert of an agent that cannot run, and until when no run is started because of it. */
  let agentAlert = "";
  let heldOffUntil = 0;
  let saving = Promise.resolve();
  /** Set when something happened since the last sweep began; `resume` ends the wait for it. */
  let stirred = false;
  let resume: () => void = () => {};
  const wake = () => {
    stirred = true;
    resume();
  };

  async function load(): Promise<Checkpoint> {
    return checkpoint ??= await readCheckpoint(layout.checkpoint);
  }

  /** Writes the checkpoint; writes queue up so the last state always lands last. */
  function save(): Promise<void> {
    const snapshot = { ...checkpoint!, updated: now().toISOString() };
    saving = saving.then(() => writeCheckpoint(layout.checkpoint, snapshot)).catch((error) =>
      log("error", `Cannot write .aiemp/checkpoint.json: ${error}`)
    );
    return saving;
  }

  /** Rewrites a task note's front matter fields (and, with `section`, one body section). */
  async function updateNote(
    path: string,
    fields: Record<string, unknown>,
    section?: { name: string; heading: string; text: string },
  ): Promise<Note> {
    const note = parseNote(await Deno.readTextFile(path));
    const frontMatter = { ...note.frontMatter, ...fields };
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) delete frontMatter[key];
    }
    const body = section
      ? replaceSection(note.body, section.name, section.text, section.heading)
      : note.body;
    await writeFileAtomic(path, renderNote(frontMatter, body));
    return { frontMatter, body };
  }

  /** Moves an item to `to`, in its note, the checkpoint and the audit log. */
  async function move(
    id: string,
    to: TaskState,
    why: string,
    who: AuditEntry["who"] = "orchestrator",
    fields: Record<string, unknown> = {},
  ) {
    const item = checkpoint!.items[id];
    const from = item.state;
    if (!canMove(from, to)) log("error", `${id}: ${from} → ${to} is not a move of the task states`);
    item.state = to;
    item.state_since = now().toISOString();
    await updateNote(join(layout.root, item.file), { status: to, ...fields });
    options.record({ event: "task", who, id, from, to, why });
    await save();
  }

  /** Ends an item: its note goes to Done/ or Rejected/ with the outcome, out of the checkpoint. */
  async function finish(id: string, state: "done" | "rejected", why: string, details = "") {
    const item = checkpoint!.items[id];
    const path = join(layout.root, item.file);
    const from = item.state;
    if (!canMove(from, state)) {
      log("error", `${id}: ${from} → ${state} is not a move of the task states`);
    }
    await updateNote(path, { status: state }, {
      name: "outcome",
      heading: "## Outcome",
      text: `${state === "done" ? "Done" : "Rejected"} on ${now().toISOString()}: ${why}${
        details ? `\n\n${details}` : ""
      }`,
    });
    const target = await moveInto(path, layout.folder(state === "done" ? "Done" : "Rejected"));
    options.record({ event: "task", who: "orchestrator", id, from, to: state, why });
    checkpoint = withExit(checkpoint!, {
      id,
      state,
      at: now().toISOString(),
      attempts: item.attempts,
      why,
    });
    await save();
    log(state === "done" ? "info" : "warning", `${id} → ${basename(target)} (${state}): ${why}`);
    activity(`Task ${id}: ${state} — ${why}`);
  }

  /** The task notes in Needs_Action/, by id. */
  async function taskNotes(): Promise<Map<string, { path: string; note: Note }>> {
    const found = new Map<string, { path: string; note: Note }>();
    for (const name of await listNames(notesFolder)) {
      if (extname(name).toLowerCase() !== ".md" || isTemporaryName(name)) continue;
      const path = join(notesFolder, name);
      try {
        const note = parseNote(await Deno.readTextFile(path));
        const id = typeof note.frontMatter.id === "string"
          ? note.frontMatter.id
          : name.slice(0, -3);
        found.set(id, { path, note });
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) {
          log("warning", `Needs_Action/${name} cannot be read as a task note: ${error}`);
        }
      }
    }
    return found;
  }

  /** Takes a new note into the queue with its priority and the reasons for it. */
  async function admit(id: string, path: string, note: Note) {
    const { score, reasons } = scoreItem(note.frontMatter, note.body, settings, now());
    const status = String(note.frontMatter.status ?? "new");
    const received = String(note.frontMatter.received ?? now().toISOString());
    const waiting = status === "waiting_approval" && Array.isArray(note.frontMatter.approvals);
    checkpoint!.items[id] = {
      state: waiting ? "waiting_approval" : "queued",
      file: `Needs_Action/${basename(path)}`,
      score,
      received,
      state_since: now().toISOString(),
      attempts: Number(note.frontMatter.attempts) || 0,
      errors: Array.isArray(note.frontMatter.errors) ? note.frontMatter.errors.map(String) : [],
      approvals: waiting ? (note.frontMatter.approvals as unknown[]).map(String) : undefined,
    };
    await updateNote(path, {
      status: waiting ? "waiting_approval" : "queued",
      priority_score: score,
      priority_reasons: reasons,
    });
    if (!waiting) {
      options.record({
        event: "task",
        who: "orchestrator",
        id,
        from: status === "queued" ? "queued" : "new",
        to: "queued",
        why: `queued with priority ${score} (${reasons.join("; ")})`,
      });
    }
  }

  /** Where an approval request the item waits for has got to. */
  async function whereIs(name: string): Promise<"waiting" | "done" | "rejected" | "gone"> {
    for (const folder of WAITING_FOLDERS) {
      if (await exists(join(layout.folder(folder), name))) return "waiting";
    }
    if (await exists(join(layout.inflight, name))) return "waiting";
    if (await exists(join(layout.folder("Done"), name))) return "done";
    if (await exists(join(layout.folder("Rejected"), name))) return "rejected";
    return "gone";
  }

  /** Follows an item waiting for the owner: done when all its requests are, else rejected. */
  async function follow(id: string) {
    const item = checkpoint!.items[id];
    const approvals = item.approvals ?? [];
    const places = await Promise.all(approvals.map(whereIs));
    if (places.includes("waiting")) return;
    const refused = approvals.filter((_, i) => places[i] !== "done");
    if (refused.length > 0) {
      return await finish(
        id,
        "rejected",
        `not approved: ${refused.join(", ")} ${
          refused.length === 1 ? "was" : "were"
        } rejected, failed or removed`,
      );
    }
    const answered = approvals.find((name) => name.startsWith("QUESTION_"));
    if (answered) {
      item.approvals = undefined;
      return await move(id, "queued", "the owner answered its question", "human", {
        answer: `Done/${answered}`,
        approvals: undefined,
      });
    }
    await finish(id, "done", `every approved action was performed (${approvals.join(", ")})`);
  }

  /** The approval requests in Pending_Approval/ drafted for item `id` (`task: <id>`). */
  async function requestsFor(id: string): Promise<string[]> {
    const folder = layout.folder("Pending_Approval");
    const names: string[] = [];
    for (const name of await listNames(folder)) {
      if (extname(name).toLowerCase() !== ".md") continue;
      try {
        const { frontMatter } = parseNote(await Deno.readTextFile(join(folder, name)));
        if (String(frontMatter.task ?? "") === id) names.push(name);
      } catch { /* not a request of this item */ }
    }
    return names;
  }

  /** What the agent left for item `id`: its plan (if any) judged with the requests naming it. */
  async function workOf(id: string): Promise<AgentWork> {
    const plan = await Deno.readTextFile(join(layout.folder("Plans"), planNameOf(id)))
      .catch(() => undefined);
    return judgeAgentWork(id, plan, await requestsFor(id));
  }

  /**
   * `<base>.md`, or `<base>-2.md`, `-3`… when an earlier request of that name is still anywhere
   * (a second question about an item must not be taken for the answered first).
   */
  async function unusedRequestName(base: string): Promise<string> {
    for (let n = 1;; n++) {
      const name = n === 1 ? `${base}.md` : `${base}-${n}.md`;
      if ((await whereIs(name)) === "gone") return name;
    }
  }

  /** Writes a request for the owner into Pending_Approval/ and returns its name. */
  async function askOwner(
    prefix: "CONFIRM_" | "QUESTION_",
    id: string,
    what: string,
    body: string,
  ): Promise<string> {
    const name = await unusedRequestName(`${prefix}${id}`);
    const created = now();
    const expires = new Date(created.getTime() + 7 * 24 * 3_600_000);
    await writeFileAtomic(
      join(layout.folder("Pending_Approval"), name),
      renderNote({
        id: `${prefix}${id}`,
        type: "approval_request",
        action: "confirm_task",
        task: id,
        created: created.toISOString(),
        expires: expires.toISOString(),
      }, `# ${what}\n\n${body}\n`),
    );
    return name;
  }

  /** Acts on what the agent's run came to. */
  async function apply(id: string, work: AgentWork) {
    const item = checkpoint!.items[id];
    const plan = `Plans/${planNameOf(id)}`;
    if (work.kind === "failed") {
      item.attempts++;
      item.errors = [...item.errors, work.why];
      if (item.attempts >= settings.max_iterations) {
        return await finish(
          id,
          "rejected",
          `the agent did not complete it in ${item.attempts} attempt(s)`,
          item.errors.map((error, i) => `- Attempt ${i + 1}: ${error}`).join("\n"),
        );
      }
      const at = nextAttemptAt(item.attempts, settings.retry_backoff_s, now());
      item.next_attempt_at = at.toISOString();
      return await move(id, "failed", work.why, "agent", {
        attempts: item.attempts,
        errors: item.errors,
      });
    }
    item.attempts++;
    if (work.kind === "done") {
      const keywords = approvalKeywordsIn(
        parseNote(await Deno.readTextFile(join(layout.root, item.file))),
        options.approvalKeywords,
      );
      if (keywords.length === 0) return await finish(id, "done", `local work only; see ${plan}`);
      // Local work on an item that mentions an approval keyword still needs the owner.
      const name = await askOwner(
        "CONFIRM_",
        id,
        `Confirm that task ${id} is done`,
        `The agent did local work only (see ${plan}), but the item mentions ${
          keywords.map((k) => `'${k}'`).join(", ")
        }, so it is done only when you approve: move this file to Approved/ to confirm, or to ` +
          "Rejected/ to refuse.",
      );
      item.approvals = [name];
      return await move(id, "waiting_approval", `mentions ${keywords.join(", ")}`, "agent", {
        attempts: item.attempts,
        plan,
        approvals: [name],
      });
    }
    if (work.kind === "question") {
      const name = await askOwner(
        "QUESTION_",
        id,
        `A question about task ${id}`,
        `${work.question}\n\nWrite your answer under "## Answer" below and move this file to ` +
          "Approved/; the agent then takes the task up again with it. Move it to Rejected/ to " +
          `drop the task.\n\n## Answer\n`,
      );
      item.approvals = [name];
      return await move(id, "waiting_approval", "the agent needs the owner", "agent", {
        attempts: item.attempts,
        plan,
        approvals: [name],
      });
    }
    item.approvals = work.approvals;
    await move(id, "waiting_approval", `drafted ${work.approvals.join(", ")}`, "agent", {
      attempts: item.attempts,
      plan,
      approvals: work.approvals,
    });
  }

  /** One agent run on item `id` (or, after a crash, the plan the cut-off run left). */
  async function work(id: string) {
    const item = checkpoint!.items[id];
    if (interrupted.delete(id)) {
      const left = await workOf(id);
      if (left.kind !== "failed") {
        log("info", `${id}: the run a crash cut off had finished its plan; using it`);
        await move(
          id,
          "running",
          "its run was cut off by a crash; its plan is used",
          "orchestrator",
        );
        return await apply(id, left);
      }
    }
    await move(id, "running", `agent run ${item.attempts + 1} of ${settings.max_iterations}`);
    const note = parseNote(await Deno.readTextFile(join(layout.root, item.file)));
    const errors = item.errors;
    const prompt = itemPrompt({ id, file: item.file, now: now(), errors, dryRun: options.dryRun });
    const answer = typeof note.frontMatter.answer === "string"
      ? `\nThe owner answered your question about this item: read ${note.frontMatter.answer}.`
      : "";
    const run = await options.runAgent(prompt + answer, {
      timeoutMs: settings.agent_timeout_minutes * 60_000,
      onStart: (pid) => {
        item.agent_pid = pid;
        save();
      },
    });
    item.agent_pid = undefined;
    if (run.stopped === "aborted") {
      // Cut off by a stop, not by the agent: the attempt does not count.
      return await move(id, "queued", "aiemp stopped during its agent run; queued again");
    }
    if (run.unavailable) {
      // The set-up is wrong, not the item: it waits, and runs are held off for a poll interval.
      heldOffUntil = now().getTime() + settings.poll_interval_s * 1000;
      agentAlert = `The agent cannot run: ${run.error}. Items wait in Needs_Action/ and are ` +
        "taken up once it can";
      options.alert("agent", agentAlert);
      return await move(id, "queued", `the agent cannot run (${run.error}); queued again`);
    }
    if (agentAlert) options.alert("agent", agentAlert = "");
    const seconds = Math.round(run.durationMs / 100) / 10;
    checkpoint!.usage = withRun(usageFor(checkpoint!.usage, now()), seconds);
    options.record({
      event: "agent_run",
      who: "orchestrator",
      id,
      ok: run.ok,
      seconds,
      why: run.ok ? undefined : run.error,
    });
    await apply(id, run.ok ? await workOf(id) : { kind: "failed", why: run.error ?? "failed" });
  }

  /** Starts the work on `id`, at most once at a time. */
  function start(id: string) {
    const done = work(id)
      .catch((error) => log("error", `${id}: ${error instanceof Error ? error.message : error}`))
      .finally(() => {
        running.delete(id);
        wake();
      });
    running.set(id, done);
  }

  /** One pass of a sweep; returns how many agent runs it started. */
  async function pass(): Promise<number> {
    await load();
    let started = 0;
    checkpoint!.iteration++;
    const notes = await taskNotes();
    for (const [id, { path, note }] of notes) {
      if (checkpoint!.items[id]) continue;
      const status = String(note.frontMatter.status ?? "new");
      if (status === "done" || status === "rejected" || status === "running") {
        if (status === "running") await admit(id, path, note);
        continue;
      }
      await admit(id, path, note);
    }
    for (const [id, item] of Object.entries(checkpoint!.items)) {
      if (running.has(id)) continue;
      if (!notes.has(id)) {
        checkpoint = withExit(checkpoint!, {
          id,
          state: item.state,
          at: now().toISOString(),
          attempts: item.attempts,
          why: "its note left Needs_Action/ (moved by the owner)",
        });
        continue;
      }
      if (item.state === "waiting_approval") await follow(id);
      else if (
        item.state === "failed" && item.next_attempt_at &&
        Date.parse(item.next_attempt_at) <= now().getTime()
      ) {
        item.next_attempt_at = undefined;
        await move(id, "queued", `attempt ${item.attempts + 1} after the backoff`);
      }
    }
    const queued = orderByPriority(
      Object.entries(checkpoint!.items)
        .filter(([id, item]) => item.state === "queued" && !running.has(id))
        .map(([id, item]) => ({ id, score: item.score, received: item.received })),
    );
    for (const { id } of queued) {
      if (running.size >= settings.max_concurrent_tasks) break;
      if (now().getTime() < heldOffUntil) break;
      const usage = usageFor(checkpoint!.usage, now());
      const left = budgetLeft(usage, settings.daily_budget);
      const text = left.ok ? "" : `${left.why}; ${queued.length} item(s) wait in Needs_Action/`;
      if (text !== budgetAlert) options.alert("budget", budgetAlert = text);
      if (!left.ok) break;
      start(id);
      started++;
    }
    await save();
    return started;
  }

  const loop: TaskLoop = {
    async recover() {
      await load();
      for (const [id, item] of Object.entries(checkpoint!.items)) {
        if (item.state !== "running") continue;
        if (item.agent_pid !== undefined) {
          const stopped = await stopLeftoverTree(
            { pid: item.agent_pid, command: options.agentCommand },
            2000,
          );
          if (stopped) log("warning", `${id}: stopped the agent run a crash left behind`);
        }
        item.agent_pid = undefined;
        interrupted.add(id);
        if (await exists(join(layout.root, item.file))) {
          await move(id, "queued", "aiemp stopped during its agent run; queued again");
        }
      }
      await save();
    },

    async sweep({ wait = false } = {}) {
      // With `wait` (--once), passes follow one another until one starts no run: the whole queue
      // is worked through, `max_concurrent_tasks` at a time.
      while ((await pass()) > 0 && wait) {
        while (running.size > 0) await Promise.all(running.values());
      }
    },

    async run(signal) {
      await loop.recover();
      const poll = setInterval(() => wake(), settings.poll_interval_s * 1000);
      // New notes, and requests reaching Done/ or Rejected/, call for a sweep.
      const watching = watchSettledFiles({
        folders: [notesFolder],
        watchOnly: [layout.folder("Done"), layout.folder("Rejected")],
        settleMs: 300,
        skip: isTemporaryName,
        onSettled: () => Promise.resolve(wake()),
      }, signal).catch((error) => log("error", `Cannot watch Needs_Action/: ${error}`));
      try {
        while (!signal.aborted) {
          stirred = false;
          await loop.sweep();
          if (stirred) continue;
          await new Promise<void>((resolve) => {
            resume = resolve;
            signal.addEventListener("abort", () => resolve(), { once: true });
          });
        }
      } finally {
        clearInterval(poll);
        await Promise.all(running.values());
        await watching;
        await save();
      }
    },
  };
  return loop;
}
