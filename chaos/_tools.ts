/**
 * Helpers shared by the fault-injection scenarios: a seeded random source, reading a vault's
 * notes, finding leftovers, a loopback webhook receiver that counts requests per Idempotency-Key,
 * and the machine facilities some scenarios need (mounting, another user, process memory).
 * @module
 */
import { join, relative } from "node:path";
import { type Note, parseNote } from "../src/vault/mod.ts";
import {
  aiemp,
  type ReceivedRequest,
  type RunOptions,
  type TestVault,
  webhookServer,
} from "../tests/e2e/_harness.ts";

/** A deterministic source of numbers in [0, 1), so a failing run can be repeated. */
export { seededRandom } from "../src/browser/mod.ts";

/** Waits `ms` milliseconds (the chaos driver's own pacing, never an assertion on time). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One Markdown file of a vault folder, parsed when it could be. */
export interface ReadNote {
  /** The file's name. */
  name: string;
  /** Its text. */
  text: string;
  /** The parsed note; undefined when the front matter could not be read. */
  note?: Note;
  /** Why it could not be parsed. */
  error?: string;
}

/** Reads every visible `.md` file directly in `folder` (none when the folder is missing). */
export async function notesIn(folder: string): Promise<ReadNote[]> {
  const notes: ReadNote[] = [];
  for (const name of await visibleFiles(folder)) {
    if (!name.endsWith(".md")) continue;
    const text = await Deno.readTextFile(join(folder, name));
    try {
      notes.push({ name, text, note: parseNote(text) });
    } catch (error) {
      notes.push({ name, text, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return notes;
}

/** The plain files directly in `folder` whose names do not start with a dot, sorted. */
export async function visibleFiles(folder: string): Promise<string[]> {
  return (await entriesIn(folder)).filter((e) => e.isFile && !e.name.startsWith("."))
    .map((e) => e.name).sort();
}

/** Every entry directly in `folder`, hidden ones too; none when it is missing. */
export async function entriesIn(folder: string): Promise<Deno.DirEntry[]> {
  const entries: Deno.DirEntry[] = [];
  try {
    for await (const entry of Deno.readDir(folder)) entries.push(entry);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return entries;
}

/**
 * Files left behind by an interrupted atomic write anywhere in the vault: `writeFileAtomic`'s
 * `.<name>.<id>.tmp` and the stale check's `.stale-<id>.tmp`. Paths relative to the vault.
 */
export async function leftoverTempFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (folder: string) => {
    for (const entry of await entriesIn(folder)) {
      const path = join(folder, entry.name);
      if (entry.isDirectory) await walk(path);
      else if (/^\..*\.tmp$/.test(entry.name)) found.push(relative(root, path));
    }
  };
  await walk(root);
  return found.sort();
}

/** Why a task note or a finished item is not whole; undefined when it is. */
export function incompleteNote(read: ReadNote): string | undefined {
  if (!read.note) return `${read.name}: ${read.error}`;
  const { frontMatter, body } = read.note;
  if (typeof frontMatter.id !== "string" && typeof frontMatter.id !== "number") {
    return `${read.name}: no id in its front matter`;
  }
  // Every section aiemp writes ends with its end marker; a cut-off write would lose it.
  const begins = body.match(/<!-- aiemp:begin [a-z_]+ -->/g) ?? [];
  const ends = body.match(/<!-- aiemp:end [a-z_]+ -->/g) ?? [];
  if (begins.length !== ends.length) return `${read.name}: a section has no end marker`;
  if (frontMatter.type === "file_drop" && !body.includes("<!-- aiemp:end preview -->")) {
    return `${read.name}: no complete preview section`;
  }
  return undefined;
}

/** `aiemp status --json` of a vault. */
export async function statusOf(
  vault: TestVault,
  options: RunOptions & { env?: Record<string, string> } = {},
): Promise<StatusJson> {
  const result = await aiemp(["status", "--json", "--vault", vault.path], options.env, options);
  return JSON.parse(result.stdout);
}

/** The part of `aiemp status --json` the scenarios read. */
export interface StatusJson {
  running: boolean;
  pid?: number;
  components: { id: string; state: string; restarts: number; last_error?: string }[];
  counts: Record<string, number>;
  alerts: string[];
}

/** The resident memory of a process in MB; undefined when it is gone. */
export async function residentMb(pid: number): Promise<number | undefined> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`).catch(() => "");
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  return kb === undefined ? undefined : Number(kb) / 1024;
}

/** True when `pid` runs (not a zombie). */
export function alive(pid: number): boolean {
  const out = new Deno.Command("ps", { args: ["-o", "stat=", "-p", String(pid)] }).outputSync();
  const stat = new TextDecoder().decode(out.stdout).trim();
  return out.success && stat !== "" && !stat.startsWith("Z");
}

/** A loopback webhook receiver that counts what it receives per `Idempotency-Key`. */
export interface CountingServer {
  /** Its base URL on 127.0.0.1. */
  url: string;
  /** Requests received so far, by key. */
  byKey(): Map<string, number>;
  /** Everything received so far. */
  requests: ReceivedRequest[];
  /**
   * Runs `hook` when the next request arrives, before it is answered (e.g. to kill the sender
   * mid-request); the hook's promise delays the answer.
   */
  onNextRequest(hook: () => Promise<void>): void;
  close(): Promise<void>;
}

/** Starts a {@linkcode CountingServer} that answers 200 after `delayMs()` milliseconds. */
export function countingServer(delayMs: () => number = () => 0): CountingServer {
  let hook: (() => Promise<void>) | undefined;
  const server = webhookServer(async (request) => {
    const next = hook;
    hook = undefined;
    if (next) await next();
    const wait = delayMs();
    if (wait > 0) await sleep(wait);
    return Response.json({ id: `remote-${request.headers["idempotency-key"]}` });
  });
  return {
    url: server.url,
    requests: server.requests,
    byKey() {
      const counts = new Map<string, number>();
      for (const request of server.requests) {
        const key = request.headers["idempotency-key"] ?? "";
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return counts;
    },
    onNextRequest(next) {
      hook = next;
    },
    close: () => server.close(),
  };
}

/** Runs a program as root's helper (mount, chmod…); returns its exit code and stderr. */
export async function run(
  command: string,
  args: string[],
): Promise<{ ok: boolean; stderr: string }> {
  try {
    const out = await new Deno.Command(command, { args, stdout: "null", stderr: "piped" }).output();
    return { ok: out.success, stderr: new TextDecoder().decode(out.stderr).trim() };
  } catch (error) {
    return { ok: false, stderr: error instanceof Error ? error.message : String(error) };
  }
}

/** Mounts a tmpfs of `size` (e.g. "2m") on `dir`; the reason when the machine does not allow it. */
export async function mountTmpfs(dir: string, size: string): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return `mounting is only done on Linux (this is ${Deno.build.os})`;
  const result = await run("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
  return result.ok ? undefined : result.stderr || "mount failed";
}

/** Unmounts `dir`, lazily when busy. */
export async function unmount(dir: string): Promise<void> {
  if (!(await run("umount", [dir])).ok) await run("umount", ["-l", dir]);
}

/**
 * How to run aiemp as the unprivileged user `nobody` (root ignores permission bits, so a
 * read-only vault needs another user): a command prefix, the environment it needs (a Deno cache
 * it can read, a home), and a way to give it a folder. Undefined, with the reason, when this
 * machine cannot (not root, no setpriv, no such user).
 */
export async function unprivilegedUser(workDir: string): Promise<
  | {
    prefix: string[];
    env: Record<string, string>;
    give(path: string): Promise<void>;
  }
  | { reason: string }
> {
  if (Deno.build.os !== "linux") return { reason: `not Linux (${Deno.build.os})` };
  if (Deno.uid() !== 0) return { reason: "not running as root, so cannot switch user" };
  const prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"];
  // Deno's npm cache lives in root's home, which nobody cannot read: give it a copy.
  const denoDir = join(workDir, "deno-dir");
  const info = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output();
  const cache = JSON.parse(new TextDecoder().decode(info.stdout) || "{}").npmCache as
    | string
    | undefined;
  if (!cache) return { reason: "cannot find Deno's npm cache" };
  await Deno.mkdir(denoDir, { recursive: true });
  const copy = await run("cp", ["-r", cache, join(denoDir, "npm")]);
  if (!copy.ok) return { reason: `cannot copy Deno's npm cache: ${copy.stderr}` };
  const give = async (path: string) => {
    const result = await run("chown", ["-R", "nobody:nogroup", path]);
    if (!result.ok) throw new Error(`cannot give ${path} to nobody: ${result.stderr}`);
  };
  await give(workDir);
  await Deno.chmod(workDir, 0o755);
  const probe = await new Deno.Command(prefix[0], {
    args: [...prefix.slice(1), Deno.execPath(), "--version"],
    stdout: "null",
    stderr: "piped",
  }).output().catch((error) => ({ success: false, stderr: new TextEncoder().encode(`${error}`) }));
  if (!probe.success) {
    return { reason: `cannot run Deno as nobody: ${new TextDecoder().decode(probe.stderr)}` };
  }
  return { prefix, env: { HOME: workDir, DENO_DIR: denoDir }, give };
}

/**
 * aiemp.yaml for fault scenarios: quick settling, immediate retries, a lively Dashboard, and no
 * scheduled tasks (so only what the scenario injects happens).
 */
export const QUICK_SETTINGS = [
  "inbox:",
  "  settle_ms: 50",
  "approvals:",
  "  retry_delay_s: 0",
  "dashboard:",
  "  refresh_ms: 100",
  "scheduler:",
  "  enabled: false",
].join("\n") + "\n";

/** Every note of the vault's note folders that is not whole, and the vault's own files. */
export async function damaged(vault: TestVault): Promise<string[]> {
  const problems: string[] = [];
  for (const folder of ["Needs_Action", "Done", "Pending_Approval", "Rejected"]) {
    for (const read of await notesIn(vault.file(folder))) {
      const why = incompleteNote(read);
      if (why) problems.push(`${folder}/${why}`);
    }
  }
  const dashboard = await Deno.readTextFile(vault.file("Dashboard.md")).catch(() => "");
  if (!dashboard.includes("<!-- aiemp:end")) problems.push("Dashboard.md is not whole");
  try {
    JSON.parse(await Deno.readTextFile(vault.file(".aiemp", "state.json")));
  } catch (error) {
    problems.push(`.aiemp/state.json: ${error}`);
  }
  return problems;
}
