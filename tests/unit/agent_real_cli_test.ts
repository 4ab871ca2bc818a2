/**
 * The agent contract against the real Claude Code CLI (from npm), when one is installed: CI
 * installs the pinned version and names it in AIEMP_REAL_AGENT. It cannot log in here, which is
 * what the second test relies on.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { agentArgs, runAgent } from "../../src/agent/mod.ts";
import { initVault } from "../../src/vault/mod.ts";

const REAL = Deno.env.get("AIEMP_REAL_AGENT");

Deno.test({
  name: "the real Claude Code CLI accepts every flag aiemp passes (--print, --settings)",
  ignore: !REAL,
  async fn() {
    const help = await new Deno.Command(REAL!, { args: ["--help"], stdin: "null" }).output();
    const text = new TextDecoder().decode(help.stdout);
    for (
      const flag of agentArgs("x", { args: ["--print"], cwd: "/v" }).filter((a) =>
        a.startsWith("-")
      )
    ) {
      assert.match(text, new RegExp(`(^|\\s)${flag}\\b`, "m"), `--help does not list ${flag}`);
    }
  },
});

Deno.test({
  name: "with the real CLI not logged in, a run fails saying so, with the fix",
  ignore: !REAL,
  async fn() {
    const home = await Deno.makeTempDir({ prefix: "aiemp-real-agent-" });
    try {
      const vault = join(home, "vault");
      await initVault(vault);
      const run = await runAgent("Say hello.", {
        command: REAL!,
        args: ["--print"],
        cwd: vault,
        timeoutMs: 60_000,
        env: { HOME: home, ANTHROPIC_API_KEY: "" },
      });
      assert.equal(run.ok, false);
      assert.match(run.error ?? "", /is not logged in; run it once in a terminal and log in/);
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
});
