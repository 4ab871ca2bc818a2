import assert from "node:assert/strict";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { type Config, ConfigError, loadConfig, resolveVaultPath } from "../../src/config/mod.ts";
import { DEFAULT_RATE_LIMITS, rateLimitsFrom } from "../../src/pacing/mod.ts";

/** Loads `text` expecting a ConfigError, and returns its message. */
function configErrorOf(text: string): string {
  try {
    loadConfig(text, {});
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    return error.message;
  }
  assert.fail(`loadConfig accepted:\n${text}`);
}

Deno.test("loadConfig() without a file gives the documented defaults", () => {
  const config = loadConfig(undefined, {});
  assert.equal(config.dry_run, false);
  assert.equal(config.inbox.settle_ms, 200);
  assert.equal(config.inbox.max_file_mb, 50);
  assert.equal(config.approvals.max_retries, 3);
  assert.equal(config.approvals.stale_after_hours, 24);
  assert.equal(config.archive.done_after_days, 7);
  assert.equal(config.agent.command, "claude");
  assert.deepEqual(config.webhooks, {});
});

Deno.test("loadConfig() gives the defaults for an empty or comment-only file", () => {
  assert.deepEqual(loadConfig("", {}), loadConfig(undefined, {}));
  assert.deepEqual(loadConfig("# nothing set yet\n", {}), loadConfig(undefined, {}));
});

Deno.test("loadConfig() keeps the settings given and the defaults beside them", () => {
  const config = loadConfig("inbox:\n  settle_ms: 100\n", {});
  assert.equal(config.inbox.settle_ms, 100);
  assert.equal(config.inbox.preview_chars, 1500);
  assert.equal(config.approvals.max_retries, 3);
});

Deno.test("loadConfig() returns settings nobody can change afterwards", () => {
  const config = loadConfig("webhooks:\n  slack: https://hooks.example.com/T1\n", {});
  assert.ok(Object.isFrozen(config));
  assert.ok(Object.isFrozen(config.inbox));
  assert.ok(Object.isFrozen(config.webhooks));
  assert.throws(() => {
    (config as { dry_run: boolean }).dry_run = true;
  }, TypeError);
  assert.throws(() => {
    (config.inbox as { settle_ms: number }).settle_ms = 1;
  }, TypeError);
  assert.equal(config.inbox.settle_ms, 200);
});

Deno.test("loadConfig() turns dry-run on when DRY_RUN=true is in the environment", () => {
  assert.equal(loadConfig(undefined, { DRY_RUN: "true" }).dry_run, true);
  assert.equal(loadConfig("dry_run: false\n", { DRY_RUN: "true" }).dry_run, true);
  assert.equal(loadConfig(undefined, { DRY_RUN: "false" }).dry_run, false);
  assert.equal(loadConfig(undefined, {}).dry_run, false);
});

Deno.test("loadConfig() turns dry-run on for --dry-run", () => {
  assert.equal(loadConfig(undefined, {}, { dryRun: true }).dry_run, true);
});

Deno.test("loadConfig() names the key and the expected form for a value of the wrong type", () => {
  const message = configErrorOf("inbox:\n  settle_ms: fast\n");
  assert.ok(message.includes("'inbox.settle_ms'"), message);
  assert.ok(message.includes("milliseconds"), message);
  assert.ok(message.includes("aiemp.yaml"), message);
});

Deno.test("loadConfig() names a misspelt setting as unknown", () => {
  const message = configErrorOf("inbox:\n  setle_ms: 100\n");
  assert.ok(message.includes("unknown setting 'inbox.setle_ms'"), message);
});

Deno.test("loadConfig() names a misspelt top-level section as unknown", () => {
  const message = configErrorOf("inbx:\n  settle_ms: 100\n");
  assert.ok(message.includes("unknown setting 'inbx'"), message);
});

Deno.test("loadConfig() says the YAML is broken when it cannot be parsed", () => {
  const message = configErrorOf("inbox:\n  settle_ms: [100\n  enabled: true\n");
  assert.ok(message.includes("YAML"), message);
});

Deno.test("loadConfig() rejects a file that is a list rather than settings", () => {
  configErrorOf("- inbox\n- approvals\n");
});

Deno.test("loadConfig() never echoes a webhook URL in its error, since it may hold a token", () => {
  const message = configErrorOf("webhooks:\n  alerts: ftp://user:s3cret@x\n");
  assert.ok(message.includes("webhooks.alerts"), message);
  assert.ok(!message.includes("s3cret"), message);
  assert.ok(!message.includes("ftp://"), message);
});

Deno.test("loadConfig() accepts named http(s) webhooks", () => {
  const config = loadConfig("webhooks:\n  ntfy: https://ntfy.example.com/topic\n", {});
  assert.equal(config.webhooks.ntfy, "https://ntfy.example.com/topic");
});

Deno.test("resolveVaultPath() prefers the --vault flag over everything else", () => {
  assert.equal(
    resolveVaultPath("/from/flag", { AIEMP_VAULT: "/from/env", HOME: "/home/ana" }),
    "/from/flag",
  );
});

Deno.test("resolveVaultPath() uses AIEMP_VAULT when there is no flag", () => {
  assert.equal(
    resolveVaultPath(undefined, { AIEMP_VAULT: "/from/env", HOME: "/home/ana" }),
    "/from/env",
  );
});

Deno.test("resolveVaultPath() falls back to AI_Employee_Vault in the home folder", () => {
  assert.equal(
    resolveVaultPath(undefined, { HOME: "/home/ana" }),
    join("/home/ana", "AI_Employee_Vault"),
  );
});

Deno.test("resolveVaultPath() explains how to pass a vault when there is no home folder", () => {
  assert.throws(() => resolveVaultPath(undefined, {}), /--vault/);
});

// Regression test; it failed before the fix (src/config/load.ts): a webhook name outside [A-Za-z0-9_-] fails the schema's key rule,
// whose message ("names may use letters, digits, _ and -") is lost: the error says
// "expected a map of name: URL", which does not tell the owner what to change.
Deno.test({
  name: "loadConfig() tells which characters a webhook name may use",
  fn() {
    const message = configErrorOf("webhooks:\n  bad name: https://hooks.example.com/x\n");
    assert.ok(message.includes("letters, digits"), message);
  },
});

Deno.test("loadConfig() accepts a named webhook whose URL and token are secrets", () => {
  const config = loadConfig(
    "webhooks:\n  chat:\n    url_secret: chat_url\n    token_secret: chat_token\n",
    {},
  );
  assert.deepEqual(config.webhooks.chat, { url_secret: "chat_url", token_secret: "chat_token" });
});

Deno.test("loadConfig() wants exactly one of url and url_secret in a named webhook", () => {
  for (
    const text of [
      "webhooks:\n  chat:\n    url: https://chat.example/x\n    url_secret: chat_url\n",
      "webhooks:\n  chat:\n    token_secret: chat_token\n",
    ]
  ) {
    const message = configErrorOf(text);
    assert.ok(message.includes("webhooks.chat") && message.includes("exactly one"), message);
  }
});

Deno.test("loadConfig() refuses a secret name that could reach outside .aiemp/secrets/", () => {
  for (const name of ["../aiemp.yaml", ".hidden", "sub/token"]) {
    const message = configErrorOf(`webhooks:\n  chat:\n    url_secret: "${name}"\n`);
    assert.ok(message.includes("webhooks.chat.url_secret"), message);
  }
});

Deno.test("loadConfig() names a misspelt key of a named webhook", () => {
  const message = configErrorOf("webhooks:\n  chat:\n    token_secrt: t\n    url_secret: u\n");
  assert.ok(message.includes("webhooks.chat.token_secrt"), message);
});

Deno.test("loadConfig() gives the browser, WhatsApp and pacing defaults", () => {
  const config = loadConfig(undefined, {});
  assert.deepEqual(config.browser, {
    executable: "",
    headless: true,
    keystroke_ms: { min: 40, max: 160 },
    action_ms: { min: 300, max: 1200 },
    step_timeout_s: 30,
  });
  assert.deepEqual(config.whatsapp, {
    enabled: false,
    url: "https://web.whatsapp.com/",
    check_interval_s: 30,
    urgent_keywords: ["urgent", "asap", "invoice", "payment", "help"],
    vip_contacts: [],
    max_chats_per_check: 10,
    logged_in_selector: "#chat-list",
    logged_out_selector: "#qr-code",
  });
  assert.deepEqual(config.pacing, { rate_limits: {} });
  // No override: the limits enforced are src/pacing's defaults.
  assert.deepEqual(rateLimitsFrom(config.pacing.rate_limits), DEFAULT_RATE_LIMITS);
});

Deno.test("loadConfig() keeps a WhatsApp address and rate limits that are given", () => {
  const config = loadConfig(
    "whatsapp:\n  url: http://127.0.0.1:8080/\npacing:\n  rate_limits:\n    whatsapp: {per_hour: 12}\n",
    {},
  );
  assert.equal(config.whatsapp.url, "http://127.0.0.1:8080/");
  assert.equal(rateLimitsFrom(config.pacing.rate_limits).whatsapp.count, 12);
  assert.equal(config.browser.step_timeout_s, 30);
});

Deno.test("loadConfig() refuses a keystroke range whose min is above its max, saying what to give", () => {
  const message = configErrorOf("browser:\n  keystroke_ms: {min: 200, max: 100}\n");
  assert.ok(message.includes("'browser.keystroke_ms'"), message);
  assert.ok(message.includes("min ≤ max"), message);
  assert.ok(message.includes("{min: 40, max: 160}"), message);
});

Deno.test("loadConfig() refuses an action range whose max alone falls below the default min", () => {
  const message = configErrorOf("browser:\n  action_ms: {max: 100}\n");
  assert.ok(message.includes("'browser.action_ms'") && message.includes("min ≤ max"), message);
});

Deno.test("loadConfig() refuses a rate limit of 0 or a fraction an hour, as rateLimitsFrom does", () => {
  for (const value of ["0", "2.5", "-1", "lots"]) {
    const message = configErrorOf(`pacing:\n  rate_limits:\n    whatsapp: {per_hour: ${value}}\n`);
    assert.ok(message.includes("'pacing.rate_limits.whatsapp.per_hour'"), message);
    assert.ok(message.includes("whole number of 1 or more"), message);
  }
});

Deno.test("loadConfig() names a misspelt key of a rate limit", () => {
  const message = configErrorOf("pacing:\n  rate_limits:\n    x: {per_hour: 3, per_day: 20}\n");
  assert.ok(message.includes("unknown setting 'pacing.rate_limits.x.per_day'"), message);
});

Deno.test("loadConfig() refuses a WhatsApp address that is not http(s)", () => {
  const message = configErrorOf("whatsapp:\n  url: web.whatsapp.com\n");
  assert.ok(message.includes("'whatsapp.url'") && message.includes("http"), message);
});

// ---- the commented aiemp.yaml of vault-template ----

const TEMPLATE = new URL("../../vault-template/aiemp.yaml", import.meta.url);

/** The settings lines of the template with their "# " and their trailing comments taken off. */
function uncommentedTemplate(text: string): Record<string, unknown> {
  const lines = text.split("\n")
    .filter((line) => /^# *(- )?[a-z_]+:( |$)/.test(line))
    .map((line) => line.replace(/^# /, "").replace(/ +# .*$/, ""));
  return parseYaml(lines.join("\n")) as Record<string, unknown>;
}

/** The dotted paths of the settings in `value`: into sections, not into lists or empty maps. */
function settingPaths(value: unknown, prefix = ""): string[] {
  const isSection = typeof value === "object" && value !== null && !Array.isArray(value) &&
    Object.keys(value).length > 0;
  if (!isSection) return [prefix];
  return Object.entries(value).flatMap(([key, inner]) =>
    settingPaths(inner, prefix ? `${prefix}.${key}` : key)
  );
}

Deno.test("the template's aiemp.yaml lists every setting, and its values are the defaults", async () => {
  const listed = uncommentedTemplate(await Deno.readTextFile(TEMPLATE));
  // These two sections show examples, not defaults (both are empty by default).
  const { webhooks, watchers, ...settings } = listed;
  assert.ok(webhooks && watchers, "the template shows an example webhook and watcher");
  const defaults: Partial<Config> = { ...loadConfig(undefined, {}) };
  delete defaults.webhooks;
  delete defaults.watchers;
  const missing = settingPaths(defaults).filter((path) => !settingPaths(settings).includes(path));
  assert.deepEqual(missing, [], "settings missing from vault-template/aiemp.yaml");
  const asListed = loadConfig(JSON.stringify(settings), {});
  assert.deepEqual({ ...asListed, webhooks: {}, watchers: [] }, loadConfig(undefined, {}));
});
