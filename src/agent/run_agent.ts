import { resolve } from "node:path";
import { AGENT_SETTINGS_FILE, agentSettingsProblem } from "./settings_check.ts";

/** How to run the agent CLI. */
export interface AgentOptions {
  /** The program, e.g. `claude`. */
  command: string;
  /** Arguments before the settings flag and the prompt, e.g. `["--print"]`. */
  args: readonly string[];
  /** The vault: the agent works there and its settings file applies there. */
  cwd: string;
  /**
   * The agent's settings file, given to it with `--settings` after it passed the check of
   * {@linkcode agentSettingsProblem}. @default `<cwd>/.claude/settings.json`
   */
  settingsFile?: string;
  /** Milliseconds after which the run is killed (with everything it started) and counts as failed. */
  timeoutMs: number;
  /** Sets DRY_RUN=true for the agent, as the seeds do. @default false */
  dryRun?: boolean;
  /** Kills the run when aborted (e.g. at shutdown). */
  signal?: AbortSignal;
  /** Extra environment variables for the agent (tests use them to steer a fake agent). @default {} */
  env?: Record<string, string>;
  /** At most this many bytes of its output are kept. @default 1_000_000 */
  maxOutputBytes?: number;
  /**
   * Told the agent's process id once it runs (the leader of its process group), so a run left
   * behind by a crash can be found and stopped at the next start. @default ignores it
   */
  onStart?: (pid: number) => void;
}

/** What one agent run produced. */
export interface AgentRun {
  /** True when the agent exited with code 0. */
  ok: boolean;
  /** What the agent printed on stdout (also for a failed run). */
  output: string;
  /** Why it failed, in one line with the fix where there is one. */
  error?: string;
  /** How long the run took, in milliseconds. */
  durationMs: number;
  /** Set when the run was stopped: by its timeout, or by `signal` (aiemp shutting down). */
  stopped?: "timeout" | "aborted";
  /**
   * Set when the agent cannot run at all — not installed, not logged in, or its settings file
   * unsafe: a problem of the set-up, not of the work it was given.
   */
  unavailable?: true;
}

const POSIX = Deno.build.os !== "windows";

/**
 * Kills a process and, on POSIX, its whole process group: the agent runs as the leader of its own
 * group (`detached`), so whatever it started (a shell, a tool, a `sleep`) goes with it.
 */
function killTree(child: Deno.ChildProcess): void {
  try {
    if (POSIX) Deno.kill(-child.pid, "SIGKILL");
    else child.kill("SIGKILL");
  } catch { /* already gone */ }
}

/** Reads a stream as text (at most `limit` bytes kept); `text` holds what arrived so far. */
function collect(stream: ReadableStream<Uint8Array>, limit: number) {
  const decoder = new TextDecoder();
  const sink = { text: "", done: Promise.resolve() };
  sink.done = (async () => {
    let bytes = 0;
    for await (const chunk of stream) {
      if (bytes < limit) {
        sink.text += decoder.decode(chunk.subarray(0, limit - bytes), { stream: true });
      }
      bytes += chunk.length;
    }
    sink.text += decoder.decode();
  })().catch(() => {});
  return sink;
}

/** How long output may still arrive after the agent exited (from something it left behind). */
const DRAIN_MS = 2000;

/** True when an agent CLI's output says it has no login (Claude Code: "Not logged in"). */
function notLoggedIn(text: string): boolean {
  return /not logged in|please run \/login|invalid api key|not authenticated/i.test(text);
}

/** The flag of the Claude Code CLI that loads a settings file for one run. */
export const AGENT_SETTINGS_FLAG = "--settings";

/** The settings file a run uses: `options.settingsFile`, else the vault's, made absolute. */
function settingsFileOf(options: Pick<AgentOptions, "cwd" | "settingsFile">): string {
  return resolve(options.cwd, options.settingsFile ?? AGENT_SETTINGS_FILE);
}

/**
 * The arguments of one agent run: the configured ones, `--settings` with the vault's settings
 * file (absolute), then the prompt. Passing the file explicitly matters: Claude Code ignores the
 * `allow` rules of a project's own `.claude/settings.json` until a person has trusted the folder
 * interactively, while a file given with `--settings` applies in full (its deny rules apply
 * either way).
 *
 * @example
 * ```ts
 * agentArgs("Triage", { args: ["--print"], cwd: "/v" });
 * // ["--print", "--settings", "/v/.claude/settings.json", "Triage"]
 * ```
 */
export function agentArgs(
  prompt: string,
  options: Pick<AgentOptions, "args" | "cwd" | "settingsFile">,
): string[] {
  return [...options.args, AGENT_SETTINGS_FLAG, settingsFileOf(options), prompt];
}

/**
 * Runs the agent CLI once with `prompt` as its last argument
 * (`claude --print --settings VAULT/.claude/settings.json PROMPT`), in the vault, and waits for
 * it. It first checks the settings file ({@linkcode agentSettingsProblem}): without every
 * required deny rule the agent is not run, and the run fails saying what to fix. A run over
 * `timeoutMs` (or aborted by `signal`) is killed with its whole process tree; so is anything it
 * left running when it exits. Unsafe settings, a missing program, a timeout or a non-zero exit is
 * a failed run with the reason, never an exception.
 *
 * @example
 * ```ts
 * const run = await runAgent("Triage Needs_Action/", {
 *   command: "claude", args: ["--print"], cwd: vault, timeoutMs: 600_000,
 * });
 * if (!run.ok) log.warn(run.error);
 * ```
 */
export async function runAgent(prompt: string, options: AgentOptions): Promise<AgentRun> {
  const started = performance.now();
  const took = () => Math.round(performance.now() - started);
  const limit = options.maxOutputBytes ?? 1_000_000;
  const unsafe = await agentSettingsProblem(options.cwd, settingsFileOf(options));
  if (unsafe) {
    return { ok: false, output: "", error: unsafe, durationMs: took(), unavailable: true };
  }
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(options.command, {
      args: agentArgs(prompt, options),
      cwd: options.cwd,
      env: { ...options.env, ...(options.dryRun ? { DRY_RUN: "true" } : {}) },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      detached: POSIX,
    }).spawn();
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? `the agent '${options.command}' was not found on PATH; install Claude Code or set agent.command in aiemp.yaml`
      : `cannot run the agent '${options.command}': ${
        error instanceof Error ? error.message : error
      }`;
    return { ok: false, output: "", error: why, durationMs: took(), unavailable: true };
  }
  options.onStart?.(child.pid);
  let stopped: "timeout" | "aborted" | undefined;
  const stop = (why: "timeout" | "aborted") => {
    stopped ??= why;
    killTree(child);
  };
  const timer = setTimeout(() => stop("timeout"), options.timeoutMs);
  const onAbort = () => stop("aborted");
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const stdout = collect(child.stdout, limit);
  const stderr = collect(child.stderr, 64_000);
  try {
    const status = await child.status;
    // Whatever it left behind (holding the output pipes open, or still working) goes too.
    if (POSIX) killTree(child);
    let drained: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all([stdout.done, stderr.done]),
      new Promise((resolve) => drained = setTimeout(resolve, DRAIN_MS)),
    ]);
    clearTimeout(drained);
    const [output, errors] = [stdout.text, stderr.text];
    if (status.success && !stopped) return { ok: true, output, durationMs: took() };
    const lastLine = errors.trim().split("\n").pop() ?? "";
    const loggedOut = !stopped && notLoggedIn(`${output}\n${errors}`);
    const why = stopped === "timeout"
      ? `it ran longer than ${
        Math.round(options.timeoutMs / 1000)
      }s and was stopped with everything it started`
      : stopped === "aborted"
      ? "it was stopped because aiemp is shutting down"
      : loggedOut
      ? "it is not logged in; run it once in a terminal and log in (for Claude Code: `claude`, " +
        "then /login, or set ANTHROPIC_API_KEY for the service)"
      : `it exited with code ${status.code}${lastLine ? `: ${lastLine}` : ""}`;
    return {
      ok: false,
      output,
      error: `the agent '${options.command}' failed: ${why}`,
      durationMs: took(),
      stopped,
      ...(loggedOut ? { unavailable: true as const } : {}),
    };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
}
