// Runs the Deno version pinned in package.json (config.deno) with the given arguments: the deno on
// PATH when it is that version, else the same version fetched once through npx. Node-only, so the
// quick start needs nothing but Node.js and npm.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

const pinned =
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).config.deno;
const onPath = spawnSync("deno", ["--version"], { encoding: "utf8" });
const matches = onPath.status === 0 && onPath.stdout.startsWith(`deno ${pinned} `);
const [command, args] = matches
  ? ["deno", process.argv.slice(2)]
  : ["npx", ["--yes", `deno@${pinned}`, ...process.argv.slice(2)]];
if (!matches) console.error(`Using Deno ${pinned} through npx (none of that version on PATH).`);
const run = spawnSync(command, args, { stdio: "inherit", shell: process.platform === "win32" });
process.exit(run.status ?? 1);
