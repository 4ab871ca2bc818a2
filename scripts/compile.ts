/**
 * `deno task compile` and `deno task compile:all`: the single binary `aiemp`, built with exactly
 * the flags `deno task aiemp` runs with (read from that task in deno.json, the one definition)
 * and the files the program loads at run time (Worker modules, the vault template, the default
 * schedules), so the binary cannot drift from what the tests run.
 *
 * - `deno task compile`: `dist/aiemp` for this machine;
 * - `deno task compile:all`: Linux x86_64/arm64, macOS x86_64/arm64 and Windows x86_64 into
 *   `dist/`, with `SHA256SUMS`;
 * - `--dry-run`: prints the commands and builds nothing.
 *
 * Each build records its tag and commit in `src/orchestrator/build_info.json` (removed after),
 * which `aiemp --version` prints.
 * @module
 */
import { sha256Hex } from "../src/audit/mod.ts";

/**
 * The files and folders the program opens at run time, relative to the project: every Worker
 * entry and local module (`src`), what `aiemp vault init` copies (`vault-template`), the default
 * schedules and the version (`deno.json`). A test checks that every file `src/` opens through
 * `import.meta.url` is among them.
 */
export const INCLUDED: readonly string[] = ["src", "vault-template", "schedules.yaml", "deno.json"];

/** A release target: Deno's name for it and the asset's name. */
export interface Target {
  /** `deno compile --target`, e.g. `x86_64-unknown-linux-gnu`. */
  target: string;
  /** The file in `dist/`, e.g. `aiemp-linux-x86_64`. */
  asset: string;
}

/** The release's targets, as `scripts/install.sh` names their assets. */
export const TARGETS: readonly Target[] = [
  { target: "x86_64-unknown-linux-gnu", asset: "aiemp-linux-x86_64" },
  { target: "aarch64-unknown-linux-gnu", asset: "aiemp-linux-arm64" },
  { target: "x86_64-apple-darwin", asset: "aiemp-macos-x86_64" },
  { target: "aarch64-apple-darwin", asset: "aiemp-macos-arm64" },
  { target: "x86_64-pc-windows-msvc", asset: "aiemp-windows-x86_64.exe" },
];

/**
 * The flags of `deno task aiemp` (`deno run FLAGS main.ts`), which the binary is built with:
 * the permission set and the rest. Throws when the task does not have that shape.
 *
 * @example
 * ```ts
 * runFlags("deno run -P=aiemp --quiet main.ts"); // ["-P=aiemp", "--quiet"]
 * ```
 */
export function runFlags(aiempTask: string): string[] {
  const words = aiempTask.trim().split(/\s+/);
  if (words[0] !== "deno" || words[1] !== "run" || words.at(-1) !== "main.ts") {
    throw new Error(
      `deno.json's aiemp task is '${aiempTask}'; compile expects 'deno run FLAGS main.ts'`,
    );
  }
  const flags = words.slice(2, -1);
  if (!flags.some((flag) => /^(-P|--permission-set)(=|$)/.test(flag))) {
    throw new Error(`deno.json's aiemp task names no permission set (-P=NAME): '${aiempTask}'`);
  }
  return flags;
}

/** The `deno compile` arguments that build `output` for `target` (this machine's when none). */
export function compileArgs(flags: readonly string[], output: string, target?: string): string[] {
  return [
    "compile",
    ...flags.filter((flag) => flag !== "--quiet"),
    ...INCLUDED.flatMap((path) => ["--include", path]),
    ...(target ? ["--target", target] : []),
    "--output",
    output,
    "main.ts",
  ];
}

/** The lines of a `SHA256SUMS` file (`<hex>  <name>`), sorted by name. */
export function sha256Sums(sums: Readonly<Record<string, string>>): string {
  return Object.keys(sums).sort().map((name) => `${sums[name]}  ${name}\n`).join("");
}

async function git(args: string[]): Promise<string | undefined> {
  try {
    const { code, stdout } = await new Deno.Command("git", { args, stderr: "null" }).output();
    return code === 0 ? new TextDecoder().decode(stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}

async function main(args: string[]): Promise<number> {
  const all = args.includes("--all");
  const dryRun = args.includes("--dry-run");
  const config = JSON.parse(await Deno.readTextFile("deno.json"));
  const flags = runFlags(config.tasks.aiemp);
  const builds = all
    ? TARGETS.map(({ target, asset }) => ({ target, output: `dist/${asset}` }))
    : [{ target: undefined, output: "dist/aiemp" }];
  // A release workflow runs on a tag (GITHUB_REF_TYPE=tag); anywhere else git says what this is.
  const tag = Deno.env.get("GITHUB_REF_TYPE") === "tag"
    ? Deno.env.get("GITHUB_REF_NAME")
    : await git(["describe", "--tags", "--always"]);
  const commit = await git(["rev-parse", "--short=12", "HEAD"]);
  const info = { version: config.version, tag: tag ?? null, commit: commit ?? null };
  const infoFile = "src/orchestrator/build_info.json";
  for (const build of builds) {
    console.log(`deno ${compileArgs(flags, build.output, build.target).join(" ")}`);
  }
  if (dryRun) return 0;
  await Deno.mkdir("dist", { recursive: true });
  await Deno.writeTextFile(infoFile, JSON.stringify(info) + "\n");
  // Ctrl-C skips `finally`: the build's record must not stay behind to name a source run.
  const interrupted = () => {
    Deno.removeSync(infoFile);
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", interrupted);
  try {
    const sums: Record<string, string> = {};
    for (const build of builds) {
      const { code } = await new Deno.Command(Deno.execPath(), {
        args: compileArgs(flags, build.output, build.target),
        stdout: "inherit",
        stderr: "inherit",
      }).output();
      if (code !== 0) {
        console.error(`compile: building ${build.output} failed (deno compile exited ${code})`);
        return code;
      }
      sums[build.output.slice("dist/".length)] = sha256Hex(await Deno.readFile(build.output));
    }
    if (all) await Deno.writeTextFile("dist/SHA256SUMS", sha256Sums(sums));
    console.log(`Built ${Object.keys(sums).join(", ")} in dist/ (${info.tag}, ${info.commit})`);
    return 0;
  } finally {
    Deno.removeSignalListener("SIGINT", interrupted);
    await Deno.remove(infoFile).catch(() => {});
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
