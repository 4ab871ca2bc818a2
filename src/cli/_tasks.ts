import type { Command } from "commander";
import { onAbort } from "../abort/mod.ts";
import { readAuditLog } from "../audit/mod.ts";
import { type Environment, loadConfig } from "../config/mod.ts";
import { readStatus } from "../orchestrator/mod.ts";
import { readCheckpoint, type TaskMetrics } from "../tasks/mod.ts";
import { listNames, type VaultLayout } from "../vault/mod.ts";
import type { CliOutput, CommandContext } from "./_output.ts";
import {
  dashboardText,
  metricsLines,
  metricsReport,
  parseSince,
  queueLines,
  queueRows,
} from "./_task_views.ts";

/** What the task-loop commands need from the program. */
export interface TaskCommandContext extends CommandContext {
  /**
   * Whether stdout is a terminal: only then is the screen cleared between frames.
   * @default () => Deno.stdout.isTerminal()
   */
  isTerminal?: () => boolean;
  /** Ends a `--watch`. @default aborted by Ctrl+C (SIGINT) */
  interrupt?: AbortSignal;
}

/** How often `--watch` redraws. */
export const REFRESH_MS = 5000;

/** Moves the cursor home and clears the screen. */
const CLEAR_SCREEN = "\x1b[H\x1b[2J";

const DAY_MS = 86_400_000;

/** How {@linkcode showFrames} shows its frames. */
export interface FrameOptions {
  /** Redraw every `intervalMs` until `signal` aborts; otherwise show one frame. */
  watch: boolean;
  /** Clear the screen before each frame (a terminal); otherwise frames follow a blank line. */
  terminal: boolean;
  /** Ends the watch. */
  signal: AbortSignal;
  /** Milliseconds between frames. @default REFRESH_MS */
  intervalMs?: number;
  /** Waits between frames; returns early when `signal` aborts. @default a timer */
  wait?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * Shows `frame()` once, or with `watch` again every `intervalMs` until `signal` aborts: on a
 * terminal over a cleared screen, elsewhere as plain text, one frame after another.
 */
export async function showFrames(
  out: CliOutput,
  frame: () => Promise<string>,
  options: FrameOptions,
): Promise<void> {
  const wait = options.wait ?? pause;
  for (let first = true;; first = false) {
    const text = await frame();
    if (!options.watch) return out.out(text);
    if (options.signal.aborted) return;
    out.out(options.terminal ? `${CLEAR_SCREEN}${text}` : first ? text : `\n${text}`);
    await wait(options.intervalMs ?? REFRESH_MS, options.signal);
    if (options.signal.aborted) return;
  }
}

/**
 * Adds `aiemp queue [--watch] [--json]`, `aiemp metrics [--since WHEN] [--json]` and
 * `aiemp dashboard [--watch]` to the program.
 */
export function registerTaskCommands(program: Command, context: TaskCommandContext): void {
  const { out, env, vault, setExit } = context;
  const now = context.now ?? (() => new Date());
  const isTerminal = context.isTerminal ?? (() => Deno.stdout.isTerminal());
  const frames = async (watch: boolean | undefined, frame: () => Promise<string>) => {
    if (!watch) {
      return await showFrames(out, frame, { watch: false, terminal: false, signal: NEVER });
    }
    if (context.interrupt) {
      return await showFrames(out, frame, {
        watch: true,
        terminal: isTerminal(),
        signal: context.interrupt,
      });
    }
    using interrupt = untilCtrlC();
    await showFrames(out, frame, { watch: true, terminal: isTerminal(), signal: interrupt.signal });
  };

  program.command("queue")
    .description(
      "the items not done or rejected yet: state, priority, age, attempts, next attempt, approvals",
    )
    .option("--json", "print JSON")
    .option("--watch", `redraw every ${REFRESH_MS / 1000} s until Ctrl+C`)
    .action(async (options) => {
      const layout = vault();
      await frames(options.watch, async () => {
        const checkpoint = await readCheckpoint(layout.checkpoint);
        const at = now();
        const rows = queueRows(checkpoint, at);
        return options.json ? JSON.stringify(rows, null, 2) : queueLines(rows, at).join("\n");
      });
    });

  program.command("metrics")
    .description(
      "the task loop's figures: items in, done, rejected, failure rate, agent time, time to done, approvals waiting",
    )
    .option("--since <when>", "how far back: 30m, 24h, 7d, 2w, or an ISO date or date-time", "24h")
    .option("--json", "print JSON")
    .action(async (options) => {
      const at = now();
      const since = parseSince(options.since, at);
      if (!since.ok) {
        out.err(`aiemp: ${since.why}`);
        return setExit(1);
      }
      const metrics = await readMetrics(vault(), since.since, at);
      if (options.json) return out.out(JSON.stringify(metrics, null, 2));
      metricsLines(metrics).forEach((line) => out.out(line));
    });

  program.command("dashboard")
    .description(
      "a terminal view: running or not, components, items, alerts, the queue, the agent's budget, the last 24h",
    )
    .option("--watch", `refresh every ${REFRESH_MS / 1000} s until Ctrl+C`)
    .action(async (options) => {
      const layout = vault();
      await frames(options.watch, async () => {
        const at = now();
        const [status, checkpoint, metrics, config] = await Promise.all([
          readStatus(layout, at),
          readCheckpoint(layout.checkpoint),
          readMetrics(layout, new Date(at.getTime() - DAY_MS), at),
          readConfig(layout, env),
        ]);
        return dashboardText({
          status,
          checkpoint,
          metrics,
          budget: config.tasks.daily_budget,
          now: at,
        });
      });
    });
}

/** The figures from `since` to `now`, from the audit log and the approval requests waiting. */
async function readMetrics(layout: VaultLayout, since: Date, now: Date): Promise<TaskMetrics> {
  const [entries, records, pendingNames] = await Promise.all([
    readAuditLog(layout.audit),
    readApprovalRecords(layout.approvals),
    listNames(layout.folder("Pending_Approval")),
  ]);
  return metricsReport(entries, { since, now, records, pendingNames });
}

/** The `requests` of `.aiemp/approvals.json`; none when there is no readable file yet. */
async function readApprovalRecords(path: string): Promise<unknown> {
  try {
    return JSON.parse(await Deno.readTextFile(path))?.requests ?? {};
  } catch {
    return {};
  }
}

async function readConfig(layout: VaultLayout, env: Environment) {
  const text = await Deno.readTextFile(layout.config).catch(() => undefined);
  return loadConfig(text, env, {}, layout.config);
}

/** A signal that never aborts (one frame needs no interrupt). */
const NEVER = new AbortController().signal;

/** A signal aborted by Ctrl+C while in scope; the process is not ended by it meanwhile. */
function untilCtrlC(): { signal: AbortSignal; [Symbol.dispose](): void } {
  const controller = new AbortController();
  const stop = () => controller.abort();
  Deno.addSignalListener("SIGINT", stop);
  return {
    signal: controller.signal,
    [Symbol.dispose]: () => Deno.removeSignalListener("SIGINT", stop),
  };
}

/** Waits `ms`, or less when `signal` aborts first. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      forget();
      resolve();
    }, ms);
    const forget = onAbort(signal, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
