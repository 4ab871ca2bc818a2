import { join } from "node:path";
import {
  failureLine,
  locateService,
  type ServiceHost,
  type ServiceLocation,
  type ServiceLocator,
} from "./host.ts";
import { pathOfPlist, vaultOfPlist } from "./plist.ts";
import { LAUNCHD_LABEL, LAUNCHD_LOGS, UNIT_NAME, WRITTEN_BY } from "./spec.ts";
import { pathOfUnit, vaultOfUnit } from "./unit.ts";

/** The systemd properties `aiemp service status` shows. */
export const UNIT_PROPERTIES = [
  "LoadState",
  "ActiveState",
  "SubState",
  "Result",
  "MainPID",
  "NRestarts",
  "UnitFileState",
] as const;

/** The launchd fields `aiemp service status` shows, as `launchctl print` names them. */
const LAUNCHD_FIELDS = ["state", "pid", "runs", "last exit code", "last terminating signal"];

/** How the service manager sees aiemp's service. */
export interface ServiceView {
  /** The service manager. */
  manager: "systemd" | "launchd";
  /** A per-user service or a system unit. */
  scope: "user" | "system";
  /** The unit or plist. */
  file: string;
  /** Whether `aiemp service install` wrote that file. */
  installed: boolean;
  /** The vault the installed service runs on. */
  vault?: string;
  /** launchd's domain of the agent, `gui/<uid>`. */
  domain?: string;
  /** Whether the service manager answered. */
  reachable: boolean;
  /** Why it did not, in one line. */
  problem?: string;
  /**
   * What it said: for systemd {@linkcode UNIT_PROPERTIES}; for launchd `loaded` (`yes`/`no`) and
   * `launchctl print`'s state, pid, runs, last exit code.
   */
  properties: Record<string, string>;
}

/** Which service `aiemp service status|logs` looks at. */
export interface InspectOptions {
  /** The system unit (true), the user's (false), or the one installed, the user's first. */
  system?: boolean;
}

/**
 * Asks the service manager how aiemp's service stands: `systemctl [--user] show aiemp.service`
 * or `launchctl print gui/<uid>/com.aiemp.agent`, beside whether the file is installed and the
 * vault it runs on.
 */
export async function serviceStatus(
  options: InspectOptions,
  host: ServiceHost,
): Promise<ServiceView> {
  const found = await findService(options, host);
  const where = found.location;
  const base = {
    manager: where.manager,
    scope: where.scope,
    file: where.file,
    installed: found.installed,
    ...(found.installed ? { vault: found.vault } : {}),
    ...(where.manager === "launchd" ? { domain: `gui/${host.uid}` } : {}),
  };
  if (where.manager === "systemd") {
    const args = [
      ...(where.scope === "user" ? ["--user"] : []),
      "show",
      UNIT_NAME,
      "-p",
      UNIT_PROPERTIES.join(","),
    ];
    const result = await host.run("systemctl", args);
    if (result.code !== 0) {
      return { ...base, reachable: false, problem: failureLine(result), properties: {} };
    }
    return { ...base, reachable: true, properties: keyValues(result.stdout, /^(\w+)=(.*)$/) };
  }
  const result = await host.run("launchctl", ["print", `${base.domain}/${LAUNCHD_LABEL}`]);
  if (result.code === 127) {
    return { ...base, reachable: false, problem: failureLine(result), properties: {} };
  }
  if (result.code !== 0) return { ...base, reachable: true, properties: { loaded: "no" } };
  const fields = keyValues(result.stdout, /^\t([a-z][a-z ]*?) = (.*)$/);
  const properties: Record<string, string> = { loaded: "yes" };
  for (const name of LAUNCHD_FIELDS) {
    if (fields[name] !== undefined) properties[name] = fields[name];
  }
  return { ...base, reachable: true, properties };
}

/**
 * The lines `aiemp service status` prints for the service manager's view.
 *
 * @example
 * ```ts
 * serviceStatusLines({
 *   manager: "systemd", scope: "user", file: "/home/ana/.config/systemd/user/aiemp.service",
 *   installed: true, reachable: true,
 *   properties: { ActiveState: "active", SubState: "running", MainPID: "812", NRestarts: "0", UnitFileState: "enabled" },
 * })[0];
 * // "Service (systemd user unit): active (running), PID 812, enabled, restarted 0 times"
 * ```
 */
export function serviceStatusLines(view: ServiceView): string[] {
  const kind = view.manager === "systemd"
    ? `systemd ${view.scope} unit`
    : `launchd agent ${LAUNCHD_LABEL}`;
  const fileLine = `  file: ${view.file}${view.vault ? `; vault: ${view.vault}` : ""}`;
  if (!view.installed) {
    return [
      `Service (${kind}): not installed (no ${view.file}); install it with 'aiemp service install'`,
    ];
  }
  if (!view.reachable) {
    return [
      `Service (${kind}): installed, but ${view.manager} cannot be reached: ${view.problem}`,
      fileLine,
    ];
  }
  const p = view.properties;
  if (view.manager === "launchd") {
    if (p.loaded !== "yes") {
      return [
        `Service (${kind}): installed, not loaded; load it with 'launchctl bootstrap ${
          view.domain ?? "gui/$(id -u)"
        } ${view.file}' or log in again`,
        fileLine,
      ];
    }
    const parts = [p.state ?? "loaded"];
    if (p.pid) parts.push(`PID ${p.pid}`);
    if (p.runs) parts.push(`started ${p.runs} times`);
    if (p["last exit code"]) parts.push(`last exit code ${p["last exit code"]}`);
    return [`Service (${kind}): ${parts.join(", ")}`, fileLine];
  }
  const parts = [`${p.ActiveState ?? "unknown"}${p.SubState ? ` (${p.SubState})` : ""}`];
  if (p.MainPID && p.MainPID !== "0") parts.push(`PID ${p.MainPID}`);
  if (p.UnitFileState) parts.push(p.UnitFileState);
  if (p.NRestarts) parts.push(`restarted ${p.NRestarts} times`);
  const lines = [`Service (${kind}): ${parts.join(", ")}`, fileLine];
  if (p.LoadState && p.LoadState !== "loaded") {
    const reload = `systemctl${view.scope === "user" ? " --user" : ""} daemon-reload`;
    lines.push(`  systemd has not loaded it (${p.LoadState}): run '${reload}'`);
  }
  if (p.ActiveState === "failed") {
    const ctl = `systemctl${view.scope === "user" ? " --user" : ""}`;
    lines.push(
      `  it failed (${
        p.Result ?? "see the logs"
      }): see 'aiemp service logs'; once fixed, start it again with '${ctl} reset-failed ${UNIT_NAME} && ${ctl} start ${UNIT_NAME}'`,
    );
  }
  return lines;
}

/** How `serviceLogs` reads. */
export interface LogsOptions extends InspectOptions {
  /** How many of the last lines to show. @default 50 */
  lines?: number;
  /** Keep showing new lines until interrupted. @default false */
  follow?: boolean;
  /** The vault to name (and, on macOS, read) when no installed service names one. */
  vault: string;
}

/**
 * Shows the service's logs: systemd's journal (`journalctl [--user] -u aiemp.service`), or on
 * macOS the files launchd writes in the vault's Logs/. When the service manager has none, says
 * where aiemp's own logs are (the vault's Logs/system.log). Resolves with an exit code.
 */
export async function serviceLogs(options: LogsOptions, host: ServiceHost): Promise<number> {
  const found = await findService(options, host);
  const where = found.location;
  const vault = found.vault ?? options.vault;
  const lines = String(options.lines ?? 50);
  const own = `aiemp's own logs are in ${
    join(vault, "Logs")
  }/: system.log, and one file per component.`;
  const stream = host.stream ?? (async (program: string, args: readonly string[]) => {
    const result = await host.run(program, args);
    for (const line of result.stdout.trimEnd().split("\n")) if (line) host.print(line);
    return result.code;
  });

  if (where.manager === "systemd") {
    const args = [
      ...(where.scope === "user" ? ["--user"] : []),
      "-u",
      UNIT_NAME,
      "-n",
      lines,
      "--no-pager",
    ];
    if (options.follow) return await stream("journalctl", [...args, "-f"]);
    const result = await host.run("journalctl", args);
    const body = result.stdout.split("\n").filter((line) =>
      line && !/^-- No entries --/.test(line)
    );
    if (result.code === 0 && body.length) {
      for (const line of body) host.print(line);
      return 0;
    }
    host.print(
      `systemd's journal has no lines for ${UNIT_NAME} here${
        result.code === 0 ? "" : ` (${failureLine(result)})`
      }. ${own}`,
    );
    return 0;
  }

  const files = [LAUNCHD_LOGS.out, LAUNCHD_LOGS.err].map((name) => join(vault, "Logs", name));
  const present = [];
  for (const file of files) if (await exists(file)) present.push(file);
  if (!present.length) {
    host.print(`launchd has written no logs yet (no ${files.join(" or ")}). ${own}`);
    return 0;
  }
  if (options.follow) return await stream("tail", ["-n", lines, "-F", ...present]);
  for (const file of present) {
    host.print(`==> ${file} <==`);
    const all = (await Deno.readTextFile(file)).trimEnd().split("\n");
    for (const line of all.slice(-Number(lines))) host.print(line);
  }
  return 0;
}

/** aiemp's service as {@linkcode findService} finds it. */
export interface InstalledService {
  /** The unit or plist: the installed one, else where the user's would go. */
  location: ServiceLocation;
  /** Whether `aiemp service install` wrote that file. */
  installed: boolean;
  /** The vault the installed service runs on. */
  vault?: string;
  /** The `PATH` the installed service runs with (see `servicePath`). */
  path?: string;
}

/**
 * Finds aiemp's installed service, the one way every command and `aiemp doctor` find it: the
 * user's unit or agent when `aiemp service install` wrote one, else on Linux the system unit when
 * it wrote that (`options.system` picks one). With the vault and the `PATH` it runs with, read
 * from its file. Throws a `ServiceError` on a system without systemd or launchd.
 *
 * @example
 * ```ts
 * const found = await findService({}, { home: "/home/ana", os: "linux" });
 * if (found.installed) console.log(found.location.scope, found.vault, found.path);
 * ```
 */
export async function findService(
  options: InspectOptions,
  host: ServiceLocator,
): Promise<InstalledService> {
  const candidates = options.system !== undefined || host.os !== "linux"
    ? [locateService(host, options.system ?? false)]
    : [locateService(host, false), locateService(host, true)];
  for (const location of candidates) {
    const text = await readServiceFile(location.file);
    if (text === undefined) continue;
    const systemd = location.manager === "systemd";
    const vault = systemd ? vaultOfUnit(text) : vaultOfPlist(text);
    const path = systemd ? pathOfUnit(text) : pathOfPlist(text);
    return {
      location,
      installed: true,
      ...(vault === undefined ? {} : { vault }),
      ...(path === undefined ? {} : { path }),
    };
  }
  return { location: candidates[0], installed: false };
}

/** The text of a service file aiemp wrote, or undefined (none, unreadable, or not aiemp's). */
async function readServiceFile(file: string): Promise<string | undefined> {
  const text = await Deno.readTextFile(file).catch(() => undefined);
  return text?.includes(WRITTEN_BY) ? text : undefined;
}

function keyValues(text: string, pattern: RegExp): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const found = pattern.exec(line);
    if (found && values[found[1]] === undefined) values[found[1]] = found[2].trim();
  }
  return values;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}
