/**
 * Scenario 4d: 1,000 malformed files land in Approved/ at once — unclosed or invalid front matter,
 * no action, unknown or unbuilt actions, bad URLs, empty and binary files. Every one must end in
 * Rejected/ with its reason, nothing may be sent, and the orchestrator must stay healthy with its
 * memory in bounds.
 * @module
 */
import { join } from "node:path";
import { aiemp, makeVault, type RunningAiemp, startAiemp, waitFor } from "../tests/e2e/_harness.ts";
import { type Check, check, sample, type Scenario } from "./_scenario.ts";
import { countingServer, entriesIn, residentMb, visibleFiles } from "./_tools.ts";

/** Memory the orchestrator may use while it works through the flood. */
const MEMORY_LIMIT_MB = 300;

/** The kinds of malformed file, each a name and content for item `n`. */
function malformed(n: number, url: string): [name: string, content: string | Uint8Array] {
  switch (n % 10) {
    case 0:
      return [
        `WEBHOOK_unclosed_${n}.md`,
        `---\nid: u${n}\naction: webhook\nurl: ${url}\nno closing line\n`,
      ];
    case 1:
      return [`WEBHOOK_yaml_${n}.md`, `---\nid: [y${n}\nurl: ${url}\n---\nbody\n`];
    case 2:
      return [`WEBHOOK_list_${n}.md`, "---\n- a\n- b\n---\nbody\n"];
    case 3:
      return [`note_${n}.md`, `---\nid: n${n}\n---\nno action at all\n`];
    case 4:
      return [`task_${n}.md`, `---\nid: t${n}\naction: teleport\n---\nunknown action\n`];
    case 5:
      return [`blob_${n}.bin`, crypto.getRandomValues(new Uint8Array(512))];
    case 6:
      return [`WEBHOOK_ftp_${n}.md`, `---\nid: f${n}\nurl: ftp://127.0.0.1/x\n---\nbad scheme\n`];
    case 7:
      return [`WEBHOOK_empty_${n}.md`, ""];
    case 8:
      return [`WEBHOOK_binary_${n}.md`, crypto.getRandomValues(new Uint8Array(256))];
    default:
      return [`LINKEDIN_${n}.md`, `---\nid: l${n}\n---\nnot built yet\n`];
  }
}

/** The reason recorded for a rejected file, or undefined when there is none. */
async function reasonOf(rejected: string, name: string): Promise<string | undefined> {
  const path = name.endsWith(".md") ? join(rejected, name) : join(rejected, `${name}.result.md`);
  const text = await Deno.readTextFile(path).catch(() => undefined);
  return text === undefined ? undefined : /^- Error: (.+)$/m.exec(text)?.[1];
}

/** The malformed-flood scenario. */
export const malformedFlood: Scenario = {
  id: "4d malformed-flood",
  title: "1,000 malformed files land in Approved/ at once",
  quick: false,
  async run(context) {
    const count = context.quick ? 100 : 1000;
    const server = countingServer();
    const vault = await makeVault("scheduler:\n  enabled: false\ndashboard:\n  refresh_ms: 200\n");
    let run: RunningAiemp | undefined;
    try {
      run = await startAiemp(vault.path);
      const idleMb = (await residentMb(run.pid)) ?? 0;
      const staging = vault.file(".chaos-staging");
      await Deno.mkdir(staging);
      const names: string[] = [];
      for (let n = 0; n < count; n++) {
        const [name, content] = malformed(n, `${server.url}/x`);
        names.push(name);
        if (typeof content === "string") await Deno.writeTextFile(join(staging, name), content);
        else await Deno.writeFile(join(staging, name), content);
      }
      let peakMb = idleMb;
      const sampler = setInterval(async () => {
        peakMb = Math.max(peakMb, (await residentMb(run!.pid)) ?? 0);
      }, 50);
      const landed = Date.now();
      for (const name of names) {
        await Deno.rename(join(staging, name), vault.file("Approved", name));
      }
      const landingMs = Date.now() - landed;
      const cleared = await waitFor(
        async () => {
          const left = (await visibleFiles(vault.file("Approved"))).length +
            (await entriesIn(vault.file(".aiemp", "inflight"))).length;
          return left === 0;
        },
        "Approved/ and .aiemp/inflight/ empty",
        120_000,
      ).then(() => true, () => false);
      const tookMs = Date.now() - landed;
      clearInterval(sampler);
      context.progress(`cleared in ${tookMs} ms`);
      const rejected = vault.file("Rejected");
      const missing: string[] = [];
      const reasons = new Map<string, number>();
      for (const name of names) {
        const reason = await reasonOf(rejected, name);
        if (reason === undefined) missing.push(name);
        else {
          const kind = reason.replace(/[:;(].*$/, "").trim();
          reasons.set(kind, (reasons.get(kind) ?? 0) + 1);
        }
      }
      const done = await visibleFiles(vault.file("Done"));
      const health = await aiemp(["health", "--vault", vault.path]);
      const code = await run.stop();
      const checks: Check[] = [
        check(
          "every malformed file is in Rejected/ with its reason",
          cleared && missing.length === 0 && done.length === 0,
          missing.length
            ? `no reason for ${missing.length}: ${sample(missing)}`
            : `${count} rejected in ${tookMs} ms; ` +
              [...reasons].map(([kind, n]) => `${n} × "${kind}"`).join(", "),
        ),
        check(
          "nothing was sent",
          server.requests.length === 0,
          `${server.requests.length} requests`,
        ),
        check(
          "the orchestrator stays healthy (aiemp health exits 0)",
          health.code === 0,
          health.code === 0 ? undefined : health.stdout.trim(),
        ),
        check(
          `memory stays reasonable (peak RSS < ${MEMORY_LIMIT_MB} MB)`,
          peakMb < MEMORY_LIMIT_MB,
          `${idleMb.toFixed(0)} MB before, peak ${peakMb.toFixed(0)} MB`,
        ),
        check("aiemp stops cleanly afterwards (exit 0)", code === 0, `exit ${code}`),
      ];
      return {
        injected: [
          `${count} malformed files renamed into Approved/ within ${landingMs} ms: unclosed and invalid front matter, a list for front matter, no action, an unknown action, a non-Markdown file, an ftp:// URL, empty files, binary .md files, an unbuilt action (LINKEDIN_)`,
        ],
        checks,
      };
    } finally {
      await run?.stop("SIGKILL");
      await server.close();
      await vault.cleanup();
    }
  },
};
