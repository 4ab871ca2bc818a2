/**
 * The four post actions as the main thread prepares them: which file asks for which action, each
 * platform's limits checked before anything is sent (the limit broken named), images measured by
 * their content, the driver chosen (the API when a token is set up, else the browser), and what
 * each driver's run may reach.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  ActionInputError,
  actionOf,
  type ActionSettings,
  type ApprovedItem,
  findActionType,
  type PreparedAction,
} from "../../src/actions/mod.ts";
import { loadConfig } from "../../src/config/mod.ts";
import { socialTokenSource } from "../../src/orchestrator/social.ts";
import { createSecretStore } from "../../src/secrets/mod.ts";
import type { ApiPostRequest, BrowserPostRequest, SocialPlatform } from "../../src/social/mod.ts";
import { vaultLayout } from "../../src/vault/mod.ts";

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1]);

const ACTIONS: Record<SocialPlatform, string> = {
  linkedin: "linkedin_post",
  x: "x_post",
  facebook: "facebook_post",
  instagram: "instagram_post",
};

function item(
  platform: SocialPlatform,
  frontMatter: Record<string, unknown>,
  body = "## Content\nHello there.\n",
): ApprovedItem {
  return {
    id: `${platform}_1`,
    action: ACTIONS[platform],
    fileName: `${platform}_1.md`,
    frontMatter,
    body,
  };
}

/** Settings with every platform on `driver`, and a token for those in `tokens`. */
function settings(
  vault: string,
  driver: "auto" | "api" | "browser",
  tokens: Partial<Record<SocialPlatform, { accessToken: string; account?: string }>> = {},
): ActionSettings {
  const platform = (apiBase: string, url: string) => ({ driver, apiBase, url });
  return {
    webhooks: {},
    userAgent: "aiemp-test",
    secret: () => "",
    vault,
    browser: {
      executable: "/usr/bin/chromium",
      headless: true,
      keystroke: { minMs: 0, maxMs: 2 },
      action: { minMs: 0, maxMs: 0 },
      stepTimeoutMs: 5000,
    },
    social: {
      linkedin: {
        ...platform("https://api.linkedin.com/", "https://www.linkedin.com/"),
        apiVersion: "202510",
        organization: "urn:li:organization:42",
      },
      x: platform("https://api.x.com/", "https://x.com/"),
      facebook: platform("http://127.0.0.1:8123/v23.0/", "https://www.facebook.com/"),
      instagram: platform("https://graph.facebook.com/v23.0/", "https://www.instagram.com/"),
    },
    socialToken: (p) => Promise.resolve(tokens[p]),
  };
}

const TOKENS = {
  linkedin: { accessToken: "li-token-1234567", account: "urn:li:person:abc" },
  x: { accessToken: "x-token-1234567" },
  facebook: { accessToken: "fb-token-1234567", account: "1001" },
  instagram: { accessToken: "ig-token-1234567", account: "17841400000" },
};

async function withVault(fn: (vault: string) => Promise<void>): Promise<void> {
  const vault = await Deno.makeTempDir({ prefix: "aiemp-social-" });
  try {
    await Deno.mkdir(join(vault, "Media"));
    await Deno.writeFile(join(vault, "Media", "photo.png"), PNG);
    await Deno.writeFile(join(vault, "Media", "photo.jpg"), JPEG);
    await fn(vault);
  } finally {
    await Deno.remove(vault, { recursive: true });
  }
}

async function prepare(
  platform: SocialPlatform,
  it: ApprovedItem,
  s: ActionSettings,
): Promise<PreparedAction> {
  return await findActionType(ACTIONS[platform])!.prepare(it, s);
}

async function refused(
  promise: Promise<unknown>,
  pattern: RegExp,
): Promise<void> {
  await assert.rejects(
    promise,
    (error: unknown) => error instanceof ActionInputError && pattern.test(error.message),
  );
}

Deno.test("file prefixes select the post actions, and twitter_post is X's", () => {
  assert.equal(actionOf("LINKEDIN_tip.md", {}), "linkedin_post");
  assert.equal(actionOf("TWITTER_tip.md", {}), "x_post");
  assert.equal(actionOf("FACEBOOK_tip.md", {}), "facebook_post");
  assert.equal(actionOf("INSTAGRAM_tip.md", {}), "instagram_post");
  assert.equal(findActionType("twitter_post")?.name, "x_post");
  for (const action of Object.values(ACTIONS)) {
    assert.equal(findActionType(action)!.idempotent(item("x", {})), false);
  }
});

Deno.test("with a token, auto posts through the API: only the platform's hosts, the image readable, paced", async () => {
  await withVault(async (vault) => {
    const prepared = await prepare(
      "linkedin",
      item("linkedin", { image: "Media/photo.png", hashtags: ["smallbusiness", "#design"] }),
      settings(vault, "auto", TOKENS),
    );
    assert.equal(prepared.run, "social_api");
    assert.equal(prepared.pace, "linkedin");
    assert.deepEqual(prepared.hosts.sort(), ["api.linkedin.com:443", "www.linkedin.com:443"]);
    assert.deepEqual(prepared.readable, [join(vault, "Media", "photo.png")]);
    assert.equal(prepared.browser, undefined);
    const request = prepared.request as ApiPostRequest;
    assert.equal(request.driver, "api");
    assert.equal(request.post.text, "Hello there. #smallbusiness #design");
    assert.equal(request.post.image?.type, "image/png");
    assert.equal(request.account, "urn:li:person:abc");
    assert.equal(request.apiVersion, "202510");
    assert.equal(prepared.summary.via, "LinkedIn API");
    assert.ok(!JSON.stringify(prepared.summary).includes("li-token"), "no token in the summary");
  });
});

Deno.test("a Facebook API base on another port is the one host the run may reach", async () => {
  await withVault(async (vault) => {
    const prepared = await prepare(
      "facebook",
      item("facebook", { link: "https://example.com/post" }),
      settings(vault, "api", TOKENS),
    );
    assert.ok(prepared.hosts.includes("127.0.0.1:8123"), prepared.hosts.join());
    const request = prepared.request as ApiPostRequest;
    assert.equal(request.post.link, "https://example.com/post", "the API takes the link apart");
    assert.equal(request.post.text, "Hello there.");
    assert.equal(request.account, "1001");
  });
});

Deno.test("without a token, auto posts through the browser profile; no profile asks for aiemp login", async () => {
  await withVault(async (vault) => {
    const it = item("x", { link: "https://example.com/a" });
    await refused(prepare("x", it, settings(vault, "auto")), /aiemp login x.*aiemp auth x/);
    await Deno.mkdir(join(vault, ".aiemp", "browser", "x"), { recursive: true });
    const prepared = await prepare("x", it, settings(vault, "auto"));
    assert.equal(prepared.run, "social_browser");
    assert.deepEqual(prepared.hosts, []);
    assert.equal(prepared.pace, "x");
    assert.equal(prepared.browser?.profileDir, join(vault, ".aiemp", "browser", "x"));
    const request = prepared.request as BrowserPostRequest;
    assert.equal(request.url, "https://x.com/");
    assert.equal(request.post.text, "Hello there.\n\nhttps://example.com/a", "the link is typed");
    assert.ok((prepared.minTimeoutMs ?? 0) > 0);
  });
});

Deno.test("driver: api without a token says how to set one up", async () => {
  await withVault(async (vault) => {
    await refused(
      prepare("linkedin", item("linkedin", {}), settings(vault, "api")),
      /no LinkedIn API token.*aiemp auth linkedin/,
    );
  });
});

Deno.test("X counts as X does: 280 weighted characters, a link 23, an emoji 2", async () => {
  await withVault(async (vault) => {
    const s = settings(vault, "api", TOKENS);
    const over = "a".repeat(256) + " https://example.com/ " + "x".repeat(199);
    await refused(
      prepare("x", item("x", { text: over }), s),
      /has 480 characters as X counts them.*X takes at most 280/,
    );
    const stillOver = "a".repeat(256) + " https://example.com/ " + "y".repeat(99);
    await refused(prepare("x", item("x", { text: stillOver }), s), /has 380/);
    const exactly = "a".repeat(256) + " https://example.com/long/path/to/something";
    const prepared = await prepare("x", item("x", { text: exactly }), s);
    assert.equal(
      (prepared.request as ApiPostRequest).post.text,
      exactly,
      "280 with the link as 23",
    );
    await refused(prepare("x", item("x", { text: "🙂".repeat(141) }), s), /has 282/);
  });
});

Deno.test("LinkedIn takes 3,000 characters, hashtags counted; Instagram 2,200, 30 hashtags and an image", async () => {
  await withVault(async (vault) => {
    const s = settings(vault, "browser");
    await Deno.mkdir(join(vault, ".aiemp", "browser", "linkedin"), { recursive: true });
    await Deno.mkdir(join(vault, ".aiemp", "browser", "instagram"), { recursive: true });
    await prepare("linkedin", item("linkedin", { text: "é".repeat(3000) }), s);
    // 2995 + " #abc" is 3000 exactly; one more breaks the limit.
    await prepare("linkedin", item("linkedin", { text: "é".repeat(2995), hashtags: ["abc"] }), s);
    await refused(
      prepare("linkedin", item("linkedin", { text: "é".repeat(2996), hashtags: ["abc"] }), s),
      /has 3001 characters; LinkedIn takes at most 3000: shorten it by 1/,
    );
    await refused(
      prepare("instagram", item("instagram", {}), s),
      /Instagram needs an image/,
    );
    const caption = { image: "Media/photo.jpg", text: "c".repeat(2201) };
    await refused(
      prepare("instagram", item("instagram", caption), s),
      /caption has 2201 characters; Instagram takes at most 2200/,
    );
    const tags = Array.from({ length: 31 }, (_, i) => `t${i}`);
    await refused(
      prepare("instagram", item("instagram", { image: "Media/photo.jpg", hashtags: tags }), s),
      /31 hashtags; Instagram takes at most 30/,
    );
    await refused(
      prepare("instagram", item("instagram", { image: "Media/photo.png" }), s),
      /photo.png is PNG; Instagram takes JPEG/,
    );
    await prepare("instagram", item("instagram", { image: "Media/photo.jpg" }), s);
  });
});

Deno.test("an image's type is read from its bytes; a large one or a non-picture is refused, naming the limit", async () => {
  await withVault(async (vault) => {
    const s = settings(vault, "api", TOKENS);
    await Deno.writeFile(join(vault, "Media", "renamed.gif"), JPEG);
    const prepared = await prepare("x", item("x", { image: "Media/renamed.gif" }), s);
    assert.equal((prepared.request as ApiPostRequest).post.image?.type, "image/jpeg");
    await Deno.writeTextFile(join(vault, "Media", "notes.jpg"), "not a picture at all");
    await refused(
      prepare("x", item("x", { image: "Media/notes.jpg" }), s),
      /not a JPEG, PNG, GIF or WebP picture/,
    );
    const big = new Uint8Array(4 * 1024 * 1024 + 1);
    big.set(PNG);
    await Deno.writeFile(join(vault, "Media", "big.png"), big);
    await refused(
      prepare("facebook", item("facebook", { image: "Media/big.png" }), s),
      /big.png is 4.0 MB; Facebook takes at most 4 MB/,
    );
    await refused(
      prepare("x", item("x", { image: "../outside.png" }), s),
      /image/,
    );
    await refused(
      prepare("x", item("x", { image: "Media/missing.png" }), s),
      /no such file in the vault/,
    );
  });
});

Deno.test("Instagram's API takes only a public image address; the browser takes the vault's file", async () => {
  await withVault(async (vault) => {
    const api = settings(vault, "api", TOKENS);
    await refused(
      prepare("instagram", item("instagram", { image: "Media/photo.jpg" }), api),
      /takes a picture only at a public address.*instagram.driver: browser/,
    );
    const prepared = await prepare(
      "instagram",
      item("instagram", { image_url: "https://cdn.example.com/p.jpg" }),
      api,
    );
    const request = prepared.request as ApiPostRequest;
    assert.equal(request.post.imageUrl, "https://cdn.example.com/p.jpg");
    assert.equal(request.account, "17841400000");
    await refused(
      prepare("x", item("x", { image_url: "https://cdn.example.com/p.jpg" }), api),
      /'image_url' is only for Instagram's API/,
    );
    await refused(
      prepare("instagram", item("instagram", { image_url: "http://cdn.example.com/p.jpg" }), api),
      /'image_url' must be a full https:\/\/ address/,
    );
  });
});

Deno.test("post_as: organization posts as linkedin.organization; a platform field must agree", async () => {
  await withVault(async (vault) => {
    const s = settings(vault, "api", TOKENS);
    const prepared = await prepare("linkedin", item("linkedin", { post_as: "organization" }), s);
    assert.equal((prepared.request as ApiPostRequest).account, "urn:li:organization:42");
    await refused(
      prepare("x", item("x", { post_as: "organization" }), s),
      /'post_as: organization' is for LinkedIn/,
    );
    await refused(
      prepare("x", item("x", { platform: "linkedin" }), s),
      /says 'platform: linkedin' but asks for x_post/,
    );
    await prepare("x", item("x", { platform: "twitter" }), s);
    await refused(
      prepare("x", item("x", { hashtags: ["small business"] }), s),
      /the hashtag "small business" cannot be used/,
    );
    await refused(prepare("x", item("x", {}, "No content heading.\n"), s), /is empty/);
  });
});

Deno.test("a LinkedIn post with an image carries its link in the text, where it counts", async () => {
  await withVault(async (vault) => {
    const s = settings(vault, "api", TOKENS);
    const link = "https://example.com/article";
    const prepared = await prepare(
      "linkedin",
      item("linkedin", { image: "Media/photo.png", link }),
      s,
    );
    const request = prepared.request as ApiPostRequest;
    assert.equal(request.post.link, undefined);
    assert.equal(request.post.text, `Hello there.\n\n${link}`);
    await refused(
      prepare(
        "linkedin",
        item("linkedin", { image: "Media/photo.png", link, text: "é".repeat(2990) }),
        s,
      ),
      /has 3019 characters; LinkedIn takes at most 3000/,
    );
  });
});

Deno.test("hashtags written together still count one by one", async () => {
  await withVault(async (vault) => {
    const s = settings(vault, "browser");
    await Deno.mkdir(join(vault, ".aiemp", "browser", "instagram"), { recursive: true });
    await refused(
      prepare(
        "instagram",
        item("instagram", { image: "Media/photo.jpg", text: "(#a#b) ".repeat(16) }),
        s,
      ),
      /32 hashtags; Instagram takes at most 30/,
    );
  });
});

Deno.test("a token file aiemp may not use refuses the post with the fix instead of stranding it", async () => {
  await withVault(async (vault) => {
    const layout = vaultLayout(vault);
    await Deno.mkdir(layout.secrets, { recursive: true, mode: 0o700 });
    await Deno.chmod(layout.secrets, 0o700);
    await Deno.writeTextFile(join(layout.secrets, "x_token"), "x-token-1234567\n", { mode: 0o644 });
    await Deno.chmod(join(layout.secrets, "x_token"), 0o644);
    const source = socialTokenSource({
      layout,
      config: loadConfig(undefined, {}, {}, "aiemp.yaml"),
      secrets: createSecretStore({ dir: layout.secrets }),
      dryRun: false,
    });
    await assert.rejects(
      source("x"),
      (error: unknown) =>
        error instanceof ActionInputError && !error.retryable && /chmod 600/.test(error.message) &&
        /nothing was posted/.test(error.message),
    );
  });
});
