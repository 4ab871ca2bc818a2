import assert from "node:assert/strict";
import { join } from "node:path";
import type { ApprovedItem } from "../../src/actions/mod.ts";
import { type AuditEntry, createAuditLog, readAuditLog } from "../../src/audit/mod.ts";
import { executeApproved } from "../../src/executor/mod.ts";
import { setupLogging } from "../../src/orchestrator/logging.ts";
import {
  createSecretStore,
  redactSecrets,
  redactValue,
  rememberSecret,
  SecretError,
  secretVariableOf,
} from "../../src/secrets/mod.ts";

/** A vault-like secrets folder (0700) in a temporary folder, removed afterwards. */
async function withSecretsDir(
  fn: (dir: string, root: string) => void | Promise<void>,
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "aiemp-secrets-" });
  const dir = join(root, "secrets");
  await Deno.mkdir(dir, { mode: 0o700 });
  await Deno.chmod(dir, 0o700);
  try {
    await fn(dir, root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

async function writeSecret(dir: string, name: string, value: string, mode = 0o600) {
  const file = join(dir, name);
  await Deno.writeTextFile(file, value, { mode });
  await Deno.chmod(file, mode);
  return file;
}

/** Runs `fn` expecting a SecretError, and returns its message. */
function secretErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof SecretError, `expected a SecretError, got ${error}`);
    return error.message;
  }
  assert.fail("expected a SecretError, but the secret was read");
}

// ---------------------------------------------------------------------------------------------
// Reading secrets

Deno.test("createSecretStore() reads a 0600 file in a 0700 folder without its trailing newline", async () => {
  await withSecretsDir(async (dir) => {
    await writeSecret(dir, "ci_token", "tok-one-7d1c5e9b\n");
    await writeSecret(dir, "crlf_token", "tok-two-b3a9f0c2\r\n");
    const store = createSecretStore({ dir });
    assert.equal(store.read("ci_token"), "tok-one-7d1c5e9b");
    assert.equal(store.read("crlf_token"), "tok-two-b3a9f0c2");
  });
});

Deno.test("createSecretStore() remembers every value it reads, so redaction masks it", async () => {
  await withSecretsDir(async (dir) => {
    const value = "plain-words-no-shape-4821";
    await writeSecret(dir, "db_password", value);
    assert.ok(redactSecrets(`connecting with ${value}`).includes(value), "not known before");
    createSecretStore({ dir }).read("db_password");
    assert.equal(redactSecrets(`connecting with ${value}`), "connecting with [redacted]");
  });
});

Deno.test("createSecretStore() refuses a 0644 file and gives the chmod that fixes it", async () => {
  await withSecretsDir(async (dir) => {
    const file = await writeSecret(dir, "slack_url", "https://chat.example/x/y", 0o644);
    const message = secretErrorOf(() => createSecretStore({ dir }).read("slack_url"));
    assert.ok(message.includes(file), message);
    assert.ok(message.includes("0644"), message);
    assert.ok(message.endsWith(`chmod 700 ${dir} && chmod 600 ${file}`), message);
    assert.ok(!message.includes("chat.example"), "the value is never shown");
  });
});

Deno.test("createSecretStore() refuses a file in a 0755 folder and gives the chmod that fixes it", async () => {
  await withSecretsDir(async (dir) => {
    const file = await writeSecret(dir, "slack_url", "https://chat.example/x/y");
    await Deno.chmod(dir, 0o755);
    const message = secretErrorOf(() => createSecretStore({ dir }).read("slack_url"));
    assert.ok(message.includes("0755"), message);
    assert.ok(message.endsWith(`chmod 700 ${dir} && chmod 600 ${file}`), message);
  });
});

Deno.test("createSecretStore() quotes a path with spaces in the command it suggests", async () => {
  const root = await Deno.makeTempDir({ prefix: "aiemp secrets " });
  try {
    const dir = join(root, "my secrets");
    await Deno.mkdir(dir, { mode: 0o700 });
    await Deno.chmod(dir, 0o700);
    await writeSecret(dir, "token", "tok-9e8d7c6b5a", 0o640);
    const message = secretErrorOf(() => createSecretStore({ dir }).read("token"));
    assert.ok(message.endsWith(`chmod 700 '${dir}' && chmod 600 '${join(dir, "token")}'`), message);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("createSecretStore() refuses a symbolic link, even to a private file", async () => {
  await withSecretsDir(async (dir, root) => {
    const target = await writeSecret(root, "elsewhere", "tok-linked-1a2b3c4d");
    const link = join(dir, "ci_token");
    await Deno.symlink(target, link);
    const message = secretErrorOf(() => createSecretStore({ dir }).read("ci_token"));
    assert.ok(message.includes(link) && /symbolic link/.test(message), message);
    assert.ok(message.includes(`chmod 600 ${link}`), message);
  });
});

Deno.test("createSecretStore() refuses a folder that stands where a secret file should be", async () => {
  await withSecretsDir(async (dir) => {
    await Deno.mkdir(join(dir, "ci_token"), { mode: 0o700 });
    const message = secretErrorOf(() => createSecretStore({ dir }).read("ci_token"));
    assert.match(message, /not a regular file/);
  });
});

Deno.test("createSecretStore() refuses a secrets folder that is a symbolic link", async () => {
  await withSecretsDir(async (dir, root) => {
    await writeSecret(dir, "ci_token", "tok-via-link-5f6e7d");
    const linked = join(root, "linked");
    await Deno.symlink(dir, linked);
    const message = secretErrorOf(() => createSecretStore({ dir: linked }).read("ci_token"));
    assert.ok(message.includes(`${linked} is not a folder`), message);
  });
});

Deno.test({
  name: "createSecretStore() refuses a file that belongs to another user, with the chown fix",
  ignore: Deno.uid() !== 0,
  async fn() {
    await withSecretsDir(async (dir) => {
      const file = await writeSecret(dir, "ci_token", "tok-foreign-0a9b8c");
      await Deno.chown(file, 65534, 65534);
      const message = secretErrorOf(() => createSecretStore({ dir }).read("ci_token"));
      assert.ok(message.includes("belongs to user 65534"), message);
      assert.ok(message.endsWith(`chown 0 ${file}`), message);
    });
  },
});

Deno.test("createSecretStore() falls back to AIEMP_SECRET_<NAME> when there is no file", async () => {
  await withSecretsDir((dir) => {
    const env = { AIEMP_SECRET_SLACK_URL: "https://chat.example/env/hook-77aa" };
    assert.equal(createSecretStore({ dir, env }).read("slack-url"), env.AIEMP_SECRET_SLACK_URL);
    assert.equal(secretVariableOf("slack.url"), "AIEMP_SECRET_SLACK_URL");
  });
});

Deno.test("createSecretStore() prefers the file to the environment variable", async () => {
  await withSecretsDir(async (dir) => {
    await writeSecret(dir, "ci_token", "tok-from-file-31c2");
    const store = createSecretStore({ dir, env: { AIEMP_SECRET_CI_TOKEN: "tok-from-env-84d1" } });
    assert.equal(store.read("ci_token"), "tok-from-file-31c2");
  });
});

Deno.test("createSecretStore() masks the environment's secrets from the start, read or not", () => {
  const value = "env-only-value-e5f4a3b2";
  createSecretStore({ dir: "/nonexistent", env: { AIEMP_SECRET_UNUSED: value } });
  assert.equal(redactSecrets(`x ${value} y`), "x [redacted] y");
});

Deno.test("createSecretStore() names both places it looked when a secret is missing", async () => {
  await withSecretsDir((dir) => {
    const message = secretErrorOf(() => createSecretStore({ dir, env: {} }).read("ci_token"));
    assert.ok(message.includes(join(dir, "ci_token")), message);
    assert.ok(message.includes("AIEMP_SECRET_CI_TOKEN"), message);
  });
});

Deno.test("createSecretStore() refuses names with '/', '..' or a leading dot", async () => {
  await withSecretsDir(async (dir, root) => {
    await writeSecret(root, "outside", "tok-outside-9f8e7d");
    const store = createSecretStore({ dir });
    for (const name of ["../outside", "a/b", "..", ".hidden", "a..b", "", "/etc/passwd"]) {
      const message = secretErrorOf(() => store.read(name));
      assert.match(message, /secret name/, name);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Redaction

Deno.test("rememberSecret() does not remember a value shorter than 6 characters", () => {
  assert.equal(rememberSecret("abc12"), false);
  assert.equal(redactSecrets("the code abc12 stays"), "the code abc12 stays");
  assert.equal(rememberSecret("abc123-long-enough"), true);
  assert.equal(redactSecrets("the code abc123-long-enough goes"), "the code [redacted] goes");
});

Deno.test("rememberSecret() also masks a URL secret's path and its URL-encoded form", () => {
  const url = "https://chat.example/api/hooks/98765/ZyXwVu";
  rememberSecret(url);
  assert.equal(redactSecrets(`404 for /api/hooks/98765/ZyXwVu`), "404 for [redacted]");
  assert.equal(redactSecrets(`?next=${encodeURIComponent(url)}`), "?next=[redacted]");
});

Deno.test("redactSecrets() masks each common token shape", () => {
  const cases: [string, string][] = [
    ["Authorization: Bearer abcdefgh12345678", "abcdefgh12345678"],
    ["Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="],
    ["GET https://ana:hunter2pass@db.example/x", "hunter2pass"],
    ["https://example.com/cb?access_token=atok123456&x=1", "atok123456"],
    ["refresh_token=rtok987654", "rtok987654"],
    ['{"client_secret":"csec-abcdef"}', "csec-abcdef"],
    ['{"password": "two words"}', "two words"],
    ["password: 'quoted-pw'", "quoted-pw"],
    ["password: correct-horse", "correct-horse"],
    ["api_key=AK-999-888", "AK-999-888"],
    ["x-api-key: k3y-val-ue", "k3y-val-ue"],
    ["token=plain-tok-00", "plain-tok-00"],
    ["POST https://hooks.slack.com/services/T0001/B0002/XXYYZZ", "T0001/B0002/XXYYZZ"],
    ["https://discord.com/api/webhooks/123456/abcDEF-ghi", "123456/abcDEF-ghi"],
    ["got ya29.a0AfH6SMBx-example_token.value", "ya29.a0AfH6SMBx-example_token.value"],
    ["refresh 1//0gAbCdEfGhIjKlMnOpQrStUvWxYz", "1//0gAbCdEfGhIjKlMnOpQrStUvWxYz"],
    [
      "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXZhbHVl",
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXZhbHVl",
    ],
    ["ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", "ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"],
    ["github_pat_11ABCDEFG0123456789_abcdefghij", "github_pat_11ABCDEFG0123456789_abcdefghij"],
    ["key sk-proj-abcdefghijklmnop1234", "sk-proj-abcdefghijklmnop1234"],
    ["slack xoxb-1234567890-abcdefghij", "xoxb-1234567890-abcdefghij"],
    ["slack xoxp-1234567890-abcdefghij", "xoxp-1234567890-abcdefghij"],
    ["aws AKIAIOSFODNN7EXAMPLE used", "AKIAIOSFODNN7EXAMPLE"],
  ];
  for (const [text, secret] of cases) {
    const out = redactSecrets(text);
    assert.ok(!out.includes(secret), `${text} → ${out}`);
    assert.ok(out.includes("[redacted]"), `${text} → ${out}`);
  }
});

Deno.test("redactSecrets() leaves ordinary text alone", () => {
  for (
    const text of [
      "WEBHOOK_build.md → Done/ (sent)",
      "idempotency-key: WEBHOOK_build_1",
      "used tokens: 1234 of 5000",
      "the risk-assessment-framework-2024 note",
      "https://example.com/path?page=2",
      "the webhook answered HTTP 400: bad channel",
      "Basic instructions are in the handbook",
      "Cannot find the secret 'ci_token': there is no file",
    ]
  ) {
    assert.equal(redactSecrets(text), text);
  }
});

Deno.test("redactValue() redacts every string in nested objects and arrays, and copies", () => {
  const value = "nested-secret-3c2b1a";
  rememberSecret(value);
  const when = new Date(0);
  const input = {
    event: "failed",
    attempt: 2,
    ok: false,
    none: null,
    when,
    reason: `the webhook answered HTTP 400: ${value}`,
    would_send: { headers: { authorization: "Bearer abcdefghijklmnop" }, list: [1, value] },
    [value]: "as a key",
  };
  const out = redactValue(input);
  assert.deepEqual(out, {
    event: "failed",
    attempt: 2,
    ok: false,
    none: null,
    when,
    reason: "the webhook answered HTTP 400: [redacted]",
    would_send: { headers: { authorization: "Bearer [redacted]" }, list: [1, "[redacted]"] },
    "[redacted]": "as a key",
  });
  assert.equal(input.reason.includes(value), true, "the input is not changed");
  assert.equal(redactValue(value), "[redacted]");
  assert.equal(redactValue(42), 42);
});

// ---------------------------------------------------------------------------------------------
// Every exit: log sinks, audit entries, outcomes

Deno.test("setupLogging() masks a known secret in messages, interpolated values and properties, as text and JSON", async () => {
  const value = "log-path-secret-6b5a4c";
  rememberSecret(value);
  for (const format of ["text", "json"] as const) {
    await withSecretsDir(async (_dir, root) => {
      const logsDir = join(root, "Logs");
      const logging = await setupLogging({
        logsDir,
        format,
        level: "debug",
        components: ["executor"],
        console: false,
      });
      logging.system.info(`plain ${value}`);
      logging.system.warn("template {secret}", { secret: value });
      logging.system.error("as a property", { context: { nested: [value] } });
      logging.system.info`literal ${value}`;
      logging.component("executor").info(`component ${value} and Bearer abcdefgh12345678`);
      await logging.close();
      for (const name of ["system.log", "executor.log"]) {
        const text = await Deno.readTextFile(join(logsDir, name));
        assert.ok(text.includes("[redacted]"), `${format} ${name}: ${text}`);
        assert.ok(!text.includes(value), `${format} ${name}: ${text}`);
        assert.ok(!text.includes("abcdefgh12345678"), `${format} ${name}: ${text}`);
      }
    });
  }
});

Deno.test("executeApproved() records and reports no secret, even when the remote echoes it", async () => {
  const token = "echoed-token-8d7c6b5a4f";
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) =>
      new Response(`bad request, you sent ${request.headers.get("authorization")}`, {
        status: 400,
      }),
  );
  try {
    await withSecretsDir(async (dir, root) => {
      await writeSecret(dir, "ci_token", token);
      const auditPath = join(root, "audit.jsonl");
      const item: ApprovedItem = {
        id: "echo-1",
        action: "webhook",
        fileName: "WEBHOOK_echo.md",
        frontMatter: { webhook: "ci" },
        body: "hello\n",
      };
      const options = {
        settings: {
          webhooks: {
            ci: { url: `http://127.0.0.1:${server.addr.port}/hook`, token_secret: "ci_token" },
          },
          userAgent: "aiemp-test",
        },
        secrets: createSecretStore({ dir }),
        audit: createAuditLog(auditPath),
        timeoutMs: 10_000,
      };
      const sent = await executeApproved(item, 1, { ...options, dryRun: false });
      assert.equal(sent.ok, false);
      assert.match(
        sent.ok ? "" : sent.reason,
        /HTTP 400: bad request, you sent Bearer \[redacted\]/,
      );
      const dry = await executeApproved(item, 1, { ...options, dryRun: true });
      assert.equal(dry.ok, true);
      const shown = JSON.stringify(dry);
      assert.ok(shown.includes("Bearer [secret ci_token]"), shown);
      const entries: AuditEntry[] = await readAuditLog(auditPath);
      assert.deepEqual(entries.map((e) => e.event), ["started", "failed", "dry_run"]);
      const everything = JSON.stringify([sent, dry, entries]);
      assert.ok(!everything.includes(token), everything);
    });
  } finally {
    await server.shutdown();
  }
});

Deno.test("executeApproved() fails an item whose secret is too open, with the fix, sending nothing", async () => {
  let requests = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    requests++;
    return new Response("ok");
  });
  try {
    await withSecretsDir(async (dir, root) => {
      const file = await writeSecret(dir, "ci_token", "open-token-1f2e3d4c", 0o644);
      const outcome = await executeApproved(
        {
          id: "open-1",
          action: "webhook",
          fileName: "WEBHOOK_open.md",
          frontMatter: { webhook: "ci" },
          body: "",
        },
        1,
        {
          settings: {
            webhooks: {
              ci: { url: `http://127.0.0.1:${server.addr.port}/`, token_secret: "ci_token" },
            },
            userAgent: "aiemp-test",
          },
          secrets: createSecretStore({ dir }),
          audit: createAuditLog(join(root, "audit.jsonl")),
          dryRun: false,
          timeoutMs: 10_000,
        },
      );
      assert.equal(outcome.ok, false);
      assert.equal(outcome.ok ? undefined : outcome.retryable, false);
      assert.ok(
        !outcome.ok && outcome.reason.includes(`chmod 700 ${dir} && chmod 600 ${file}`),
        JSON.stringify(outcome),
      );
      assert.equal(requests, 0);
    });
  } finally {
    await server.shutdown();
  }
});
