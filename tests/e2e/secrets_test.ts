import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { parseNote } from "../../src/vault/mod.ts";
import {
  approve,
  makeVault,
  type ReceivedRequest,
  type RunningAiemp,
  startAiemp,
  type TestVault,
  waitFor,
  webhookServer,
} from "./_harness.ts";

/** A token with no recognisable shape: only the registry of known secrets can mask it. */
const TOKEN = "e2e-plain-6f1d93ab27c4";

const SETTINGS = "log:\n  level: debug\n" +
  "webhooks:\n  ci:\n    url: URL/hook\n    token_secret: ci_token\n";

async function putSecret(vault: TestVault, name: string, value: string, mode = 0o600) {
  const file = vault.file(".aiemp", "secrets", name);
  await Deno.writeTextFile(file, `${value}\n`, { mode });
  await Deno.chmod(file, mode);
  return file;
}

function namedWebhookRequest(id: string, webhook = "ci"): string {
  return `---\nid: ${id}\ntype: approval_request\naction: webhook\nwebhook: ${webhook}\ncreated: 2026-11-21T05:00:00Z\nexpires: 2099-01-01T00:00:00Z\n---\nThe nightly build passed.\n`;
}

async function finishedIn(vault: TestVault, folder: "Done" | "Rejected", name: string) {
  const path = vault.file(folder, name);
  await waitFor(() => Deno.stat(path).then(() => true, () => false), `${name} in ${folder}/`);
  return parseNote(await Deno.readTextFile(path));
}

/**
 * Asserts that `secret` shows nowhere: not in aiemp's stdout and stderr, and not in any file of
 * the vault (Logs/, .aiemp/audit.jsonl and state.json, Dashboard.md, Done/, Rejected/…), except
 * where the owner put it, `.aiemp/secrets/`.
 */
async function assertNowhere(vault: TestVault, run: RunningAiemp, secret: string) {
  assert.ok(!run.output().includes(secret), `aiemp's output holds the secret:\n${run.output()}`);
  const secrets = vault.file(".aiemp", "secrets");
  const checked: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (path === secrets) continue;
      assert.ok(!entry.name.includes(secret), `a file name holds the secret: ${path}`);
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile) {
        const text = await Deno.readTextFile(path);
        assert.ok(!text.includes(secret), `${relative(vault.path, path)} holds the secret`);
        checked.push(relative(vault.path, path));
      }
    }
  };
  await walk(vault.path);
  for (const file of ["Logs/system.log", "Logs/executor.log", ".aiemp/audit.jsonl"]) {
    assert.ok(checked.includes(file), `${file} was written and checked`);
  }
}

Deno.test("a token secret reaches the webhook as a Bearer header and shows nowhere else", async () => {
  const server = webhookServer();
  const vault = await makeVault();
  try {
    await vault.configure(SETTINGS.replace("URL", server.url));
    await putSecret(vault, "ci_token", TOKEN);
    const run = await startAiemp(vault.path);
    await approve(vault, "WEBHOOK_nightly.md", namedWebhookRequest("nightly-1"));
    const done = await finishedIn(vault, "Done", "WEBHOOK_nightly.md");
    assert.equal(done.frontMatter.outcome, "sent");
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0].headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(await run.stop(), 0);
    await assertNowhere(vault, run, TOKEN);
  } finally {
    await server.close();
    await vault.cleanup();
  }
});

Deno.test("a remote that echoes the token in an HTTP 400 answer does not get it into any record, with JSON logs", async () => {
  const server = webhookServer((request: ReceivedRequest) =>
    new Response(`rejected: unknown token ${request.headers.authorization?.slice(7)}`, {
      status: 400,
    })
  );
  const vault = await makeVault();
  try {
    await vault.configure(SETTINGS.replace("URL", server.url));
    await putSecret(vault, "ci_token", TOKEN);
    const run = await startAiemp(vault.path, ["--log-format", "json"]);
    await approve(vault, "WEBHOOK_echo.md", namedWebhookRequest("echo-1"));
    const rejected = await finishedIn(vault, "Rejected", "WEBHOOK_echo.md");
    assert.equal(server.requests.length, 1, "a 400 is not retried");
    assert.match(
      String(rejected.frontMatter.error),
      /HTTP 400: rejected: unknown token \[redacted\]/,
    );
    assert.equal(await run.stop(), 0);
    const log = await Deno.readTextFile(vault.file("Logs", "system.log"));
    assert.ok(log.trim().split("\n").every((line) => JSON.parse(line)), "JSON lines");
    await assertNowhere(vault, run, TOKEN);
  } finally {
    await server.close();
    await vault.cleanup();
  }
});

Deno.test("a dry run reads the secret, records [secret NAME] in its place, and contacts nothing", async () => {
  const server = webhookServer();
  const vault = await makeVault();
  try {
    await vault.configure(SETTINGS.replace("URL", server.url));
    await putSecret(vault, "ci_token", TOKEN);
    const run = await startAiemp(vault.path, ["--dry-run"]);
    await approve(vault, "WEBHOOK_dry.md", namedWebhookRequest("dry-1"));
    const done = await finishedIn(vault, "Done", "WEBHOOK_dry.md");
    assert.equal(done.frontMatter.outcome, "dry_run");
    assert.match(done.body, /"authorization": "Bearer \[secret ci_token\]"/);
    assert.equal(await run.stop(), 0);
    assert.equal(server.requests.length, 0);
    await assertNowhere(vault, run, TOKEN);
  } finally {
    await server.close();
    await vault.cleanup();
  }
});

Deno.test("a webhook URL kept in an AIEMP_SECRET_ variable is used, and shows nowhere", async () => {
  const server = webhookServer();
  const vault = await makeVault();
  const hookPath = "/services/T0E2E/B0E2E/u8Rl5ecReT77";
  try {
    await vault.configure("webhooks:\n  chat:\n    url_secret: chat_url\n");
    const run = await startAiemp(vault.path, [], {
      env: { AIEMP_SECRET_CHAT_URL: `${server.url}${hookPath}` },
    });
    await approve(vault, "WEBHOOK_chat.md", namedWebhookRequest("chat-1", "chat"));
    await finishedIn(vault, "Done", "WEBHOOK_chat.md");
    assert.equal(server.requests[0].path, hookPath);
    assert.equal(await run.stop(), 0);
    await assertNowhere(vault, run, "u8Rl5ecReT77");
  } finally {
    await server.close();
    await vault.cleanup();
  }
});

Deno.test("a secret file others may read makes the item go to Rejected/ with the chmod fix, and nothing is sent", async () => {
  const server = webhookServer();
  const vault = await makeVault();
  try {
    await vault.configure(SETTINGS.replace("URL", server.url));
    const file = await putSecret(vault, "ci_token", TOKEN, 0o644);
    const run = await startAiemp(vault.path);
    await approve(vault, "WEBHOOK_open.md", namedWebhookRequest("open-1"));
    const rejected = await finishedIn(vault, "Rejected", "WEBHOOK_open.md");
    const fix = `chmod 700 ${vault.file(".aiemp", "secrets")} && chmod 600 ${file}`;
    assert.ok(String(rejected.frontMatter.error).includes(fix), String(rejected.frontMatter.error));
    assert.ok(rejected.body.includes(fix), rejected.body);
    assert.equal(await run.stop(), 0);
    assert.equal(server.requests.length, 0);
    await assertNowhere(vault, run, TOKEN);
  } finally {
    await server.close();
    await vault.cleanup();
  }
});
