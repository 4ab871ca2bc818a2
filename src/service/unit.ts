import {
  RESTART_DELAY_S,
  ServiceError,
  type ServiceSpec,
  START_LIMIT_BURST,
  START_LIMIT_INTERVAL_S,
  WRITTEN_BY,
} from "./spec.ts";

/**
 * The systemd unit for `spec`: a user unit (`WantedBy=default.target`), or a system unit that runs
 * as `spec.systemUser` (`WantedBy=multi-user.target`). Restarts after a crash, not after a clean
 * stop (`aiemp stop`, the emergency stop file); gives up after too many starts; gives the
 * orchestrator its shutdown window before it kills anything. Paths are quoted and escaped the way
 * systemd reads them, so spaces, `%` and `$` survive. Throws a {@linkcode ServiceError} for a
 * binary whose path systemd cannot start (quotes, backslashes).
 *
 * `KillMode=mixed`: SIGTERM goes to aiemp alone, which stops its own children (the agent CLI,
 * Chromium) in its graceful shutdown; whatever is left when the stop timeout ends is killed.
 *
 * @example
 * ```ts
 * const text = systemdUnit({
 *   binary: "/home/ana/.local/bin/aiemp",
 *   vault: "/home/ana/AI_Employee_Vault",
 *   stopTimeoutS: 15,
 *   path: "/usr/bin:/bin",
 * });
 * text.includes("ExecStart=/home/ana/.local/bin/aiemp start --vault /home/ana/AI_Employee_Vault"); // true
 * ```
 */
export function systemdUnit(spec: ServiceSpec): string {
  const system = spec.systemUser !== undefined;
  return [
    `# ${WRITTEN_BY}; 'aiemp service uninstall' removes it.`,
    "# The next install replaces edits: change the install options or the vault's aiemp.yaml instead.",
    "[Unit]",
    "Description=aiemp, the personal AI employee",
    "After=network-online.target",
    "Wants=network-online.target",
    `StartLimitIntervalSec=${START_LIMIT_INTERVAL_S}`,
    `StartLimitBurst=${START_LIMIT_BURST}`,
    "",
    "[Service]",
    "Type=simple",
    ...(system ? [`User=${specifiers(spec.systemUser)}`] : []),
    `WorkingDirectory=${directory(spec.vault)}`,
    `Environment=${quoted(`AIEMP_VAULT=${spec.vault}`)}`,
    `Environment=${quoted(`PATH=${spec.path}`)}`,
    `ExecStart=${
      [program(spec.binary), ...["start", "--vault", spec.vault].map(argument)].join(" ")
    }`,
    "Restart=on-failure",
    `RestartSec=${RESTART_DELAY_S}`,
    `TimeoutStopSec=${spec.stopTimeoutS}`,
    "KillSignal=SIGTERM",
    "KillMode=mixed",
    "",
    "[Install]",
    `WantedBy=${system ? "multi-user.target" : "default.target"}`,
    "",
  ].join("\n");
}

/**
 * The vault a unit written by {@linkcode systemdUnit} runs on (its `AIEMP_VAULT`), or undefined
 * when the text has none.
 */
export function vaultOfUnit(text: string): string | undefined {
  return environmentOfUnit(text, "AIEMP_VAULT");
}

/**
 * The `PATH` a unit written by {@linkcode systemdUnit} runs with, or undefined when the text has
 * none.
 */
export function pathOfUnit(text: string): string | undefined {
  return environmentOfUnit(text, "PATH");
}

/** The value of the `Environment="NAME=…"` line {@linkcode systemdUnit} writes, unescaped. */
function environmentOfUnit(text: string, name: string): string | undefined {
  const start = `Environment="${name}=`;
  const line = text.split("\n").find((l) => l.startsWith(start));
  if (line === undefined || !line.endsWith('"')) return undefined;
  return line.slice(start.length, -1).replace(/\\(.)|%%/g, (_, escaped) => escaped ?? "%");
}

/** Doubles `%`, which systemd would otherwise read as a specifier (`%h`, `%u`). */
function specifiers(text: string): string {
  return text.replaceAll("%", "%%");
}

/** A value in double quotes, with `\` and `"` escaped and `%` doubled. */
function quoted(text: string): string {
  return `"${specifiers(text.replaceAll("\\", "\\\\").replaceAll('"', '\\"'))}"`;
}

/** A folder setting: as it is, `%` doubled; a final `\` would join the next line to it. */
function directory(path: string): string {
  if (path.endsWith("\\")) {
    throw new ServiceError(
      `Cannot write a systemd unit for the vault ${path}: a path that ends in a backslash would run into the next line; rename the folder`,
    );
  }
  return specifiers(path);
}

/**
 * The program of `ExecStart=`: quoted when it holds a space. systemd refuses quotes and
 * backslashes in a program's path, and expands no `$` there.
 */
function program(path: string): string {
  if (/["'\\]/.test(path)) {
    throw new ServiceError(
      `Cannot write a systemd unit for the program ${path}: systemd refuses quotes and backslashes in the path of the program it starts; install aiemp in a folder without them (e.g. ~/.local/bin)`,
    );
  }
  return PLAIN.test(path) ? specifiers(path) : quoted(path);
}

/**
 * An argument of `ExecStart=`: as it is when plain, else quoted; `$` doubled, since systemd
 * expands `$NAME` in arguments (not in `Environment=`).
 */
function argument(word: string): string {
  return (PLAIN.test(word) ? specifiers(word) : quoted(word)).replaceAll("$", "$$$$");
}

/** Words systemd reads as they are. */
const PLAIN = /^[A-Za-z0-9_./:@+=,-]+$/;
