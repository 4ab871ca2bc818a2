import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runAgent } from "../../src/agent/mod.ts";

const FAKE_AGENT = fileURLToPath(new URL("../fixtures/bin/claude", import.meta.url));
const TEMPLATE_SETTINGS = fileURLToPath(
  new URL("../../vault-template/.claude/settings.json", import.meta.url),
);

/** A temporary folder with the template's agent settings, which runAgent() checks first. */
async function withFolder(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aiemp_agent_test_" });
  try {
    await Deno.mkdir(join(dir, ".claude"));
    await Deno.copyFile(TEMPLATE_SETTINGS, join(dir, ".claude", "settings.json"));
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Whether a process is still alive (and not a zombie waiting to be reaped), as `ps` sees it. */
async function alive(pid: number): Promise<boolean> {
  const out = await new Deno.Command("ps", { args: ["-o", "stat=", "-p", String(pid)] }).output();
  const state = new TextDecoder().decode(out.stdout).trim();
  return state !== "" && !state.startsWith("Z");
}

async function waitUntil(probe: () => Promise<boolean>, what: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

Deno.test("runAgent() runs the agent in the vault with its settings file, the prompt last and DRY_RUN=true in dry run", async () => {
  await withFolder(async (dir) => {
    const run = await runAgent("Do the triage", {
      command: FAKE_AGENT,
      args: ["--print"],
      cwd: dir,
      timeoutMs: 10_000,
      dryRun: true,
    });
    assert.equal(run.ok, true, run.error);
    assert.equal(run.output, "fake agent done\n");
    assert.equal(
      await Deno.readTextFile(join(dir, ".fake-agent.log")),
      `--print --settings ${join(dir, ".claude", "settings.json")} Do the triage\n`,
    );
    assert.match(await Deno.readTextFile(join(dir, "Plans", "PLAN_fake.md")), /DRY_RUN=true/);
  });
});

Deno.test("runAgent() reports a non-zero exit and a missing program as failed runs with the reason", async () => {
  await withFolder(async (dir) => {
    const failing = await runAgent("x", {
      command: FAKE_AGENT,
      args: [],
      cwd: dir,
      timeoutMs: 10_000,
      env: { FAKE_AGENT_EXIT: "3" },
    });
    assert.equal(failing.ok, false);
    assert.match(failing.error ?? "", /it exited with code 3/);
    const missing = await runAgent("x", {
      command: "no-such-agent-cli",
      args: [],
      cwd: dir,
      timeoutMs: 10_000,
    });
    assert.equal(missing.ok, false);
    assert.match(
      missing.error ?? "",
      /not found on PATH; install Claude Code or set agent\.command/,
    );
  });
});

Deno.test({
  name: "runAgent() kills a hung agent's whole process tree at the timeout, grandchildren included",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await withFolder(async (dir) => {
      const pids = join(dir, "pids");
      const run = await runAgent("hang", {
        command: FAKE_AGENT,
        args: [],
        cwd: dir,
        timeoutMs: 500,
        env: { FAKE_AGENT_HANG: "1", FAKE_AGENT_PIDS: pids },
      });
      assert.equal(run.ok, false);
      assert.match(
        run.error ?? "",
        /ran longer than 1s and was stopped with everything it started/,
      );
      const [agent, grandchild] = (await Deno.readTextFile(pids)).trim().split(" ").map(Number);
      await waitUntil(async () => !(await alive(agent)), "the agent to be gone");
      await waitUntil(async () => !(await alive(grandchild)), "its grandchild sleep to be gone");
    });
  },
});

Deno.test({
  name: "runAgent() kills the tree when its signal aborts (shutdown)",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await withFolder(async (dir) => {
      const pids = join(dir, "pids");
      const controller = new AbortController();
      const pending = runAgent("hang", {
        command: FAKE_AGENT,
        args: [],
        cwd: dir,
        timeoutMs: 60_000,
        signal: controller.signal,
        env: { FAKE_AGENT_HANG: "1", FAKE_AGENT_PIDS: pids },
      });
      await waitUntil(() => Deno.stat(pids).then(() => true, () => false), "the agent to start");
      controller.abort();
      const run = await pending;
      assert.match(run.error ?? "", /stopped because aiemp is shutting down/);
      const [, grandchild] = (await Deno.readTextFile(pids)).trim().split(" ").map(Number);
      await waitUntil(async () => !(await alive(grandchild)), "its grandchild sleep to be gone");
    });
  },
});
