/**
 * The container's entry (scripts/docker-entry.sh), with the real CLI standing in for the binary:
 * the first run creates the vault on the volume, later runs keep it, and the command given to
 * the container is what aiemp runs.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** A folder with an `aiemp` that runs the source with the shared flags, as the binary would. */
async function standInBin(dir: string): Promise<string> {
  const bin = join(dir, "bin");
  await Deno.mkdir(bin);
  const script = `#!/bin/sh\nexec "${Deno.execPath()}" run -P=aiemp --config "${
    join(ROOT, "deno.json")
  }" --quiet "${join(ROOT, "main.ts")}" "$@"\n`;
  await Deno.writeTextFile(join(bin, "aiemp"), script, { mode: 0o755 });
  return bin;
}

async function entry(bin: string, vault: string, args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command("sh", {
    args: [join(ROOT, "scripts", "docker-entry.sh"), ...args],
    env: { PATH: `${bin}:${Deno.env.get("PATH")}`, AIEMP_VAULT: vault, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code, stdout: decode(stdout), stderr: decode(stderr) };
}

Deno.test("the container's entry creates the vault once, then runs the container's command", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aiemp-docker-" });
  try {
    const bin = await standInBin(dir);
    const vault = join(dir, "vault");
    await Deno.mkdir(vault); // the volume exists, empty
    const first = await entry(bin, vault, ["status", "--json"]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /no vault in .* yet; creating it/);
    assert.equal(JSON.parse(first.stdout.slice(first.stdout.indexOf("{"))).vault, vault);
    await Deno.stat(join(vault, "aiemp.yaml"));
    await Deno.writeTextFile(join(vault, "Company_Handbook.md"), "Mine.\n");

    const second = await entry(bin, vault, ["status", "--json"]);
    assert.equal(second.code, 0, second.stderr);
    assert.doesNotMatch(second.stdout, /creating it/);
    assert.equal(await Deno.readTextFile(join(vault, "Company_Handbook.md")), "Mine.\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
