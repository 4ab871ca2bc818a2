/**
 * Start-up cost: the mail libraries (Google's, nodemailer, postal-mime, html-to-text) take long
 * to load, so only the modules that use them load them, when used (`loadGmailClient`,
 * `loadMailTools`, `loadAuthFlow` in src/gmail/mod.ts); playwright-core likewise, when a browser
 * is opened (`openProfile` in src/browser). Read from `deno info --json`: the modules
 * each entry point loads as it starts, that is its static imports, not `import type` nor
 * `import()`.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);
const CONFIG = new URL("deno.json", ROOT).pathname;
const MAIL_LIBRARIES = [
  "@googleapis/gmail",
  "google-auth-library",
  "nodemailer",
  "postal-mime",
  "html-to-text",
];

/** Heavy, and it reads the whole environment as it loads: loaded by `openProfile` (src/browser). */
const BROWSER_LIBRARY = "playwright-core";

interface GraphModule {
  specifier: string;
  dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
}

/** The npm packages `entry` loads at import, each with the chain of modules that leads to it. */
async function packagesLoadedBy(entry: string): Promise<Map<string, string[]>> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "--config", CONFIG, new URL(entry, ROOT).href],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
  const graph = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    roots: string[];
    modules: GraphModule[];
    redirects?: Record<string, string>;
  };
  const modules = new Map(graph.modules.map((module) => [module.specifier, module]));
  const redirects = graph.redirects ?? {};
  const packages = new Map<string, string[]>();
  const seen = new Set<string>();
  const visit = (specifier: string, chain: string[]) => {
    const resolved = redirects[specifier] ?? specifier;
    if (seen.has(resolved)) return;
    seen.add(resolved);
    const name = resolved.match(/^npm:\/?((?:@[^/@]+\/)?[^/@]+)/)?.[1];
    if (name) {
      if (!packages.has(name)) packages.set(name, chain);
      return;
    }
    for (const dependency of modules.get(resolved)?.dependencies ?? []) {
      if (dependency.isDynamic || !dependency.code) continue;
      const step = dependency.code.specifier.replace(ROOT.href, "");
      visit(dependency.code.specifier, [...chain, step]);
    }
  };
  visit(graph.roots[0], []);
  return packages;
}

for (
  const [entry, why] of [
    ["src/cli/mod.ts", "every aiemp command"],
    ["src/orchestrator/mod.ts", "the orchestrator's main thread"],
    ["src/actions/run_worker.ts", "each action run's Worker"],
    ["src/executor/worker.ts", "the approval executor's Worker"],
    ["src/gmail/mod.ts", "every part that uses Gmail"],
  ]
) {
  Deno.test(`${entry} (${why}) loads no mail library nor playwright-core as it starts`, async () => {
    const packages = await packagesLoadedBy(entry);
    const loaded = [...MAIL_LIBRARIES, BROWSER_LIBRARY].filter((name) => packages.has(name))
      .map((name) => `${name} through ${packages.get(name)!.join(" → ")}`);
    assert.deepEqual(loaded, []);
  });
}

for (
  const [entry, why] of [
    ["src/watchers/whatsapp/worker.ts", "the WhatsApp watcher's Worker"],
    ["src/actions/runs/whatsapp.ts", "a WhatsApp reply's run"],
  ]
) {
  Deno.test(`${entry} (${why}) loads playwright-core only when it opens the browser`, async () => {
    const packages = await packagesLoadedBy(entry);
    assert.equal(packages.get(BROWSER_LIBRARY), undefined);
  });
}

Deno.test("the Gmail loaders reach the libraries they are for", async () => {
  const tools = await packagesLoadedBy("src/gmail/mail_tools.ts");
  for (const name of ["nodemailer", "postal-mime", "html-to-text"]) assert.ok(tools.has(name));
  const client = await packagesLoadedBy("src/gmail/client.ts");
  assert.ok(client.has("@googleapis/gmail") && client.has("google-auth-library"));
});
