/**
 * `aiemp doctor`: checks a vault and its machine, and explains each problem with its fix — the
 * vault is there and writable, aiemp.yaml loads, who holds the lock, the secrets are private, the
 * agent CLI runs and its settings file keeps it in bounds, Chromium is found, each channel's
 * credentials work, the service is installed and running, there is disk space, and the clock is
 * sane. Each check is a small function of its inputs; {@linkcode runDoctor} runs them all with
 * their side effects (subprocesses, the clock, free space, Google) injectable.
 *
 * @example
 * ```ts
 * const checks = await runDoctor({ vault: layout.root, env });
 * for (const line of renderDoctorReport(checks)) console.log(line);
 * Deno.exitCode = failedRequired(checks).length === 0 ? 0 : 1;
 * ```
 * @module
 */
export type {
  CommandOutcome,
  CommandRunner,
  DoctorCheck,
  DoctorEnvironment,
  DoctorOptions,
  DoctorOs,
  GmailProbeAnswer,
  GmailProbeRequest,
  RunCommandOptions,
} from "./types.ts";
export { runDoctor } from "./run.ts";
export { failedRequired, renderDoctorReport } from "./report.ts";
export {
  EARLIEST_CLOCK,
  FUTURE_SLACK_MS,
  LATEST_CLOCK,
  LOW_FREE_BYTES,
  MIN_FREE_BYTES,
  parseDfFree,
} from "./machine.ts";
