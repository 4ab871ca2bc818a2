/**
 * Drives the real CLI as a subprocess against temporary vaults, with a loopback webhook server and
 * waits on conditions (never fixed sleeps).
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DENO_ARGS = [
  "run",
  "-P=aiemp",
  "--config",
  join(ROOT, "deno.json"),
  "--quiet",
  join(ROOT, "main.ts"),
];
/** A directory with a fake `claude` first on PATH. */
export const FAKE_AGENT_BIN = fileURLToPath(new URL("../fixtures/bin", import.meta.url));

/** A temporary vault created by `aiemp vault init`; removed by `cleanup()`. */
export interface TestVault {
  path: string;
  file(...parts: string[]): string;
  /** Writes aiemp.yaml (replacing the commented template). */
  configure(yaml: string): Promise<void>;
  cleanup(): Promise<void>;
}

/**
 * Creates a vault with the real `aiemp vault init`: in a fresh temporary folder, or as `vault/` in
 * `options.parent` (e.g. a small filesystem mounted for a fault-injection run), removed alike.
 */
export async function makeVault(
  settings?: string,
  options: { parent?: string } = {},
): Promise<TestVault> {
  const parent = options.parent ?? await Deno.makeTempDir({ prefix: "aiemp-test-" });
  const path = join(parent, "vault");
  const init = await aiemp(["vault", "init", "--path", path]);
  if (init.code !== 0) throw new Error(`vault init failed: ${init.stderr}`);
  const vault: TestVault = {
    path,
    file: (...parts) => join(path, ...parts),
    configure: (yaml) => Deno.writeTextFile(join(path, "aiemp.yaml"), withTaskLoopChoice(yaml)),
    cleanup: () => removeTree(options.parent ? path : parent),
  };
  await vault.configure(settings ?? "");
  return vault;
}

/** Runs `body` with a vault made from `settings` (see {@linkcode makeVault}), then removes it. */
export async function withVault(
  settings: string,
  body: (vault: TestVault) => Promise<void>,
): Promise<void> {
  const vault = await makeVault(settings);
  try {
    await body(vault);
  } finally {
    await vault.cleanup();
  }
}

/**
 * Runs `body` with `server` (a fake the test started), then closes it, also when `body` fails.
 *
 * @example
 * ```ts
 * await closing(startFakeSocial(), (fake) => withVault(fake.settings(), (vault) => check(vault)));
 * ```
 */
export async function closing<S extends { close(): Promise<void> }>(
  server: S,
  body: (server: S) => Promise<void>,
): Promise<void> {
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

/**
 * Settings with the task loop off unless they say `tasks:` themselves: a test of another part is
 * not to see its notes taken up by the agent (the loop's own tests turn it on).
 */
function withTaskLoopChoice(yaml: string): string {
  return /^tasks:/m.test(yaml)
    ? yaml
    : `${yaml}${yaml && !yaml.endsWith("\n") ? "\n" : ""}tasks:\n  enabled: false\n`;
}

/**
 * Removes a test folder. A file appearing during a recursive remove makes it fail with "not
 * empty", so it is tried again a few times.
 */
export async function removeTree(path: string): Promise<void> {
  for (let attempt = 1;; attempt++) {
    try {
      return await Deno.remove(path, { recursive: true });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      if (attempt === 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** The environment of an aiemp run: no inherited vault or dry-run, the fake agent first on PATH. */
function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env = Deno.env.toObject();
  delete env.AIEMP_VAULT;
  delete env.DRY_RUN;
  return { ...env, PATH: `${FAKE_AGENT_BIN}:${env.PATH ?? ""}`, NO_COLOR: "1", ...extra };
}

/**
 * How aiemp is run: `prefix` is a command it runs under (e.g. `setpriv --reuid=nobody …` to run
 * as another user); Deno and its arguments follow it.
 */
export interface RunOptions {
  /** A program and its arguments that run Deno. @default none: Deno is run directly */
  prefix?: string[];
}

/** The program and arguments that run `aiemp ARGS`, under `prefix` when given. */
function commandOf(args: string[], prefix: string[] = []): [string, string[]] {
  const all = [...prefix, Deno.execPath(), ...DENO_ARGS, ...args];
  return [all[0], all.slice(1)];
}

/** Runs `aiemp ARGS` to completion. */
export async function aiemp(
  args: string[],
  env: Record<string, string> = {},
  options: RunOptions = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const [program, programArgs] = commandOf(args, options.prefix);
  const out = await new Deno.Command(program, {
    args: programArgs,
    cwd: ROOT,
    env: testEnv(env),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** An aiemp command running in the background; see {@linkcode spawnAiemp}. */
export interface SpawnedAiemp {
  /** Its process id. */
  pid: number;
  /** What it printed so far on stdout. */
  stdout(): string;
  /** What it printed so far on stderr. */
  stderr(): string;
  /** Everything it printed so far, stdout and stderr in the order read. */
  output(): string;
  /** Resolves with the exit code once it has ended and all its output is read. */
  exited: Promise<number>;
  /** Sends a signal (SIGTERM by default); nothing when it has ended already. */
  kill(signal?: Deno.Signal): void;
  /** Types `text` into its stdin (needs `stdin: "piped"`). */
  type(text: string): Promise<void>;
  /** Closes its stdin (needs `stdin: "piped"`). */
  endInput(): Promise<void>;
}

/** Options of {@linkcode spawnAiemp}. */
export interface SpawnOptions extends RunOptions {
  /** Variables added to the test environment. @default none */
  env?: Record<string, string>;
  /** Whether the test may type into its stdin (see `type`, `endInput`). @default "null" */
  stdin?: "piped" | "null";
}

/**
 * Starts `aiemp ARGS` in the background and reads what it prints while it runs, for a test that
 * acts while the command waits (plays the browser, types a pasted address).
 *
 * @example
 * ```ts
 * const run = spawnAiemp(["--vault", vault.path, "auth", "x", "--client-id", "id"]);
 * await waitFor(() => run.stdout().includes("http"), "the consent address");
 * assert.equal(await run.exited, 0, run.stderr());
 * ```
 */
export function spawnAiemp(args: string[], options: SpawnOptions = {}): SpawnedAiemp {
  const [program, programArgs] = commandOf(args, options.prefix);
  const stdin = options.stdin ?? "null";
  const child = new Deno.Command(program, {
    args: programArgs,
    cwd: ROOT,
    env: testEnv(options.env),
    stdin,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stdout = "";
  let stderr = "";
  let output = "";
  const pump = async (stream: ReadableStream<Uint8Array>, add: (text: string) => void) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      add(chunk);
      output += chunk;
    }
  };
  const pumps = Promise.all([
    pump(child.stdout, (text) => stdout += text),
    pump(child.stderr, (text) => stderr += text),
  ]);
  const exited = child.status.then(async (status) => {
    await pumps;
    return status.code;
  });
  const writer = stdin === "piped" ? child.stdin.getWriter() : undefined;
  const input = () => {
    if (!writer) throw new Error('spawnAiemp: give stdin: "piped" to type into the command');
    return writer;
  };
  return {
    pid: child.pid,
    stdout: () => stdout,
    stderr: () => stderr,
    output: () => output,
    exited,
    kill(signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch { /* exited already */ }
    },
    type: (text) => input().write(new TextEncoder().encode(text)),
    endInput: () => input().close().catch(() => {}),
  };
}

/** A running `aiemp start`. */
export interface RunningAiemp {
  pid: number;
  /** Everything printed so far on stdout and stderr. */
  output(): string;
  /** Waits until the output contains `text`. */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
  /** Sends a signal and waits for the exit; returns the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
  /** Resolves with the exit code when the process ends by itself. */
  exited: Promise<number>;
}

/** Starts `aiemp start --vault VAULT ARGS` and waits until every component reports it is up. */
export async function startAiemp(
  vault: string,
  args: string[] = [],
  options: { env?: Record<string, string>; waitReady?: boolean } & RunOptions = {},
): Promise<RunningAiemp> {
  const child = spawnAiemp(["start", "--vault", vault, ...args], options);
  const { exited } = child;
  const running: RunningAiemp = {
    pid: child.pid,
    output: child.output,
    waitForOutput: (wanted, timeoutMs = 15_000) =>
      waitFor(
        () => child.output().includes(wanted),
        `output to contain ${JSON.stringify(wanted)}\n--- output:\n${child.output()}`,
        timeoutMs,
      )
        .then(() => {}),
    async stop(signal = "SIGTERM") {
      child.kill(signal);
      return await exited;
    },
    exited,
  };
  if (options.waitReady !== false) {
    await Promise.race([
      running.waitForOutput("All components started"),
      exited.then((code) => {
        throw new Error(`aiemp start exited with ${code} before it was ready:\n${child.output()}`);
      }),
    ]);
  }
  return running;
}

/**
 * Polls `probe` every 25 ms until it returns something truthy, and returns that; fails after
 * `timeoutMs` saying what it waited for.
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  what: string,
  timeoutMs = 10_000,
): Promise<Exclude<T, false | null | undefined | 0 | "">> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value as Exclude<T, false | null | undefined | 0 | "">;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(
    `Timed out after ${timeoutMs} ms waiting for ${what}${
      lastError ? ` (last error: ${lastError})` : ""
    }`,
  );
}

/** The names in a vault folder (plain files only). */
export async function filesIn(folder: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(folder)) if (entry.isFile) names.push(entry.name);
  } catch { /* missing folder */ }
  return names.sort();
}

/** A request the loopback webhook server received. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** A webhook receiver on 127.0.0.1 that records requests and answers as `respond` says. */
export interface WebhookServer {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

/** Starts a loopback webhook server on a free port. */
export function webhookServer(
  respond: (request: ReceivedRequest, index: number) => Response | Promise<Response> = () =>
    Response.json({ id: "remote-42" }),
): WebhookServer {
  const requests: ReceivedRequest[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const received = {
      method: req.method,
      path: new URL(req.url).pathname,
      headers: Object.fromEntries(req.headers),
      body: await req.text(),
    };
    requests.push(received);
    return await respond(received, requests.length - 1);
  });
  const port = server.addr.port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () => server.shutdown(),
  };
}

/**
 * Writes an approval request into Pending_Approval/, waits until the running aiemp has recorded it
 * as pending, then approves it the way the owner does: by moving it to Approved/.
 */
export async function approve(vault: TestVault, name: string, text: string): Promise<void> {
  const pending = vault.file("Pending_Approval", name);
  await Deno.writeTextFile(pending, text);
  await waitUntilPending(vault, name);
  await Deno.rename(pending, vault.file("Approved", name));
}

/** Waits until aiemp has recorded `name` in Pending_Approval/ (in `.aiemp/approvals.json`). */
export async function waitUntilPending(vault: TestVault, name: string): Promise<void> {
  await waitFor(() => isRecordedPending(vault, name), `aiemp to record ${name} as pending`);
}

/** True when aiemp has recorded `name` in Pending_Approval/ (in `.aiemp/approvals.json`). */
export async function isRecordedPending(vault: TestVault, name: string): Promise<boolean> {
  const text = await Deno.readTextFile(vault.file(".aiemp", "approvals.json")).catch(() => "");
  try {
    return JSON.parse(text).requests?.[name]?.state === "pending";
  } catch {
    return false; // not written yet
  }
}

/** An approval request for a webhook to `url`, with extra front matter lines. */
export function webhookRequest(id: string, url: string, extra = ""): string {
  return `---\nid: ${id}\ntype: approval_request\naction: webhook\nurl: ${url}\ncreated: 2026-11-21T05:00:00Z\nexpires: 2099-01-01T00:00:00Z\n${extra}---\nThe build finished.\n`;
}
