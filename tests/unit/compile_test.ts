/**
 * The binary cannot drift from what the tests run: `deno task compile` takes its flags from
 * `deno task aiemp` (one definition), includes every file the program opens at run time, and
 * builds the five release targets with the asset names install.sh downloads; `aiemp --version`
 * names the build.
 */
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { versionText } from "../../src/orchestrator/mod.ts";
import { compileArgs, INCLUDED, runFlags, sha256Sums, TARGETS } from "../../scripts/compile.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CONFIG = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));

Deno.test("compile builds with exactly the flags of deno task aiemp, and start runs with them too", () => {
  const flags = runFlags(CONFIG.tasks.aiemp);
  assert.ok(flags.includes("-P=aiemp"), "the permission set of deno.json");
  const args = compileArgs(flags, "dist/aiemp");
  assert.equal(args[0], "compile");
  for (const flag of flags.filter((f) => f !== "--quiet")) assert.ok(args.includes(flag), flag);
  for (const path of INCLUDED) {
    assert.ok(args.join(" ").includes(`--include ${path}`), `includes ${path}`);
  }
  assert.deepEqual(args.slice(-3), ["--output", "dist/aiemp", "main.ts"]);
  assert.equal(CONFIG.tasks.start, `deno run ${flags.join(" ")} main.ts start`);
  assert.ok(CONFIG.permissions.aiemp, "the permission set is defined once, in deno.json");
  assert.deepEqual(CONFIG.unstable, ["worker-options"], "Worker narrowing for run and compile");
});

Deno.test("runFlags() refuses a run task it cannot build from", () => {
  assert.throws(() => runFlags("deno run -A main.ts"), /names no permission set/);
  assert.throws(() => runFlags("node main.js"), /expects 'deno run FLAGS main.ts'/);
});

Deno.test("every file the program opens through import.meta.url is included in the binary", async () => {
  const opened: string[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) await walk(path);
      else if (path.endsWith(".ts")) {
        const text = await Deno.readTextFile(path);
        for (const match of text.matchAll(/new URL\("([^"]+)",\s*import\.meta\.url\)/g)) {
          opened.push(join(dirname(path), match[1]));
        }
      }
    }
  };
  await walk(join(ROOT, "src"));
  assert.ok(opened.length >= 12, `found ${opened.length} files opened at run time`);
  for (const file of opened) {
    const rel = relative(ROOT, file);
    assert.ok(
      INCLUDED.some((path) => rel === path || rel.startsWith(`${path}/`)),
      `${rel} is opened at run time but not in INCLUDED`,
    );
    if (!rel.endsWith("build_info.json")) await Deno.stat(file); // exists
  }
});

Deno.test("compile:all builds the five targets under the names install.sh downloads", async () => {
  const command = new Deno.Command(Deno.execPath(), {
    args: ["task", "compile:all", "--dry-run"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
  const { code, stdout } = await command.output();
  assert.equal(code, 0);
  const lines = new TextDecoder().decode(stdout).trim().split("\n");
  assert.equal(lines.length, 5);
  for (const [i, { target, asset }] of TARGETS.entries()) {
    assert.match(
      lines[i],
      new RegExp(`--target ${target} --output dist/${asset.replace(".", "\\.")} main\\.ts$`),
    );
  }
  // install.sh, asked (dry run) for each system and processor, downloads that very asset.
  const home = await Deno.makeTempDir({ prefix: "aiemp-compile-" });
  try {
    for (const { asset } of TARGETS.filter((t) => !t.asset.endsWith(".exe"))) {
      const [, os, arch] = asset.split("-");
      const { stdout } = await new Deno.Command("sh", {
        args: [join(ROOT, "scripts", "install.sh"), "--dry-run", "--no-service"],
        env: {
          HOME: home,
          AIEMP_INSTALL_OS: os === "macos" ? "darwin" : os,
          AIEMP_INSTALL_ARCH: arch,
        },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const printed = new TextDecoder().decode(stdout);
      assert.ok(printed.includes(`/${asset}`), `install.sh downloads ${asset}:\n${printed}`);
      assert.ok(printed.includes("SHA256SUMS"), "and checks it against SHA256SUMS");
    }
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("SHA256SUMS lists each asset with its hash, sorted, in the format sha256sum -c reads", () => {
  assert.equal(
    sha256Sums({ "aiemp-macos-arm64": "bb", "aiemp-linux-x86_64": "aa" }),
    "aa  aiemp-linux-x86_64\nbb  aiemp-macos-arm64\n",
  );
});

Deno.test("aiemp --version names the tag and commit of a built binary, or says it runs from source", () => {
  assert.match(
    versionText({ tag: "v0.2.0", commit: "3f2a9c1e0b7d" }),
    /^aiemp \d+\.\d+\.\d+ \(v0\.2\.0, commit 3f2a9c1e0b7d\)$/,
  );
  assert.match(versionText(undefined), /^aiemp \d+\.\d+\.\d+ \(from source\)$/);
});
