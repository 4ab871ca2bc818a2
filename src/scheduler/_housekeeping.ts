import { join } from "node:path";
import { exists, moveInto, parseNote, temporaryPathFor } from "../vault/mod.ts";
import { setFrontMatterKeys } from "./_front_matter.ts";
import { notesIn, timeOf } from "./_notes.ts";
import type { TaskContext, TaskResult } from "./tasks.ts";
import { dateIn } from "./timing.ts";

/**
 * Marks a pending request stale in its own front matter (`stale: true`, `stale_since`), atomically
 * and touching nothing else. Gives up (false) when the file changed or moved meanwhile — the owner
 * may just have approved it, and a rename must not bring it back into Pending_Approval/.
 */
async function flagStale(path: string, since: Date): Promise<boolean> {
  const before = await Deno.lstat(path).catch(() => undefined);
  if (!before?.isFile) return false;
  const text = await Deno.readTextFile(path);
  const next = setFrontMatterKeys(text, { stale: true, stale_since: since.toISOString() });
  // Named like an atomic write's temporary file, so one a crash leaves is cleared at start.
  const temp = temporaryPathFor(path);
  try {
    await Deno.writeTextFile(temp, next, { createNew: true });
    const now = await Deno.lstat(path).catch(() => undefined);
    const same = now?.isFile && now.ino === before.ino &&
      now.mtime?.getTime() === before.mtime?.getTime() && now.size === before.size;
    if (!same) return false;
    await Deno.rename(temp, path);
    return true;
  } finally {
    await Deno.remove(temp).catch(() => {});
  }
}

/**
 * Stale approvals: a request pending longer than `approvals.stale_after_hours` (counted from its
 * `created`, else from the file's time) is flagged in the file and raises a Dashboard alert.
 */
export async function staleApprovalCheck(context: TaskContext): Promise<TaskResult> {
  const hours = context.config.approvals.stale_after_hours;
  const limitMs = hours * 3_600_000;
  const stale: string[] = [];
  let flagged = 0;
  for (const note of await notesIn(context.layout.folder("Pending_Approval"))) {
    if (note.frontMatter.stale === true) {
      stale.push(note.name);
      continue;
    }
    const since = timeOf(note.frontMatter.created) ?? note.mtime;
    if (!since || context.now.getTime() - since.getTime() <= limitMs) continue;
    stale.push(note.name);
    if (!context.dryRun && await flagStale(note.path, context.now)) flagged++;
  }
  context.alert(
    stale.length === 0
      ? ""
      : `${stale.length} approval request(s) waiting for more than ${hours} h: ${
        stale.slice(0, 5).join(", ")
      }${stale.length > 5 ? ", …" : ""}`,
  );
  return {
    ok: true,
    summary: `${stale.length} stale approval request(s)${
      flagged ? `, ${flagged} newly flagged` : ""
    }`,
    stale_count: stale.length,
    flagged,
  };
}

/** How many recent-activity entries the Dashboard keeps at rollover (the spec's 50). */
export const ACTIVITY_KEPT = 50;

function archiveHeader(month: string): string {
  return `---\ntype: activity_archive\nmonth: "${month}"\n---\n# Activity ${month}\n\n` +
    "Recent activity rolled off Dashboard.md by the daily rollover, and each day's counters.\n\n";
}

async function appendToArchive(logs: string, month: string, lines: string[]): Promise<void> {
  const path = join(logs, `activity-${month}.md`);
  const header = await exists(path) ? "" : archiveHeader(month);
  await Deno.writeTextFile(path, header + lines.join(""), { append: true });
}

/**
 * Daily rollover: activity beyond the newest {@linkcode ACTIVITY_KEPT} entries moves to a monthly
 * archive note `Logs/activity-YYYY-MM.md`, the finished day's counters are written there too, and
 * the counters start again at zero.
 */
export async function dailyRollover(context: TaskContext): Promise<TaskResult> {
  if (context.dryRun) {
    return { ok: true, summary: "Dry run: activity and counters left as they are", rolled: 0 };
  }
  const logs = context.layout.folder("Logs");
  const rolled = context.rollActivity(ACTIVITY_KEPT);
  const byMonth = new Map<string, string[]>();
  for (const entry of rolled) {
    const month = dateIn(context.timezone, new Date(entry.when)).slice(0, 7);
    const line = `- ${entry.when.slice(0, 16).replace("T", " ")} UTC — ${entry.text}\n`;
    byMonth.set(month, [...byMonth.get(month) ?? [], line]);
  }
  for (const [month, lines] of byMonth) await appendToArchive(logs, month, lines);
  const day = context.resetDailyCounters();
  if (day && Object.keys(day.counts).length > 0) {
    const counts = Object.entries(day.counts).map(([k, n]) => `${k.replaceAll("_", " ")} ${n}`);
    await appendToArchive(logs, day.date.slice(0, 7), [
      `- **${day.date} counters:** ${counts.join(", ")}\n`,
    ]);
  }
  await context.refreshDashboard();
  return {
    ok: true,
    summary: `${rolled.length} activity entries moved to Logs/; daily counters reset`,
    rolled: rolled.length,
  };
}

/** Health update: rewrites the Dashboard's status, health and queue from the current state. */
export async function healthUpdate(context: TaskContext): Promise<TaskResult> {
  await context.refreshDashboard();
  return { ok: true, summary: "Dashboard refreshed" };
}

/**
 * Done archive: items in Done/ finished more than `archive.done_after_days` ago (their
 * `completed`, else the file's time) move to `Done/Archive/YYYY-MM/`. Moves, never deletes.
 */
export async function doneArchive(context: TaskContext): Promise<TaskResult> {
  const folder = context.layout.folder("Done");
  const cutoff = context.now.getTime() - context.config.archive.done_after_days * 86_400_000;
  // Done/ may hold 100,000 items: it is streamed, looked at in concurrent batches, and only the
  // files old enough to go are kept in memory.
  const old: { path: string; name: string; mtime: Date }[] = [];
  let batch: string[] = [];
  const look = async () => {
    const infos = await Promise.all(
      batch.map((name) => Deno.lstat(join(folder, name)).catch(() => undefined)),
    );
    infos.forEach((info, i) => {
      // A filed item is written when it finishes, so a file changed since the cutoff is recent
      // whatever its `completed` says: only older files are read.
      if (info?.isFile && info.mtime && info.mtime.getTime() < cutoff) {
        old.push({ path: join(folder, batch[i]), name: batch[i], mtime: info.mtime });
      }
    });
    batch = [];
  };
  for await (const entry of Deno.readDir(folder)) {
    if (!entry.isFile || entry.name.startsWith(".")) continue;
    batch.push(entry.name);
    if (batch.length === 256) await look();
  }
  await look();
  let moved = 0;
  for (const { path, name, mtime } of old) {
    let finished = mtime;
    if (name.endsWith(".md")) {
      try {
        const completed = timeOf(parseNote(await Deno.readTextFile(path)).frontMatter.completed);
        if (completed) finished = completed;
      } catch { /* the file's time will do */ }
    }
    if (finished.getTime() >= cutoff) continue;
    const month = dateIn(context.timezone, finished).slice(0, 7);
    if (!context.dryRun) await moveInto(path, join(folder, "Archive", month));
    moved++;
  }
  const verb = context.dryRun ? "would be archived" : "archived";
  return { ok: true, summary: `${moved} item(s) from Done/ ${verb}`, archived: moved };
}
