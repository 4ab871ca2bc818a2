/**
 * The machine's checks: aiemp installed as a service, free disk space under the vault, and a
 * clock that is neither wrong nor set back.
 * @module
 */
import { join, relative } from "node:path";
import {
  type InstalledService,
  LAUNCHD_LABEL,
  saysNoSession,
  UNIT_NAME as SYSTEMD_UNIT,
} from "../service/mod.ts";
import type { VaultLayout } from "../vault/mod.ts";
import { firstLine, shellWord } from "./_shell.ts";
import type { CommandRunner, DoctorCheck, DoctorOs } from "./types.ts";

const INSTALL = "install it: aiemp service install";

/**
 * Whether aiemp is installed and running as a service: `systemctl is-enabled` and `is-active` of
 * {@linkcode SYSTEMD_UNIT} on Linux — of the system unit when that is the one `aiemp service
 * install --system` wrote (`installed`, as `findService` finds it), else of the user's
 * (`--user`) — and the launchd job `aiemp service install` loads ({@linkcode LAUNCHD_LABEL}) on
 * macOS. Not required: aiemp also runs in a terminal or under another supervisor.
 */
export async function serviceCheck(
  run: CommandRunner,
  os: DoctorOs,
  installed?: InstalledService,
): Promise<DoctorCheck> {
  const base = { id: "service", title: "Service", required: false };
  if (os === "darwin") return { ...base, ...await launchdState(run) };
  if (os !== "linux") {
    return {
      ...base,
      ok: "warn",
      detail: `aiemp has no service set-up for ${os}`,
      fix: "run 'aiemp start' under the system's own task scheduler",
    };
  }
  const system = installed?.installed === true && installed.location.scope === "system";
  const scope = system ? [] : ["--user"];
  const ctl = system ? "sudo systemctl" : "systemctl --user";
  const unit = system ? `the system unit ${SYSTEMD_UNIT}` : SYSTEMD_UNIT;
  const enabled = await run("systemctl", [...scope, "is-enabled", SYSTEMD_UNIT]);
  if (!enabled.ran) {
    return {
      ...base,
      ok: "warn",
      detail: enabled.reason === "not_found"
        ? "there is no systemd here (systemctl is not found), so aiemp runs only while started by hand"
        : `cannot ask systemd: ${enabled.message}`,
      fix: "where systemd or launchd exists, 'aiemp service install' runs aiemp as a service; " +
        "elsewhere keep 'aiemp start' running under the machine's own supervisor",
    };
  }
  const state = firstLine(enabled.stdout);
  const said = firstLine(enabled.stderr);
  if (saysNoSession(said)) {
    return {
      ...base,
      ok: "warn",
      detail: `cannot ask systemd's ${system ? "system" : "user"} manager (${said})`,
      fix: system
        ? `check that systemd runs here (systemctl status), then: ${ctl} status ${SYSTEMD_UNIT}`
        : "run 'aiemp doctor' in your own login session; to keep the service running after " +
          `logout: loginctl enable-linger; if it is not installed: ${INSTALL}`,
    };
  }
  if (state === "masked" || state === "masked-runtime") {
    return {
      ...base,
      ok: "warn",
      detail: `${unit} is masked, so it cannot start`,
      fix: `${ctl} unmask ${SYSTEMD_UNIT} && ${ctl} enable --now ${SYSTEMD_UNIT}`,
    };
  }
  const installedStates = [
    "enabled",
    "enabled-runtime",
    "linked",
    "linked-runtime",
    "static",
    "alias",
    "generated",
    "transient",
  ];
  const isInstalled = installedStates.includes(state);
  if (!isInstalled && state !== "disabled" && state !== "indirect") {
    return {
      ...base,
      ok: "warn",
      detail: system
        ? `systemd does not know ${unit}, though ${installed?.location.file} is there`
        : `${unit} is not installed`,
      fix: system ? `sudo systemctl daemon-reload && ${ctl} enable --now ${SYSTEMD_UNIT}` : INSTALL,
    };
  }
  const active = await run("systemctl", [...scope, "is-active", SYSTEMD_UNIT]);
  const activity = active.ran ? firstLine(active.stdout) || "unknown" : "unknown";
  if (!isInstalled) {
    return {
      ...base,
      ok: "warn",
      detail: `${unit} is installed but ${state} (it does not start at ${
        system ? "boot" : "login"
      }), ${activity}`,
      fix: `${ctl} enable --now ${SYSTEMD_UNIT}`,
    };
  }
  if (activity !== "active") {
    return {
      ...base,
      ok: "warn",
      detail: `${unit} is installed (${state}) but ${activity}`,
      fix: `${ctl} start ${SYSTEMD_UNIT}; if it stops again: ${
        system ? "journalctl" : "journalctl --user"
      } -u ${SYSTEMD_UNIT}`,
    };
  }
  return { ...base, ok: true, detail: `${unit} is installed (${state}) and active` };
}

/** The launchd job {@linkcode LAUNCHD_LABEL}, from `launchctl list` (PID, status, label). */
async function launchdState(
  run: CommandRunner,
): Promise<Pick<DoctorCheck, "ok" | "detail" | "fix">> {
  const listed = await run("launchctl", ["list"]);
  if (!listed.ran || listed.code !== 0) {
    const why = listed.ran ? firstLine(listed.stderr) || `exit ${listed.code}` : listed.message;
    return { ok: "warn", detail: `cannot ask launchd: ${why}`, fix: INSTALL };
  }
  const job = listed.stdout.split("\n")
    .map((line) => line.trim().split(/\s+/))
    .find((fields) => fields.length >= 3 && fields[2] === LAUNCHD_LABEL);
  if (!job) return { ok: "warn", detail: "no launchd job for aiemp is loaded", fix: INSTALL };
  const [pid, status, label] = job;
  if (/^\d+$/.test(pid)) {
    return { ok: true, detail: `launchd job ${label} is running (PID ${pid})` };
  }
  return {
    ok: "warn",
    detail: `launchd job ${label} is loaded but not running (last exit status ${status})`,
    fix: `launchctl kickstart gui/$(id -u)/${label}; its output is in the vault's Logs/`,
  };
}

/** Below this much free space the disk check fails. */
export const MIN_FREE_BYTES: number = 100 * 1024 * 1024;
/** Below this much free space the disk check warns. */
export const LOW_FREE_BYTES: number = 1024 * 1024 * 1024;

/**
 * The free bytes in the answer of `df -Pk PATH` (POSIX format: 1024-byte blocks, one line per
 * filesystem), or undefined when it cannot be read. Pure.
 *
 * @example
 * ```ts
 * parseDfFree("Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda1 1000 400 600 40% /\n");
 * // 614400
 * ```
 */
export function parseDfFree(text: string): number | undefined {
  const line = text.split("\n").slice(1).find((l) => l.trim() !== "");
  const match = line && /\s(\d+)\s+(\d+)\s+(\d+)\s+\d+%\s/.exec(line);
  return match ? Number(match[3]) * 1024 : undefined;
}

/** A free-space reader that asks `df -Pk PATH` through `run`. */
export function dfFreeSpace(
  run: CommandRunner,
): (path: string) => Promise<number | { problem: string }> {
  return async (path) => {
    const answer = await run("df", ["-Pk", path]);
    if (!answer.ran) return { problem: `'df' could not be run (${answer.message})` };
    const free = answer.code === 0 ? parseDfFree(answer.stdout) : undefined;
    if (free === undefined) {
      const said = firstLine(answer.stderr) || firstLine(answer.stdout) || `exit ${answer.code}`;
      return { problem: `'df -Pk ${path}' gave no usable answer (${said})` };
    }
    return free;
  };
}

/**
 * Enough free space on the vault's filesystem: fails under {@linkcode MIN_FREE_BYTES}, warns
 * under {@linkcode LOW_FREE_BYTES}. Required: a full disk stops every write. Pure.
 */
export function diskCheck(free: number | { problem: string }, layout: VaultLayout): DoctorCheck {
  const base = { id: "disk", title: "Disk space", required: true };
  if (typeof free !== "number") {
    return {
      ...base,
      ok: "warn",
      detail: `cannot tell the free space: ${free.problem}`,
      fix: `look yourself: df -h ${shellWord(layout.root)}`,
    };
  }
  const detail = `${size(free)} free on the vault's filesystem`;
  if (free >= LOW_FREE_BYTES) return { ...base, ok: true, detail };
  const fix = `free space on that disk: move old logs out of ${layout.folder("Logs")}/ and old ` +
    `items out of ${join(layout.folder("Done"), "Archive")}/, or clear other files there`;
  return free < MIN_FREE_BYTES
    ? { ...base, ok: false, detail: `only ${detail} (aiemp needs at least 100 MB)`, fix }
    : { ...base, ok: "warn", detail: `only ${detail} (less than 1 GB)`, fix };
}

function size(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return mb >= 1024 ? `${(mb / 1024).toFixed(1)} GB` : `${Math.floor(mb)} MB`;
}

/** The earliest time the clock may say: this release was made in 2026. */
export const EARLIEST_CLOCK: Date = new Date("2026-01-01T00:00:00Z");
/** The latest time the clock may say. */
export const LATEST_CLOCK: Date = new Date("2100-01-01T00:00:00Z");
/** A file dated further ahead of the clock than this means the clock was set back. */
export const FUTURE_SLACK_MS = 24 * 3_600_000;

/** The folders whose files aiemp orders and ages by time. */
const TIMED_FOLDERS = ["Inbox", "Needs_Action", "Plans", "Pending_Approval", "Approved"] as const;

/** A file dated in the future. */
export interface FutureFile {
  /** Its path. */
  path: string;
  /** Its modification time. */
  mtime: Date;
}

/**
 * The files in the vault's queue folders (and `.aiemp/state.json`) dated more than
 * {@linkcode FUTURE_SLACK_MS} after `now`.
 */
export async function futureFiles(layout: VaultLayout, now: Date): Promise<FutureFile[]> {
  const paths = [layout.state];
  for (const folder of TIMED_FOLDERS) {
    try {
      for await (const entry of Deno.readDir(layout.folder(folder))) {
        paths.push(join(layout.folder(folder), entry.name));
      }
    } catch { /* a missing folder is the vault check's business */ }
  }
  const found: FutureFile[] = [];
  for (const path of paths) {
    const mtime = (await Deno.stat(path).catch(() => undefined))?.mtime;
    if (mtime && mtime.getTime() - now.getTime() > FUTURE_SLACK_MS) found.push({ path, mtime });
  }
  return found;
}

/**
 * The clock is sane: not before {@linkcode EARLIEST_CLOCK} nor after {@linkcode LATEST_CLOCK},
 * and no file of `future` (see {@linkcode futureFiles}) is dated ahead of it, which happens when
 * it was set back. Required: schedules, expiries and the audit log go by it. Pure.
 */
export function clockCheck(
  now: Date,
  future: readonly FutureFile[],
  options: { os: DoctorOs; vault?: string },
): DoctorCheck {
  const base = { id: "clock", title: "Clock", required: true };
  const sync = options.os === "darwin"
    ? "turn on 'Set time and date automatically' (System Settings, General, Date & Time)"
    : "turn on time sync: sudo timedatectl set-ntp true";
  const shown = utc(now);
  if (now < EARLIEST_CLOCK || now >= LATEST_CLOCK) {
    const which = now < EARLIEST_CLOCK ? "before 2026, when this release was made" : "after 2099";
    return { ...base, ok: false, detail: `the clock says ${shown}, ${which}`, fix: sync };
  }
  if (future.length > 0) {
    const first = future[0];
    const days = Math.round((first.mtime.getTime() - now.getTime()) / 86_400_000);
    const name = options.vault ? relative(options.vault, first.path) : first.path;
    const more = future.length > 1 ? ` (and ${future.length - 1} more)` : "";
    return {
      ...base,
      ok: false,
      detail: `${name} is dated ${utc(first.mtime)}, ${days} day${
        days === 1 ? "" : "s"
      } ahead of the clock (${shown})${more}: the clock was set back`,
      fix: `${sync}; if the clock is right, the file's date is wrong: touch ${
        shellWord(first.path)
      }`,
    };
  }
  return { ...base, ok: true, detail: `${shown}; no vault file is dated in the future` };
}

function utc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
