/**
 * scripts/install.sh in a temporary HOME: `--from` a stand-in binary (a small script that runs
 * this source with the flags of `deno task aiemp`, since the compiled runtime cannot be
 * downloaded here), with fake `systemctl`, `loginctl` and `launchctl` first on PATH that record
 * their calls and answer like a user session.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  missingTool,
  parsePlist,
  tellSkipped,
  verifyUnitProblem,
  xmllintProblem,
} from "../fixtures/service/checks.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SCRIPT = join(ROOT, "scripts/install.sh");
const VAULT_NAME = "AI_Employee_Vault";

/** Deno's cache, so the stand-in run under another HOME finds the packages already fetched. */
const DENO_DIR = JSON.parse(
  new TextDecoder().decode(
    (await new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stdout: "piped" })
      .output()).stdout,
  ),
).denoDir as string;

const noShellcheck = await missingTool("shellcheck", ["--version"]);
const noSystemdAnalyze = await missingTool("systemd-analyze", ["--version"]);
const noXmllint = await missingTool("xmllint", ["--version"]);
const noCurl = await missingTool("curl", ["--version"]);
for (
  const [tool, why] of [
    ["shellcheck", noShellcheck],
    ["systemd-analyze", noSystemdAnalyze],
    ["xmllint", noXmllint],
    ["curl (download)", noCurl],
  ]
) if (why) tellSkipped(tool!, why);

/** Single-quotes a word for sh. */
function sq(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

const SYSTEMCTL = `#!/bin/sh
printf 'systemctl %s\\n' "$*" >> "$FAKE_CALLS"
if [ "\${FAKE_SYSTEMD:-}" = unreachable ]; then
  echo "Failed to connect to bus: No medium found" >&2
  exit 1
fi
if [ "\${FAKE_SYSTEMD:-}" = refuse ]; then
  case "$*" in *enable*)
    echo "Job for aiemp.service failed because start of the service was attempted too often." >&2
    exit 1 ;;
  esac
fi
case "$*" in
*" show "*) printf 'LoadState=loaded\\nActiveState=active\\nSubState=running\\nMainPID=4321\\nNRestarts=0\\nUnitFileState=enabled\\n' ;;
esac
exit 0
`;
const LOGINCTL = `#!/bin/sh
printf 'loginctl %s\\n' "$*" >> "$FAKE_CALLS"
echo "Linger=no"
`;
const LAUNCHCTL = `#!/bin/sh
printf 'launchctl %s\\n' "$*" >> "$FAKE_CALLS"
case "$1" in print) echo "Could not find service" >&2; exit 113 ;; esac
if [ "$1" = bootstrap ] && [ "\${FAKE_LAUNCHD:-}" = refuse ]; then
  echo "Bootstrap failed: 5: Input/output error" >&2
  exit 5
fi
exit 0
`;

/** A temporary HOME with the fakes and the stand-in binary; `run` runs install.sh in it. */
interface Sandbox {
  root: string;
  home: string;
  standIn: string;
  vault: string;
  run(
    args: string[],
    env?: Record<string, string>,
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Runs `shell` (e.g. `["dash"]`) on install.sh, or with `script` as its input (`curl | sh`). */
  runWith(
    shell: string[],
    args: string[],
    options?: { env?: Record<string, string>; script?: string },
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Runs the installed `aiemp`. */
  aiemp(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** The fakes' calls so far, one line each; `clear` forgets them. */
  calls(): Promise<string[]>;
  clear(): Promise<void>;
  /** Every path under HOME but the vault's, with its kind and mode. */
  tree(): Promise<string[]>;
}

async function withSandbox(body: (box: Sandbox) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "aiemp-install-" });
  const home = join(root, "home");
  for (const dir of [".config", ".local/share", ".local/state", ".cache"]) {
    await Deno.mkdir(join(home, dir), { recursive: true });
  }
  const fakes = join(root, "fakebin");
  await Deno.mkdir(fakes);
  for (
    const [name, text] of [["systemctl", SYSTEMCTL], ["loginctl", LOGINCTL], [
      "launchctl",
      LAUNCHCTL,
    ]]
  ) {
    await Deno.writeTextFile(join(fakes, name), text, { mode: 0o755 });
    await Deno.chmod(join(fakes, name), 0o755);
  }
  const standIn = join(root, "stand-in");
  await Deno.writeTextFile(
    standIn,
    [
      "#!/bin/sh",
      `DENO_DIR=${sq(DENO_DIR)}`,
      "export DENO_DIR",
      `exec ${sq(Deno.execPath())} run -P=aiemp --config ${sq(join(ROOT, "deno.json"))} --quiet ${
        sq(join(ROOT, "main.ts"))
      } "$@"`,
      "",
    ].join("\n"),
  );
  await Deno.chmod(standIn, 0o755);
  const callsFile = join(root, "calls.log");
  await Deno.writeTextFile(callsFile, "");
  const env = {
    HOME: home,
    // This machine is taken for a Linux x86_64 one unless a test says otherwise.
    AIEMP_INSTALL_OS: "linux",
    AIEMP_INSTALL_ARCH: "x86_64",
    USER: "ana",
    LOGNAME: "ana",
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_DATA_HOME: join(home, ".local/share"),
    XDG_STATE_HOME: join(home, ".local/state"),
    XDG_CACHE_HOME: join(home, ".cache"),
    PATH: `${fakes}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
    TMPDIR: root,
    NO_COLOR: "1",
    DENO_NO_UPDATE_CHECK: "1",
    FAKE_CALLS: callsFile,
  };
  const exec = async (
    program: string,
    args: string[],
    extra: Record<string, string> = {},
    input?: string,
  ) => {
    const child = new Deno.Command(program, {
      args,
      cwd: root,
      env: { ...env, ...extra },
      clearEnv: true,
      stdin: input === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    if (input !== undefined) {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(input)).catch(() => {}); // It may stop early.
      await writer.close().catch(() => {});
    }
    const out = await child.output();
    const text = new TextDecoder();
    return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
  };
  const box: Sandbox = {
    root,
    home,
    standIn,
    vault: join(home, VAULT_NAME),
    run: (args, extra) => exec("sh", [SCRIPT, ...args], extra),
    runWith: ([shell, ...shellArgs], args, options = {}) =>
      options.script === undefined
        ? exec(shell, [...shellArgs, SCRIPT, ...args], options.env)
        : exec(shell, [...shellArgs, "-s", "--", ...args], options.env, options.script),
    aiemp: (args) => exec(join(home, ".local/bin/aiemp"), args),
    calls: async () => (await Deno.readTextFile(callsFile)).split("\n").filter(Boolean),
    clear: () => Deno.writeTextFile(callsFile, ""),
    tree: () => treeOf(home),
  };
  try {
    await body(box);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

async function treeOf(home: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, at: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = at ? `${at}/${entry.name}` : entry.name;
      if (path === VAULT_NAME) continue;
      const info = await Deno.lstat(join(dir, entry.name));
      const kind = info.isDirectory ? "dir" : info.isSymlink ? "link" : "file";
      found.push(`${path} ${kind} ${(info.mode! & 0o777).toString(8)}`);
      if (info.isDirectory) await walk(join(dir, entry.name), path);
    }
  };
  await walk(home, "");
  return found.sort();
}

async function modeOf(path: string): Promise<number> {
  return (await Deno.stat(path)).mode! & 0o777;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

function says(run: { code: number; stdout: string; stderr: string }): string {
  return `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}

Deno.test("install.sh installs the binary, the vault and a user unit; again is idempotent; --uninstall leaves only the vault", () =>
  withSandbox(async (box) => {
    const before = await box.tree();
    const run = await box.run(["--from", box.standIn]);
    assert.equal(run.code, 0, says(run));
    const binary = join(box.home, ".local/bin/aiemp");
    const unit = join(box.home, ".config/systemd/user/aiemp.service");
    assert.equal(await modeOf(binary), 0o755);
    assert.equal(await Deno.readTextFile(binary), await Deno.readTextFile(box.standIn));
    assert.ok(await exists(join(box.vault, "Inbox")), "the vault is created");
    assert.ok(await exists(join(box.vault, "aiemp.yaml")));
    assert.equal(await modeOf(unit), 0o644);
    const text = await Deno.readTextFile(unit);
    assert.match(text, new RegExp(`^ExecStart=${binary} start --vault ${box.vault}$`, "m"));
    assert.match(text, /^TimeoutStopSec=15$/m, "the default 5 s window and the margin");
    assert.deepEqual(await box.calls(), [
      "systemctl --user daemon-reload",
      "systemctl --user enable --now aiemp.service",
      "loginctl show-user ana -p Linger",
    ]);
    assert.match(run.stdout, /No checksum was checked/);
    assert.match(run.stdout, /loginctl enable-linger ana/);
    if (!noSystemdAnalyze) assert.equal(await verifyUnitProblem(unit), undefined);

    const status = await box.aiemp(["service", "status"]);
    assert.equal(status.code, 0, says(status));
    assert.match(status.stdout, /^Service \(systemd user unit\): active \(running\), PID 4321/m);
    assert.match(status.stdout, new RegExp(`^aiemp: not running on ${box.vault}$`, "m"));

    await box.clear();
    const installed = await box.tree();
    const again = await box.run(["--from", box.standIn]);
    assert.equal(again.code, 0, says(again));
    assert.match(again.stdout, /already this binary, up to date/);
    assert.match(again.stdout, /vault .* is there; it stays as it is/);
    assert.match(again.stdout, /already installed, up to date/);
    assert.equal(await Deno.readTextFile(unit), text);
    assert.deepEqual(await box.tree(), installed, "no file added, none changed");
    assert.equal((await box.calls()).includes("systemctl --user daemon-reload"), false);

    await box.clear();
    const removal = await box.run(["--uninstall"]);
    assert.equal(removal.code, 0, says(removal));
    assert.deepEqual(await box.calls(), [
      "systemctl --user disable --now aiemp.service",
      "systemctl --user daemon-reload",
    ]);
    assert.deepEqual(await box.tree(), before, "everything install added is gone");
    assert.ok(await exists(join(box.vault, "Dashboard.md")), "the vault stays");
    assert.match(removal.stdout, new RegExp(`The vault ${box.vault} stays as it is`));
  }));

Deno.test("install.sh with AIEMP_INSTALL_OS=darwin installs a well-formed launchd agent", () =>
  withSandbox(async (box) => {
    // A Mac has this folder; the uninstall leaves it.
    await Deno.mkdir(join(box.home, "Library/LaunchAgents"), { recursive: true });
    const before = await box.tree();
    const darwin = { AIEMP_INSTALL_OS: "darwin", AIEMP_INSTALL_ARCH: "arm64" };
    const run = await box.run(["--from", box.standIn], darwin);
    assert.equal(run.code, 0, says(run));
    const file = join(box.home, "Library/LaunchAgents/com.aiemp.agent.plist");
    assert.equal(await modeOf(file), 0o644);
    if (!noXmllint) assert.equal(await xmllintProblem(file), undefined);
    const plist = parsePlist(await Deno.readTextFile(file)) as Record<string, unknown>;
    const binary = join(box.home, ".local/bin/aiemp");
    assert.equal(plist.Label, "com.aiemp.agent");
    assert.deepEqual(plist.ProgramArguments, [binary, "start", "--vault", box.vault]);
    assert.equal(plist.RunAtLoad, true);
    assert.deepEqual(plist.KeepAlive, { SuccessfulExit: false });
    assert.equal(plist.ThrottleInterval, 10);
    assert.equal(plist.ExitTimeOut, 15);
    assert.equal(plist.WorkingDirectory, box.vault);
    assert.equal(plist.StandardOutPath, join(box.vault, "Logs/service.out.log"));
    assert.equal(plist.StandardErrorPath, join(box.vault, "Logs/service.err.log"));
    assert.equal((plist.EnvironmentVariables as Record<string, string>).AIEMP_VAULT, box.vault);
    const uid = Deno.uid();
    assert.deepEqual(await box.calls(), [`launchctl bootstrap gui/${uid} ${file}`]);

    await box.clear();
    const removal = await box.run(["--uninstall"], darwin);
    assert.equal(removal.code, 0, says(removal));
    assert.deepEqual(await box.calls(), [`launchctl bootout gui/${uid}/com.aiemp.agent`]);
    assert.deepEqual(await box.tree(), before);
    assert.ok(await exists(join(box.vault, "Dashboard.md")), "the vault stays");
  }));

Deno.test("install.sh --dry-run prints each step, the unit included, and changes nothing", () =>
  withSandbox(async (box) => {
    const before = await box.tree();
    const run = await box.run(["--from", box.standIn, "--dry-run"]);
    assert.equal(run.code, 0, says(run));
    const unit = join(box.home, ".config/systemd/user/aiemp.service");
    for (
      const step of [
        `Would install the binary as ${join(box.home, ".local/bin/aiemp")} (mode 0755)`,
        `Would run: aiemp vault init --path ${box.vault}`,
        `Would write ${unit} (mode 0644):`,
        "    Restart=on-failure",
        "Would run: systemctl --user daemon-reload",
        "Would run: systemctl --user enable --now aiemp.service",
        "Dry run: nothing was changed.",
      ]
    ) assert.ok(run.stdout.split("\n").includes(step), `${step}\n${says(run)}`);
    assert.deepEqual(await box.tree(), before);
    assert.equal(await exists(box.vault), false);
    assert.deepEqual(await box.calls(), []);

    // `nobody` is an account on every Linux; a system unit needs one that exists.
    const system = await box.run([
      "--from",
      box.standIn,
      "--dry-run",
      "--system",
      "--user",
      "nobody",
      "--vault",
      box.vault,
    ]);
    assert.equal(system.code, 0, says(system));
    assert.match(system.stdout, /^Would write \/etc\/systemd\/system\/aiemp\.service/m);
    assert.match(system.stdout, /^ {4}User=nobody$/m);
    assert.match(system.stdout, /^Would run: systemctl enable --now aiemp\.service$/m);
    assert.deepEqual(await box.tree(), before);
  }));

Deno.test("install.sh with a wrong --sha256 aborts and installs nothing", () =>
  withSandbox(async (box) => {
    const before = await box.tree();
    const run = await box.run(["--from", box.standIn, "--sha256", "0".repeat(64)]);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /SHA-256 mismatch .*nothing was installed/);
    assert.deepEqual(await box.tree(), before);
    assert.equal(await exists(box.vault), false);
    assert.deepEqual(await box.calls(), []);
  }));

Deno.test({
  name: "install.sh checks a download against SHA256SUMS: a good one installs, a bad one aborts",
  ignore: noCurl !== undefined,
  fn: () =>
    withSandbox(async (box) => {
      const releases = join(box.root, "releases");
      const latest = join(releases, "latest/download");
      await Deno.mkdir(latest, { recursive: true });
      const asset = join(latest, "aiemp-linux-x86_64");
      await Deno.copyFile(box.standIn, asset);
      const sum = await sha256(asset);
      await Deno.writeTextFile(
        join(latest, "SHA256SUMS"),
        `${"1".repeat(64)}  aiemp-linux-arm64\n${sum}  aiemp-linux-x86_64\n`,
      );
      const linux = { AIEMP_INSTALL_OS: "linux", AIEMP_INSTALL_ARCH: "amd64" };
      const before = await box.tree();
      await Deno.writeTextFile(asset, "#!/bin/sh\necho tampered\n", { append: true });
      const bad = await box.run(["--base-url", `file://${releases}`, "--no-service"], linux);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /SHA-256 mismatch for aiemp-linux-x86_64.*nothing was installed/);
      assert.deepEqual(await box.tree(), before);

      await Deno.copyFile(box.standIn, asset);
      const good = await box.run(["--base-url", `file://${releases}`, "--no-service"], linux);
      assert.equal(good.code, 0, says(good));
      assert.match(good.stdout, new RegExp(`Checked aiemp-linux-x86_64: SHA-256 ${sum}`));
      assert.equal(await modeOf(join(box.home, ".local/bin/aiemp")), 0o755);
      assert.deepEqual(await box.calls(), [], "--no-service: no service manager asked");
    }),
});

Deno.test("install.sh without a reachable systemd still installs the unit and says how to start it", () =>
  withSandbox(async (box) => {
    const run = await box.run(["--from", box.standIn], { FAKE_SYSTEMD: "unreachable" });
    assert.equal(run.code, 0, says(run));
    assert.ok(await exists(join(box.home, ".config/systemd/user/aiemp.service")));
    assert.match(run.stdout, /could not be reached: Failed to connect to bus/);
    assert.match(run.stdout, /^ {2}systemctl --user enable --now aiemp\.service$/m);
  }));

Deno.test("install.sh exits 1 when systemd or launchd refuses to start the service", () =>
  withSandbox(async (box) => {
    // Regression: a refused first step was taken for "could not be reached", and install exited 0.
    const linux = await box.run(["--from", box.standIn], { FAKE_SYSTEMD: "refuse" });
    assert.equal(linux.code, 1, says(linux));
    assert.match(
      linux.stderr,
      /Cannot install the service: 'systemctl --user enable --now aiemp\.service' failed: .*attempted too often.*reset-failed aiemp\.service/,
    );
    assert.doesNotMatch(linux.stdout, /could not be reached/);

    const darwin = {
      AIEMP_INSTALL_OS: "darwin",
      AIEMP_INSTALL_ARCH: "arm64",
      FAKE_LAUNCHD: "refuse",
    };
    const mac = await box.run(["--from", box.standIn], darwin);
    assert.equal(mac.code, 1, says(mac));
    assert.match(mac.stderr, /'launchctl bootstrap gui\/\d+ .*' failed: Bootstrap failed: 5/);
  }));

Deno.test("install.sh --system --user with an account that does not exist changes nothing", () =>
  withSandbox(async (box) => {
    // Regression: the binary and a root-owned vault were installed before chown failed.
    const before = await box.tree();
    const prefix = join(box.root, "prefix");
    const run = await box.run(
      [
        "--from",
        box.standIn,
        "--system",
        "--user",
        "aiemp_no_such_user",
        "--prefix",
        prefix,
        "--vault",
        box.vault,
      ],
      { AIEMP_UNIT_DIR: join(box.root, "units") },
    );
    assert.equal(run.code, 1, says(run));
    assert.equal(
      run.stderr.trim(),
      "install.sh: --system --user aiemp_no_such_user: there is no account 'aiemp_no_such_user' on this machine; create it first (e.g. useradd -m aiemp_no_such_user) or give --user NAME of an existing one; nothing was changed",
    );
    assert.equal(await exists(prefix), false, "no binary");
    assert.equal(await exists(box.vault), false, "no vault");
    assert.equal(await exists(join(box.root, "units")), false, "no unit");
    assert.deepEqual(await box.tree(), before);
    assert.deepEqual(await box.calls(), []);
  }));

/** The POSIX shells to run install.sh with: sh, and dash and busybox where installed. */
const SHELLS: string[][] = [["sh"]];
if (!await missingTool("dash", ["-c", "true"])) SHELLS.push(["dash"]);
if (!await missingTool("busybox", ["sh", "-c", "true"])) SHELLS.push(["busybox", "sh"]);

Deno.test("install.sh cut short in the download (curl | sh) runs nothing", async () => {
  // Regression: the script ran line by line, so a download cut after the binary's part installed it.
  const script = await Deno.readTextFile(SCRIPT);
  const cuts = [
    script.indexOf("# --- the vault"), // After the binary is installed, were it run line by line.
    script.indexOf("# --- uninstall"),
    script.lastIndexOf("\nmain ") + 1, // Everything but the call.
  ].filter((cut) => cut > 0);
  for (const shell of SHELLS) {
    await withSandbox(async (box) => {
      const before = await box.tree();
      for (const cut of cuts) {
        const run = await box.runWith(shell, ["--from", box.standIn], {
          script: script.slice(0, cut),
        });
        assert.equal(run.stdout, "", `${shell.join(" ")} at ${cut}: ${says(run)}`);
        assert.deepEqual(await box.tree(), before, `${shell.join(" ")} at ${cut}`);
        assert.equal(await exists(box.vault), false);
      }
      const whole = await box.runWith(shell, ["--from", box.standIn, "--dry-run"], { script });
      assert.equal(whole.code, 0, `${shell.join(" ")}: ${says(whole)}`);
      assert.match(whole.stdout, /^Dry run: nothing was changed\.$/m);
    });
  }
  assert.equal(cuts.length, 3);
  assert.equal(script.trimEnd().split("\n").at(-1), 'main "$@"', "main is called on the last line");
});

Deno.test("install.sh runs under dash and busybox sh as under sh", async () => {
  for (const shell of SHELLS.slice(1)) {
    await withSandbox(async (box) => {
      const run = await box.runWith(shell, ["--from", box.standIn, "--no-service"]);
      assert.equal(run.code, 0, `${shell.join(" ")}: ${says(run)}`);
      assert.equal(await modeOf(join(box.home, ".local/bin/aiemp")), 0o755);
      assert.ok(await exists(join(box.vault, "Inbox")));
      const system = await box.runWith(shell, [
        "--from",
        box.standIn,
        "--dry-run",
        "--system",
        "--user",
        "aiemp_no_such_user",
      ]);
      assert.equal(system.code, 1, says(system));
      assert.match(system.stderr, /there is no account 'aiemp_no_such_user'/);
    });
  }
});

Deno.test("install.sh refuses unknown options and Windows with one line", () =>
  withSandbox(async (box) => {
    const unknown = await box.run(["--frobnicate"]);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr.trim(), "install.sh: unknown option '--frobnicate' (see --help)");
    const windows = await box.run(["--from", box.standIn], { AIEMP_INSTALL_OS: "MINGW64_NT" });
    assert.equal(windows.code, 1);
    assert.match(windows.stderr, /download aiemp-windows-x86_64\.exe/);
    const help = await box.run(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--uninstall/);
  }));

Deno.test({
  name: "shellcheck finds nothing in scripts/install.sh",
  ignore: noShellcheck !== undefined,
  fn: async () => {
    const out = await new Deno.Command("shellcheck", { args: [SCRIPT], stdout: "piped" }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stdout));
  },
});

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
