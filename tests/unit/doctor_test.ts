/**
 * `aiemp doctor`'s checks through runDoctor, on temporary vaults with every side effect faked:
 * the command runner (agent CLI, systemctl, launchctl), the clock, free space, the browser search
 * and Google. Each check's pass, warning and failure, and the printed report.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type CommandOutcome,
  type CommandRunner,
  type DoctorCheck,
  type DoctorOptions,
  failedRequired,
  type GmailProbeAnswer,
  type GmailProbeRequest,
  parseDfFree,
  renderDoctorReport,
  runDoctor,
} from "../../src/doctor/mod.ts";
import { KILL_GRACE_MS, runCommand } from "../../src/doctor/_command.ts";
import { type InstalledService, systemdUnit } from "../../src/service/mod.ts";
import { acquireVaultLock, initVault, vaultLayout } from "../../src/vault/mod.ts";

const GB = 1024 ** 3;
const MB = 1024 ** 2;
const DAY = 86_400_000;
const MODIFY = "https://www.googleapis.com/auth/gmail.modify";
const SEND = "https://www.googleapis.com/auth/gmail.send";
const READONLY = "https://www.googleapis.com/auth/gmail.readonly";

/** A program that ran and printed `stdout`. */
function ran(stdout: string, code = 0, stderr = ""): CommandOutcome {
  return { ran: true, code, stdout, stderr };
}

const NOT_FOUND: CommandOutcome = { ran: false, reason: "not_found", message: "No such file" };

/** Answers by `command args…`; anything else is not found. Records what was run, and where. */
function fakeRunner(answers: Record<string, CommandOutcome>) {
  const calls: { line: string; cwd?: string }[] = [];
  const run: CommandRunner = (command, args, options) => {
    const line = [command, ...args].join(" ");
    calls.push({ line, cwd: options?.cwd });
    return Promise.resolve(answers[line] ?? NOT_FOUND);
  };
  return { run, calls };
}

/** A machine where everything is fine: the agent answers, the service runs. */
const HEALTHY_MACHINE: Record<string, CommandOutcome> = {
  "claude --version": ran("2.1.197 (Claude Code)\n"),
  "systemctl --user is-enabled aiemp.service": ran("enabled\n"),
  "systemctl --user is-active aiemp.service": ran("active\n"),
};

/** Google accepting the credentials with modify and send. */
function googleSays(scopes = [MODIFY, SEND]) {
  const asked: GmailProbeRequest[] = [];
  const checkGmail = (request: GmailProbeRequest): Promise<GmailProbeAnswer> => {
    asked.push(request);
    return Promise.resolve({
      ok: true,
      profile: { emailAddress: "owner@example.com" },
      token: { scopes },
    });
  };
  return { checkGmail, asked };
}

interface TestVault {
  root: string;
  file(...parts: string[]): string;
  /** runDoctor on this vault with a healthy machine, `overrides` replacing any side effect. */
  doctor(overrides?: Partial<DoctorOptions>): Promise<DoctorCheck[]>;
}

/** Runs `body` with a vault made by initVault, its aiemp.yaml holding `settings`. */
async function withVault(settings: string, body: (vault: TestVault) => Promise<void>) {
  const parent = await Deno.makeTempDir({ prefix: "aiemp-doctor-" });
  const root = join(parent, "vault");
  try {
    await initVault(root);
    await Deno.writeTextFile(join(root, "aiemp.yaml"), settings);
    await body({
      root,
      file: (...parts) => join(root, ...parts),
      doctor: (overrides = {}) => runDoctor({ ...healthyOptions(root), ...overrides }),
    });
  } finally {
    await Deno.chmod(join(root, ".aiemp"), 0o700).catch(() => {});
    await Deno.remove(parent, { recursive: true });
  }
}

function healthyOptions(root: string): DoctorOptions {
  return {
    vault: root,
    env: {},
    run: fakeRunner(HEALTHY_MACHINE).run,
    now: () => new Date(),
    freeSpace: () => Promise.resolve(50 * GB),
    findBrowser: () => Promise.resolve("/usr/bin/chromium"),
    checkGmail: googleSays().checkGmail,
    os: "linux",
  };
}

function find(checks: DoctorCheck[], id: string): DoctorCheck {
  const check = checks.find((c) => c.id === id);
  assert.ok(check, `no check '${id}' in ${checks.map((c) => c.id).join(", ")}`);
  return check;
}

/** Writes a secret as `aiemp auth` does: folder 0700, file 0600. */
async function writeSecretFile(vault: TestVault, name: string, text: string, mode = 0o600) {
  const path = vault.file(".aiemp", "secrets", name);
  await Deno.writeTextFile(path, text, { mode });
  await Deno.chmod(path, mode);
}

function tokenJson(expiresAt: Date, extra: Record<string, string> = {}): string {
  return JSON.stringify({ access_token: "tok-abcdef-123456", expires_at: expiresAt, ...extra });
}

// --- the whole run -------------------------------------------------------------------------

Deno.test("runDoctor() passes every check of a freshly made vault on a healthy machine", async () => {
  await withVault("", async (vault) => {
    const checks = await vault.doctor();
    assert.deepEqual(
      checks.filter((c) => c.ok !== true).map((c) => `${c.id}: ${c.detail}`),
      [],
    );
    assert.deepEqual(checks.map((c) => c.id), [
      "vault",
      "vault_writable",
      "config",
      "lock",
      "secrets",
      "agent_cli",
      "agent_settings",
      "chromium",
      "gmail",
      "whatsapp",
      "social",
      "service",
      "disk",
      "clock",
    ]);
    assert.deepEqual(failedRequired(checks), []);
  });
});

Deno.test("runDoctor() never fails a check that is not required: it warns", async () => {
  await withVault("tasks:\n  enabled: false\nscheduler:\n  enabled: false\n", async (vault) => {
    const checks = await vault.doctor({
      run: fakeRunner({}).run,
      findBrowser: () => Promise.reject(new Error("No Chromium or Chrome found; install it")),
    });
    for (const check of checks.filter((c) => !c.required)) {
      assert.notEqual(check.ok, false, `${check.id} failed though not required`);
    }
    assert.equal(find(checks, "agent_cli").ok, "warn");
    assert.equal(find(checks, "chromium").ok, "warn");
    assert.deepEqual(failedRequired(checks), []);
  });
});

// --- the vault -----------------------------------------------------------------------------

Deno.test("runDoctor() on a missing vault fails it with 'aiemp vault init' and leaves out its contents' checks", async () => {
  const parent = await Deno.makeTempDir({ prefix: "aiemp-doctor-" });
  try {
    const root = join(parent, "nowhere", "vault");
    const asked: string[] = [];
    const machine = fakeRunner(HEALTHY_MACHINE);
    const checks = await runDoctor({
      ...healthyOptions(root),
      run: machine.run,
      freeSpace: (path) => {
        asked.push(path);
        return Promise.resolve(50 * GB);
      },
    });
    const vault = find(checks, "vault");
    assert.equal(vault.ok, false);
    assert.ok(vault.required);
    assert.match(vault.detail, /there is no folder .*nowhere\/vault/);
    assert.match(vault.fix!, /aiemp vault init --path .*nowhere\/vault/);
    for (const id of ["vault_writable", "config", "lock", "secrets", "agent_settings"]) {
      assert.ok(!checks.some((c) => c.id === id), `${id} should be left out`);
    }
    assert.equal(find(checks, "agent_cli").ok, true, "the agent is checked with the defaults");
    assert.deepEqual(asked, [parent], "free space is asked where the vault would be created");
    assert.equal(machine.calls.find((c) => c.line === "claude --version")?.cwd, parent);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("runDoctor() fails a vault that lacks some of its folders, naming them", async () => {
  await withVault("", async (vault) => {
    await Deno.remove(vault.file("Approved"));
    await Deno.remove(vault.file("Logs"));
    const check = find(await vault.doctor(), "vault");
    assert.equal(check.ok, false);
    assert.match(check.detail, /lacks Approved\/, Logs\//);
    assert.match(check.fix!, /aiemp vault init --path/);
  });
});

Deno.test("runDoctor() fails 'vault writable' when .aiemp is a file, and says how to move it away", async () => {
  await withVault("", async (vault) => {
    await Deno.remove(vault.file(".aiemp"), { recursive: true });
    await Deno.writeTextFile(vault.file(".aiemp"), "not a folder");
    const checks = await vault.doctor();
    const check = find(checks, "vault_writable");
    assert.equal(check.ok, false);
    assert.match(check.detail, /\.aiemp is not a folder/);
    assert.match(check.fix!, /^move it out of the way \(mv .*\.aiemp .*\.aiemp\.old\)/);
    assert.equal(find(checks, "lock").ok, "warn", "the lock cannot be looked at");
  });
});

Deno.test(
  "runDoctor() fails 'vault writable' when .aiemp is read-only, naming the folder and chmod",
  {
    ignore: Deno.uid() === 0, // root writes into a read-only folder all the same
  },
  async () => {
    await withVault("", async (vault) => {
      await Deno.chmod(vault.file(".aiemp"), 0o500);
      const check = find(await vault.doctor(), "vault_writable");
      assert.equal(check.ok, false);
      assert.match(check.detail, /cannot create a file in .*\.aiemp: .*Permission denied/);
      assert.match(check.fix!, /chmod u\+rwx .*\.aiemp/);
    });
  },
);

Deno.test("runDoctor() leaves no file behind from the write probe", async () => {
  await withVault("", async (vault) => {
    const before = [...Deno.readDirSync(vault.file(".aiemp"))].map((e) => e.name).sort();
    assert.equal(find(await vault.doctor(), "vault_writable").ok, true);
    const after = [...Deno.readDirSync(vault.file(".aiemp"))].map((e) => e.name).sort();
    assert.deepEqual(after, before);
  });
});

Deno.test("runDoctor() fails an aiemp.yaml that does not load with the ConfigError's message, and checks on with defaults", async () => {
  await withVault("tasks:\n  poll_interval_s: often\n", async (vault) => {
    const checks = await vault.doctor();
    const check = find(checks, "config");
    assert.equal(check.ok, false);
    assert.match(check.detail, /setting 'tasks\.poll_interval_s': expected a whole number/);
    assert.match(check.detail, /the other checks use the defaults/);
    assert.match(check.fix!, /aiemp\.yaml/);
    assert.equal(find(checks, "gmail").ok, true);
  });
});

Deno.test("runDoctor() passes a vault without aiemp.yaml: every setting at its default", async () => {
  await withVault("", async (vault) => {
    await Deno.remove(vault.file("aiemp.yaml"));
    const check = find(await vault.doctor(), "config");
    assert.equal(check.ok, true);
    assert.match(check.detail, /every setting is at its default/);
  });
});

// --- the lock ------------------------------------------------------------------------------

Deno.test("runDoctor() says aiemp runs on the vault, with the PID of the lock's holder", async () => {
  await withVault("", async (vault) => {
    const layout = vaultLayout(vault.root);
    const lock = await acquireVaultLock(layout.lock, vault.root, {
      pid: 4242,
      started: "2026-11-21T08:00:00Z",
    });
    try {
      const check = find(await vault.doctor(), "lock");
      assert.equal(check.ok, true);
      assert.equal(check.required, false);
      assert.match(check.detail, /aiemp is running on this vault \(PID 4242, started 2026-11-21/);
    } finally {
      lock.release();
    }
    assert.match(find(await vault.doctor(), "lock").detail, /^aiemp is not running/);
  });
});

Deno.test("runDoctor() warns of a stale lock left by a crash, naming its PID", async () => {
  await withVault("", async (vault) => {
    await Deno.writeTextFile(
      vault.file(".aiemp", "lock"),
      JSON.stringify({ pid: 999999, started: "2026-11-20T08:00:00Z", hostname: "box" }) + "\n",
    );
    const check = find(await vault.doctor(), "lock");
    assert.equal(check.ok, "warn");
    assert.match(check.detail, /still names PID 999999 on box .*without stopping cleanly/);
    assert.match(check.fix!, /'aiemp start' takes the lock over/);
  });
});

Deno.test("runDoctor() warns that the emergency stop file keeps aiemp from starting", async () => {
  await withVault("", async (vault) => {
    await Deno.writeTextFile(vault.file(".claude_stop"), "");
    const check = find(await vault.doctor(), "lock");
    assert.equal(check.ok, "warn");
    assert.match(check.detail, /will not start: the emergency stop file .*\.claude_stop/);
    assert.match(check.fix!, /rm .*\.claude_stop/);
  });
});

// --- secrets -------------------------------------------------------------------------------

Deno.test("runDoctor() fails a secret file other users may read, with the chmod that fixes it", async () => {
  await withVault("", async (vault) => {
    await writeSecretFile(vault, "ci_token", "secret-value-123", 0o644);
    const check = find(await vault.doctor(), "secrets");
    assert.equal(check.ok, false);
    assert.ok(check.required);
    assert.match(check.detail, /ci_token: the folder is mode 0700 and the file 0644/);
    assert.match(check.fix!, /chmod 700 .*secrets && chmod 600 .*secrets\/\*/);
  });
});

Deno.test("runDoctor() fails a secrets folder other users may look into", async () => {
  await withVault("", async (vault) => {
    await Deno.chmod(vault.file(".aiemp", "secrets"), 0o755);
    const check = find(await vault.doctor(), "secrets");
    assert.equal(check.ok, false);
    assert.match(check.detail, /secrets is mode 0755/);
    assert.match(check.fix!, /chmod 700 /);
  });
});

Deno.test("runDoctor() checks a leftover file the secret store would not read too", async () => {
  await withVault("", async (vault) => {
    await writeSecretFile(vault, ".x_token.tmp-1", "half-written", 0o644);
    const check = find(await vault.doctor(), "secrets");
    assert.equal(check.ok, false);
    assert.match(check.detail, /\.x_token\.tmp-1 is mode 0644/);
  });
});

Deno.test("runDoctor() passes private secrets and a vault without a secrets folder", async () => {
  await withVault("", async (vault) => {
    await writeSecretFile(vault, "ci_token", "secret-value-123");
    const check = find(await vault.doctor(), "secrets");
    assert.equal(check.ok, true);
    assert.match(check.detail, /private \(0700\), 1 file 0600/);
    await Deno.remove(vault.file(".aiemp", "secrets"), { recursive: true });
    const none = find(await vault.doctor(), "secrets");
    assert.equal(none.ok, true);
    assert.equal(none.required, false);
  });
});

// --- the agent -----------------------------------------------------------------------------

Deno.test("runDoctor() runs 'agent.command --version' in the vault and shows the version", async () => {
  await withVault("", async (vault) => {
    const machine = fakeRunner(HEALTHY_MACHINE);
    const check = find(await vault.doctor({ run: machine.run }), "agent_cli");
    assert.equal(check.ok, true);
    assert.ok(check.required);
    assert.match(check.detail, /^claude on PATH, version 2\.1\.197 \(Claude Code\)/);
    assert.match(check.detail, /needed by the task loop and the schedules morning_triage/);
    assert.deepEqual(machine.calls.find((c) => c.line === "claude --version"), {
      line: "claude --version",
      cwd: vault.root,
    });
  });
});

Deno.test("runDoctor() fails a missing agent with how to install Claude Code", async () => {
  await withVault("", async (vault) => {
    const check = find(await vault.doctor({ run: fakeRunner({}).run }), "agent_cli");
    assert.equal(check.ok, false);
    assert.match(check.detail, /'claude' is not found on PATH/);
    assert.match(check.fix!, /npm install -g @anthropic-ai\/claude-code/);
    assert.match(check.fix!, /agent\.command/);
  });
});

Deno.test("runDoctor() fails an agent.command that cannot be run, naming the setting", async () => {
  await withVault("agent:\n  command: /nonexistent\n", async (vault) => {
    const check = find(await vault.doctor(), "agent_cli");
    assert.equal(check.ok, false);
    assert.match(check.detail, /'\/nonexistent' is not found at \/nonexistent/);
    assert.match(check.fix!, /set agent\.command in aiemp\.yaml/);
  });
});

Deno.test("runDoctor() fails an agent whose --version fails or hangs", async () => {
  await withVault("", async (vault) => {
    const failing = fakeRunner({ "claude --version": ran("", 2, "Error: broken install\n") });
    const failed = find(await vault.doctor({ run: failing.run }), "agent_cli");
    assert.equal(failed.ok, false);
    assert.match(failed.detail, /'claude --version' exited with 2: Error: broken install/);
    const hanging = fakeRunner({
      "claude --version": {
        ran: false,
        reason: "timeout",
        message: "gave no answer within 15000 ms",
      },
    });
    const hung = find(await vault.doctor({ run: hanging.run }), "agent_cli");
    assert.equal(hung.ok, false);
    assert.match(hung.detail, /gave no answer within 15000 ms/);
  });
});

/** An installed service of `scope` that runs with `path`. */
function serviceWith(path: string, scope: "user" | "system" = "user"): InstalledService {
  return {
    location: {
      manager: "systemd",
      scope,
      file: scope === "user"
        ? "/home/ana/.config/systemd/user/aiemp.service"
        : "/etc/systemd/system/aiemp.service",
      ownFolders: [],
    },
    installed: true,
    vault: "/home/ana/AI_Employee_Vault",
    path,
  };
}

/** How `agentCliCheck` asks the shell where the agent is. */
const WHERE_CLAUDE = 'sh -c command -v -- "$1" sh claude';

Deno.test("runDoctor() warns when the agent is on the terminal's PATH but not on the installed service's", async () => {
  // Regression: 'claude --version' ran with the terminal's PATH only, while the service gets a
  // fixed one: doctor passed, and the service could not find the agent.
  await withVault("", async (vault) => {
    const empty = await Deno.makeTempDir({ prefix: "aiemp-doctor-path-" });
    try {
      const machine = fakeRunner({
        ...HEALTHY_MACHINE,
        [WHERE_CLAUDE]: ran("/home/ana/.nvm/versions/node/v22/bin/claude\n"),
      });
      const checks = await vault.doctor({
        run: machine.run,
        installedService: () => Promise.resolve(serviceWith(`${empty}:relative/bin`)),
      });
      const check = find(checks, "agent_cli");
      assert.equal(check.ok, "warn");
      assert.ok(check.required);
      assert.match(
        check.detail,
        /^claude on PATH, version 2\.1\.197 .*but not on the service's PATH/,
      );
      assert.ok(check.detail.includes(`(${empty}:relative/bin)`), check.detail);
      assert.match(
        check.fix!,
        /^set agent\.command in aiemp\.yaml to its full path, \/home\/ana\/\.nvm\/versions\/node\/v22\/bin\/claude, then restart the service: systemctl --user restart aiemp\.service$/,
      );
      assert.deepEqual(failedRequired(checks), [], "a warning, not a failure");

      const system = find(
        await vault.doctor({
          run: fakeRunner(HEALTHY_MACHINE).run,
          installedService: () => Promise.resolve(serviceWith(empty, "system")),
        }),
        "agent_cli",
      );
      assert.equal(system.ok, "warn");
      assert.match(system.fix!, /command -v claude.*sudo systemctl restart aiemp\.service$/);
    } finally {
      await Deno.remove(empty, { recursive: true });
    }
  });
});

Deno.test("runDoctor() passes the agent found on the service's PATH, or with no service installed", async () => {
  await withVault("", async (vault) => {
    const bin = await Deno.makeTempDir({ prefix: "aiemp-doctor-path-" });
    try {
      await Deno.writeTextFile(join(bin, "claude"), "#!/bin/sh\n", { mode: 0o755 });
      await Deno.chmod(join(bin, "claude"), 0o755);
      const on = find(
        await vault.doctor({
          installedService: () => Promise.resolve(serviceWith(`/nonexistent:${bin}`)),
        }),
        "agent_cli",
      );
      assert.equal(on.ok, true, on.detail);
      const machine = fakeRunner(HEALTHY_MACHINE);
      const none = find(
        await vault.doctor({
          run: machine.run,
          installedService: () => Promise.resolve(undefined),
        }),
        "agent_cli",
      );
      assert.equal(none.ok, true);
      assert.ok(!machine.calls.some((c) => c.line === WHERE_CLAUDE));
    } finally {
      await Deno.remove(bin, { recursive: true });
    }
  });
});

Deno.test("runDoctor() finds the service installed under HOME and checks the agent against its PATH", async () => {
  await withVault("", async (vault) => {
    const home = await Deno.makeTempDir({ prefix: "aiemp-doctor-home-" });
    try {
      const unit = join(home, ".config/systemd/user/aiemp.service");
      await Deno.mkdir(join(unit, ".."), { recursive: true });
      await Deno.writeTextFile(
        unit,
        systemdUnit({
          binary: "/opt/aiemp/aiemp",
          vault: vault.root,
          stopTimeoutS: 15,
          path: join(home, "nothing here"),
        }),
      );
      const checks = await vault.doctor({ env: { HOME: home } });
      assert.match(find(checks, "agent_cli").detail, /not on the service's PATH/);
      assert.equal(find(checks, "service").ok, true, "asked with --user: the user's unit");
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  });
});

Deno.test("runDoctor() requires the agent for the agent schedules alone, and not when nothing runs it", async () => {
  await withVault("tasks:\n  enabled: false\n", async (vault) => {
    const scheduled = find(await vault.doctor({ run: fakeRunner({}).run }), "agent_cli");
    assert.equal(scheduled.ok, false);
    assert.match(scheduled.detail, /needed by the schedules morning_triage, linkedin_post/);
    assert.doesNotMatch(scheduled.detail, /task loop/);
  });
  await withVault("tasks:\n  enabled: false\nscheduler:\n  enabled: false\n", async (vault) => {
    const idle = find(await vault.doctor({ run: fakeRunner({}).run }), "agent_cli");
    assert.equal(idle.required, false);
    assert.equal(idle.ok, "warn");
    assert.match(idle.detail, /not needed now/);
  });
});

Deno.test("runDoctor() fails agent settings that lack a deny rule, and restores them in the fix", async () => {
  await withVault("", async (vault) => {
    const path = vault.file(".claude", "settings.json");
    const settings = JSON.parse(await Deno.readTextFile(path));
    settings.permissions.deny = settings.permissions.deny.filter((r: string) => r !== "Bash");
    await Deno.writeTextFile(path, JSON.stringify(settings));
    const check = find(await vault.doctor(), "agent_settings");
    assert.equal(check.ok, false);
    assert.match(check.detail, /"permissions\.deny" lacks Bash/);
    assert.doesNotMatch(check.detail, /the agent was not run/);
    assert.match(check.fix!, /aiemp vault init --path/);
    await Deno.writeTextFile(path, "{ not json");
    assert.match(find(await vault.doctor(), "agent_settings").detail, /not valid JSON/);
  });
});

// --- Chromium and the channels -------------------------------------------------------------

const NO_BROWSER = () =>
  Promise.reject(new Error("No Chromium or Chrome found (looked for chromium); install Chromium"));

Deno.test("runDoctor() requires Chromium for WhatsApp and splits findBrowser's fix out", async () => {
  await withVault("whatsapp:\n  enabled: true\n", async (vault) => {
    const check = find(await vault.doctor({ findBrowser: NO_BROWSER }), "chromium");
    assert.equal(check.ok, false);
    assert.match(
      check.detail,
      /^No Chromium or Chrome found \(looked for chromium\); needed by WhatsApp/,
    );
    assert.equal(check.fix, "install Chromium");
  });
});

Deno.test("runDoctor() only warns of a missing Chromium nothing needs", async () => {
  await withVault("", async (vault) => {
    const check = find(await vault.doctor({ findBrowser: NO_BROWSER }), "chromium");
    assert.equal(check.ok, "warn");
    assert.equal(check.required, false);
    assert.match(check.detail, /not needed now/);
  });
});

Deno.test("runDoctor() passes browser.executable to findBrowser and shows the path found", async () => {
  await withVault("browser:\n  executable: /opt/chromium/chrome\n", async (vault) => {
    const asked: string[] = [];
    const check = find(
      await vault.doctor({
        findBrowser: (configured) => {
          asked.push(configured);
          return Promise.resolve(configured);
        },
      }),
      "chromium",
    );
    assert.deepEqual(asked, ["/opt/chromium/chrome"]);
    assert.match(check.detail, /^\/opt\/chromium\/chrome; /);
  });
});

Deno.test("runDoctor() fails WhatsApp turned on without a logged-in profile, with 'aiemp login whatsapp'", async () => {
  await withVault("whatsapp:\n  enabled: true\n", async (vault) => {
    const check = find(await vault.doctor(), "whatsapp");
    assert.equal(check.ok, false);
    assert.ok(check.required);
    assert.match(check.fix!, /aiemp login whatsapp/);
    await Deno.mkdir(vault.file(".aiemp", "browser", "whatsapp"), { recursive: true });
    assert.equal(find(await vault.doctor(), "whatsapp").ok, true);
  });
});

Deno.test("runDoctor() fails Gmail turned on without credentials, and passes it off", async () => {
  await withVault("", async (vault) => {
    const off = find(await vault.doctor(), "gmail");
    assert.equal(off.ok, true);
    assert.equal(off.required, false);
  });
  await withVault("gmail:\n  enabled: true\n", async (vault) => {
    const google = googleSays();
    const check = find(await vault.doctor({ checkGmail: google.checkGmail }), "gmail");
    assert.equal(check.ok, false);
    assert.ok(check.required);
    assert.match(check.detail, /Gmail is not set up: no OAuth client/);
    assert.match(check.fix!, /aiemp auth gmail/);
    assert.equal(google.asked.length, 0, "Google is not asked without credentials");
  });
});

Deno.test("runDoctor() asks Google about Gmail's credentials at the configured endpoints", async () => {
  const settings =
    "gmail:\n  enabled: true\n  api_root: http://127.0.0.1:9/\n  token_uri: http://127.0.0.1:9/token\n";
  await withVault(settings, async (vault) => {
    await writeSecretFile(vault, "gmail_client.json", '{"client_id":"client-1"}');
    await writeSecretFile(vault, "gmail_token.json", '{"refresh_token":"refresh-token-1"}');
    const google = googleSays();
    const check = find(await vault.doctor({ checkGmail: google.checkGmail }), "gmail");
    assert.equal(check.ok, true, check.detail);
    assert.match(check.detail, /signed in as owner@example\.com; may read mail, send mail/);
    assert.equal(google.asked[0].apiRoot, "http://127.0.0.1:9/");
    assert.equal(google.asked[0].tokenUri, "http://127.0.0.1:9/token");
    assert.equal(google.asked[0].refreshToken, "refresh-token-1");

    const narrow = find(
      await vault.doctor({ checkGmail: googleSays([READONLY]).checkGmail }),
      "gmail",
    );
    assert.equal(narrow.ok, false);
    assert.match(narrow.detail, /does not let aiemp send mail \(actions\)/);

    const refused = find(
      await vault.doctor({
        checkGmail: () =>
          Promise.resolve({ ok: false, name: "GmailAuthError", message: "invalid_grant" }),
      }),
      "gmail",
    );
    assert.equal(refused.ok, false);
    assert.match(refused.detail, /Google does not accept the credentials: invalid_grant/);
    assert.equal(refused.fix, "run 'aiemp auth gmail' to sign in again");
  });
});

Deno.test("runDoctor() fails an expired social token and warns of one expiring within a week", async () => {
  await withVault("", async (vault) => {
    const now = new Date();
    await writeSecretFile(vault, "linkedin_token", tokenJson(new Date(now.getTime() - DAY)));
    await writeSecretFile(vault, "x_token", tokenJson(new Date(now.getTime() + 2 * DAY)));
    await writeSecretFile(vault, "facebook_token", tokenJson(new Date(now.getTime() + 60 * DAY)));
    const checks = await vault.doctor({ now: () => now });
    const linkedin = find(checks, "token_linkedin");
    assert.equal(linkedin.ok, false);
    assert.ok(linkedin.required);
    assert.match(linkedin.detail, /^expired /);
    assert.match(linkedin.fix!, /aiemp auth linkedin/);
    assert.equal(find(checks, "token_x").ok, "warn");
    assert.equal(find(checks, "token_facebook").ok, true);
    assert.ok(!checks.some((c) => c.id === "token_instagram" || c.id === "social"));
  });
});

Deno.test("runDoctor() passes a social token that renews itself, and fails one it cannot read", async () => {
  await withVault("", async (vault) => {
    const past = new Date(Date.now() - DAY);
    await writeSecretFile(vault, "x_token", tokenJson(past, { refresh_token: "refresh-abcdef" }));
    await writeSecretFile(vault, "linkedin_token", "{ broken");
    const checks = await vault.doctor();
    assert.equal(find(checks, "token_x").ok, true);
    const linkedin = find(checks, "token_linkedin");
    assert.equal(linkedin.ok, false);
    assert.match(linkedin.detail, /is not JSON/);
    assert.equal(linkedin.fix, "store it again: aiemp auth linkedin");
  });
});

Deno.test("runDoctor() takes a token given in the environment as set up", async () => {
  await withVault("", async (vault) => {
    const checks = await vault.doctor({
      env: { secrets: { AIEMP_SECRET_FACEBOOK_TOKEN: "EAAB-page-token-123" } },
    });
    const check = find(checks, "token_facebook");
    assert.equal(check.ok, true);
    assert.match(check.detail, /set up \(no expiry recorded\)/);
  });
});

Deno.test("runDoctor() fails driver: api without a token, and driver: browser without a profile", async () => {
  await withVault("linkedin:\n  driver: api\nx:\n  driver: browser\n", async (vault) => {
    const checks = await vault.doctor({ findBrowser: NO_BROWSER });
    const api = find(checks, "token_linkedin");
    assert.equal(api.ok, false);
    assert.match(api.fix!, /aiemp auth linkedin/);
    const browser = find(checks, "profile_x");
    assert.equal(browser.ok, false);
    assert.ok(browser.required);
    assert.match(browser.fix!, /aiemp login x/);
    const chromium = find(checks, "chromium");
    assert.equal(chromium.ok, false, "posting to X through the browser needs Chromium");
    assert.match(chromium.detail, /needed by X posts/);
  });
});

Deno.test("runDoctor() counts a logged-in profile as posting through the browser when no token is set up", async () => {
  await withVault("", async (vault) => {
    await Deno.mkdir(vault.file(".aiemp", "browser", "instagram"), { recursive: true });
    const checks = await vault.doctor();
    const profile = find(checks, "profile_instagram");
    assert.equal(profile.ok, true);
    assert.match(find(checks, "chromium").detail, /needed by Instagram posts/);
    assert.ok(find(checks, "chromium").required);
  });
});

// --- the service ---------------------------------------------------------------------------

Deno.test("runDoctor() asks systemd about aiemp.service: active, inactive, disabled, missing", async () => {
  await withVault("", async (vault) => {
    const service = async (answers: Record<string, CommandOutcome>) =>
      find(await vault.doctor({ run: fakeRunner(answers).run }), "service");
    const enabled = "systemctl --user is-enabled aiemp.service";
    const active = "systemctl --user is-active aiemp.service";

    const running = await service({ [enabled]: ran("enabled\n"), [active]: ran("active\n") });
    assert.equal(running.ok, true);
    assert.equal(running.required, false);

    const stopped = await service({ [enabled]: ran("enabled\n"), [active]: ran("failed\n", 3) });
    assert.equal(stopped.ok, "warn");
    assert.match(stopped.detail, /installed \(enabled\) but failed/);
    assert.match(stopped.fix!, /systemctl --user start aiemp\.service/);

    const disabled = await service({
      [enabled]: ran("disabled\n", 1),
      [active]: ran("inactive\n", 3),
    });
    assert.equal(disabled.ok, "warn");
    assert.match(disabled.fix!, /systemctl --user enable --now aiemp\.service/);

    const missing = await service({
      [enabled]: ran(
        "",
        1,
        "Failed to get unit file state for aiemp.service: No such file or directory\n",
      ),
    });
    assert.equal(missing.ok, "warn");
    assert.equal(missing.detail, "aiemp.service is not installed");
    assert.match(missing.fix!, /aiemp service install/);

    const noBus = await service({
      [enabled]: ran("", 1, "Failed to connect to bus: No medium found\n"),
    });
    assert.equal(noBus.ok, "warn");
    assert.match(noBus.detail, /cannot ask systemd's user manager/);

    const noSystemd = await service({});
    assert.equal(noSystemd.ok, "warn");
    assert.match(noSystemd.detail, /systemctl is not found/);
    assert.match(noSystemd.fix!, /aiemp service install/);
  });
});

Deno.test("runDoctor() asks systemd about the system unit when that is the one installed", async () => {
  // Regression: only 'systemctl --user' was asked; after 'install.sh --system' doctor said "not
  // installed" and advised a user unit, which would then fight the system unit for the vault lock.
  await withVault("", async (vault) => {
    const installedService = () => Promise.resolve(serviceWith("/usr/bin", "system"));
    const enabled = "systemctl is-enabled aiemp.service";
    const active = "systemctl is-active aiemp.service";
    const machine = fakeRunner({
      "claude --version": ran("2.1.197 (Claude Code)\n"),
      [enabled]: ran("enabled\n"),
      [active]: ran("active\n"),
    });
    const running = find(await vault.doctor({ run: machine.run, installedService }), "service");
    assert.equal(running.ok, true, running.detail);
    assert.equal(running.detail, "the system unit aiemp.service is installed (enabled) and active");
    assert.ok(
      !machine.calls.some((c) => c.line.startsWith("systemctl --user")),
      "no user unit asked",
    );

    const stopped = find(
      await vault.doctor({
        run: fakeRunner({ [enabled]: ran("enabled\n"), [active]: ran("failed\n", 3) }).run,
        installedService,
      }),
      "service",
    );
    assert.equal(stopped.ok, "warn");
    assert.match(
      stopped.fix!,
      /^sudo systemctl start aiemp\.service; .*journalctl -u aiemp\.service$/,
    );
    assert.doesNotMatch(stopped.fix!, /--user|aiemp service install/);
  });
});

Deno.test("runDoctor() asks launchd on macOS, and says there is no service elsewhere", async () => {
  await withVault("", async (vault) => {
    const launchd = (listing: string) =>
      vault.doctor({ os: "darwin", run: fakeRunner({ "launchctl list": ran(listing) }).run });
    const header = "PID\tStatus\tLabel\n";
    const running = find(await launchd(`${header}512\t0\tcom.aiemp.agent\n`), "service");
    assert.equal(running.ok, true);
    assert.match(running.detail, /com\.aiemp\.agent is running \(PID 512\)/);
    const loaded = find(await launchd(`${header}-\t78\tcom.aiemp.agent\n`), "service");
    assert.equal(loaded.ok, "warn");
    assert.match(loaded.fix!, /launchctl kickstart/);
    const none = find(await launchd(`${header}-\t0\tcom.apple.Finder\n`), "service");
    assert.equal(none.ok, "warn");
    assert.match(none.fix!, /aiemp service install/);
    const windows = find(await vault.doctor({ os: "windows" }), "service");
    assert.equal(windows.ok, "warn");
  });
});

// --- disk and clock ------------------------------------------------------------------------

Deno.test("runDoctor() fails under 100 MB free, warns under 1 GB, and says what to clear", async () => {
  await withVault("", async (vault) => {
    const disk = async (free: number | { problem: string }) =>
      find(await vault.doctor({ freeSpace: () => Promise.resolve(free) }), "disk");
    const full = await disk(50 * MB);
    assert.equal(full.ok, false);
    assert.ok(full.required);
    assert.match(full.detail, /only 50 MB free/);
    assert.match(full.fix!, /Logs\/ .*Done\/Archive\//);
    const low = await disk(500 * MB);
    assert.equal(low.ok, "warn");
    assert.match(low.detail, /less than 1 GB/);
    assert.equal((await disk(5 * GB)).ok, true);
    const unknown = await disk({ problem: "'df' could not be run" });
    assert.equal(unknown.ok, "warn");
  });
});

Deno.test("runDoctor() reads free space from 'df -Pk' through the runner by default", async () => {
  await withVault("", async (vault) => {
    const df = `Filesystem 1024-blocks Used Available Capacity Mounted on\n` +
      `/dev/vda 264212084 24861228 81920 24% /\n`;
    const check = find(
      await vault.doctor({
        freeSpace: undefined,
        run: fakeRunner({ ...HEALTHY_MACHINE, [`df -Pk ${vault.root}`]: ran(df) }).run,
      }),
      "disk",
    );
    assert.equal(check.ok, false);
    assert.match(check.detail, /only 80 MB free/);
  });
});

Deno.test("parseDfFree() reads the Available column, also with spaces in names", () => {
  const header = "Filesystem     1024-blocks     Used Available Capacity Mounted on\n";
  assert.equal(
    parseDfFree(`${header}/dev/vda 264212084 24861228 81529684 24% /\n`),
    81529684 * 1024,
  );
  assert.equal(
    parseDfFree(`${header}//nas/My Share 1000 400 600 40% /Volumes/My Share\n`),
    600 * 1024,
  );
  assert.equal(parseDfFree("df: /nowhere: No such file or directory\n"), undefined);
  assert.equal(parseDfFree(""), undefined);
});

Deno.test("runDoctor() fails a clock before 2026 or after 2099, with time sync as the fix", async () => {
  await withVault("", async (vault) => {
    const early = find(
      await vault.doctor({ now: () => new Date("2024-03-01T00:00:00Z") }),
      "clock",
    );
    assert.equal(early.ok, false);
    assert.match(early.detail, /2024-03-01 00:00 UTC, before 2026/);
    assert.match(early.fix!, /timedatectl set-ntp true/);
    const late = find(await vault.doctor({ now: () => new Date("2100-06-01T00:00:00Z") }), "clock");
    assert.equal(late.ok, false);
    assert.match(late.detail, /after 2099/);
    const mac = find(
      await vault.doctor({ os: "darwin", now: () => new Date("2024-03-01T00:00:00Z") }),
      "clock",
    );
    assert.match(mac.fix!, /Set time and date automatically/);
  });
});

Deno.test("runDoctor() fails the clock when a queued file is dated two days ahead: it was set back", async () => {
  await withVault("", async (vault) => {
    const now = new Date();
    const note = vault.file("Needs_Action", "TASK_1.md");
    await Deno.writeTextFile(note, "---\nid: t1\n---\n");
    const ahead = new Date(now.getTime() + 2 * DAY);
    await Deno.utime(note, ahead, ahead);
    const check = find(await vault.doctor({ now: () => now }), "clock");
    assert.equal(check.ok, false);
    assert.match(check.detail, /Needs_Action\/TASK_1\.md is dated .*, 2 days ahead of the clock/);
    assert.match(check.detail, /the clock was set back/);
    assert.match(check.fix!, /timedatectl set-ntp true; .*touch .*TASK_1\.md/);
    // Within a day is no sign of anything (time zones, a slow sync).
    const soon = new Date(now.getTime() + DAY / 2);
    await Deno.utime(note, soon, soon);
    assert.equal(find(await vault.doctor({ now: () => now }), "clock").ok, true);
  });
});

Deno.test("runDoctor() fails the clock when .aiemp/state.json is dated ahead of it", async () => {
  await withVault("", async (vault) => {
    const now = new Date();
    const state = vault.file(".aiemp", "state.json");
    await Deno.writeTextFile(state, "{}");
    const ahead = new Date(now.getTime() + 3 * DAY);
    await Deno.utime(state, ahead, ahead);
    const check = find(await vault.doctor({ now: () => now }), "clock");
    assert.equal(check.ok, false);
    assert.match(check.detail, /\.aiemp\/state\.json is dated/);
  });
});

// --- the command runner -------------------------------------------------------------------

Deno.test("runCommand() reports the exit code and output, a missing program, and one stopped at its timeout", async () => {
  assert.deepEqual(await runCommand("sh", ["-c", "echo out; echo err >&2; exit 3"]), {
    ran: true,
    code: 3,
    stdout: "out\n",
    stderr: "err\n",
  });
  const missing = await runCommand("/nonexistent/agent", ["--version"]);
  assert.equal(missing.ran, false);
  assert.equal(!missing.ran && missing.reason, "not_found");
  // The shell is killed; the sleep it started keeps the output open, and is not waited for.
  const hung = await runCommand("sh", ["-c", "sleep 3; echo late"], { timeoutMs: 100 });
  assert.deepEqual(hung, {
    ran: false,
    reason: "timeout",
    message: "gave no answer within 100 ms",
  });
});

Deno.test("runCommand() kills a program that ignores SIGTERM soon after its timeout", async () => {
  // Regression: SIGTERM was sent and its end awaited; a program ignoring it hung doctor for good.
  const started = Date.now();
  const hung = await runCommand("sh", ["-c", "trap '' TERM; sleep 30"], { timeoutMs: 200 });
  const took = Date.now() - started;
  assert.deepEqual(hung, {
    ran: false,
    reason: "timeout",
    message: "gave no answer within 200 ms",
  });
  assert.ok(took >= 200 + KILL_GRACE_MS - 50, `SIGKILL only after the grace: ${took} ms`);
  assert.ok(took < 200 + KILL_GRACE_MS + 800, `never waits past the grace: ${took} ms`);
});

// --- the report ----------------------------------------------------------------------------

Deno.test("renderDoctorReport() marks each check, says which are optional, and gives the fixes", () => {
  const checks: DoctorCheck[] = [
    { id: "vault", title: "Vault", required: true, ok: true, detail: "/v" },
    { id: "lock", title: "Lock", required: false, ok: "warn", detail: "stale", fix: "start" },
    { id: "disk", title: "Disk space", required: true, ok: false, detail: "full", fix: "clear" },
    { id: "clock", title: "Clock", required: true, ok: false, detail: "2024", fix: "sync" },
  ];
  assert.deepEqual(renderDoctorReport(checks), [
    "✓ Vault: /v",
    "! Lock (optional): stale",
    "  fix: start",
    "✗ Disk space: full",
    "  fix: clear",
    "✗ Clock: 2024",
    "  fix: sync",
    "2 required checks failed",
  ]);
  assert.equal(renderDoctorReport(checks.slice(0, 3)).at(-1), "1 required check failed");
  assert.equal(renderDoctorReport(checks.slice(0, 2)).at(-1), "All required checks pass");
});
