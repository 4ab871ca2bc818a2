import { join } from "node:path";
import {
  LAUNCHD_LABEL,
  LAUNCHD_LOGS,
  RESTART_DELAY_S,
  type ServiceSpec,
  WRITTEN_BY,
} from "./spec.ts";

/**
 * The launchd agent for `spec` (`~/Library/LaunchAgents/com.aiemp.agent.plist`): starts at login
 * (`RunAtLoad`), starts again after a crash but not after a clean stop (`KeepAlive` with
 * `SuccessfulExit` false), at most every {@linkcode RESTART_DELAY_S} seconds (`ThrottleInterval`),
 * gives the graceful shutdown its time (`ExitTimeOut`), and writes what aiemp prints into the
 * vault's Logs/. Every string is XML-escaped.
 *
 * @example
 * ```ts
 * const xml = launchdPlist({
 *   binary: "/Users/ana/.local/bin/aiemp",
 *   vault: "/Users/ana/AI_Employee_Vault",
 *   stopTimeoutS: 15,
 *   path: "/usr/bin:/bin",
 * });
 * xml.includes("<key>RunAtLoad</key>"); // true
 * ```
 */
export function launchdPlist(spec: ServiceSpec): string {
  const logs = join(spec.vault, "Logs");
  const string = (value: string) => `<string>${xmlEscape(value)}</string>`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    `<!-- ${WRITTEN_BY}; 'aiemp service uninstall' removes it. -->`,
    '<plist version="1.0">',
    "<dict>",
    "  <key>Label</key>",
    `  ${string(LAUNCHD_LABEL)}`,
    "  <key>ProgramArguments</key>",
    "  <array>",
    ...[spec.binary, "start", "--vault", spec.vault].map((arg) => `    ${string(arg)}`),
    "  </array>",
    "  <key>EnvironmentVariables</key>",
    "  <dict>",
    "    <key>AIEMP_VAULT</key>",
    `    ${string(spec.vault)}`,
    "    <key>PATH</key>",
    `    ${string(spec.path)}`,
    "  </dict>",
    "  <key>WorkingDirectory</key>",
    `  ${string(spec.vault)}`,
    "  <key>RunAtLoad</key>",
    "  <true/>",
    "  <key>KeepAlive</key>",
    "  <dict>",
    "    <key>SuccessfulExit</key>",
    "    <false/>",
    "  </dict>",
    "  <key>ThrottleInterval</key>",
    `  <integer>${RESTART_DELAY_S}</integer>`,
    "  <key>ExitTimeOut</key>",
    `  <integer>${spec.stopTimeoutS}</integer>`,
    "  <key>StandardOutPath</key>",
    `  ${string(join(logs, LAUNCHD_LOGS.out))}`,
    "  <key>StandardErrorPath</key>",
    `  ${string(join(logs, LAUNCHD_LOGS.err))}`,
    "</dict>",
    "</plist>",
    "",
  ].join("\n");
}

/**
 * The vault an agent written by {@linkcode launchdPlist} runs on (its `AIEMP_VAULT`), or undefined
 * when the text has none.
 */
export function vaultOfPlist(text: string): string | undefined {
  return environmentOfPlist(text, "AIEMP_VAULT");
}

/**
 * The `PATH` an agent written by {@linkcode launchdPlist} runs with, or undefined when the text has
 * none.
 */
export function pathOfPlist(text: string): string | undefined {
  return environmentOfPlist(text, "PATH");
}

/** The string after `<key>NAME</key>`, unescaped: its `EnvironmentVariables` entry. */
function environmentOfPlist(text: string, name: string): string | undefined {
  const found = new RegExp(`<key>${name}</key>\\s*<string>([^<]*)</string>`).exec(text);
  return found ? xmlUnescape(found[1]) : undefined;
}

/**
 * Escapes the five characters XML gives a meaning to.
 *
 * @example
 * ```ts
 * xmlEscape(`Tom & Jerry's <"vault">`); // "Tom &amp; Jerry&apos;s &lt;&quot;vault&quot;&gt;"
 * ```
 */
export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

function xmlUnescape(text: string): string {
  return text.replace(
    /&(amp|lt|gt|quot|apos);/g,
    (_, name: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" })[name] ?? "",
  );
}
