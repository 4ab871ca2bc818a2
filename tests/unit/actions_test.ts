import assert from "node:assert/strict";
import { ACTION_RUNS } from "../../src/actions/registry.ts";
import { webhookAction } from "../../src/actions/webhook.ts";
import {
  ACTION_TYPES,
  ActionInputError,
  actionOf,
  type ActionSettings,
  type ApprovedItem,
  findActionType,
  type PreparedAction,
} from "../../src/actions/mod.ts";

/** Secrets as a store would hand them out; an unknown name fails as a missing secret does. */
const SECRETS: Record<string, string> = {
  chat_url: "https://chat.example/hooks/T111/B222/urlsecret333",
  ci_token: "ci-token-4f9a2c7e",
  not_a_url: "just some text",
};

function secret(name: string): string {
  if (name in SECRETS) return SECRETS[name];
  throw new ActionInputError(`Cannot find the secret '${name}'`);
}

const SETTINGS: ActionSettings = {
  webhooks: {
    slack: "https://hooks.slack.example/services/T000/B000/XXXXsecretXXXX",
    ntfy: "http://ntfy.local:8080/alerts?auth=tok123",
    chat: { url_secret: "chat_url", token_secret: "ci_token" },
    ci: { url: "https://ci.example:8443/notify", token_secret: "ci_token" },
    missing: { url: "https://ci.example/notify", token_secret: "nope" },
    both: { url: "https://ci.example/notify", url_secret: "chat_url" },
    neither: { token_secret: "ci_token" },
    garbled: { url_secret: "not_a_url" },
  },
  userAgent: "aiemp/test",
  secret,
};

function item(frontMatter: Record<string, unknown>, body = "Please deploy.\n"): ApprovedItem {
  return {
    id: "WEBHOOK_deploy_1",
    action: "webhook",
    fileName: "WEBHOOK_deploy_1.md",
    frontMatter,
    body,
  };
}

function prepare(frontMatter: Record<string, unknown>, settings = SETTINGS): PreparedAction {
  return webhookAction.prepare(item(frontMatter), settings);
}

function request(prepared: PreparedAction) {
  return prepared.request as { url: string; headers: Record<string, string>; body: string };
}

// ---------------------------------------------------------------------------------------------
// Which action an approved file asks for

Deno.test("actionOf() takes the action: field, trimmed and lower-cased", () => {
  assert.equal(actionOf("note.md", { action: "  Send_Email \n" }), "send_email");
  assert.equal(actionOf("note.md", { action: "WEBHOOK" }), "webhook");
});

Deno.test("actionOf() knows every file-name prefix of DESIGN.md", () => {
  const expected: Record<string, string> = {
    EMAIL_: "send_email",
    GMAIL_: "send_email",
    LINKEDIN_: "linkedin_post",
    FACEBOOK_: "facebook_post",
    INSTAGRAM_: "instagram_post",
    TWITTER_: "x_post",
    WHATSAPP_: "whatsapp_reply",
    WEBHOOK_: "webhook",
  };
  for (const [prefix, action] of Object.entries(expected)) {
    assert.equal(actionOf(`${prefix}20260101_thing.md`, {}), action, prefix);
  }
});

Deno.test("actionOf() reads a prefix whatever its case", () => {
  assert.equal(actionOf("webhook_deploy.md", {}), "webhook");
  assert.equal(actionOf("Email_reply.md", {}), "send_email");
});

Deno.test("actionOf() lets the action: field win over the file-name prefix", () => {
  assert.equal(actionOf("EMAIL_client.md", { action: "webhook" }), "webhook");
});

Deno.test("actionOf() falls back to the prefix when action: is blank or not text", () => {
  assert.equal(actionOf("WEBHOOK_a.md", { action: "   " }), "webhook");
  assert.equal(actionOf("WEBHOOK_a.md", { action: 42 }), "webhook");
});

Deno.test("actionOf() gives undefined without an action: field or a known prefix", () => {
  assert.equal(actionOf("note.md", {}), undefined);
  assert.equal(actionOf("MY_EMAIL_note.md", {}), undefined, "the prefix must start the name");
});

Deno.test("findActionType() finds the webhook action and nothing for unknown names", () => {
  assert.equal(findActionType("webhook")?.name, "webhook");
  assert.equal(findActionType("teleport"), undefined);
});

// ---------------------------------------------------------------------------------------------
// Preparing a webhook

Deno.test("webhook prepare() posts to a webhook named in the settings", () => {
  const prepared = prepare({ webhook: "slack" });
  assert.equal(request(prepared).url, SETTINGS.webhooks.slack);
  assert.deepEqual(prepared.hosts, ["hooks.slack.example:443"]);
});

Deno.test("webhook prepare() lists the defined names when the named webhook is unknown", () => {
  assert.throws(
    () => prepare({ webhook: "teams" }),
    (error: unknown) =>
      error instanceof ActionInputError && error.message.includes("'teams'") &&
      error.message.includes("slack") && error.message.includes("ntfy"),
  );
});

Deno.test("webhook prepare() says where to define a named webhook when none is defined", () => {
  assert.throws(
    () => prepare({ webhook: "teams" }, { webhooks: {}, userAgent: "aiemp/test", secret }),
    (error: unknown) => error instanceof ActionInputError && /webhooks:/.test(error.message),
  );
});

Deno.test("webhook prepare() asks for a url when the item has neither url nor webhook", () => {
  assert.throws(
    () => prepare({ action: "webhook" }),
    (error: unknown) => error instanceof ActionInputError && /url/.test(error.message),
  );
});

Deno.test("webhook prepare() refuses a URL that is not http or https", () => {
  assert.throws(() => prepare({ url: "ftp://files.example.com/drop" }), ActionInputError);
  assert.throws(() => prepare({ url: "file:///etc/passwd" }), ActionInputError);
});

Deno.test("webhook prepare() refuses text that is not a URL", () => {
  assert.throws(() => prepare({ url: "not a url" }), ActionInputError);
});

Deno.test("webhook prepare() sends the item's payload verbatim as JSON", () => {
  const payload = { text: "Deployed v2 ✅", blocks: [{ type: "section" }], n: 3, ok: true };
  const prepared = prepare({ url: "https://example.com/hook", payload });
  const sent = request(prepared);
  assert.deepEqual(JSON.parse(sent.body), payload);
  assert.equal(sent.headers["content-type"], "application/json");
  assert.deepEqual(prepared.summary.body, payload);
});

Deno.test("webhook prepare() sends a payload that is plain text as a JSON string", () => {
  const prepared = prepare({ url: "https://example.com/hook", payload: "hello" });
  assert.equal(request(prepared).body, '"hello"');
});

Deno.test("webhook prepare() without a payload sends the id, action, fields (not the url) and body", () => {
  const prepared = prepare({
    url: "https://example.com/hook",
    action: "webhook",
    priority: "high",
  });
  assert.deepEqual(JSON.parse(request(prepared).body), {
    id: "WEBHOOK_deploy_1",
    action: "webhook",
    fields: { action: "webhook", priority: "high" },
    body: "Please deploy.\n",
  });
});

Deno.test("webhook prepare() sends the item id as the idempotency key", () => {
  const headers = request(prepare({ url: "https://example.com/hook" })).headers;
  assert.equal(headers["idempotency-key"], "WEBHOOK_deploy_1");
  assert.equal(headers["user-agent"], "aiemp/test");
});

Deno.test("webhook prepare() allows only the URL's host and port, with default ports", () => {
  assert.deepEqual(prepare({ url: "https://example.com/hook" }).hosts, ["example.com:443"]);
  assert.deepEqual(prepare({ url: "http://example.com/hook" }).hosts, ["example.com:80"]);
  assert.deepEqual(prepare({ url: "http://127.0.0.1:8787/x" }).hosts, ["127.0.0.1:8787"]);
  assert.deepEqual(prepare({ webhook: "ntfy" }).hosts, ["ntfy.local:8080"]);
});

Deno.test("webhook prepare() reads no files", () => {
  assert.deepEqual(prepare({ url: "https://example.com/hook" }).readable, []);
});

Deno.test("webhook prepare() keeps the URL's path and query (tokens) out of the summary", () => {
  for (
    const fields of [
      { webhook: "slack" },
      { webhook: "ntfy" },
      { url: "https://api.example.com/v1/hooks/abc123def?token=zzz999" },
    ]
  ) {
    const summary = prepare(fields).summary;
    const url = String(summary.url);
    for (const secret of ["XXXXsecretXXXX", "T000", "tok123", "auth=", "abc123def", "zzz999"]) {
      assert.ok(!url.includes(secret), `${url} leaks ${secret}`);
    }
    assert.ok(url.startsWith("http"), url);
  }
});

// Regression test; it failed before the fix (src/actions/webhook.ts): the summary is documented as "what would be sent, with secrets
// left out", and summary.url is cut to the origin for that reason, but without a `payload` the
// summary's body carries every front-matter field — `url` included, path, query and token — so
// the token still reaches the dry-run result section and the audit log.
//.
Deno.test({
  name: "webhook prepare() keeps an explicit url's token out of the whole summary",
  fn() {
    const summary = prepare({ url: "https://api.example.com/v1/hooks/abc123def?token=zzz999" })
      .summary;
    const recorded = JSON.stringify(summary);
    assert.ok(!recorded.includes("zzz999"), recorded);
    assert.ok(!recorded.includes("abc123def"), recorded);
  },
});

// ---------------------------------------------------------------------------------------------
// Named webhooks whose URL or token is a secret

Deno.test("webhook prepare() posts to the URL a secret holds and records it only as [secret NAME]", () => {
  const prepared = prepare({ webhook: "chat" });
  assert.equal(request(prepared).url, SECRETS.chat_url);
  assert.deepEqual(prepared.hosts, ["chat.example:443"]);
  assert.equal(prepared.summary.url, "[secret chat_url]");
});

Deno.test("webhook prepare() sends a token secret as a Bearer token and records only its name", () => {
  const prepared = prepare({ webhook: "ci" });
  assert.equal(request(prepared).headers.authorization, `Bearer ${SECRETS.ci_token}`);
  assert.equal(request(prepared).url, "https://ci.example:8443/notify");
  const recorded = JSON.stringify(prepared.summary);
  assert.ok(recorded.includes("Bearer [secret ci_token]"), recorded);
  for (const value of Object.values(SECRETS)) assert.ok(!recorded.includes(value), recorded);
});

Deno.test("webhook prepare() fails with the secret's own message when a secret cannot be read", () => {
  assert.throws(
    () => prepare({ webhook: "missing" }),
    (error: unknown) => error instanceof ActionInputError && /'nope'/.test(error.message),
  );
});

Deno.test("webhook prepare() wants exactly one of url and url_secret in a named webhook", () => {
  for (const name of ["both", "neither"]) {
    assert.throws(
      () => prepare({ webhook: name }),
      (error: unknown) => error instanceof ActionInputError && /exactly one/.test(error.message),
    );
  }
});

Deno.test("webhook prepare() names a secret that is not a URL without showing its value", () => {
  assert.throws(
    () => prepare({ webhook: "garbled" }),
    (error: unknown) =>
      error instanceof ActionInputError && /not_a_url/.test(error.message) &&
      !error.message.includes(SECRETS.not_a_url),
  );
});

Deno.test("webhook prepare() does not take a named webhook from the object's prototype", () => {
  assert.throws(() => prepare({ webhook: "toString" }), ActionInputError);
});

Deno.test("every action has a run entry whose module serves it; a post has one per driver", async () => {
  const posts = ["linkedin_post", "x_post", "facebook_post", "instagram_post"];
  for (const type of ACTION_TYPES) {
    const entries = posts.includes(type.name)
      ? [ACTION_RUNS.social_api, ACTION_RUNS.social_browser]
      : [ACTION_RUNS[type.name]];
    for (const entry of entries) {
      assert.ok(entry, `no run entry for ${type.name}`);
      const source = await Deno.readTextFile(entry);
      assert.match(source, /serveActionRun\(/, `${entry} serves no action run`);
    }
  }
  const names = ACTION_TYPES.map((t) => t.name).filter((name) => !posts.includes(name));
  assert.deepEqual(
    Object.keys(ACTION_RUNS).sort(),
    [...names, "social_api", "social_browser"].sort(),
  );
});
