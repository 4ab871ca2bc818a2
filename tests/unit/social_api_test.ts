/**
 * The `api` drivers of social posting against a loopback fake of the four APIs: the exact
 * requests (token, headers, bodies, the image upload's steps and bytes), what each error leaves
 * the owner with (refused and the fix, wait, or "may have been published"), exactly one post per
 * success, no token in any result, and a run inside a Worker with only a post's permissions.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { ActionResult } from "../../src/actions/types.ts";
import { type ApiDeps, apiHostsOf, littleText, postThroughApi } from "../../src/social/api/mod.ts";
import type {
  ApiPostRequest,
  SocialImage,
  SocialPlatform,
  SocialPost,
} from "../../src/social/types.ts";
import {
  type FakeFile,
  type FakeSocialApis,
  startFakeSocialApis,
} from "../fixtures/fake_social_apis.ts";

/** Characters a URL would encode, so a leak in either form is caught. */
const TOKEN = "tok-S3cr3t/Value+42";
const USER_AGENT = "aiemp-test/0.1";
const PNG = Uint8Array.of(
  0x89,
  0x50,
  0x4e,
  0x47,
  0x0d,
  0x0a,
  0x1a,
  0x0a,
  ...[0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0],
);
const JPEG = Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 0xff, 0xd9);

interface Setup {
  fake: FakeSocialApis;
  dir: string;
  /** A small image written to the temp folder. */
  image(name?: string, bytes?: Uint8Array): Promise<SocialImage>;
  /** A request for `platform` at the fake, with the right account. */
  request(
    platform: SocialPlatform,
    post: Omit<SocialPost, "platform">,
    overrides?: Partial<ApiPostRequest>,
  ): ApiPostRequest;
}

/** A fake of the APIs and a temp folder for the images, both gone after `fn`. */
async function withFake(fn: (s: Setup) => Promise<void>): Promise<void> {
  const fake = startFakeSocialApis({ token: TOKEN });
  const dir = await Deno.makeTempDir({ prefix: "aiemp-social-api-" });
  const accounts: Record<SocialPlatform, string> = {
    linkedin: "urn:li:person:8675309",
    x: "",
    facebook: fake.pageId,
    instagram: fake.igUserId,
  };
  try {
    await fn({
      fake,
      dir,
      async image(name = "photo.png", bytes = PNG) {
        const path = join(dir, name);
        await Deno.writeFile(path, bytes);
        const type = bytes[0] === 0xff ? "image/jpeg" : "image/png";
        return { path, name, type, size: bytes.length };
      },
      request: (platform, post, overrides = {}) => ({
        driver: "api",
        itemId: "SOCIAL_test_1",
        post: { platform, ...post },
        apiBase: fake.bases[platform],
        token: TOKEN,
        account: accounts[platform],
        ...(platform === "linkedin" ? { apiVersion: "202510" } : {}),
        userAgent: USER_AGENT,
        ...overrides,
      }),
    });
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Posts, and checks that the result holds no trace of the token. */
async function post(
  request: ApiPostRequest,
  deps: ApiDeps = {},
  signal = new AbortController().signal,
): Promise<ActionResult> {
  const result = await postThroughApi(request, signal, deps);
  const shown = JSON.stringify(result);
  for (const form of [request.token, encodeURIComponent(request.token), "S3cr3t"]) {
    assert.ok(!shown.includes(form), `the token appears in the result: ${shown}`);
  }
  return result;
}

/** Asserts a failure with these flags, whose reason matches every pattern. */
function assertFailed(
  result: ActionResult,
  flags: { retryable: boolean; mayHaveActed?: boolean; retryAfterMs?: number },
  ...patterns: RegExp[]
): void {
  assert.equal(result.ok, false, `expected a failure, got ${JSON.stringify(result)}`);
  if (result.ok) return;
  assert.deepEqual({
    retryable: result.retryable,
    ...(result.mayHaveActed !== undefined ? { mayHaveActed: result.mayHaveActed } : {}),
    ...(result.retryAfterMs !== undefined ? { retryAfterMs: result.retryAfterMs } : {}),
  }, flags);
  for (const pattern of patterns) assert.match(result.reason, pattern);
}

/** The one request an endpoint got (asserting there was exactly one). */
function only<T>(list: T[]): T {
  assert.equal(list.length, 1, `expected one request, got ${list.length}`);
  return list[0];
}

const bearer = `Bearer ${TOKEN}`;

// LinkedIn

Deno.test("littleText() escapes every reserved character and writes hashtags as LinkedIn's template", () => {
  assert.equal(
    littleText("Hi @ana (see [docs]) <b> *bold* _it_ ~x~ a|b {c} \\ ok"),
    "Hi \\@ana \\(see \\[docs\\]\\) \\<b\\> \\*bold\\* \\_it\\_ \\~x\\~ a\\|b \\{c\\} \\\\ ok",
  );
  assert.equal(
    littleText("We ship #AI, #dev_ops and #café!\n#Launch2025"),
    "We ship {hashtag|\\#|AI}, {hashtag|\\#|dev\\_ops} and {hashtag|\\#|café}!\n" +
      "{hashtag|\\#|Launch2025}",
  );
  // Not hashtags: a number, a # inside a word, a # in an address.
  assert.equal(
    littleText("We are #1 in C# (https://ex.com/a_b/#top)"),
    "We are \\#1 in C\\# \\(https://ex.com/a\\_b/\\#top\\)",
  );
  assert.equal(littleText("plain text, no marks."), "plain text, no marks.");
});

Deno.test("a LinkedIn text post is one rest/posts with the version headers and the escaped commentary", async () => {
  await withFake(async ({ fake, request }) => {
    const result = await post(request("linkedin", { text: "Hello (world) #AI" }));
    const urn = fake.published[0]?.id;
    assert.deepEqual(result, {
      ok: true,
      remoteId: urn,
      url: `https://www.linkedin.com/feed/update/${urn}/`,
      detail: "HTTP 201",
    });
    assert.match(urn, /^urn:li:share:\d+$/);
    assert.deepEqual(fake.calls(), ["linkedin.posts"]);
    const sent = only(fake.requestsTo("linkedin.posts"));
    assert.equal(sent.authorization, bearer);
    assert.equal(sent.headers["linkedin-version"], "202510");
    assert.equal(sent.headers["x-restli-protocol-version"], "2.0.0");
    assert.equal(sent.contentType, "application/json");
    assert.equal(sent.headers["user-agent"], USER_AGENT);
    assert.deepEqual(sent.json, {
      author: "urn:li:person:8675309",
      commentary: "Hello \\(world\\) {hashtag|\\#|AI}",
      visibility: "PUBLIC",
      distribution: {
        feedDistribution: "MAIN_FEED",
        targetEntities: [],
        thirdPartyDistributionChannels: [],
      },
      lifecycleState: "PUBLISHED",
      isReshareDisabledByAuthor: false,
    });
    assert.equal(fake.published.length, 1);
  });
});

Deno.test("a LinkedIn post with a link shares it as an article", async () => {
  await withFake(async ({ fake, request }) => {
    const link = "https://example.com/launch";
    const result = await post(request("linkedin", { text: "Read this", link }));
    assert.equal(result.ok, true);
    const sent = only(fake.requestsTo("linkedin.posts")).json as Record<string, unknown>;
    assert.deepEqual(sent.content, { article: { source: link, title: link } });
    assert.equal(sent.commentary, "Read this");
    assert.equal(only(fake.published).link, link);
  });
});

Deno.test("a LinkedIn post with an image registers it, uploads its bytes to the upload address, then posts it as media", async () => {
  await withFake(async ({ fake, request, image }) => {
    const photo = await image("launch.png");
    const result = await post(
      request("linkedin", { text: "Look", image: photo, link: "https://example.com/x" }),
    );
    assert.equal(result.ok, true);
    assert.deepEqual(fake.calls(), ["linkedin.images", "linkedin.upload", "linkedin.posts"]);
    const [init, upload, posted] = fake.requests;
    assert.equal(init.query.action, "initializeUpload");
    assert.equal(init.authorization, bearer);
    assert.equal(init.headers["linkedin-version"], "202510");
    assert.equal(init.headers["x-restli-protocol-version"], "2.0.0");
    assert.deepEqual(init.json, { initializeUploadRequest: { owner: "urn:li:person:8675309" } });
    assert.equal(upload.server, "site", "the upload goes to the address LinkedIn gave");
    assert.equal(upload.method, "PUT");
    assert.equal(upload.authorization, bearer);
    assert.deepEqual(upload.bytes, PNG);
    const urn = `urn:li:image:${upload.path.split("/").pop()}`;
    const body = posted.json as Record<string, unknown>;
    assert.deepEqual(body.content, { media: { id: urn } });
    assert.equal(body.commentary, "Look\n\nhttps://example.com/x", "the link goes in the text");
    assert.deepEqual(only(fake.published).image, PNG);
  });
});

Deno.test("a LinkedIn post without an API version is refused before any request", async () => {
  await withFake(async ({ fake, request }) => {
    const result = await post(request("linkedin", { text: "x" }, { apiVersion: undefined }));
    assertFailed(result, { retryable: false }, /linkedin\.api_version/);
    assert.deepEqual(fake.requests, []);
  });
});

// X

Deno.test("an X post is one 2/tweets with the text as JSON; a link goes at the end of the text", async () => {
  await withFake(async ({ fake, request }) => {
    const result = await post(request("x", { text: "Shipping today", link: "https://ex.com/a" }));
    const id = fake.published[0]?.id;
    assert.deepEqual(result, {
      ok: true,
      remoteId: id,
      url: `https://x.com/i/web/status/${id}`,
      detail: "HTTP 201",
    });
    const sent = only(fake.requestsTo("x.tweets"));
    assert.equal(sent.authorization, bearer);
    assert.equal(sent.contentType, "application/json");
    assert.equal(sent.headers["user-agent"], USER_AGENT);
    assert.deepEqual(sent.json, { text: "Shipping today\n\nhttps://ex.com/a" });
    assert.equal(fake.published.length, 1);
  });
});

Deno.test("an X link already in the text is not added twice", async () => {
  await withFake(async ({ fake, request }) => {
    const text = "See https://ex.com/a now";
    await post(request("x", { text, link: "https://ex.com/a" }));
    assert.deepEqual(only(fake.requestsTo("x.tweets")).json, { text });
  });
});

Deno.test("an X post with an image uploads it as multipart 'media' with media_category, then posts its id", async () => {
  await withFake(async ({ fake, request, image }) => {
    const photo = await image("pic.jpg", JPEG);
    const result = await post(request("x", { text: "With a picture", image: photo }));
    assert.equal(result.ok, true);
    assert.deepEqual(fake.calls(), ["x.media", "x.tweets"]);
    const upload = fake.requests[0];
    assert.equal(upload.authorization, bearer);
    assert.match(upload.contentType ?? "", /^multipart\/form-data; boundary=/);
    assert.deepEqual(Object.keys(upload.multipart ?? {}).sort(), ["media", "media_category"]);
    const media = upload.multipart?.media as FakeFile;
    assert.deepEqual(media, { filename: "pic.jpg", type: "image/jpeg", bytes: JPEG });
    assert.equal(upload.multipart?.media_category, "tweet_image");
    const mediaId = (fake.requests[1].json as { media: { media_ids: string[] } }).media
      .media_ids[0];
    assert.match(mediaId, /^\d+$/);
    assert.deepEqual(fake.requests[1].json, {
      text: "With a picture",
      media: { media_ids: [mediaId] },
    });
    assert.deepEqual(only(fake.published).image, JPEG);
  });
});

Deno.test("X's 403 for a repeated post is a refusal of the post, not of the token", async () => {
  await withFake(async ({ fake, request }) => {
    assert.equal((await post(request("x", { text: "same" }))).ok, true);
    const again = await post(request("x", { text: "same" }));
    assertFailed(
      again,
      { retryable: false },
      /X answered HTTP 403/,
      /duplicate content/,
      /nothing was published/,
    );
    assert.doesNotMatch((again as { reason: string }).reason, /aiemp auth/);
    assert.equal(fake.published.length, 1);
  });
});

// Facebook

Deno.test("a Facebook text post is one form POST to <page>/feed with message and link, the token only as Bearer", async () => {
  await withFake(async ({ fake, request }) => {
    const result = await post(
      request("facebook", { text: "Open today", link: "https://ex.com/hours" }),
    );
    const id = fake.published[0]?.id;
    assert.deepEqual(result, {
      ok: true,
      remoteId: id,
      url: `https://www.facebook.com/${id}`,
      detail: "HTTP 200",
    });
    assert.match(id, new RegExp(`^${fake.pageId}_\\d+$`));
    const sent = only(fake.requestsTo("facebook.feed"));
    assert.equal(sent.path, `/v23.0/${fake.pageId}/feed`);
    assert.equal(sent.authorization, bearer);
    assert.match(sent.contentType ?? "", /^application\/x-www-form-urlencoded/);
    assert.deepEqual(sent.form, { message: "Open today", link: "https://ex.com/hours" });
    assert.ok(!sent.text.includes("access_token"));
    assert.equal(fake.published.length, 1);
  });
});

Deno.test("a Facebook post with an image is one multipart POST to <page>/photos; the URL is the post's", async () => {
  await withFake(async ({ fake, request, image }) => {
    const photo = await image();
    const result = await post(request("facebook", { text: "New menu", image: photo }));
    const postId = fake.published[0]?.id;
    assert.deepEqual(result, {
      ok: true,
      remoteId: postId,
      url: `https://www.facebook.com/${postId}`,
      detail: "HTTP 200",
    });
    assert.deepEqual(fake.calls(), ["facebook.photos"]);
    const sent = fake.requests[0];
    assert.equal(sent.authorization, bearer);
    assert.deepEqual(Object.keys(sent.multipart ?? {}).sort(), ["message", "published", "source"]);
    assert.deepEqual(sent.multipart?.source, {
      filename: "photo.png",
      type: "image/png",
      bytes: PNG,
    });
    assert.equal(sent.multipart?.message, "New menu");
    assert.equal(sent.multipart?.published, "true");
  });
});

// Instagram

Deno.test("an Instagram post makes a container from image_url, checks it until FINISHED, publishes once and asks for the permalink", async () => {
  await withFake(async ({ fake, request }) => {
    fake.containerStatuses = ["IN_PROGRESS", "IN_PROGRESS", "FINISHED"];
    const slept: number[] = [];
    const imageUrl = "https://cdn.example.com/p.jpg";
    const result = await post(
      request("instagram", { text: "Caption #sun", imageUrl, link: "https://ex.com" }),
      { sleep: (ms) => Promise.resolve(void slept.push(ms)) },
    );
    const media = fake.published[0]?.id;
    assert.deepEqual(result, {
      ok: true,
      remoteId: media,
      url: `https://www.instagram.com/p/Fake${media}/`,
      detail: "HTTP 200",
    });
    assert.deepEqual(fake.calls(), [
      "instagram.media",
      "instagram.status",
      "instagram.status",
      "instagram.status",
      "instagram.publish",
      "instagram.permalink",
    ]);
    assert.deepEqual(slept, [1000, 2000]);
    const [create, check] = fake.requests;
    assert.equal(create.path, `/v23.0/${fake.igUserId}/media`);
    assert.deepEqual(create.form, {
      image_url: imageUrl,
      caption: "Caption #sun\n\nhttps://ex.com",
    });
    const container = fake.requests.at(-2)!.form?.creation_id;
    assert.equal(check.path, `/v23.0/${container}`);
    assert.equal(check.query.fields, "status_code,status");
    assert.equal(fake.requests.at(-1)!.query.fields, "permalink");
    for (const sent of fake.requests) assert.equal(sent.authorization, bearer);
    assert.equal(only(fake.published).imageUrl, imageUrl);
  });
});

Deno.test("an Instagram post with only a vault image is refused before any request, saying to give image_url or use the browser", async () => {
  await withFake(async ({ fake, request, image }) => {
    const result = await post(request("instagram", { text: "x", image: await image() }));
    assertFailed(result, { retryable: false }, /image_url:/, /instagram\.driver: browser/);
    const none = await post(request("instagram", { text: "x" }));
    assertFailed(none, { retryable: false }, /needs an image/, /image_url:/);
    assert.deepEqual(fake.requests, []);
  });
});

Deno.test("an Instagram container that ends in ERROR is not published and not retried", async () => {
  await withFake(async ({ fake, request }) => {
    fake.containerStatuses = ["IN_PROGRESS", "ERROR"];
    const result = await post(
      request("instagram", { text: "x", imageUrl: "https://cdn.example.com/gone.jpg" }),
      { sleep: () => Promise.resolve() },
    );
    assertFailed(
      result,
      { retryable: false },
      /ERROR: Error: Media download has failed/,
      /gone\.jpg/,
      /nothing was published/,
    );
    assert.equal(fake.requestsTo("instagram.publish").length, 0);
    assert.deepEqual(fake.published, []);
  });
});

Deno.test("an Instagram container never FINISHED is given up after a bounded wait: retryable, nothing published", async () => {
  await withFake(async ({ fake, request }) => {
    fake.containerStatuses = ["IN_PROGRESS"];
    const slept: number[] = [];
    const result = await post(
      request("instagram", { text: "x", imageUrl: "https://cdn.example.com/slow.jpg" }),
      { sleep: (ms) => Promise.resolve(void slept.push(ms)) },
    );
    assertFailed(result, { retryable: true }, /still fetching the image after 30 s/);
    assert.equal(slept.reduce((a, b) => a + b, 0), 30_000);
    assert.deepEqual(slept, [1000, 2000, 4000, 8000, 8000, 7000]);
    assert.equal(fake.requestsTo("instagram.publish").length, 0);
    assert.deepEqual(fake.published, []);
  });
});

Deno.test("an Instagram post whose permalink cannot be read after publishing is still a success, without a URL", async () => {
  await withFake(async ({ fake, request }) => {
    fake.failNext("instagram.permalink", 1, { status: 500, message: "An unknown error occurred" });
    const result = await post(
      request("instagram", { text: "x", imageUrl: "https://cdn.example.com/p.jpg" }),
    );
    assert.equal(result.ok, true);
    if (!result.ok) return;
    assert.equal(result.remoteId, fake.published[0].id);
    assert.equal(result.url, undefined);
    assert.match(result.detail ?? "", /^HTTP 200; published, but Instagram did not give/);
    assert.equal(fake.published.length, 1);
  });
});

// A refused token, a missing permission, a refused post

Deno.test("a refused token (expired or revoked) on every platform: not retryable, run `aiemp auth <platform>`, nothing published", async () => {
  await withFake(async ({ fake, request }) => {
    const cases: [SocialPlatform, RegExp][] = [
      ["linkedin", /HTTP 401: The token used in the request has expired/],
      ["x", /HTTP 401: Unauthorized/],
      // Graph answers an expired token with HTTP 400 and code 190.
      ["facebook", /HTTP 400: Error validating access token/],
      ["instagram", /HTTP 400: Error validating access token/],
    ];
    for (const [platform, said] of cases) {
      const result = await post(
        request(platform, { text: "x", imageUrl: "https://cdn.example.com/p.jpg" }, {
          token: "expired-token-value",
        }),
      );
      assertFailed(
        result,
        { retryable: false },
        said,
        /refused the token/,
        /expired or was revoked/,
        new RegExp(`\`aiemp auth ${platform}\``),
        /nothing was published/,
      );
    }
    assert.deepEqual(fake.published, []);
  });
});

Deno.test("a missing permission names it when the platform does and says to grant it with `aiemp auth`", async () => {
  await withFake(async ({ fake, request }) => {
    fake.failNext("facebook.feed", 1, {
      status: 403,
      code: 200,
      message: "(#200) Requires pages_manage_posts permission to manage the object",
    });
    assertFailed(
      await post(request("facebook", { text: "x" })),
      { retryable: false },
      /Facebook answered HTTP 403 \(code 200\)/,
      /lacks the permission pages_manage_posts/,
      /`aiemp auth facebook` again and grant it/,
    );
    fake.failNext("linkedin.posts", 1, {
      status: 403,
      message: "Not enough permissions to access: partnerApiPostsExternal.CREATE.20251001",
    });
    assertFailed(
      await post(request("linkedin", { text: "x" })),
      { retryable: false },
      /LinkedIn answered HTTP 403 at the post: Not enough permissions/,
      /lacks a permission a post needs \(w_member_social/,
      /`aiemp auth linkedin`/,
    );
    fake.failNext("instagram.media", 1, {
      status: 400,
      code: 10,
      message: "(#10) Application does not have permission for this action",
    });
    assertFailed(
      await post(request("instagram", { text: "x", imageUrl: "https://cdn.example.com/p.jpg" })),
      { retryable: false },
      /code 10/,
      /instagram_content_publish/,
      /`aiemp auth instagram`/,
    );
    assert.deepEqual(fake.published, []);
  });
});

Deno.test("a post the platform refuses (400, 422) quotes its message, trimmed, and is not retried", async () => {
  await withFake(async ({ fake, request }) => {
    fake.failNext("linkedin.posts", 1, {
      status: 422,
      message: "Content is a duplicate of urn:li:share:7100000000000000000",
    });
    assertFailed(
      await post(request("linkedin", { text: "x" })),
      { retryable: false },
      /LinkedIn answered HTTP 422: LinkedIn did not accept the post: Content is a duplicate/,
      /nothing was published/,
    );
    fake.failNext("x.tweets", 1, {
      status: 400,
      body: { errors: [{ message: "Text is too long." }], title: "Invalid Request" },
    });
    const long = "y".repeat(1000);
    fake.failNext("facebook.feed", 1, { status: 400, code: 100, message: long });
    assertFailed(await post(request("x", { text: "x" })), { retryable: false }, /Invalid Request/);
    const trimmed = await post(request("facebook", { text: "x" }));
    assertFailed(trimmed, { retryable: false }, /code 100/, /y{299}…/);
    assert.ok(!(trimmed as { reason: string }).reason.includes("y".repeat(301)));
    assert.deepEqual(fake.published, []);
  });
});

// Asked to wait

Deno.test("X's 429 waits until x-rate-limit-reset, read against the injected clock", async () => {
  await withFake(async ({ fake, request }) => {
    const now = 1_763_719_200_000;
    fake.failNext("x.tweets", 1, {
      status: 429,
      headers: { "x-rate-limit-reset": String(now / 1000 + 123), "x-rate-limit-remaining": "0" },
    });
    assertFailed(
      await post(request("x", { text: "x" }), { now: () => now }),
      { retryable: true, retryAfterMs: 123_000 },
      /X answered HTTP 429/,
      /nothing was published/,
      /tried again in 2 min/,
    );
    assert.deepEqual(fake.published, []);
  });
});

Deno.test("a reset time this machine's clock already sees as passed still waits a minute", async () => {
  await withFake(async ({ fake, request }) => {
    const now = 1_763_719_200_000;
    fake.failNext("x.tweets", 1, {
      status: 429,
      headers: { "x-rate-limit-reset": String(now / 1000 - 30), "x-rate-limit-remaining": "0" },
    });
    assertFailed(
      await post(request("x", { text: "x" }), { now: () => now }),
      { retryable: true, retryAfterMs: 60_000 },
    );
  });
});

Deno.test("a redirect answering the publishing request may mean it was published; before it, nothing was", async () => {
  await withFake(async ({ fake, request, image }) => {
    fake.failNext("x.tweets", 1, { status: 303, headers: { location: "/elsewhere" } });
    assertFailed(
      await post(request("x", { text: "x" })),
      { retryable: false, mayHaveActed: true },
      /a redirect.*it may have been published/,
    );
    fake.failNext("x.media", 1, { status: 302, headers: { location: "/elsewhere" } });
    assertFailed(
      await post(request("x", { text: "x", image: await image() })),
      { retryable: false },
      /a redirect.*nothing was published/,
    );
  });
});

Deno.test("a 429's Retry-After is read as seconds or as an HTTP date", async () => {
  await withFake(async ({ fake, request, image }) => {
    fake.failNext("linkedin.posts", 1, { status: 429, headers: { "retry-after": "120" } });
    assertFailed(await post(request("linkedin", { text: "x" })), {
      retryable: true,
      retryAfterMs: 120_000,
    });
    const now = Date.parse("2025-11-21T10:00:00Z");
    fake.failNext("x.media", 1, {
      status: 429,
      headers: { "retry-after": "Fri, 21 Nov 2025 10:02:30 GMT" },
    });
    assertFailed(
      await post(request("x", { text: "x", image: await image() }), { now: () => now }),
      { retryable: true, retryAfterMs: 150_000 },
      /at the image upload/,
    );
    assert.equal(fake.requestsTo("x.tweets").length, 0);
  });
});

Deno.test("a 429 or a Graph rate-limit code with no time given waits the default 15 minutes and says so", async () => {
  await withFake(async ({ fake, request }) => {
    fake.failNext("x.tweets", 1, { status: 429 });
    assertFailed(
      await post(request("x", { text: "x" })),
      { retryable: true, retryAfterMs: 900_000 },
      /15 min \(the platform did not say when; that is the default wait\)/,
    );
    fake.failNext("facebook.feed", 1, {
      status: 400,
      code: 32,
      message: "(#32) Page request limit reached",
    });
    assertFailed(
      await post(request("facebook", { text: "x" })),
      { retryable: true, retryAfterMs: 900_000 },
      /code 32/,
      /Page request limit reached/,
    );
    fake.failNext("instagram.media", 1, {
      status: 403,
      code: 4,
      message: "(#4) Application request limit reached",
      headers: {
        "x-business-use-case-usage": JSON.stringify({
          "17841400000000001": [{
            type: "instagram",
            call_count: 100,
            estimated_time_to_regain_access: 7,
          }],
        }),
      },
    });
    assertFailed(
      await post(request("instagram", { text: "x", imageUrl: "https://cdn.example.com/p.jpg" })),
      { retryable: true, retryAfterMs: 420_000 },
      /tried again in 7 min/,
    );
    assert.deepEqual(fake.published, []);
  });
});

// Server errors and cut connections: before the publishing request, or on it

Deno.test("a 5xx before the publishing request is retryable and stops the run there: nothing published", async () => {
  await withFake(async ({ fake, request, image }) => {
    const photo = await image();
    fake.failNext("linkedin.images", 1, { status: 500, message: "Internal Server Error" });
    assertFailed(
      await post(request("linkedin", { text: "x", image: photo })),
      { retryable: true },
      /LinkedIn answered HTTP 500 at the image registration/,
      /nothing was published/,
    );
    assert.deepEqual(fake.calls(), ["linkedin.images"]);
    fake.failNext("linkedin.upload", 1, { status: 503 });
    assertFailed(
      await post(request("linkedin", { text: "x", image: photo })),
      { retryable: true },
      /at the image upload/,
    );
    assert.equal(fake.requestsTo("linkedin.posts").length, 0);
    fake.failNext("x.media", 1, { status: 503 });
    assertFailed(await post(request("x", { text: "x", image: photo })), { retryable: true });
    fake.failNext("instagram.media", 1, { status: 500 });
    const ig = request("instagram", { text: "x", imageUrl: "https://cdn.example.com/p.jpg" });
    assertFailed(await post(ig), { retryable: true }, /container's creation/);
    fake.failNext("instagram.status", 1, { status: 502 });
    assertFailed(await post(ig), { retryable: true }, /the check of the image/);
    assert.equal(fake.requestsTo("x.tweets").length, 0);
    assert.equal(fake.requestsTo("instagram.publish").length, 0);
    assert.deepEqual(fake.published, []);
  });
});

Deno.test("a 5xx on the publishing request may have published: not retried, the owner checks the page", async () => {
  await withFake(async ({ fake, request, image }) => {
    const cases: [SocialPlatform, Parameters<FakeSocialApis["failNext"]>[0], SocialImage?][] = [
      ["linkedin", "linkedin.posts"],
      ["x", "x.tweets"],
      ["facebook", "facebook.feed"],
      ["facebook", "facebook.photos", await image()],
      ["instagram", "instagram.publish"],
    ];
    for (const [platform, endpoint, photo] of cases) {
      fake.failNext(endpoint, 1, { status: 500 });
      const result = await post(request(platform, {
        text: `x ${endpoint}`,
        imageUrl: "https://cdn.example.com/p.jpg",
        ...(photo ? { image: photo } : {}),
      }));
      assertFailed(
        result,
        { retryable: false, mayHaveActed: true },
        /HTTP 500/,
        /may have been published/,
        /Check the \w+ page before approving it again/,
      );
    }
  });
});

Deno.test("why a 5xx on publishing is not retried: the platform may have published before failing", async () => {
  await withFake(async ({ fake, request }) => {
    fake.failNext("x.tweets", 1, { status: 503, afterServing: true });
    const result = await post(request("x", { text: "published anyway" }));
    assertFailed(result, { retryable: false, mayHaveActed: true });
    assert.equal(fake.published.length, 1, "the post is there although the answer was an error");
  });
});

Deno.test("a connection refused carries nothing: retryable even for the publishing request", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  await withFake(async ({ request }) => {
    const result = await post(
      request("x", { text: "x" }, { apiBase: `http://127.0.0.1:${port}/` }),
    );
    assertFailed(result, { retryable: true }, /cannot reach X at the post/, /refused/i);
    assert.doesNotMatch((result as { reason: string }).reason, /127\.0\.0\.1:\d+\//);
  });
});

Deno.test("a connection dropped after the publishing request was sent may have published", async () => {
  // A server that reads the request and hangs up without answering.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const got: string[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      const buffer = new Uint8Array(65536);
      const n = await conn.read(buffer);
      got.push(new TextDecoder().decode(buffer.subarray(0, n ?? 0)));
      conn.close();
    }
  })();
  try {
    await withFake(async ({ request }) => {
      const base = `http://127.0.0.1:${listener.addr.port}/`;
      const result = await post(request("x", { text: "x" }, { apiBase: base }));
      assertFailed(
        result,
        { retryable: false, mayHaveActed: true },
        /X did not answer the post/,
        /may have been published/,
      );
      assert.match(got[0] ?? "", /^POST \/2\/tweets HTTP\/1\.1/);
    });
  } finally {
    listener.close();
    await serving.catch(() => {});
  }
});

Deno.test("a run cut off (timeout or stop) during the publishing request may have published; before it, nothing was", async () => {
  await withFake(async ({ fake, request, image }) => {
    fake.failNext("x.tweets", 1, { hang: true });
    const stop = new AbortController();
    const pending = post(request("x", { text: "x" }), {}, stop.signal);
    await fake.arrived("x.tweets");
    stop.abort(new DOMException("timed out", "TimeoutError"));
    assertFailed(
      await pending,
      { retryable: false, mayHaveActed: true },
      /the run was cut off/,
      /may have been published/,
    );
    fake.failNext("linkedin.images", 1, { hang: true });
    const early = new AbortController();
    const before = post(request("linkedin", { text: "x", image: await image() }), {}, early.signal);
    await fake.arrived("linkedin.images");
    early.abort();
    assertFailed(await before, { retryable: true }, /cut off/, /nothing was published/);
    assert.equal(fake.requestsTo("linkedin.posts").length, 0);
  });
});

Deno.test("an image gone from the vault is refused before any request", async () => {
  await withFake(async ({ fake, request, dir }) => {
    const missing = { path: join(dir, "gone.png"), name: "gone.png", type: "image/png", size: 8 };
    for (const platform of ["linkedin", "x", "facebook"] as const) {
      assertFailed(
        await post(request(platform, { text: "x", image: missing })),
        { retryable: false },
        /cannot read the image gone\.png/,
        /nothing was published/,
      );
    }
    assert.deepEqual(fake.requests, []);
  });
});

Deno.test("exactly one post per successful call, on every platform, with and without an image", async () => {
  await withFake(async ({ fake, request, image }) => {
    const photo = await image();
    const imageUrl = "https://cdn.example.com/p.jpg";
    let n = 0;
    for (const platform of ["linkedin", "x", "facebook", "instagram"] as const) {
      for (const withImage of [false, true]) {
        const before = fake.published.length;
        const result = await post(request(platform, {
          text: `post ${n++}`,
          imageUrl,
          ...(withImage ? { image: photo } : {}),
        }));
        assert.equal(result.ok, true, JSON.stringify(result));
        assert.equal(fake.published.length, before + 1, `${platform} published once`);
        assert.equal(result.ok && result.remoteId, fake.published.at(-1)!.id);
      }
    }
  });
});

// Permissions

Deno.test("apiHostsOf() names the API's host:port, and LinkedIn's site too for its image uploads", () => {
  assert.deepEqual(
    apiHostsOf("linkedin", "https://api.linkedin.com/", "https://www.linkedin.com/"),
    ["api.linkedin.com:443", "www.linkedin.com:443"],
  );
  assert.deepEqual(apiHostsOf("x", "https://api.x.com/", "https://x.com/"), ["api.x.com:443"]);
  assert.deepEqual(
    apiHostsOf("facebook", "https://graph.facebook.com/v23.0/", "https://www.facebook.com/"),
    ["graph.facebook.com:443"],
  );
  assert.deepEqual(
    apiHostsOf("instagram", "http://127.0.0.1:8123/v23.0/", "https://www.instagram.com/"),
    ["127.0.0.1:8123"],
  );
  assert.deepEqual(
    apiHostsOf("linkedin", "http://127.0.0.1:8123/", "http://127.0.0.1:8123/"),
    ["127.0.0.1:8123"],
  );
});

/** Runs one post in a Worker with `permissions`; the module is built here, importing the driver. */
async function postInWorker(
  request: ApiPostRequest,
  permissions: Deno.PermissionOptionsObject,
): Promise<ActionResult> {
  const driver = new URL("../../src/social/api/mod.ts", import.meta.url).href;
  const source = `import { postThroughApi } from ${JSON.stringify(driver)};
self.onmessage = async (event) => {
  self.postMessage(await postThroughApi(event.data, new AbortController().signal));
};`;
  const worker = new Worker(`data:application/typescript,${encodeURIComponent(source)}`, {
    type: "module",
    deno: { permissions },
  });
  try {
    return await new Promise<ActionResult>((resolve, reject) => {
      worker.onmessage = (event) => resolve(event.data);
      worker.onerror = (event) => {
        event.preventDefault();
        reject(new Error(event.message));
      };
      worker.postMessage(request);
    });
  } finally {
    worker.terminate();
  }
}

/** A post's run: net to its hosts, read its image, nothing else. */
function runPermissions(hosts: string[], readable: string[]): Deno.PermissionOptionsObject {
  return {
    read: readable.length ? readable : false,
    net: hosts,
    write: false,
    env: false,
    run: false,
    sys: false,
    ffi: false,
    import: false,
  };
}

Deno.test("a LinkedIn post with an image runs in a Worker allowed only the API and site hosts and the image", async () => {
  await withFake(async ({ fake, request, image }) => {
    const photo = await image();
    const hosts = apiHostsOf("linkedin", fake.bases.linkedin, `${fake.siteOrigin}/`);
    assert.deepEqual(hosts, [fake.hostPort, fake.siteHostPort]);
    const result = await postInWorker(
      request("linkedin", { text: "From the sandbox #ok", image: photo }),
      runPermissions(hosts, [photo.path]),
    );
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.deepEqual(fake.calls(), ["linkedin.images", "linkedin.upload", "linkedin.posts"]);
    assert.deepEqual(only(fake.published).image, PNG);
  });
});

Deno.test("in its Worker, a post whose API base is outside its permissions is refused by the sandbox, saying where", async () => {
  await withFake(async ({ fake, request }) => {
    const result = await postInWorker(
      request("x", { text: "x" }, { apiBase: `${fake.siteOrigin}/` }),
      runPermissions([fake.hostPort], []),
    );
    assertFailed(
      result,
      { retryable: false },
      new RegExp(`may not reach ${fake.siteHostPort.replace(/\./g, "\\.")}`),
      /x\.api_base/,
    );
    assert.deepEqual(fake.requests, []);
  });
});
