/**
 * `aiemp doctor` through the real CLI against vaults broken in each way it checks, and a healthy
 * one (the fake agent first on PATH, as the harness sets it) that exits 0.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { systemdUnit } from "../../src/service/mod.ts";
import { startFakeGmail, storeFakeCredentials } from "../fixtures/fake_gmail.ts";
import {
  aiemp,
  closing,
  FAKE_AGENT_BIN,
  removeTree,
  type TestVault,
  withVault,
} from "./_harness.ts";

const DAY = 86_400_000;

/** Deno's cache, so aiemp run under another HOME finds the packages already fetched. */
const DENO_DIR = JSON.parse(
  new TextDecoder().decode(
    (await new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stdout: "piped" })
      .output()).stdout,
  ),
).denoDir as string;

/** `aiemp doctor` on the vault; the fake agent's call log goes to the vault, not the project. */
function doctor(vault: TestVault | string, ...args: string[]) {
  const path = typeof vault === "string" ? vault : vault.path;
  return aiemp(["--vault", path, "doctor", ...args], {
    FAKE_AGENT_LOG: join(path, "..", "fake-agent.log"),
  });
}

/** The report's line for the check titled `title`, and the line after it. */
function lineOf(stdout: string, title: string): { line: string; next: string } {
  const lines = stdout.split("\n");
  const at = lines.findIndex((l) => l.slice(2).startsWith(title));
  assert.ok(at >= 0, `no line for ${title} in:\n${stdout}`);
  return { line: lines[at], next: lines[at + 1] ?? "" };
}

/** Asserts that doctor failed on `title` (and only required checks failed), with a fix. */
function assertFailed(
  result: { code: number; stdout: string; stderr: string },
  title: string,
  detail: RegExp,
  fix: RegExp,
) {
  const report = `${result.stdout}\n--- stderr:\n${result.stderr}`;
  assert.equal(result.code, 1, report);
  const { line, next } = lineOf(result.stdout, title);
  assert.match(line, /^✗ /, report);
  assert.match(line, detail, report);
  assert.match(next, /^ {2}fix: /, report);
  assert.match(next, fix, report);
  assert.match(result.stdout.trimEnd().split("\n").at(-1)!, /^\d+ required checks? failed$/);
}

Deno.test("aiemp doctor passes a healthy vault with the agent on PATH and exits 0", async () => {
  await withVault("", async (vault) => {
    const result = await doctor(vault);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(lineOf(result.stdout, "Vault:").line, /^✓ /);
    assert.match(lineOf(result.stdout, "Agent CLI").line, /^✓ Agent CLI: claude on PATH/);
    assert.match(lineOf(result.stdout, "Agent settings").line, /^✓ /);
    assert.match(lineOf(result.stdout, "Lock (optional)").line, /aiemp is not running/);
    assert.match(lineOf(result.stdout, "Disk space").line, /^✓ .* free on the vault's filesystem/);
    assert.match(lineOf(result.stdout, "Clock").line, /^✓ /);
    assert.match(lineOf(result.stdout, "Service (optional)").line, /^[✓!] /);
    assert.equal(result.stdout.trimEnd().split("\n").at(-1), "All required checks pass");
  });
});

Deno.test("aiemp doctor --json prints every check and ok", async () => {
  await withVault("agent:\n  command: /nonexistent\n", async (vault) => {
    const result = await doctor(vault, "--json");
    assert.equal(result.code, 1, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.equal(report.ok, false);
    assert.equal(report.vault, vault.path);
    const agent = report.checks.find((c: { id: string }) => c.id === "agent_cli");
    assert.equal(agent.ok, false);
    assert.equal(agent.required, true);
    assert.match(agent.fix, /agent\.command/);
    for (const check of report.checks) {
      assert.deepEqual(
        Object.keys(check).filter((k) => k !== "fix").sort(),
        ["detail", "id", "ok", "required", "title"],
      );
    }
  });
});

Deno.test("aiemp doctor fails a missing vault with 'aiemp vault init --path'", async () => {
  const parent = await Deno.makeTempDir({ prefix: "aiemp-test-" });
  try {
    const result = await doctor(join(parent, "vault"));
    assertFailed(result, "Vault:", /there is no folder/, /aiemp vault init --path .*vault/);
    assert.ok(!result.stdout.includes("Vault writable"), result.stdout);
  } finally {
    await removeTree(parent);
  }
});

Deno.test("aiemp doctor fails a vault whose .aiemp is a file", async () => {
  await withVault("", async (vault) => {
    await Deno.remove(vault.file(".aiemp"), { recursive: true });
    await Deno.writeTextFile(vault.file(".aiemp"), "");
    assertFailed(await doctor(vault), "Vault writable", /is not a folder/, /mv .*aiemp vault init/);
  });
});

Deno.test("aiemp doctor fails a vault whose .aiemp is read-only", {
  ignore: Deno.uid() === 0, // root writes there all the same: the test above breaks it otherwise
}, async () => {
  await withVault("", async (vault) => {
    await Deno.chmod(vault.file(".aiemp"), 0o500);
    try {
      assertFailed(await doctor(vault), "Vault writable", /Permission denied/, /chmod u\+rwx/);
    } finally {
      await Deno.chmod(vault.file(".aiemp"), 0o700);
    }
  });
});

Deno.test("aiemp doctor fails an aiemp.yaml that does not load, quoting why", async () => {
  await withVault("", async (vault) => {
    await Deno.writeTextFile(vault.file("aiemp.yaml"), "gmail:\n  enabled: maybe\n");
    assertFailed(
      await doctor(vault),
      "Settings (aiemp.yaml)",
      /setting 'gmail\.enabled': expected true or false/,
      /aiemp\.yaml/,
    );
  });
});

Deno.test("aiemp doctor warns of a stale lock naming a dead PID, and still exits 0", async () => {
  await withVault("", async (vault) => {
    await Deno.writeTextFile(
      vault.file(".aiemp", "lock"),
      JSON.stringify({ pid: 2_000_000_000, started: "2026-11-20T08:00:00.000Z" }) + "\n",
    );
    const result = await doctor(vault);
    assert.equal(result.code, 0, result.stdout);
    const { line, next } = lineOf(result.stdout, "Lock (optional)");
    assert.match(line, /^! Lock \(optional\): aiemp is not running, but .*names PID 2000000000/);
    assert.match(next, /fix: nothing blocks a start/);
  });
});

Deno.test("aiemp doctor fails an agent command that is not there", async () => {
  await withVault("agent:\n  command: /nonexistent\n", async (vault) => {
    assertFailed(
      await doctor(vault),
      "Agent CLI",
      /'\/nonexistent' is not found/,
      /set agent\.command in aiemp\.yaml/,
    );
  });
});

Deno.test("aiemp doctor fails agent settings with a deny rule removed", async () => {
  await withVault("", async (vault) => {
    const path = vault.file(".claude", "settings.json");
    const settings = JSON.parse(await Deno.readTextFile(path));
    settings.permissions.deny = settings.permissions.deny.filter(
      (rule: string) => rule !== "Edit(./Approved/**)",
    );
    await Deno.writeTextFile(path, JSON.stringify(settings, null, 2));
    assertFailed(
      await doctor(vault),
      "Agent settings",
      /"permissions\.deny" lacks Edit\(\.\/Approved\/\*\*\)/,
      /aiemp vault init --path/,
    );
  });
});

Deno.test("aiemp doctor fails Gmail turned on without credentials", async () => {
  await withVault("gmail:\n  enabled: true\n", async (vault) => {
    assertFailed(await doctor(vault), "Gmail", /Gmail is not set up/, /aiemp auth gmail/);
  });
});

Deno.test("aiemp doctor passes Gmail's credentials that the fake Google accepts", async () => {
  await closing(startFakeGmail(), async (fake) => {
    const settings =
      `gmail:\n  enabled: true\n  api_root: ${fake.apiRoot}\n  token_uri: ${fake.tokenUri}\n`;
    await withVault(settings, async (vault) => {
      await storeFakeCredentials(vault.file(".aiemp", "secrets"), fake);
      const result = await doctor(vault);
      assert.equal(result.code, 0, result.stdout);
      assert.match(
        lineOf(result.stdout, "Gmail").line,
        /^✓ Gmail: signed in as owner@example\.com/,
      );
      assert.ok(fake.requestsTo("token").length > 0, "Google's token endpoint was asked");
      assert.ok(!result.stdout.includes(fake.refreshToken), "no secret in the output");
    });
  });
});

Deno.test("aiemp doctor fails an expired LinkedIn token", async () => {
  await withVault("", async (vault) => {
    const secrets = vault.file(".aiemp", "secrets");
    await Deno.chmod(secrets, 0o700);
    const token = join(secrets, "linkedin_token");
    const expired = new Date(Date.now() - 3 * DAY).toISOString();
    await Deno.writeTextFile(
      token,
      JSON.stringify({ access_token: "li-access-7f3a9c21", expires_at: expired }),
      { mode: 0o600 },
    );
    await Deno.chmod(token, 0o600);
    const result = await doctor(vault);
    assertFailed(result, "LinkedIn token", /expired /, /aiemp auth linkedin/);
    assert.ok(!result.stdout.includes("li-access-7f3a9c21"), "no token in the output");
  });
});

Deno.test("aiemp doctor fails a secret file other users may read (0644)", async () => {
  await withVault("", async (vault) => {
    const file = vault.file(".aiemp", "secrets", "ci_token");
    await Deno.writeTextFile(file, "ci-secret-value-42");
    await Deno.chmod(file, 0o644);
    assertFailed(
      await doctor(vault),
      "Secrets folder",
      /the file 0644, so other users may read it/,
      /chmod 700 .*secrets && chmod 600/,
    );
  });
});

Deno.test("aiemp doctor fails the clock when a file in Needs_Action/ is dated two days ahead", async () => {
  await withVault("", async (vault) => {
    const note = vault.file("Needs_Action", "TASK_future.md");
    await Deno.writeTextFile(note, "---\nid: future\n---\nFrom tomorrow's tomorrow.\n");
    const ahead = new Date(Date.now() + 2 * DAY);
    await Deno.utime(note, ahead, ahead);
    assertFailed(
      await doctor(vault),
      "Clock",
      /Needs_Action\/TASK_future\.md is dated .* ahead of the clock/,
      /timedatectl set-ntp true/,
    );
  });
});

Deno.test("aiemp doctor warns when the installed service's PATH lacks the agent the terminal finds", async () => {
  // Regression: the check ran 'claude --version' with the terminal's PATH only; the service runs
  // with the fixed PATH of its unit, which may not hold the agent.
  await withVault("", async (vault) => {
    const home = join(vault.path, "..", "home");
    const unit = join(home, ".config/systemd/user/aiemp.service");
    await Deno.mkdir(join(unit, ".."), { recursive: true });
    await Deno.writeTextFile(
      unit,
      systemdUnit({
        binary: "/opt/aiemp/aiemp",
        vault: vault.path,
        stopTimeoutS: 15,
        path: join(home, ".local/bin"),
      }),
    );
    const result = await aiemp(["--vault", vault.path, "doctor"], {
      HOME: home,
      DENO_DIR,
      FAKE_AGENT_LOG: join(vault.path, "..", "fake-agent.log"),
    });
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    const { line, next } = lineOf(result.stdout, "Agent CLI");
    assert.match(
      line,
      /^! Agent CLI: claude on PATH, .*but not on the service's PATH/,
      result.stdout,
    );
    assert.equal(
      next,
      `  fix: set agent.command in aiemp.yaml to its full path, ${
        join(FAKE_AGENT_BIN, "claude")
      }, then restart the service: systemctl --user restart aiemp.service`,
    );
    assert.equal(result.stdout.trimEnd().split("\n").at(-1), "All required checks pass");
  });
});
