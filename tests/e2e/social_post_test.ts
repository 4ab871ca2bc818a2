/**
 * Social posts through the API drivers, run by the real `aiemp start` against loopback fakes of
 * LinkedIn's, X's and Meta's APIs: an approved post is published exactly once and lands in Done/
 * with its address; a 429 makes it wait and then go; a server error on publishing hands it back
 * as "may have been published" and it is not posted again; a post over its limit and a post with
 * an expired token are refused before anything is sent; the rate limit holds a second post back;
 * the Dashboard shows each account and warns before a token expires.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readAuditLog } from "../../src/audit/mod.ts";
import { renderSocialToken, type SocialPlatform, type SocialToken } from "../../src/social/mod.ts";
import { parseNote } from "../../src/vault/mod.ts";
import { type FakeSocialApis, startFakeSocialApis } from "../fixtures/fake_social_apis.ts";
import {
  aiemp,
  approve,
  filesIn,
  makeVault,
  startAiemp,
  type TestVault,
  waitFor,
} from "./_harness.ts";

const DAY_MS = 86_400_000;

/** Every platform pointed at the fake, with quick retries. */
function settings(fake: FakeSocialApis, extra = ""): string {
  return [
    "linkedin:",
    `  api_base: ${fake.bases.linkedin}`,
    `  url: ${fake.siteOrigin}/`,
    "x:",
    `  api_base: ${fake.bases.x}`,
    "facebook:",
    `  api_base: ${fake.bases.facebook}`,
    "instagram:",
    `  api_base: ${fake.bases.instagram}`,
    "approvals:",
    "  retry_delay_s: 1",
    "dashboard:",
    "  refresh_ms: 50",
    extra,
  ].join("\n");
}

/** Stores a platform's token as `aiemp auth` does: a 0600 file in the 0700 secrets folder. */
async function storeToken(vault: TestVault, platform: SocialPlatform, token: SocialToken) {
  const dir = vault.file(".aiemp", "secrets");
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  await Deno.chmod(dir, 0o700);
  const file = join(dir, `${platform}_token`);
  await Deno.writeTextFile(file, renderSocialToken(token), { mode: 0o600 });
  await Deno.chmod(file, 0o600);
}

/** A vault whose four platforms have the fake's token, valid for 60 days. */
async function socialVault(fake: FakeSocialApis, extra = ""): Promise<TestVault> {
  const vault = await makeVault(settings(fake, extra));
  const expiresAt = new Date(Date.now() + 60 * DAY_MS).toISOString();
  await storeToken(vault, "linkedin", {
    accessToken: fake.token,
    expiresAt,
    account: "urn:li:person:owner1",
  });
  await storeToken(vault, "x", { accessToken: fake.token, expiresAt });
  await storeToken(vault, "facebook", { accessToken: fake.token, account: fake.pageId });
  await storeToken(vault, "instagram", { accessToken: fake.token, account: fake.igUserId });
  return vault;
}

function postRequest(id: string, action: string, text: string, extra = ""): string {
  return `---\nid: ${id}\ntype: approval_request\naction: ${action}\n` +
    `created: 2026-11-21T05:00:00Z\nexpires: 2099-01-01T00:00:00Z\n${extra}---\n\n` +
    `## Why\nA tip for the audience.\n\n## Content\n${text}\n`;
}

/** The note `name` once it is in `folder`, parsed. */
async function landed(vault: TestVault, folder: string, name: string) {
  const path = vault.file(folder, name);
  await waitFor(
    () => Deno.stat(path).then(() => true, () => false),
    `${name} in ${folder}/`,
    30_000,
  );
  return parseNote(await Deno.readTextFile(path));
}

Deno.test("approved posts are published exactly once through each API and land in Done/ with their address", async () => {
  const fake = startFakeSocialApis();
  const vault = await socialVault(fake);
  const run = await startAiemp(vault.path);
  try {
    await approve(
      vault,
      "LINKEDIN_tip.md",
      postRequest(
        "LINKEDIN_tip",
        "linkedin_post",
        "Three small changes.",
        "hashtags: [smallbusiness]\n",
      ),
    );
    await approve(vault, "TWITTER_tip.md", postRequest("TWITTER_tip", "x_post", "One idea 🙂"));
    await approve(
      vault,
      "FACEBOOK_tip.md",
      postRequest(
        "FACEBOOK_tip",
        "facebook_post",
        "Friendly words.",
        "link: https://example.com/a\n",
      ),
    );
    await approve(
      vault,
      "INSTAGRAM_tip.md",
      postRequest(
        "INSTAGRAM_tip",
        "instagram_post",
        "A caption.",
        "image_url: https://cdn.example.com/p.jpg\n",
      ),
    );
    const done = {
      linkedin: await landed(vault, "Done", "LINKEDIN_tip.md"),
      x: await landed(vault, "Done", "TWITTER_tip.md"),
      facebook: await landed(vault, "Done", "FACEBOOK_tip.md"),
      instagram: await landed(vault, "Done", "INSTAGRAM_tip.md"),
    };
    for (const [platform, note] of Object.entries(done)) {
      assert.equal(note.frontMatter.outcome, "sent", platform);
      assert.match(String(note.frontMatter.remote_url), /^https:\/\//, platform);
      assert.match(note.body, /- Link: https:\/\//, platform);
    }
    assert.match(
      String(done.linkedin.frontMatter.remote_url),
      /linkedin\.com\/feed\/update\/urn:li:/,
    );
    assert.match(String(done.x.frontMatter.remote_url), /x\.com\/i\/web\/status\/\d+/);
    assert.equal(fake.published.length, 4, "each approval published once");
    const texts = Object.fromEntries(fake.published.map((p) => [p.platform, p.text]));
    // LinkedIn's "little text": a hashtag goes as its template.
    assert.equal(texts.linkedin, "Three small changes. {hashtag|\\#|smallbusiness}");
    assert.equal(texts.x, "One idea 🙂");
    assert.equal(
      fake.published.find((p) => p.platform === "facebook")?.link,
      "https://example.com/a",
    );
    for (const request of fake.requests) {
      assert.equal(request.authorization, `Bearer ${fake.token}`, request.path);
    }
    const log = await readAuditLog(vault.file(".aiemp", "audit.jsonl"));
    assert.ok(!JSON.stringify(log).includes(fake.token), "no token in the audit log");
    assert.ok(!run.output().includes(fake.token), "no token in the output");
  } finally {
    await run.stop();
    await fake.close();
    await vault.cleanup();
  }
});

Deno.test("a 429 makes a post wait for the reset, a 5xx on publishing hands it back, limits refuse before sending", async () => {
  const fake = startFakeSocialApis();
  const vault = await socialVault(fake);
  // Instagram's token expired yesterday and cannot be renewed.
  await storeToken(vault, "instagram", {
    accessToken: fake.token,
    account: fake.igUserId,
    expiresAt: new Date(Date.now() - DAY_MS).toISOString(),
  });
  fake.failNext("x.tweets", 1, { status: 429, headers: { "retry-after": "1" } });
  fake.failNext("facebook.feed", 1, { status: 503, afterServing: true });
  const run = await startAiemp(vault.path);
  try {
    await approve(vault, "TWITTER_wait.md", postRequest("TWITTER_wait", "x_post", "Soon."));
    await approve(
      vault,
      "FACEBOOK_maybe.md",
      postRequest("FACEBOOK_maybe", "facebook_post", "Hi."),
    );
    await approve(
      vault,
      "TWITTER_long.md",
      postRequest("TWITTER_long", "x_post", "word ".repeat(60).trim()),
    );
    await approve(
      vault,
      "INSTAGRAM_expired.md",
      postRequest(
        "INSTAGRAM_expired",
        "instagram_post",
        "Caption.",
        "image_url: https://cdn.example.com/p.jpg\n",
      ),
    );

    const waited = await landed(vault, "Done", "TWITTER_wait.md");
    assert.equal(waited.frontMatter.attempts, 1, "the 429 cost no attempt");
    assert.equal(fake.requestsTo("x.tweets").length, 2, "asked once, refused, asked again");

    const maybe = await landed(vault, "Pending_Approval", "FACEBOOK_maybe.md");
    assert.match(JSON.stringify(maybe.frontMatter), /may have been/);
    assert.match(maybe.body, /may have been published/);

    const long = await landed(vault, "Rejected", "TWITTER_long.md");
    assert.match(String(long.frontMatter.error), /299 characters.*X takes at most 280/);
    const expired = await landed(vault, "Rejected", "INSTAGRAM_expired.md");
    assert.match(String(expired.frontMatter.error), /expired.*aiemp auth instagram/);

    const log = await readAuditLog(vault.file(".aiemp", "audit.jsonl"));
    assert.ok(
      log.some((e) => e.event === "deferred" && e.id === "TWITTER_wait"),
      "the wait is in the audit log",
    );
    assert.equal(fake.requestsTo("facebook.feed").length, 1, "never posted again by aiemp");
    assert.equal(
      fake.requestsTo("instagram.media").length,
      0,
      "nothing sent with an expired token",
    );
    assert.equal(
      fake.published.filter((p) => p.platform === "x").length,
      1,
      "the post over the limit was never sent",
    );
  } finally {
    await run.stop();
    await fake.close();
    await vault.cleanup();
  }
});

Deno.test("the rate limit holds a second post back; the Dashboard shows the accounts and warns before a token expires", async () => {
  const fake = startFakeSocialApis();
  const vault = await socialVault(fake, "pacing:\n  rate_limits:\n    linkedin: {per_hour: 1}\n");
  await storeToken(vault, "facebook", {
    accessToken: fake.token,
    account: fake.pageId,
    expiresAt: new Date(Date.now() + 3 * DAY_MS).toISOString(),
  });
  const run = await startAiemp(vault.path);
  try {
    await approve(vault, "LINKEDIN_one.md", postRequest("LINKEDIN_one", "linkedin_post", "One."));
    await landed(vault, "Done", "LINKEDIN_one.md");
    await approve(vault, "LINKEDIN_two.md", postRequest("LINKEDIN_two", "linkedin_post", "Two."));
    await waitFor(async () => {
      const log = await readAuditLog(vault.file(".aiemp", "audit.jsonl"));
      return log.some((e) => e.event === "deferred" && e.id === "LINKEDIN_two");
    }, "the second post to wait for the rate limit");
    assert.deepEqual(await filesIn(vault.file("Done")), ["LINKEDIN_one.md"]);
    assert.equal(fake.published.length, 1);

    const dashboard = await waitFor(async () => {
      const text = await Deno.readTextFile(vault.file("Dashboard.md"));
      return text.includes("## Social accounts") && text;
    }, "the Social accounts section");
    assert.match(dashboard, /LinkedIn \(API\): valid until/);
    assert.match(dashboard, /Facebook \(API\): expires .*in [23] days; run 'aiemp auth facebook/);
    assert.match(dashboard, /Facebook API token: expires/, "an alert before it breaks a post");
    const status = JSON.parse(
      (await aiemp(["status", "--json", "--vault", vault.path])).stdout,
    );
    assert.deepEqual(
      status.social.map((a: { platform: string; driver: string }) => `${a.platform}:${a.driver}`),
      ["linkedin:api", "x:api", "facebook:api", "instagram:api"],
    );
  } finally {
    await run.stop();
    await fake.close();
    await vault.cleanup();
  }
});
