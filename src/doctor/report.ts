/**
 * What `aiemp doctor` prints: one line per check, the fix under each failure and warning, and
 * the verdict.
 * @module
 */
import { plural } from "./_shell.ts";
import type { DoctorCheck } from "./types.ts";

/** The required checks that failed: any of them makes `aiemp doctor` exit 1. */
export function failedRequired(checks: readonly DoctorCheck[]): DoctorCheck[] {
  return checks.filter((check) => check.required && check.ok === false);
}

/**
 * The report as lines: `✓`, `!` or `✗`, the title (marked "(optional)" when the check is not
 * required), the detail; `  fix: …` under a failure or a warning; then "All required checks pass"
 * or "N required check(s) failed". Pure.
 *
 * @example
 * ```ts
 * renderDoctorReport([{ id: "disk", title: "Disk space", required: true, ok: true, detail: "5.0 GB free" }]);
 * // ["✓ Disk space: 5.0 GB free", "All required checks pass"]
 * ```
 */
export function renderDoctorReport(checks: readonly DoctorCheck[]): string[] {
  const lines: string[] = [];
  for (const check of checks) {
    const mark = check.ok === true ? "✓" : check.ok === "warn" ? "!" : "✗";
    const title = check.required ? check.title : `${check.title} (optional)`;
    lines.push(`${mark} ${title}: ${check.detail}`);
    if (check.ok !== true && check.fix) lines.push(`  fix: ${check.fix}`);
  }
  const failed = failedRequired(checks).length;
  lines.push(
    failed === 0 ? "All required checks pass" : `${plural(failed, "required check")} failed`,
  );
  return lines;
}
