/** How to run the agent CLI. */
export interface AgentOptions {
  /** The program, e.g. `claude`. */
  command: string;
  /** Arguments before the prompt, e.g. `["--print"]`. */
  args: readonly string[];
  /** The vault: the agent works there and its settings file applies there. */
  cwd: string;
  /** Milliseconds after which the run is killed and counts as failed. */
  timeoutMs: number;
  /** Sets DRY_RUN=true for the agent, as the seeds do. @default false */
  dryRun?: boolean;
  /** Kills the run when aborted (e.g. at shutdown). */
  signal?: AbortSignal;
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
}

/**
 * Runs the agent CLI once with `prompt` as its last argument (`claude --print PROMPT`), in the vault,
 * and waits for it; a run over `timeoutMs` is killed. A missing program, a timeout or a non-zero exit
 * is a failed run with the reason, never an exception.
 */
export async function runAgent(prompt: string, options: AgentOptions): Promise<AgentRun> {
  const started = performance.now();
  const signal = AbortSignal.any([
    AbortSignal.timeout(options.timeoutMs),
    ...(options.signal ? [options.signal] : []),
  ]);
  const took = () => Math.round(performance.now() - started);
  try {
    const result = await new Deno.Command(options.command, {
      args: [...options.args, prompt],
      cwd: options.cwd,
      env: options.dryRun ? { DRY_RUN: "true" } : {},
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal,
    }).output();
    const output = new TextDecoder().decode(result.stdout);
    if (result.success) return { ok: true, output, durationMs: took() };
    const stderr = new TextDecoder().decode(result.stderr).trim().split("\n").pop() ?? "";
    const why = signal.aborted
      ? `it ran longer than ${Math.round(options.timeoutMs / 1000)}s and was stopped`
      : `it exited with code ${result.code}${stderr ? `: ${stderr}` : ""}`;
    return {
      ok: false,
      output,
      error: `the agent '${options.command}' failed: ${why}`,
      durationMs: took(),
    };
  } catch (error) {
    const error_ = error instanceof Deno.errors.NotFound
      ? `the agent '${options.command}' was not found on PATH; install Claude Code or set agent.command in aiemp.yaml`
      : `cannot run the agent '${options.command}': ${
        error instanceof Error ? error.message : error
      }`;
    return { ok: false, output: "", error: error_, durationMs: took() };
  }
}
