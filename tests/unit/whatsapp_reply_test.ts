/**
 * The `whatsapp_reply` action: what prepare() accepts and builds (nothing reserved, nothing of
 * the vault readable), the rate limit taken in the main thread by executeApproved() (over it,
 * nothing starts; a run that sent nothing gives its slot back), a busy profile, and a run in the
 * real Chromium against the local imitation of WhatsApp Web with its session logged out.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  ActionInputError,
  actionOf,
  type ActionSettings,
  type ApprovedItem,
} from "../../src/actions/mod.ts";
import { whatsappReplyAction, type WhatsAppReplyRequest } from "../../src/actions/whatsapp.ts";
import type { AuditEntry } from "../../src/audit/mod.ts";
import { browserPaths, findBrowser, holdProfile } from "../../src/browser/mod.ts";
import { executeApproved } from "../../src/executor/mod.ts";
import { createRateLimiter, rateLimitsFrom } from "../../src/pacing/mod.ts";
import { vaultLayout } from "../../src/vault/mod.ts";
import { startFakeWhatsApp } from "../fixtures/pages/whatsapp/fake_whatsapp.ts";
import { browserTest } from "../fixtures/chromium.ts";

const reply = whatsappReplyAction;

function item(frontMatter: Record<string, unknown>, body = ""): ApprovedItem {
  return {
    id: "WHATSAPP_reply_1",
    action: "whatsapp_reply",
    fileName: "WHATSAPP_reply_1.md",
    frontMatter,
    body,
  };
}

function settings(vault: string, overrides: Partial<ActionSettings> = {}): ActionSettings {
  return {
    webhooks: {},
    userAgent: "aiemp-test",
    secret: () => "",
    vault,
    whatsapp: { url: "http://127.0.0.1:9/" },
    browser: {
      executable: "/usr/bin/chromium",
      headless: true,
      keystroke: { minMs: 0, maxMs: 2 },
      action: { minMs: 0, maxMs: 0 },
      stepTimeoutMs: 5000,
    },
    ...overrides,
  };
}

/** A temporary vault folder, removed after `fn`. */
async function withVault(fn: (vault: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aiemp-whatsapp-reply-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

browserTest("a WHATSAPP_ file asks for whatsapp_reply", () => {
  assert.equal(actionOf("WHATSAPP_reply_ana.md", {}), "whatsapp_reply");
  assert.equal(reply.name, "whatsapp_reply");
  assert.equal(reply.idempotent(item({})), false, "a reply that may have gone out is never resent");
});

browserTest(
  "prepare() takes the chat and the exact text of ## Content; text: wins; it reserves nothing and reads nothing",
  () => {
    const vault = "/home/ana/Vault";
    const body =
      "## Why\nAna asked.\n\n## Content\n\nOlá Ana! 🙂\n  Line two, as written.\n\n## Notes\nno\n";
    const prepared = reply.prepare(item({ chat: "Ana Lima" }, body), settings(vault));
    const request = prepared.request as WhatsAppReplyRequest;
    assert.equal(request.chat, "Ana Lima");
    assert.equal(request.text, "Olá Ana! 🙂\n  Line two, as written.");
    assert.equal(request.itemId, "WHATSAPP_reply_1");
    assert.deepEqual(prepared.hosts, []);
    assert.deepEqual(prepared.readable, []);
    assert.equal(prepared.pace, "whatsapp");
    const paths = browserPaths(vaultLayout(vault).internal, "whatsapp");
    assert.deepEqual(prepared.browser, {
      executable: "/usr/bin/chromium",
      ...paths,
      evidenceDir: join(vault, "Logs", "browser"),
    });
    assert.ok((prepared.minTimeoutMs ?? 0) >= 30_000);
    assert.deepEqual(prepared.summary, {
      via: "WhatsApp Web",
      chat: "Ana Lima",
      text: "Olá Ana! 🙂\n  Line two, as written.",
    });

    const given = reply.prepare(item({ chat: "Ana", text: "On my way" }, body), settings(vault));
    assert.equal((given.request as WhatsAppReplyRequest).text, "On my way");
  },
);

browserTest(
  "prepare() refuses a reply without its chat, without its text, or without a browser, saying what to write",
  () => {
    const vault = "/v";
    const refuses = (
      fields: Record<string, unknown>,
      body: string,
      pattern: RegExp,
      s = settings(vault),
    ) =>
      assert.throws(
        () => reply.prepare(item(fields, body), s),
        (error: unknown) => error instanceof ActionInputError && pattern.test(error.message),
      );
    refuses({}, "## Content\nhi\n", /needs 'chat: NAME'/);
    refuses({ chat: "Ana" }, "Just a body, no heading.\n", /under '## Content'.*'text:'/);
    refuses({ chat: "Ana" }, "## Content\n\n   \n", /is empty/);
    refuses({ chat: "Ana", text: "  " }, "", /is empty/);
    refuses({ chat: "Ana", text: 42 }, "", /'text' must be the WhatsApp reply's text/);
    refuses(
      { chat: "Ana" },
      "## Content\nhi\n",
      /No Chromium or Chrome found/,
      settings(vault, {
        browser: {
          missing: "No Chromium or Chrome found (…); install Chromium",
          headless: true,
          keystroke: { minMs: 0, maxMs: 1 },
          action: { minMs: 0, maxMs: 1 },
          stepTimeoutMs: 1000,
        },
      }),
    );
  },
);

browserTest(
  "executeApproved() over the WhatsApp rate limit starts nothing and says when the next slot is",
  async () => {
    await withVault(async (vault) => {
      const file = join(vault, "pacing.json");
      const limiter = createRateLimiter({
        file,
        limits: rateLimitsFrom({ whatsapp: { per_hour: 1 } }),
      });
      assert.equal((await limiter.reserve("whatsapp")).ok, true);
      const audit: AuditEntry[] = [];
      const outcome = await executeApproved(item({ chat: "Ana" }, "## Content\nhi\n"), 1, {
        settings: settings(vault),
        audit: { append: (entry) => Promise.resolve(void audit.push(entry)) },
        dryRun: false,
        timeoutMs: 10_000,
        limiter,
      });
      assert.equal(outcome.ok, false);
      assert.ok(!outcome.ok && outcome.retryable && outcome.waitMs! > 0, "it waits for its slot");
      assert.match(
        !outcome.ok ? outcome.reason : "",
        /over the rate limit: WhatsApp allows 1 reply an hour; the next slot is at .*nothing was sent/,
      );
      assert.deepEqual(audit.map((entry) => entry.event), ["deferred"]);
      assert.ok(Number(audit[0].wait_ms) > 0);
    });
  },
);

browserTest(
  "a run that finds the profile busy (the watcher checking) is retryable, sends nothing, and gives its slot back",
  async () => {
    await withVault(async (vault) => {
      const paths = browserPaths(vaultLayout(vault).internal, "whatsapp");
      await Deno.mkdir(paths.profileDir, { recursive: true });
      const hold = await holdProfile(paths.profileDir);
      assert.ok(hold);
      const limiter = createRateLimiter({
        file: join(vault, "pacing.json"),
        limits: rateLimitsFrom({ whatsapp: { per_hour: 1 } }),
      });
      const audit: AuditEntry[] = [];
      try {
        const outcome = await executeApproved(item({ chat: "Ana" }, "## Content\nhi\n"), 1, {
          settings: settings(vault),
          audit: { append: (entry) => Promise.resolve(void audit.push(entry)) },
          dryRun: false,
          timeoutMs: 20_000,
          limiter,
        });
        assert.ok(!outcome.ok && outcome.retryable && !outcome.interrupted);
        assert.match(
          !outcome.ok ? outcome.reason : "",
          /WhatsApp browser is busy.*nothing was sent/,
        );
        assert.equal(!outcome.ok && outcome.waitMs, 15_000, "it waits, costing no attempt");
      } finally {
        hold.release();
      }
      assert.deepEqual(audit.map((entry) => entry.event), ["started", "deferred"]);
      assert.equal((await limiter.reserve("whatsapp")).ok, true, "the slot was given back");
    });
  },
);

browserTest(
  "a run against a logged-out WhatsApp Web is not retried: it names aiemp login whatsapp and the evidence",
  async () => {
    const fake = startFakeWhatsApp({ loggedIn: false });
    try {
      await withVault(async (vault) => {
        const executable = await findBrowser();
        const real = settings(vault, {
          whatsapp: { url: fake.url },
          browser: { ...settings(vault).browser!, executable, stepTimeoutMs: 3000 },
        });
        const approved = item({ chat: "Ana Lima" }, "## Content\nhi\n");
        const prepared = reply.prepare(approved, real);
        const outcome = await executeApproved(approved, 1, {
          settings: real,
          audit: { append: () => Promise.resolve() },
          dryRun: false,
          timeoutMs: 60_000,
        });
        assert.ok(
          !outcome.ok && !outcome.retryable && !outcome.interrupted,
          JSON.stringify(outcome),
        );
        const reason = !outcome.ok ? outcome.reason : "";
        assert.match(reason, /was not sent/);
        assert.match(reason, /aiemp login whatsapp/);
        const evidence = reason.match(/evidence: (\S+\.png), (\S+\.html)/);
        assert.ok(evidence, reason);
        assert.ok((await Deno.stat(evidence[1])).size > 0);
        assert.ok(evidence[1].startsWith(prepared.browser!.evidenceDir));
        assert.deepEqual(fake.sent(), []);
        // The run closed its browser and let go of the profile.
        const hold = await holdProfile(prepared.browser!.profileDir);
        assert.ok(hold, "the profile is free again");
        hold.release();
      });
    } finally {
      await fake.close();
    }
  },
);
