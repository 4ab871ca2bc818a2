import assert from "node:assert/strict";
import { join } from "node:path";
import { Command } from "commander";
import fc from "fast-check";
import { registerServiceCommands, type ServiceCommandDeps } from "../../src/cli/_service.ts";
import type { CliOutput } from "../../src/cli/mod.ts";
import { ConfigError, resolveVaultPath } from "../../src/config/mod.ts";
import {
  type CommandResult,
  findService,
  installService,
  launchdPlist,
  RESTART_DELAY_S,
  saysNoSession,
  ServiceError,
  type ServiceHost,
  serviceLogs,
  type ServiceSpec,
  serviceSpec,
  serviceStatus,
  serviceStatusLines,
  shellLine,
  START_LIMIT_BURST,
  START_LIMIT_INTERVAL_S,
  STOP_MARGIN_S,
  systemdUnit,
  uninstallService,
  vaultOfPlist,
  vaultOfUnit,
  xmlEscape,
} from "../../src/service/mod.ts";
import { initVault, vaultLayout } from "../../src/vault/mod.ts";
import {
  missingTool,
  parsePlist,
  tellSkipped,
  verifyUnitProblem,
  xmllintProblem,
} from "../fixtures/service/checks.ts";

const noSystemdAnalyze = await missingTool("systemd-analyze", ["--version"]);
const noXmllint = await missingTool("xmllint", ["--version"]);

function specOf(fields: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    binary: "/home/ana/.local/bin/aiemp",
    vault: "/home/ana/AI_Employee_Vault",
    stopTimeoutS: 5 + STOP_MARGIN_S,
    path: "/home/ana/.local/bin:/usr/bin:/bin",
    ...fields,
  };
}

/** The `Key=value` lines of a unit, by key (a key given twice keeps every value). */
function unitKeys(text: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const found = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (found) keys.set(found[1], [...(keys.get(found[1]) ?? []), found[2]]);
  }
  return keys;
}

async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aiemp-service-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A host whose commands are recorded and answered by `answer` (exit 0, nothing said, else). */
function recordingHost(
  home: string,
  answer: (line: string) => Partial<CommandResult> | undefined = () => undefined,
  fields: Partial<ServiceHost> = {},
) {
  const calls: string[] = [];
  const printed: string[] = [];
  const host: ServiceHost = {
    run: (program, args) => {
      const line = shellLine(program, args);
      calls.push(line);
      const given = answer(line) ??
        (program === "loginctl" ? { stdout: "Linger=no\n" } : undefined) ?? {};
      return Promise.resolve({ code: 0, stdout: "", stderr: "", ...given });
    },
    home,
    os: "linux",
    user: "ana",
    uid: 501,
    print: (line) => printed.push(line),
    ...fields,
  };
  return { host, calls, printed, output: () => printed.join("\n") };
}

async function modeOf(path: string): Promise<number> {
  return (await Deno.stat(path)).mode! & 0o777;
}

/** An executable stand-in for the binary, so `systemd-analyze verify` finds the program. */
async function standIn(path: string): Promise<string> {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  await Deno.writeTextFile(path, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  await Deno.chmod(path, 0o755);
  return path;
}

// --- the unit -------------------------------------------------------------------------------

Deno.test("systemdUnit() has every setting of a user unit: restart on failure, limits, stop window", () => {
  const text = systemdUnit(specOf({ stopTimeoutS: 25 }));
  const keys = unitKeys(text);
  const one = (key: string) => {
    assert.equal(keys.get(key)?.length, 1, `${key} once`);
    return keys.get(key)![0];
  };
  assert.match(one("Description"), /aiemp/);
  assert.equal(one("After"), "network-online.target");
  assert.equal(one("Wants"), "network-online.target");
  assert.equal(one("StartLimitIntervalSec"), String(START_LIMIT_INTERVAL_S));
  assert.equal(one("StartLimitBurst"), String(START_LIMIT_BURST));
  assert.equal(one("Type"), "simple");
  assert.equal(
    one("ExecStart"),
    "/home/ana/.local/bin/aiemp start --vault /home/ana/AI_Employee_Vault",
  );
  assert.equal(one("Restart"), "on-failure");
  assert.equal(one("RestartSec"), String(RESTART_DELAY_S));
  assert.equal(one("TimeoutStopSec"), "25");
  assert.equal(one("KillSignal"), "SIGTERM");
  assert.equal(one("WorkingDirectory"), "/home/ana/AI_Employee_Vault");
  assert.deepEqual(keys.get("Environment"), [
    '"AIEMP_VAULT=/home/ana/AI_Employee_Vault"',
    '"PATH=/home/ana/.local/bin:/usr/bin:/bin"',
  ]);
  assert.equal(one("WantedBy"), "default.target");
  assert.equal(keys.has("User"), false, "a user unit names no User=");
  assert.match(text, /^\[Unit\]$[\s\S]*^\[Service\]$[\s\S]*^\[Install\]$/m);
  assert.ok(text.startsWith("# Written by 'aiemp service install'"));
});

Deno.test("systemdUnit() of a system unit runs as its user and is wanted by multi-user.target", () => {
  const keys = unitKeys(systemdUnit(specOf({ systemUser: "ana" })));
  assert.deepEqual(keys.get("User"), ["ana"]);
  assert.deepEqual(keys.get("WorkingDirectory"), ["/home/ana/AI_Employee_Vault"]);
  assert.deepEqual(keys.get("WantedBy"), ["multi-user.target"]);
});

Deno.test("systemdUnit() quotes paths with spaces and escapes %, $, quotes and backslashes", () => {
  const text = systemdUnit(specOf({
    binary: "/opt/my apps/aiemp",
    vault: '/home/ana/My Vault 100% $HOME "x" \\y',
  }));
  const keys = unitKeys(text);
  assert.equal(
    keys.get("ExecStart")![0],
    '"/opt/my apps/aiemp" start --vault "/home/ana/My Vault 100%% $$HOME \\"x\\" \\\\y"',
  );
  assert.equal(keys.get("WorkingDirectory")![0], '/home/ana/My Vault 100%% $HOME "x" \\y');
  assert.equal(
    keys.get("Environment")![0],
    '"AIEMP_VAULT=/home/ana/My Vault 100%% $HOME \\"x\\" \\\\y"',
  );
  assert.equal(vaultOfUnit(text), '/home/ana/My Vault 100% $HOME "x" \\y');
});

Deno.test("vaultOfUnit() reads back every vault path systemdUnit() writes", () => {
  const path = fc.string({ minLength: 1 }).filter((s) =>
    // deno-lint-ignore no-control-regex
    !/[\u0000-\u001f\u007f]/.test(s) && !s.endsWith("\\")
  ).map((s) => `/v/${s}`);
  fc.assert(fc.property(path, (vault) => {
    assert.equal(vaultOfUnit(systemdUnit(specOf({ vault }))), vault);
  }));
});

Deno.test("systemdUnit() refuses a program path systemd would refuse (quotes, backslashes)", () => {
  for (const binary of ['/opt/a"b/aiemp', "/opt/it's/aiemp", "/opt/a\\b/aiemp"]) {
    assert.throws(() => systemdUnit(specOf({ binary })), ServiceError, binary);
  }
});

Deno.test({
  name: "systemd-analyze verify accepts the user and the system unit, paths with spaces and %",
  ignore: noSystemdAnalyze !== undefined,
  fn: () =>
    withTempDir(async (dir) => {
      const binary = await standIn(join(dir, "my bin 100%", "aiemp"));
      for (const systemUser of [undefined, "root"]) {
        const file = join(dir, "aiemp.service");
        const spec = specOf({ binary, vault: join(dir, "my vault $x"), systemUser });
        await Deno.writeTextFile(file, systemdUnit(spec));
        assert.equal(await verifyUnitProblem(file), undefined, systemdUnit(spec));
      }
    }),
});
if (noSystemdAnalyze) tellSkipped("systemd-analyze", noSystemdAnalyze);

// --- the plist ------------------------------------------------------------------------------

Deno.test("launchdPlist() has every key: run at load, restart on crash only, throttle, logs, exit timeout", () => {
  const plist = parsePlist(launchdPlist(specOf({ stopTimeoutS: 25 })));
  assert.deepEqual(plist, {
    Label: "com.aiemp.agent",
    ProgramArguments: [
      "/home/ana/.local/bin/aiemp",
      "start",
      "--vault",
      "/home/ana/AI_Employee_Vault",
    ],
    EnvironmentVariables: {
      AIEMP_VAULT: "/home/ana/AI_Employee_Vault",
      PATH: "/home/ana/.local/bin:/usr/bin:/bin",
    },
    WorkingDirectory: "/home/ana/AI_Employee_Vault",
    RunAtLoad: true,
    KeepAlive: { SuccessfulExit: false },
    ThrottleInterval: RESTART_DELAY_S,
    ExitTimeOut: 25,
    StandardOutPath: "/home/ana/AI_Employee_Vault/Logs/service.out.log",
    StandardErrorPath: "/home/ana/AI_Employee_Vault/Logs/service.err.log",
  });
});

Deno.test("launchdPlist() escapes XML in paths, and vaultOfPlist() reads them back", () => {
  const vault = `/Users/ana/Tom & Jerry's <"vault">`;
  const text = launchdPlist(specOf({ vault, binary: "/Users/ana/a&b/aiemp" }));
  assert.ok(text.includes("Tom &amp; Jerry&apos;s &lt;&quot;vault&quot;&gt;"));
  assert.equal(text.includes(`<"vault">`), false);
  const plist = parsePlist(text) as Record<string, unknown>;
  assert.deepEqual(plist.ProgramArguments, ["/Users/ana/a&b/aiemp", "start", "--vault", vault]);
  assert.equal(vaultOfPlist(text), vault);
  assert.equal(xmlEscape(`a&<>"'`), "a&amp;&lt;&gt;&quot;&apos;");
});

Deno.test("vaultOfPlist() reads back every vault path launchdPlist() writes", () => {
  // deno-lint-ignore no-control-regex
  const path = fc.string().filter((s) => !/[\u0000-\u001f\u007f]/.test(s)).map((s) => `/v/${s}`);
  fc.assert(fc.property(path, (vault) => {
    assert.equal(vaultOfPlist(launchdPlist(specOf({ vault }))), vault);
  }));
});

Deno.test({
  name: "xmllint finds the plist well-formed, special characters included",
  ignore: noXmllint !== undefined,
  fn: () =>
    withTempDir(async (dir) => {
      const file = join(dir, "com.aiemp.agent.plist");
      await Deno.writeTextFile(file, launchdPlist(specOf({ vault: `/Users/a/R&D <x> "y" 'z'` })));
      assert.equal(await xmllintProblem(file), undefined);
    }),
});
if (noXmllint) tellSkipped("xmllint", noXmllint);

// --- the spec -------------------------------------------------------------------------------

Deno.test("serviceSpec() takes the stop window from the vault's aiemp.yaml plus a margin", () =>
  withTempDir(async (dir) => {
    const vault = join(dir, "vault");
    const input = { binary: "bin/aiemp", vault, home: "/home/ana", os: "linux", cwd: dir };
    const missing = await serviceSpec(input);
    assert.equal(missing.stopTimeoutS, 5 + STOP_MARGIN_S, "the default window without a vault");
    assert.equal(missing.binary, join(dir, "bin/aiemp"), "made absolute");
    await Deno.mkdir(vault);
    await Deno.writeTextFile(join(vault, "aiemp.yaml"), "supervisor:\n  shutdown_timeout_s: 40\n");
    assert.equal((await serviceSpec(input)).stopTimeoutS, 40 + STOP_MARGIN_S);
    assert.equal(
      (await serviceSpec(input)).path,
      `${dir}/bin:/home/ana/.local/bin:/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin`,
    );
    await Deno.writeTextFile(
      join(vault, "aiemp.yaml"),
      "supervisor:\n  shutdown_timeout_s: soon\n",
    );
    await assert.rejects(serviceSpec(input), ConfigError);
    await assert.rejects(
      serviceSpec({ ...input, vault: `${vault}\nx` }),
      (error: Error) => error instanceof ServiceError && /control character/.test(error.message),
    );
  }));

// --- install and uninstall on Linux --------------------------------------------------------

Deno.test("installService() writes the user unit 0644, reloads, enables and starts it, advises linger", () =>
  withTempDir(async (home) => {
    const { host, calls, output } = recordingHost(home);
    const report = await installService(specOf(), {}, host);
    const file = join(home, ".config/systemd/user/aiemp.service");
    assert.deepEqual(report, { file, outcome: "created", manager: "reached" });
    assert.equal(await Deno.readTextFile(file), systemdUnit(specOf()));
    assert.equal(await modeOf(file), 0o644);
    assert.deepEqual(calls, [
      "systemctl --user daemon-reload",
      "systemctl --user enable --now aiemp.service",
      "loginctl show-user ana -p Linger",
    ]);
    assert.match(output(), /Linger is off for ana.*loginctl enable-linger ana/);
  }));

Deno.test("installService() gives no linger advice when linger is on", () =>
  withTempDir(async (home) => {
    const { host, output } = recordingHost(
      home,
      (line) => line.startsWith("loginctl") ? { stdout: "Linger=yes\n" } : undefined,
    );
    await installService(specOf(), {}, host);
    assert.doesNotMatch(output(), /linger/i);
  }));

Deno.test("installService() again with the same spec is idempotent: same file, no reload", () =>
  withTempDir(async (home) => {
    await installService(specOf(), {}, recordingHost(home).host);
    const dir = join(home, ".config/systemd/user");
    const again = recordingHost(home);
    const report = await installService(specOf(), {}, again.host);
    assert.equal(report.outcome, "unchanged");
    assert.match(again.output(), /already installed, up to date/);
    assert.deepEqual(again.calls, [
      "systemctl --user enable --now aiemp.service",
      "loginctl show-user ana -p Linger",
    ]);
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names, ["aiemp.service"], "no second file, no temporary file left");
  }));

Deno.test("installService() with a changed spec replaces the unit and restarts the service", () =>
  withTempDir(async (home) => {
    await installService(specOf(), {}, recordingHost(home).host);
    const { host, calls } = recordingHost(home);
    const report = await installService(specOf({ stopTimeoutS: 40 }), {}, host);
    assert.equal(report.outcome, "updated");
    assert.match(await Deno.readTextFile(report.file), /^TimeoutStopSec=40$/m);
    assert.deepEqual(calls.slice(0, 3), [
      "systemctl --user daemon-reload",
      "systemctl --user enable aiemp.service",
      "systemctl --user restart aiemp.service",
    ]);
  }));

Deno.test("installService() with restart (a new binary) restarts an unchanged unit", () =>
  withTempDir(async (home) => {
    await installService(specOf(), {}, recordingHost(home).host);
    const { host, calls } = recordingHost(home);
    await installService(specOf(), { restart: true }, host);
    assert.deepEqual(calls.slice(0, 2), [
      "systemctl --user enable aiemp.service",
      "systemctl --user restart aiemp.service",
    ]);
  }));

Deno.test("installService() with start false enables without starting and says how to start", () =>
  withTempDir(async (home) => {
    const { host, calls, output } = recordingHost(home);
    await installService(specOf(), { start: false }, host);
    assert.deepEqual(calls.slice(0, 2), [
      "systemctl --user daemon-reload",
      "systemctl --user enable aiemp.service",
    ]);
    assert.match(output(), /not started.*systemctl --user start aiemp\.service/);
  }));

Deno.test("installService() dry run prints the file, its content and each command, and changes nothing", () =>
  withTempDir(async (home) => {
    const { host, calls, printed } = recordingHost(home);
    const report = await installService(specOf(), { dryRun: true }, host);
    assert.equal(report.manager, "dry run");
    assert.deepEqual(calls, [], "no command run");
    assert.equal(await Deno.stat(join(home, ".config")).catch(() => undefined), undefined);
    const file = join(home, ".config/systemd/user/aiemp.service");
    assert.equal(printed[0], `Would write ${file} (mode 0644):`);
    for (const line of systemdUnit(specOf()).trimEnd().split("\n")) {
      assert.ok(printed.includes(`    ${line}`.trimEnd()), line);
    }
    assert.deepEqual(printed.filter((line) => /^Would (run|check)/.test(line)), [
      "Would run: systemctl --user daemon-reload",
      "Would run: systemctl --user enable --now aiemp.service",
      "Would check: loginctl show-user ana -p Linger",
    ]);
  }));

Deno.test("installService() without a user session writes the unit and prints how to start it", () =>
  withTempDir(async (home) => {
    const { host, calls, output } = recordingHost(
      home,
      (line) =>
        line.startsWith("systemctl")
          ? { code: 1, stderr: "Failed to connect to bus: No medium found\n" }
          : undefined,
    );
    const report = await installService(specOf(), {}, host);
    assert.equal(report.manager, "unreachable");
    assert.ok(await Deno.stat(report.file));
    assert.deepEqual(calls, ["systemctl --user daemon-reload"]);
    assert.match(output(), /could not be reached: Failed to connect to bus: No medium found/);
    assert.match(output(), /^ {2}systemctl --user daemon-reload$/m);
    assert.match(output(), /^ {2}systemctl --user enable --now aiemp\.service$/m);
  }));

Deno.test("installService() without systemctl at all writes the unit and prints how to start it", () =>
  withTempDir(async (home) => {
    const { host, output } = recordingHost(
      home,
      (line) =>
        line.startsWith("systemctl") ? { code: 127, stderr: "systemctl: command not found" } : {},
    );
    const report = await installService(specOf(), {}, host);
    assert.equal(report.manager, "unreachable");
    assert.match(output(), /systemctl: command not found/);
  }));

Deno.test("installService() fails, naming the command and the fix, when systemd refuses the first step (start limit hit)", () =>
  withTempDir(async (home) => {
    // Regression: a refused first step was taken for "could not be reached" and install said success.
    await installService(specOf(), {}, recordingHost(home).host);
    const { host, calls } = recordingHost(
      home,
      (line) =>
        line.includes("enable")
          ? {
            code: 1,
            stderr:
              'Job for aiemp.service failed because start of the service was attempted too often.\nSee "systemctl --user status aiemp.service" for details.\n',
          }
          : undefined,
    );
    await assert.rejects(
      installService(specOf(), {}, host),
      (error: Error) =>
        error instanceof ServiceError &&
        error.message.includes("'systemctl --user enable --now aiemp.service' failed") &&
        error.message.includes("attempted too often") &&
        error.message.includes("systemctl --user reset-failed aiemp.service") &&
        !error.message.includes("\n"),
    );
    assert.deepEqual(calls, ["systemctl --user enable --now aiemp.service"], "the first step");
  }));

Deno.test("installService() on macOS fails when launchd refuses the bootstrap after the bootout of an upgrade", () =>
  withTempDir(async (home) => {
    // Regression: "Bootstrap failed: 5" left the agent unloaded while install said success.
    await installService(specOf(), {}, recordingHost(home, undefined, { os: "darwin" }).host);
    const { host, calls } = recordingHost(
      home,
      (line) =>
        line.includes("bootstrap")
          ? { code: 5, stderr: "Bootstrap failed: 5: Input/output error\n" }
          : undefined,
      { os: "darwin" },
    );
    await assert.rejects(
      installService(specOf({ stopTimeoutS: 30 }), {}, host),
      (error: Error) =>
        error instanceof ServiceError &&
        /'launchctl bootstrap gui\/501 \S+com\.aiemp\.agent\.plist' failed: Bootstrap failed: 5/
          .test(
            error.message,
          ) &&
        error.message.includes("launchctl bootout gui/501/com.aiemp.agent"),
    );
    assert.deepEqual(calls.map((c) => c.split(" ").slice(0, 2).join(" ")), [
      "launchctl bootout",
      "launchctl bootstrap",
    ]);
  }));

Deno.test("installService() takes only a missing program or a missing session for an unreachable manager", async () => {
  for (
    const [os, said] of [
      [
        "linux",
        "Failed to connect to bus: $DBUS_SESSION_BUS_ADDRESS and $XDG_RUNTIME_DIR not defined",
      ],
      [
        "linux",
        "Failed to connect to user scope bus via local transport: No such file or directory",
      ],
      ["linux", "System has not been booted with systemd as init system (PID 1). Can't operate."],
      ["darwin", "Bootstrap failed: 125: Domain does not support specified action"],
    ]
  ) {
    await withTempDir(async (home) => {
      const { host } = recordingHost(home, () => ({ code: 1, stderr: `${said}\n` }), { os });
      assert.equal((await installService(specOf(), {}, host)).manager, "unreachable", said);
    });
  }
  assert.equal(saysNoSession("Failed to connect to bus: No medium found"), true);
  assert.equal(saysNoSession("Failed to enable unit: Unit file aiemp.service is masked."), false);
  assert.equal(saysNoSession("Bootstrap failed: 5: Input/output error"), false);
});

Deno.test("installService() fails with one line when systemd refuses the unit after a reload", () =>
  withTempDir(async (home) => {
    const { host } = recordingHost(
      home,
      (line) =>
        line.includes("enable")
          ? { code: 1, stderr: "Failed to enable unit: Unit file aiemp.service is masked.\n" }
          : undefined,
    );
    await assert.rejects(
      installService(specOf(), {}, host),
      (error: Error) =>
        error instanceof ServiceError &&
        error.message.includes("'systemctl --user enable --now aiemp.service' failed") &&
        error.message.includes("is masked") && !error.message.includes("\n"),
    );
  }));

Deno.test("installService() and uninstallService() leave a unit aiemp did not write alone", () =>
  withTempDir(async (home) => {
    const file = join(home, ".config/systemd/user/aiemp.service");
    await Deno.mkdir(join(file, ".."), { recursive: true });
    await Deno.writeTextFile(file, "[Service]\nExecStart=/bin/true\n");
    const { host, calls } = recordingHost(home);
    await assert.rejects(installService(specOf(), {}, host), /not written by 'aiemp service/);
    await assert.rejects(uninstallService({}, host), /not written by 'aiemp service/);
    assert.equal(await Deno.readTextFile(file), "[Service]\nExecStart=/bin/true\n");
    assert.deepEqual(calls, []);
  }));

Deno.test("uninstallService() stops, removes what install wrote, reloads, and keeps the vault", () =>
  withTempDir(async (home) => {
    await Deno.mkdir(join(home, ".config"));
    const vault = join(home, "AI_Employee_Vault");
    await initVault(vault);
    const spec = specOf({ vault });
    await installService(spec, {}, recordingHost(home).host);
    const { host, calls, output } = recordingHost(home);
    const report = await uninstallService({}, host);
    assert.equal(report.removed, true);
    assert.equal(report.vault, vault);
    assert.deepEqual(calls, [
      "systemctl --user disable --now aiemp.service",
      "systemctl --user daemon-reload",
    ]);
    const left = [];
    for await (const entry of Deno.readDir(home)) left.push(entry.name);
    assert.deepEqual(left.sort(), [".config", "AI_Employee_Vault"]);
    assert.equal((await Array.fromAsync(Deno.readDir(join(home, ".config")))).length, 0);
    assert.ok(await Deno.stat(join(vault, "Dashboard.md")), "the vault stays");
    assert.match(output(), new RegExp(`The vault ${vault} stays as it is`));

    const again = recordingHost(home);
    assert.equal((await uninstallService({}, again.host)).removed, false);
    assert.match(again.output(), /not installed.*Nothing to remove/);
    assert.deepEqual(again.calls, []);
  }));

Deno.test("uninstallService() without a user session still removes the unit and the enable link", () =>
  withTempDir(async (home) => {
    await installService(specOf(), {}, recordingHost(home).host);
    const dir = join(home, ".config/systemd/user");
    await Deno.mkdir(join(dir, "default.target.wants"));
    await Deno.symlink(join(dir, "aiemp.service"), join(dir, "default.target.wants/aiemp.service"));
    const { host, calls, output } = recordingHost(
      home,
      () => ({ code: 1, stderr: "Failed to connect to bus: No medium found" }),
    );
    assert.equal((await uninstallService({}, host)).removed, true);
    assert.deepEqual(calls, ["systemctl --user disable --now aiemp.service"]);
    assert.equal(
      await Deno.lstat(join(dir, "default.target.wants/aiemp.service")).catch(() => 0),
      0,
    );
    assert.match(output(), /could not be reached.*\n.*removed anyway/);
  }));

Deno.test("uninstallService() dry run prints each step and removes nothing", () =>
  withTempDir(async (home) => {
    const { file } = await installService(specOf(), {}, recordingHost(home).host);
    const { host, calls, printed } = recordingHost(home);
    await uninstallService({ dryRun: true }, host);
    assert.deepEqual(calls, []);
    assert.ok(await Deno.stat(file));
    assert.deepEqual(printed.slice(0, 2), [
      "Would run: systemctl --user disable --now aiemp.service",
      `Would remove ${file}`,
    ]);
  }));

Deno.test("a system unit goes in the unit folder, runs as its user, and needs no --user or linger", () =>
  withTempDir(async (dir) => {
    const { host, calls } = recordingHost(join(dir, "home"), undefined, { unitDir: dir });
    const report = await installService(specOf({ systemUser: "ana" }), {}, host);
    assert.equal(report.file, join(dir, "aiemp.service"));
    assert.match(await Deno.readTextFile(report.file), /^User=ana$/m);
    assert.deepEqual(calls, ["systemctl daemon-reload", "systemctl enable --now aiemp.service"]);
    const removal = recordingHost(join(dir, "home"), undefined, { unitDir: dir });
    await uninstallService({ system: true }, removal.host);
    assert.deepEqual(removal.calls, [
      "systemctl disable --now aiemp.service",
      "systemctl daemon-reload",
    ]);
    assert.ok(await Deno.stat(dir), "the unit folder given stays");
  }));

Deno.test("a system unit without root says to use sudo", () =>
  withTempDir(async (dir) => {
    await Deno.chmod(dir, 0o500);
    try {
      const probe = await Deno.writeTextFile(join(dir, "probe"), "").then(() => true, () => false);
      if (probe) return; // Root may write anyway: nothing to see here.
      const { host } = recordingHost(dir, undefined, { unitDir: dir });
      await assert.rejects(installService(specOf({ systemUser: "ana" }), {}, host), /sudo/);
    } finally {
      await Deno.chmod(dir, 0o700);
    }
  }));

// --- install and uninstall on macOS --------------------------------------------------------

Deno.test("installService() on macOS writes the agent's plist 0644 and bootstraps it", () =>
  withTempDir(async (home) => {
    const vault = join(home, "AI_Employee_Vault");
    const { host, calls } = recordingHost(home, undefined, { os: "darwin" });
    const report = await installService(specOf({ vault }), {}, host);
    const file = join(home, "Library/LaunchAgents/com.aiemp.agent.plist");
    assert.equal(report.file, file);
    assert.equal(await modeOf(file), 0o644);
    assert.equal(await Deno.readTextFile(file), launchdPlist(specOf({ vault })));
    assert.ok((await Deno.stat(join(vault, "Logs"))).isDirectory, "Logs/ for launchd's files");
    assert.deepEqual(calls, [`launchctl bootstrap gui/501 ${file}`]);
  }));

Deno.test("installService() on macOS: unchanged and loaded does nothing; changed boots out first", () =>
  withTempDir(async (home) => {
    await installService(specOf(), {}, recordingHost(home, undefined, { os: "darwin" }).host);
    const same = recordingHost(home, undefined, { os: "darwin" });
    assert.equal((await installService(specOf(), {}, same.host)).outcome, "unchanged");
    assert.deepEqual(same.calls, ["launchctl print gui/501/com.aiemp.agent"]);
    assert.match(same.output(), /already installed, up to date[\s\S]*loaded already/);

    const changed = recordingHost(
      home,
      (line) => line.includes("bootout") ? { code: 3, stderr: "No such process" } : undefined,
      { os: "darwin" },
    );
    await installService(specOf({ stopTimeoutS: 30 }), {}, changed.host);
    assert.deepEqual(changed.calls.map((c) => c.split(" ").slice(0, 2).join(" ")), [
      "launchctl bootout",
      "launchctl bootstrap",
    ]);
  }));

Deno.test("uninstallService() on macOS boots the agent out and removes the plist", () =>
  withTempDir(async (home) => {
    const agents = join(home, "Library/LaunchAgents");
    await Deno.mkdir(agents, { recursive: true });
    await installService(specOf(), {}, recordingHost(home, undefined, { os: "darwin" }).host);
    const { host, calls } = recordingHost(home, undefined, { os: "darwin" });
    assert.equal((await uninstallService({}, host)).removed, true);
    assert.deepEqual(calls, ["launchctl bootout gui/501/com.aiemp.agent"]);
    assert.deepEqual(await Array.fromAsync(Deno.readDir(agents)), []);
  }));

Deno.test("the service commands say what to do on systems without systemd or launchd", () =>
  withTempDir(async (home) => {
    const windows = recordingHost(home, undefined, { os: "windows" });
    await assert.rejects(installService(specOf(), {}, windows.host), /Task Scheduler/);
    const mac = recordingHost(home, undefined, { os: "darwin" });
    await assert.rejects(
      installService(specOf({ systemUser: "ana" }), {}, mac.host),
      /--system is for Linux/,
    );
  }));

// --- status and logs ------------------------------------------------------------------------

const SHOW = [
  "LoadState=loaded",
  "ActiveState=active",
  "SubState=running",
  "Result=success",
  "MainPID=812",
  "NRestarts=2",
  "UnitFileState=enabled",
  "",
].join("\n");

Deno.test("serviceStatus() reads systemctl show next to the installed unit's vault", () =>
  withTempDir(async (home) => {
    await installService(specOf(), {}, recordingHost(home).host);
    const { host, calls } = recordingHost(
      home,
      (line) => line.includes(" show ") ? { stdout: SHOW } : undefined,
    );
    const view = await serviceStatus({}, host);
    assert.deepEqual(calls, [
      "systemctl --user show aiemp.service -p LoadState,ActiveState,SubState,Result,MainPID,NRestarts,UnitFileState",
    ]);
    assert.equal(view.installed, true);
    assert.equal(view.vault, "/home/ana/AI_Employee_Vault");
    assert.equal(view.properties.MainPID, "812");
    assert.deepEqual(serviceStatusLines(view), [
      "Service (systemd user unit): active (running), PID 812, enabled, restarted 2 times",
      `  file: ${view.file}; vault: /home/ana/AI_Employee_Vault`,
    ]);
  }));

Deno.test("findService() finds the installed unit with the vault and the PATH it runs with", () =>
  withTempDir(async (home) => {
    const none = await findService({}, { home, os: "linux" });
    assert.equal(none.installed, false);
    assert.equal(none.location.file, join(home, ".config/systemd/user/aiemp.service"));
    const path = "/opt/100% tools:/usr/bin";
    await installService(specOf({ path }), {}, recordingHost(home).host);
    const found = await findService({}, { home, os: "linux" });
    assert.deepEqual(
      { installed: found.installed, scope: found.location.scope, vault: found.vault },
      { installed: true, scope: "user", vault: "/home/ana/AI_Employee_Vault" },
    );
    assert.equal(found.path, path);
    await installService(
      specOf({ path }),
      {},
      recordingHost(home, undefined, { os: "darwin" }).host,
    );
    assert.equal((await findService({}, { home, os: "darwin" })).path, path);
  }));

Deno.test("serviceStatusLines() explains a failed unit, an unreachable systemd and no unit", () => {
  const base = {
    manager: "systemd" as const,
    scope: "user" as const,
    file: "/h/.config/systemd/user/aiemp.service",
    installed: true,
    reachable: true,
  };
  const failed = serviceStatusLines({
    ...base,
    properties: { ActiveState: "failed", SubState: "failed", Result: "start-limit-hit" },
  });
  assert.match(failed.join("\n"), /failed \(start-limit-hit\).*reset-failed aiemp\.service/);
  const away = serviceStatusLines({
    ...base,
    reachable: false,
    problem: "Failed to connect to bus",
    properties: {},
  });
  assert.match(away[0], /installed, but systemd cannot be reached: Failed to connect to bus/);
  const none = serviceStatusLines({ ...base, installed: false, properties: {} });
  assert.match(none[0], /not installed .*aiemp service install/);
});

Deno.test("serviceStatus() on macOS reads launchctl print", () =>
  withTempDir(async (home) => {
    await installService(specOf(), {}, recordingHost(home, undefined, { os: "darwin" }).host);
    const printed = [
      "gui/501/com.aiemp.agent = {",
      "\tactive count = 1",
      "\tstate = running",
      "\truns = 3",
      "\tpid = 4242",
      "\tlast exit code = 1",
      "\tenvironment = {",
      "\t\tstate = nested",
      "\t}",
      "}",
    ].join("\n");
    const { host } = recordingHost(
      home,
      (line) => line.startsWith("launchctl print") ? { stdout: printed } : undefined,
      { os: "darwin" },
    );
    const view = await serviceStatus({}, host);
    assert.deepEqual(view.properties, {
      loaded: "yes",
      state: "running",
      pid: "4242",
      runs: "3",
      "last exit code": "1",
    });
    assert.match(
      serviceStatusLines(view)[0],
      /running, PID 4242, started 3 times, last exit code 1/,
    );
    const unloaded = recordingHost(home, () => ({ code: 113 }), { os: "darwin" });
    assert.equal((await serviceStatus({}, unloaded.host)).properties.loaded, "no");
  }));

Deno.test("serviceLogs() shows the journal, and says where aiemp's logs are when it has none", () =>
  withTempDir(async (home) => {
    await installService(specOf(), {}, recordingHost(home).host);
    const journal = recordingHost(
      home,
      (line) => line.startsWith("journalctl") ? { stdout: "line one\nline two\n" } : undefined,
    );
    assert.equal(await serviceLogs({ lines: 20, vault: "/other" }, journal.host), 0);
    assert.deepEqual(journal.calls, ["journalctl --user -u aiemp.service -n 20 --no-pager"]);
    assert.deepEqual(journal.printed, ["line one", "line two"]);

    const empty = recordingHost(home, () => ({ stdout: "-- No entries --\n" }));
    await serviceLogs({ vault: "/other" }, empty.host);
    assert.match(
      empty.output(),
      /no lines for aiemp\.service.*\/home\/ana\/AI_Employee_Vault\/Logs\/: system\.log/,
    );

    const streamed: string[] = [];
    const follow = recordingHost(home, undefined, {
      stream: (program, args) => {
        streamed.push(shellLine(program, args));
        return Promise.resolve(0);
      },
    });
    await serviceLogs({ follow: true, vault: "/other" }, follow.host);
    assert.deepEqual(streamed, ["journalctl --user -u aiemp.service -n 50 --no-pager -f"]);
  }));

Deno.test("serviceLogs() on macOS shows the last lines of launchd's files in Logs/", () =>
  withTempDir(async (home) => {
    const vault = join(home, "vault");
    await Deno.mkdir(join(vault, "Logs"), { recursive: true });
    const { host, printed, calls } = recordingHost(home, undefined, { os: "darwin" });
    await serviceLogs({ vault }, host);
    assert.match(printed.join("\n"), /launchd has written no logs yet.*system\.log/);
    await Deno.writeTextFile(join(vault, "Logs/service.err.log"), "a\nb\nc\n");
    printed.length = 0;
    await serviceLogs({ vault, lines: 2 }, host);
    assert.deepEqual(printed, [`==> ${join(vault, "Logs/service.err.log")} <==`, "b", "c"]);
    assert.deepEqual(calls, []);
  }));

// --- the command line -----------------------------------------------------------------------

/** Runs `aiemp ARGS` with only the service commands, on a recording host. */
async function cli(
  args: string[],
  home: string,
  deps: ServiceCommandDeps = {},
  answer: (line: string) => Partial<CommandResult> | undefined = () => undefined,
) {
  const lines: string[] = [];
  const errors: string[] = [];
  const out: CliOutput = { out: (l) => lines.push(l), err: (l) => errors.push(l) };
  const recording = recordingHost(
    home,
    (line) => answer(line) ?? (line.includes(" show ") ? { stdout: SHOW } : undefined),
  );
  let code = 0;
  const program = new Command("aiemp").exitOverride().option("--vault <dir>");
  const env = { HOME: home, USER: "ana" };
  registerServiceCommands(program, {
    out,
    env,
    vault: () => vaultLayout(resolveVaultPath(program.opts().vault, env)),
    setExit: (c) => code = c,
  }, { ...deps, host: { ...recording.host, print: out.out, ...deps.host } });
  await program.parseAsync(args, { from: "user" });
  return { code, lines, errors, calls: recording.calls };
}

Deno.test("aiemp service install from source needs --binary, and says so", () =>
  withTempDir(async (home) => {
    const run = await cli(["service", "install"], home, { standalone: false });
    assert.equal(run.code, 1);
    assert.equal(run.errors.length, 1);
    assert.match(run.errors[0], /^aiemp: Cannot install the service from source.*--binary PATH/);
  }));

Deno.test("aiemp service install from the binary uses its own path and needs the vault", () =>
  withTempDir(async (home) => {
    const binary = await standIn(join(home, "bin/aiemp"));
    const deps = { standalone: true, execPath: () => binary };
    const missing = await cli(["service", "install"], home, deps);
    assert.equal(missing.code, 1);
    assert.match(
      missing.errors[0],
      /no vault at .*AI_Employee_Vault; create it with 'aiemp vault init/,
    );

    await initVault(join(home, "AI_Employee_Vault"));
    const run = await cli(["service", "install", "--no-start"], home, deps);
    assert.equal(run.code, 0, run.errors.join("\n"));
    const unit = await Deno.readTextFile(join(home, ".config/systemd/user/aiemp.service"));
    assert.match(
      unit,
      new RegExp(`^ExecStart=${binary} start --vault ${home}/AI_Employee_Vault$`, "m"),
    );
    assert.deepEqual(run.calls.slice(0, 2), [
      "systemctl --user daemon-reload",
      "systemctl --user enable aiemp.service",
    ]);
  }));

Deno.test("aiemp service install refuses --user without --system and root by default", () =>
  withTempDir(async (home) => {
    const deps = { standalone: true, execPath: () => "/bin/sh" };
    const user = await cli(["service", "install", "--user", "bob"], home, deps);
    assert.match(user.errors[0], /--user without --system/);
    const root = await cli(["service", "install", "--system", "--dry-run"], home, {
      ...deps,
      host: { user: "root" },
    });
    assert.match(root.errors[0], /for root by default: give --user NAME/);
  }));

Deno.test("aiemp service install exits 1 with the command and its output when systemd refuses to start it", () =>
  withTempDir(async (home) => {
    await initVault(join(home, "AI_Employee_Vault"));
    const binary = await standIn(join(home, "bin/aiemp"));
    const deps = { standalone: true, execPath: () => binary };
    assert.equal((await cli(["service", "install", "--no-start"], home, deps)).code, 0);
    // The unit is unchanged now: 'enable --now' is the first step, and it is refused.
    const run = await cli(
      ["service", "install"],
      home,
      deps,
      (line) =>
        line.includes("enable")
          ? { code: 1, stderr: "Job for aiemp.service failed because the control process exited." }
          : undefined,
    );
    assert.equal(run.code, 1);
    assert.match(
      run.errors[0],
      /^aiemp: Cannot install the service: 'systemctl --user enable --now aiemp\.service' failed: Job for/,
    );
  }));

Deno.test("aiemp service install --system --user NAME without --vault runs on NAME's vault, not root's, and says so", () =>
  withTempDir(async (dir) => {
    // Regression: under sudo HOME is /root, and the vault was taken from it.
    const root = join(dir, "root");
    const bob = join(dir, "home/bob");
    const units = join(dir, "units");
    await initVault(join(bob, "AI_Employee_Vault"));
    const binary = await standIn(join(dir, "bin/aiemp"));
    const deps = { standalone: true, execPath: () => binary, host: { user: "root" } };
    const getent = (line: string) =>
      line === "getent passwd bob" ? { stdout: `bob:x:1001:1001:Bob:${bob}:/bin/sh\n` } : undefined;
    const run = await cli(
      ["service", "install", "--system", "--user", "bob", "--unit-dir", units],
      root,
      deps,
      getent,
    );
    assert.equal(run.code, 0, run.errors.join("\n"));
    const vault = join(bob, "AI_Employee_Vault");
    const unit = await Deno.readTextFile(join(units, "aiemp.service"));
    assert.match(unit, new RegExp(`^ExecStart=${binary} start --vault ${vault}$`, "m"));
    assert.match(unit, /^User=bob$/m);
    assert.ok(
      run.lines.includes(
        `No --vault given: the system unit runs as bob, so it runs on bob's vault ${vault} (give --vault DIR for another).`,
      ),
      run.lines.join("\n"),
    );

    const given = await cli(
      [
        "--vault",
        join(dir, "other"),
        "service",
        "install",
        "--system",
        "--user",
        "bob",
        "--dry-run",
      ],
      root,
      { ...deps, passwdFile: join(dir, "passwd") },
      getent,
    );
    assert.equal(given.code, 0, given.errors.join("\n"));
    assert.ok(given.lines.some((l) => l.endsWith(`AIEMP_VAULT=${join(dir, "other")}"`)));
    assert.ok(given.lines.some((l) => l.includes("sudo -u bob aiemp vault init --path")));
  }));

Deno.test("aiemp service install --system reads the account's home from the passwd file without getent", () =>
  withTempDir(async (dir) => {
    const passwdFile = join(dir, "passwd");
    await Deno.writeTextFile(
      passwdFile,
      "root:x:0:0:root:/root:/bin/sh\nbob:x:1001:1001::/srv/bob:/bin/sh\n",
    );
    const deps = {
      standalone: true,
      execPath: () => "/usr/local/bin/aiemp",
      host: { user: "root" },
      passwdFile,
    };
    const noGetent = (line: string) =>
      line.startsWith("getent") ? { code: 127, stderr: "getent: command not found" } : undefined;
    const args = [
      "service",
      "install",
      "--system",
      "--user",
      "bob",
      "--dry-run",
      "--unit-dir",
      dir,
    ];
    const run = await cli(args, join(dir, "root"), deps, noGetent);
    assert.equal(run.code, 0, run.errors.join("\n"));
    assert.ok(run.lines.some((l) => l.endsWith('AIEMP_VAULT=/srv/bob/AI_Employee_Vault"')));
    assert.ok(run.lines.some((l) => l.includes("PATH=/usr/local/bin:/srv/bob/.local/bin:")));

    const nobody = await cli(
      ["service", "install", "--system", "--user", "carol", "--dry-run", "--unit-dir", dir],
      join(dir, "root"),
      deps,
      noGetent,
    );
    assert.equal(nobody.code, 1);
    assert.match(
      nobody.errors[0],
      /for 'carol': there is no such account here \(not in .*passwd\)/,
    );
  }));

Deno.test("aiemp service status shows systemd's view next to aiemp's own, as text and JSON", () =>
  withTempDir(async (home) => {
    const vault = join(home, "AI_Employee_Vault");
    await initVault(vault);
    await installService(specOf({ vault }), {}, recordingHost(home).host);
    const text = await cli(["service", "status"], home);
    assert.equal(text.code, 0, text.errors.join("\n"));
    assert.match(text.lines[0], /^Service \(systemd user unit\): active \(running\), PID 812/);
    assert.ok(text.lines.includes(`aiemp: not running on ${vault}`), text.lines.join("\n"));

    const json = await cli(["service", "status", "--json"], home);
    const parsed = JSON.parse(json.lines.join("\n"));
    assert.equal(parsed.service.properties.ActiveState, "active");
    assert.equal(parsed.aiemp.vault, vault);
    assert.equal(parsed.aiemp.running, false);
  }));

Deno.test("aiemp service logs checks -n", () =>
  withTempDir(async (home) => {
    const run = await cli(["service", "logs", "-n", "zero"], home);
    assert.equal(run.code, 1);
    assert.match(run.errors[0], /-n expects a whole number/);
  }));
