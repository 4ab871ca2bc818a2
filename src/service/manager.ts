import { basename, dirname, join } from "node:path";
import {
  type CommandResult,
  failureLine,
  locateService,
  saysNoSession,
  type ServiceHost,
  type ServiceLocation,
  shellLine,
} from "./host.ts";
import { launchdPlist, vaultOfPlist } from "./plist.ts";
import { LAUNCHD_LABEL, ServiceError, type ServiceSpec, UNIT_NAME, WRITTEN_BY } from "./spec.ts";
import { systemdUnit, vaultOfUnit } from "./unit.ts";

/** The mode of the unit or plist. */
const FILE_MODE = 0o644;

/** How `installService` behaves. */
export interface InstallOptions {
  /** Start (or restart) the service now; false writes and enables it only. @default true */
  start?: boolean;
  /** Restart a running service even when its file did not change (a new binary). @default false */
  restart?: boolean;
  /** Print each step (the file and its content, each command) and change nothing. @default false */
  dryRun?: boolean;
}

/** What `installService` did with the file. */
export type InstallOutcome = "created" | "updated" | "unchanged";

/** What `installService` did. */
export interface InstallReport {
  /** The unit or plist. */
  file: string;
  /** Whether the file was new, replaced, or already as it should be. */
  outcome: InstallOutcome;
  /** Whether the service manager took the service, could not be reached, or was not asked. */
  manager: "reached" | "unreachable" | "dry run";
}

/** One command for the service manager; `mayFail` for one whose failure changes nothing. */
interface Step {
  program: string;
  args: string[];
  mayFail?: boolean;
}

/**
 * Installs the service for `spec` on `host`: writes the unit (Linux, `spec.systemUser` for a
 * system unit) or the launchd plist (macOS), mode 0644, then has the service manager load, enable
 * and start it. The same spec again leaves the file as it is ("already installed, up to date").
 * When the service manager cannot be reached (no systemctl, no user session), the file stays
 * written and the commands that start it are printed: that is no failure. A user unit whose user
 * has linger off gets the advice to turn it on.
 *
 * Throws a {@linkcode ServiceError} for a file in the way that aiemp did not write, a folder that
 * cannot be written (a system unit without root), or a service manager that refuses any step (a
 * start limit hit, launchd's "Bootstrap failed"): the service is then not running as installed.
 */
export async function installService(
  spec: ServiceSpec,
  options: InstallOptions,
  host: ServiceHost,
): Promise<InstallReport> {
  const where = locateService(host, spec.systemUser !== undefined);
  const text = where.manager === "systemd" ? systemdUnit(spec) : launchdPlist(spec);
  const before = await readOwnFile(where.file);
  const outcome: InstallOutcome = before === undefined
    ? "created"
    : before === text
    ? "unchanged"
    : "updated";
  const { print } = host;
  const start = options.start ?? true;

  if (options.dryRun) {
    if (outcome === "unchanged") {
      print(`${where.file} is already installed, up to date; it would stay as it is.`);
    } else {
      print(`Would ${outcome === "created" ? "write" : "replace"} ${where.file} (mode 0644):`);
      for (const line of text.trimEnd().split("\n")) print(`    ${line}`.trimEnd());
    }
    const { steps } = await installSteps(where, outcome, options, host, true);
    for (const step of steps) print(`Would run: ${shellLine(step.program, step.args)}`);
    if (where.manager === "systemd" && where.scope === "user") {
      print(`Would check: ${shellLine("loginctl", lingerArgs(host.user))}`);
    }
    return { file: where.file, outcome, manager: "dry run" };
  }

  if (outcome === "unchanged") {
    print(`${where.file} is already installed, up to date.`);
  } else {
    await writeServiceFile(where.file, text);
    print(`${outcome === "created" ? "Wrote" : "Updated"} ${where.file} (mode 0644).`);
  }
  if (where.manager === "launchd") {
    await Deno.mkdir(join(spec.vault, "Logs"), { recursive: true });
  }
  const { steps, skipped } = await installSteps(where, outcome, options, host, false);
  const result = await runSteps(steps, host, where, "install");
  if (result.reached) {
    if (where.manager === "systemd" && where.scope === "user") await adviseLinger(host);
    if (skipped) print(skipped);
    else if (!start) print(notStarted(where));
    else print(running(where, spec));
  }
  return { file: where.file, outcome, manager: result.reached ? "reached" : "unreachable" };
}

/** How `uninstallService` behaves. */
export interface UninstallOptions {
  /** Remove the system unit rather than the user's. @default false */
  system?: boolean;
  /** Print each step and change nothing. @default false */
  dryRun?: boolean;
}

/** What `uninstallService` did. */
export interface UninstallReport {
  /** The unit or plist. */
  file: string;
  /** Whether there was one to remove. */
  removed: boolean;
  /** The vault the removed service ran on, which stays. */
  vault?: string;
}

/**
 * Stops and disables the service, removes the unit or plist `installService` wrote (and the
 * folders it made for it, when empty), and has the service manager forget it. The vault is never
 * touched. Nothing to remove is no error.
 */
export async function uninstallService(
  options: UninstallOptions,
  host: ServiceHost,
): Promise<UninstallReport> {
  const where = locateService(host, options.system ?? false);
  const { print } = host;
  const text = await readOwnFile(where.file);
  if (text === undefined) {
    print(
      `aiemp's service is not installed: there is no ${where.file}. Nothing to remove; no vault is touched.`,
    );
    const other = where.manager === "systemd" && !options.system
      ? await readOwnFile(locateService({ ...host, unitDir: undefined }, true).file)
      : undefined;
    if (other !== undefined) {
      print("A system unit is installed: remove it with 'sudo aiemp service uninstall --system'.");
    }
    return { file: where.file, removed: false };
  }
  const vault = where.manager === "systemd" ? vaultOfUnit(text) : vaultOfPlist(text);
  const ctl = systemctl(where);
  const before: Step[] = where.manager === "systemd"
    ? [ctl("disable", "--now", UNIT_NAME)]
    : [{ program: "launchctl", args: ["bootout", launchdTarget(host)], mayFail: true }];
  const after: Step[] = where.manager === "systemd" ? [ctl("daemon-reload")] : [];
  const stays = `The vault${
    vault ? ` ${vault}` : ""
  } stays as it is: uninstalling never touches it.`;

  if (options.dryRun) {
    for (const step of before) print(`Would run: ${shellLine(step.program, step.args)}`);
    print(`Would remove ${where.file}`);
    for (const folder of where.ownFolders) print(`Would remove ${folder} if it is then empty`);
    for (const step of after) print(`Would run: ${shellLine(step.program, step.args)}`);
    print(stays);
    return { file: where.file, removed: false, vault };
  }

  const stopped = await runSteps(before, host, where, "uninstall");
  if (where.manager === "systemd" && !stopped.reached) await removeEnableLink(where);
  await Deno.remove(where.file).catch((error) => {
    throw new ServiceError(
      `Cannot remove ${where.file}: ${messageOf(error)}; ${
        where.scope === "system"
          ? "a system unit needs root: run it with sudo (sudo aiemp service uninstall --system)"
          : "check the permissions of its folder"
      }`,
    );
  });
  print(`Removed ${where.file}.`);
  for (const folder of where.ownFolders) {
    await Deno.remove(folder).catch(() => {}); // Only when empty: not a recursive remove.
  }
  if (stopped.reached) await runSteps(after, host, where, "uninstall");
  print(stays);
  return { file: where.file, removed: true, vault };
}

/**
 * The service manager's commands for an install: for systemd a reload when the unit changed, then
 * enable (and start, or restart when the unit or binary changed); for launchd a bootstrap, after a
 * bootout of the old definition when it changed. `skipped` says why nothing starts now.
 */
async function installSteps(
  where: ServiceLocation,
  outcome: InstallOutcome,
  options: InstallOptions,
  host: ServiceHost,
  dryRun: boolean,
): Promise<{ steps: Step[]; skipped?: string }> {
  const start = options.start ?? true;
  const restart = options.restart || outcome === "updated";
  if (where.manager === "systemd") {
    const ctl = systemctl(where);
    return {
      steps: [
        ...(outcome === "unchanged" ? [] : [ctl("daemon-reload")]),
        !start
          ? ctl("enable", UNIT_NAME)
          : restart
          ? ctl("enable", UNIT_NAME)
          : ctl("enable", "--now", UNIT_NAME),
        ...(start && restart ? [ctl("restart", UNIT_NAME)] : []),
      ],
    };
  }
  const target = launchdTarget(host);
  const bootstrap = { program: "launchctl", args: ["bootstrap", `gui/${host.uid}`, where.file] };
  if (!start) {
    return {
      steps: [],
      skipped: `Not started now (--no-start): launchd loads it at your next login, or now with: ${
        shellLine(bootstrap.program, bootstrap.args)
      }`,
    };
  }
  if (outcome === "created") return { steps: [bootstrap] };
  if (outcome === "updated") {
    return {
      steps: [{ program: "launchctl", args: ["bootout", target], mayFail: true }, bootstrap],
    };
  }
  // Unchanged: loaded already (then restarted only when asked), or loaded now.
  const loaded = !dryRun && (await host.run("launchctl", ["print", target])).code === 0;
  if (!loaded) return { steps: [bootstrap] };
  return options.restart
    ? { steps: [{ program: "launchctl", args: ["kickstart", "-k", target] }] }
    : { steps: [], skipped: `launchd has ${LAUNCHD_LABEL} loaded already.` };
}

/**
 * Runs `steps` in order, printing each. A service manager that is not installed (exit 127) or has
 * no session to reach (see {@linkcode saysNoSession}) is "unreachable": the commands still to run
 * are printed for the owner. Any other refusal of a step that must succeed is a
 * {@linkcode ServiceError} naming the command, what it said and the fix.
 */
async function runSteps(
  steps: Step[],
  host: ServiceHost,
  where: ServiceLocation,
  purpose: "install" | "uninstall",
): Promise<{ reached: boolean }> {
  for (const [index, step] of steps.entries()) {
    const line = shellLine(step.program, step.args);
    host.print(`$ ${line}`);
    const result = await host.run(step.program, step.args);
    if (result.code === 0) continue;
    const missing = result.code === 127;
    if (step.mayFail && !missing) continue;
    if (missing || saysNoSession(`${result.stderr}\n${result.stdout}`)) {
      unreachable(result, steps.slice(index), host, where, purpose);
      return { reached: false };
    }
    throw new ServiceError(
      `Cannot ${purpose} the service: '${line}' failed: ${failureLine(result)}; the ${
        where.manager === "systemd" ? "unit" : "plist"
      } is ${where.file}. ${refusalFix(where, host, purpose)}`,
    );
  }
  return { reached: true };
}

/** What to do when the service manager refused a step: find out why, clear it, run again. */
function refusalFix(
  where: ServiceLocation,
  host: ServiceHost,
  purpose: "install" | "uninstall",
): string {
  const again = `run 'aiemp service ${purpose}${
    where.scope === "system" ? " --system" : ""
  }' again`;
  if (where.manager === "launchd") {
    const target = launchdTarget(host);
    return `See why with 'aiemp service logs' and 'launchctl print ${target}'; unload what is left with 'launchctl bootout ${target}', then ${again}`;
  }
  const ctl = shellLine("systemctl", systemctl(where)().args);
  return `See why with '${ctl} status ${UNIT_NAME}' and 'aiemp service logs'; once fixed, '${ctl} reset-failed ${UNIT_NAME}' clears a start limit, then ${again}`;
}

function unreachable(
  result: CommandResult,
  rest: Step[],
  host: ServiceHost,
  where: ServiceLocation,
  purpose: "install" | "uninstall",
): void {
  const name = where.manager === "systemd"
    ? `systemd${where.scope === "user" ? " (your user session)" : ""}`
    : "launchd";
  host.print(`${name} could not be reached: ${failureLine(result)}.`);
  if (purpose === "uninstall") {
    host.print(
      "The service file is removed anyway; if aiemp still runs, stop it with 'aiemp stop'.",
    );
    return;
  }
  const session = where.scope === "user" && where.manager === "systemd"
    ? ` in a login session of ${host.user} (e.g. after 'loginctl enable-linger ${host.user}' and a new login)`
    : "";
  host.print(`The service file is written (${where.file}); to start it, run${session}:`);
  for (const step of rest.filter((s) => !s.mayFail)) {
    host.print(`  ${shellLine(step.program, step.args)}`);
  }
}

/** Prints advice when systemd stops the user's services at logout (linger off). */
async function adviseLinger(host: ServiceHost): Promise<void> {
  const result = await host.run("loginctl", lingerArgs(host.user));
  const linger = /^Linger=(\w+)/m.exec(result.stdout)?.[1];
  if (result.code === 0 && linger === "yes") return;
  const how = `loginctl enable-linger ${host.user}`;
  host.print(
    result.code === 0 && linger === "no"
      ? `Linger is off for ${host.user}: systemd stops aiemp when you log out and starts it only when you log in. To keep it running and start it at boot, run: ${how}`
      : `Could not check linger for ${host.user} (${
        failureLine(result)
      }). To keep aiemp running after you log out and start it at boot, run: ${how}`,
  );
}

function lingerArgs(user: string): string[] {
  return ["show-user", user, "-p", "Linger"];
}

function running(where: ServiceLocation, spec: ServiceSpec): string {
  const what = where.manager === "systemd"
    ? `the systemd ${where.scope} service ${UNIT_NAME}`
    : `the launchd agent ${LAUNCHD_LABEL}`;
  return `aiemp runs as ${what} on the vault ${spec.vault}. See it with 'aiemp service status' and its logs with 'aiemp service logs'.`;
}

function notStarted(where: ServiceLocation): string {
  const start = systemctl(where)("start", UNIT_NAME);
  return `Enabled, not started (--no-start): it starts at ${
    where.scope === "user" ? "your next login" : "the next boot"
  }, or now with: ${shellLine(start.program, start.args)}`;
}

function systemctl(where: ServiceLocation): (...args: string[]) => Step {
  return (...args) => ({
    program: "systemctl",
    args: where.scope === "user" ? ["--user", ...args] : args,
  });
}

function launchdTarget(host: ServiceHost): string {
  return `gui/${host.uid}/${LAUNCHD_LABEL}`;
}

/**
 * The text of the service file, or undefined when there is none. A file aiemp did not write is in
 * the way: a {@linkcode ServiceError}, never replaced or removed.
 */
async function readOwnFile(file: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new ServiceError(`Cannot read ${file}: ${messageOf(error)}; check its permissions`);
  }
  if (!text.includes(WRITTEN_BY)) {
    throw new ServiceError(
      `${file} exists and was not written by 'aiemp service install'; aiemp leaves it as it is: move it away (or remove it) and run the command again`,
    );
  }
  return text;
}

/** Writes the service file atomically (a temporary file beside it, then a rename), mode 0644. */
async function writeServiceFile(file: string, text: string): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${crypto.randomUUID()}.tmp`);
  try {
    await Deno.mkdir(dirname(file), { recursive: true });
    await Deno.writeTextFile(temp, text, { mode: FILE_MODE, createNew: true });
    await Deno.chmod(temp, FILE_MODE); // Whatever the umask.
    await Deno.rename(temp, file);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    const denied = error instanceof Deno.errors.PermissionDenied ||
      error instanceof Deno.errors.NotCapable;
    throw new ServiceError(
      `Cannot write ${file}: ${messageOf(error)}; ${
        denied
          ? "a system unit needs root: run it with sudo (sudo aiemp service install --system --user NAME)"
          : "check that its folder can be written"
      }`,
    );
  }
}

/** Removes the `default.target.wants` link `systemctl enable` made, when systemd cannot. */
async function removeEnableLink(where: ServiceLocation): Promise<void> {
  const target = where.scope === "user" ? "default.target" : "multi-user.target";
  const link = join(dirname(where.file), `${target}.wants`, UNIT_NAME);
  const info = await Deno.lstat(link).catch(() => undefined);
  if (info?.isSymlink) await Deno.remove(link);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
