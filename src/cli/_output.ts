import type { Environment } from "../config/mod.ts";
import type { VaultLayout } from "../vault/mod.ts";

/** Where the CLI writes: stdout for results, stderr for messages. Injectable for tests. */
export interface CliOutput {
  /** Writes one line of results (stdout). */
  out(line: string): void;
  /** Writes one line of messages and errors (stderr). */
  err(line: string): void;
}

/** The real terminal. */
export const terminal: CliOutput = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

/** Formats seconds as "2h 5m", "3m 4s" or "12s". */
export function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${s}s`;
  return `${s}s`;
}

/** Lays out rows as aligned columns. */
export function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd());
}

/** What a group of commands needs from the program. */
export interface CommandContext {
  /** Where results and messages go. */
  out: CliOutput;
  /** The environment, read once. */
  env: Environment;
  /** The vault, resolved from --vault, $AIEMP_VAULT or the default. */
  vault: () => VaultLayout;
  /** Sets the exit code. */
  setExit: (code: number) => void;
  /** The clock. @default () => new Date() */
  now?: () => Date;
}
