/**
 * `deno task chaos [--quick] [--seed N] [--only ID]`: fault injection against the real CLI on
 * temporary vaults. Each scenario prints what it injected, how often, and what held, then its
 * verdict; the last line is the suite's verdict, and the exit code is 1 when any scenario failed.
 *
 * `--quick` is the CI run: a few iterations of scenario 1 only. `--seed` repeats a run's random
 * choices; `--only` runs the scenarios whose id starts with ID (e.g. `--only 4`).
 * @module
 */
import { clockJump } from "./clock_jump.ts";
import { diskFull } from "./disk_full.ts";
import { killComponents } from "./kill_components.ts";
import { killOrchestrator } from "./kill_orchestrator.ts";
import { lockDeleted } from "./lock_deleted.ts";
import { malformedFlood } from "./malformed_flood.ts";
import { readOnlyVault } from "./read_only.ts";
import type { Scenario, ScenarioReport } from "./_scenario.ts";
import { seededRandom } from "./_tools.ts";

const SCENARIOS: Scenario[] = [
  killOrchestrator,
  killComponents,
  diskFull,
  readOnlyVault,
  clockJump,
  lockDeleted,
  malformedFlood,
];

type Verdict = "PASS" | "FAIL" | "SKIPPED";

function parseArgs(args: string[]) {
  const options = { quick: false, seed: Math.floor(Math.random() * 2 ** 31), only: "" };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--quick") options.quick = true;
    else if (arg === "--seed") options.seed = Number(args[++i]);
    else if (arg === "--only") options.only = args[++i] ?? "";
    else {
      throw new Error(`Unknown option '${arg}'; use --quick, --seed N or --only ID`);
    }
  }
  if (!Number.isInteger(options.seed)) throw new Error("--seed needs a whole number");
  return options;
}

function verdictOf(report: ScenarioReport): Verdict {
  if (report.skipped) return "SKIPPED";
  return report.checks.length > 0 && report.checks.every((c) => c.held) ? "PASS" : "FAIL";
}

function print(report: ScenarioReport, verdict: Verdict, seconds: number): void {
  if (report.skipped) console.log(`   skipped: ${report.skipped}`);
  for (const line of report.injected) console.log(`   injected: ${line}`);
  for (const c of report.checks) {
    console.log(`   ${c.held ? "held  " : "BROKEN"} ${c.what}${c.detail ? ` — ${c.detail}` : ""}`);
  }
  const why = report.skipped ? ` (${report.skipped.split(":")[0]})` : "";
  console.log(`   verdict: ${verdict}${why} in ${seconds.toFixed(1)} s\n`);
}

async function main(): Promise<number> {
  const options = parseArgs(Deno.args);
  const random = seededRandom(options.seed);
  const chosen = SCENARIOS.filter((s) =>
    (options.quick ? s.quick : true) && s.id.startsWith(options.only)
  );
  if (chosen.length === 0) throw new Error(`No scenario id starts with '${options.only}'`);
  console.log(
    `aiemp chaos: ${chosen.length} scenario(s)${
      options.quick ? " (quick)" : ""
    }, seed ${options.seed}` +
      ` (repeat with --seed ${options.seed})\n`,
  );
  const verdicts: [string, Verdict][] = [];
  const started = Date.now();
  for (const scenario of chosen) {
    console.log(`== ${scenario.id}: ${scenario.title}`);
    const begun = Date.now();
    let report: ScenarioReport;
    try {
      report = await scenario.run({
        quick: options.quick,
        random,
        progress: (line) => console.log(`   … ${line}`),
      });
    } catch (error) {
      const why = error instanceof Error ? error.stack ?? error.message : String(error);
      report = {
        injected: [],
        checks: [{ what: "the scenario ran to its end", held: false, detail: why }],
      };
    }
    const verdict = verdictOf(report);
    print(report, verdict, (Date.now() - begun) / 1000);
    verdicts.push([scenario.id, verdict]);
  }
  const count = (v: Verdict) => verdicts.filter(([, verdict]) => verdict === v).length;
  const failed = verdicts.filter(([, v]) => v === "FAIL").map(([id]) => id);
  const overall = failed.length === 0 ? "PASS" : "FAIL";
  console.log(
    `chaos: ${overall} — ${count("PASS")} passed, ${count("FAIL")} failed, ${
      count("SKIPPED")
    } skipped in ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${options.seed})` +
      (failed.length ? `; failed: ${failed.join(", ")}` : ""),
  );
  return failed.length === 0 ? 0 : 1;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    Deno.exit(2);
  }
}
