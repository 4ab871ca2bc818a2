/**
 * The `browser` drivers of social posting (src/social/browser), in the system's real Chromium,
 * headless, on a fresh profile, against the local imitations of the four composers in
 * tests/fixtures/pages/social (served on 127.0.0.1): a post published once with its exact text
 * and image and its id read from the page, and the ways it can fail — a changed page (only
 * fallback selectors match), a logged-out session, a page no selector knows, a post clicked but
 * never confirmed, a site that shows an error — each with what the executor is told.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { ActionResult } from "../../src/actions/types.ts";
import {
  browserPaths,
  browserWorkerPermissions,
  findBrowser,
  holdProfile,
  openProfile,
} from "../../src/browser/mod.ts";
import {
  composerUrl,
  postIdFrom,
  postThroughBrowser,
  SOCIAL_SITES,
  socialSessionState,
} from "../../src/social/browser/mod.ts";
import type {
  BrowserPostRequest,
  SocialImage,
  SocialPlatform,
  SocialPost,
} from "../../src/social/types.ts";
import {
  type FakeSocialModes,
  type FakeSocialSites,
  startFakeSocialSites,
} from "../fixtures/pages/social/fake_social_sites.ts";
import type { PostWorkerAnswer } from "../fixtures/pages/social/post_worker.ts";
import { browserTest } from "../fixtures/chromium.ts";

// ---- helpers ----

/** A fake site, a temporary vault-like folder with an image in it; all removed after `fn`. */
interface Scene {
  fake: FakeSocialSites;
  dir: string;
  image: SocialImage;
  imageBytes: Uint8Array;
  evidenceDir: string;
}

async function withSites(
  modes: Partial<FakeSocialModes>,
  fn: (scene: Scene) => Promise<void>,
): Promise<void> {
  const fake = startFakeSocialSites(modes);
  const dir = await Deno.makeTempDir({ prefix: "aiemp-social-browser-" });
  try {
    // Not a picture a viewer would open, but bytes to compare: the PNG signature, then every byte.
    const imageBytes = new Uint8Array([
      0x89,
      0x50,
      0x4e,
      0x47,
      0x0d,
      0x0a,
      0x1a,
      0x0a,
      ...Array.from({ length: 256 }, (_, n) => n),
    ]);
    const path = join(dir, "Attachments", "launch day.png");
    await Deno.mkdir(join(dir, "Attachments"), { recursive: true });
    await Deno.writeFile(path, imageBytes);
    const image = { path, name: "launch day.png", type: "image/png", size: imageBytes.length };
    await fn({ fake, dir, image, imageBytes, evidenceDir: join(dir, "Logs", "browser") });
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** A text with line breaks, a blank line, emoji, accents, quotes and hashtags. */
function textFor(platform: SocialPlatform): string {
  return `Launch day on ${
    SOCIAL_SITES[platform].label
  }! 🚀🎉\nLine two — “quoted”, café, 100%  sure.\n\nThanks, team 🙏 #aiemp #launch`;
}

/** A request for `platform` as the social action prepares it, with quick pacing. */
async function requestFor(
  scene: Scene,
  platform: SocialPlatform,
  post: Partial<SocialPost> = {},
  overrides: Partial<BrowserPostRequest> = {},
): Promise<BrowserPostRequest> {
  return {
    driver: "browser",
    itemId: `${platform.toUpperCase()}_post_1`,
    post: { platform, text: textFor(platform), ...post },
    url: scene.fake.urlOf(platform),
    executable: await findBrowser(),
    ...browserPaths(join(scene.dir, ".aiemp"), platform),
    evidenceDir: scene.evidenceDir,
    headless: true,
    stepTimeoutMs: 5000,
    keystroke: { minMs: 0, maxMs: 2 },
    action: { minMs: 0, maxMs: 0 },
    ...overrides,
  };
}

/** Posts `request`, with a signal nobody aborts. */
function post(request: BrowserPostRequest): Promise<ActionResult> {
  return postThroughBrowser(request, new AbortController().signal);
}

/** Asserts that `reason` names a screenshot and an HTML file under `dir`, both not empty. */
async function assertEvidenceNamed(reason: string, dir: string): Promise<void> {
  const named = reason.match(/evidence: (\S+\.png), (\S+\.html)/);
  assert.ok(named, `no evidence named in: ${reason}`);
  for (const file of [named[1], named[2]]) {
    assert.ok(file.startsWith(dir), `${file} is not in ${dir}`);
    assert.ok((await Deno.stat(file)).size > 0, `${file} is empty`);
  }
  assert.match(await Deno.readTextFile(named[2]), /<html/i);
}

/** Asserts that the run let go of the profile (its browser closed). */
async function assertProfileFree(request: BrowserPostRequest): Promise<void> {
  const hold = await holdProfile(request.profileDir);
  assert.ok(hold, "the profile is free again");
  hold.release();
}

// ---- pure parts ----

browserTest(
  "composerUrl() and postIdFrom() place the composer and read each site's post id",
  () => {
    assert.equal(composerUrl("x", "https://x.com/"), "https://x.com/compose/post");
    assert.equal(
      composerUrl("linkedin", "https://www.linkedin.com"),
      "https://www.linkedin.com/feed/",
    );
    assert.equal(composerUrl("facebook", "https://www.facebook.com/"), "https://www.facebook.com/");
    assert.equal(postIdFrom("x", "https://x.com/ana/status/1799?s=20"), "1799");
    assert.equal(
      postIdFrom("linkedin", "https://www.linkedin.com/feed/update/urn%3Ali%3Ashare%3A42/"),
      "urn:li:share:42",
    );
    assert.equal(
      postIdFrom("facebook", "https://www.facebook.com/ana/posts/pfbid02Ab"),
      "pfbid02Ab",
    );
    assert.equal(postIdFrom("instagram", "https://www.instagram.com/p/C-x_1/"), "C-x_1");
    assert.equal(postIdFrom("x", "https://x.com/home"), undefined);
  },
);

browserTest(
  "postThroughBrowser() refuses an Instagram post without an image, and a busy profile, before anything starts",
  async () => {
    await withSites({}, async (scene) => {
      const instagram = await post(await requestFor(scene, "instagram"));
      assert.ok(!instagram.ok && !instagram.retryable, JSON.stringify(instagram));
      assert.match(instagram.reason, /no image.*'image:'/);

      const request = await requestFor(scene, "linkedin");
      await Deno.mkdir(request.profileDir, { recursive: true });
      const hold = await holdProfile(request.profileDir);
      assert.ok(hold);
      try {
        const busy = await post(request);
        assert.ok(!busy.ok && busy.retryable && !busy.mayHaveActed, JSON.stringify(busy));
        assert.match(busy.reason, /the LinkedIn browser is busy.*nothing was posted/);
        assert.equal(busy.retryAfterMs, 30_000, "it waits for the browser, costing no attempt");
      } finally {
        hold.release();
      }
      assert.deepEqual(scene.fake.published(), []);
    });
  },
);

// ---- published ----

for (
  const [platform, withImage] of [
    ["x", true],
    ["linkedin", true],
    ["facebook", false],
    ["instagram", true],
  ] as const
) {
  const label = SOCIAL_SITES[platform].label;
  browserTest(
    `postThroughBrowser() publishes a ${label} post once, its text exact${
      withImage ? " with its image" : ""
    }, and reads its id and address from the page`,
    async () => {
      await withSites({}, async (scene) => {
        const request = await requestFor(scene, platform, withImage ? { image: scene.image } : {});
        const result = await post(request);
        const published = scene.fake.published();
        assert.equal(published.length, 1, `published: ${JSON.stringify({ published, result })}`);
        const [one] = published;
        assert.equal(one.platform, platform);
        assert.equal(one.text, request.post.text);
        if (withImage) {
          assert.equal(one.image?.name, "launch day.png");
          assert.equal(one.image?.type, "image/png");
          assert.deepEqual(one.image?.bytes, scene.imageBytes);
        } else {
          assert.equal(one.image, undefined);
        }
        assert.deepEqual(result, {
          ok: true,
          remoteId: one.id,
          url: one.url,
          detail: `published on ${label}: ${one.url}`,
        });
        await assertProfileFree(request);
      });
    },
  );
}

browserTest(
  "postThroughBrowser() without a link to the new post is published, and says where to see it",
  async () => {
    await withSites({ showLink: false }, async (scene) => {
      const result = await post(await requestFor(scene, "instagram", { image: scene.image }));
      assert.equal(scene.fake.published().length, 1);
      assert.deepEqual(result, {
        ok: true,
        detail:
          "published on Instagram; the site showed no link to it: see it in the grid of your Instagram profile",
      });
    });
  },
);

browserTest(
  "postThroughBrowser() runs with only a browser run's permissions and the image readable",
  async () => {
    await withSites({}, async (scene) => {
      const request = await requestFor(scene, "x", { image: scene.image });
      const permissions = browserWorkerPermissions(request);
      const worker = new Worker(
        new URL("../fixtures/pages/social/post_worker.ts", import.meta.url),
        {
          type: "module",
          deno: {
            permissions: {
              ...permissions,
              read: [request.post.image!.path, ...permissions.read as string[]],
            },
          },
        },
      );
      try {
        const answer = await new Promise<PostWorkerAnswer>((resolve) => {
          worker.onmessage = (event: MessageEvent<PostWorkerAnswer>) => resolve(event.data);
          worker.onerror = (event) => {
            event.preventDefault();
            resolve({ error: event.message });
          };
          worker.postMessage(request);
        });
        assert.ok("result" in answer && answer.result.ok, JSON.stringify(answer));
        const published = scene.fake.published();
        assert.equal(published.length, 1);
        assert.deepEqual(published[0].image?.bytes, scene.imageBytes);
      } finally {
        worker.terminate();
      }
    });
  },
);

browserTest(
  "postThroughBrowser() stopped before Post is clicked posts nothing and may be retried",
  async () => {
    await withSites({}, async (scene) => {
      const request = await requestFor(scene, "facebook");
      const result = await postThroughBrowser(
        request,
        AbortSignal.abort(new Error("shutting down")),
      );
      assert.deepEqual(result, {
        ok: false,
        retryable: true,
        reason:
          `Facebook post ${request.itemId} was stopped before Post was clicked; nothing was posted`,
      });
      assert.deepEqual(scene.fake.published(), []);
      await assertProfileFree(request);
    });
  },
);

// ---- the ways it fails, on LinkedIn and X ----

for (const platform of ["linkedin", "x"] as const) {
  const label = SOCIAL_SITES[platform].label;

  browserTest(
    `postThroughBrowser() on a changed ${label} page posts once through the fallback selectors, and says which`,
    async () => {
      await withSites({ markup: "renamed" }, async (scene) => {
        const request = await requestFor(scene, platform, { image: scene.image });
        const result = await post(request);
        const published = scene.fake.published();
        assert.equal(published.length, 1);
        assert.equal(published[0].text, request.post.text);
        assert.deepEqual(published[0].image?.bytes, scene.imageBytes);
        assert.ok(result.ok, JSON.stringify(result));
        assert.equal(result.remoteId, published[0].id);
        assert.equal(result.url, published[0].url);
        assert.match(result.detail ?? "", /the site has changed: found the logged-in page by '/);
        assert.match(result.detail ?? "", /the post editor by '.*the Post button by '/);
        assert.match(result.detail ?? "", /update src\/social\/selectors\.ts$/);
      });
    },
  );

  browserTest(
    `postThroughBrowser() against a logged-out ${label} posts nothing and is not retried: it names aiemp login ${platform}`,
    async () => {
      await withSites({ loggedIn: false }, async (scene) => {
        const request = await requestFor(scene, platform);
        const result = await post(request);
        assert.ok(!result.ok && !result.retryable && !result.mayHaveActed, JSON.stringify(result));
        assert.match(
          result.reason,
          new RegExp(`^${label} post ${request.itemId} was not published`),
        );
        assert.match(result.reason, new RegExp(`run aiemp login ${platform}`));
        assert.match(result.reason, /Browser step 'session'/);
        await assertEvidenceNamed(result.reason, scene.evidenceDir);
        assert.deepEqual(scene.fake.published(), []);
        await assertProfileFree(request);
      });
    },
  );

  browserTest(
    `postThroughBrowser() on a ${label} page no selector knows posts nothing, is retryable, and names the step and its evidence`,
    async () => {
      await withSites({ markup: "missing" }, async (scene) => {
        const request = await requestFor(scene, platform, {}, { stepTimeoutMs: 2500 });
        const result = await post(request);
        assert.ok(!result.ok && result.retryable && !result.mayHaveActed, JSON.stringify(result));
        assert.match(result.reason, /nothing was posted/);
        assert.match(
          result.reason,
          new RegExp(
            `Browser step 'open_composer' for ${request.itemId} failed: Cannot find the post editor`,
          ),
        );
        await assertEvidenceNamed(result.reason, scene.evidenceDir);
        assert.deepEqual(scene.fake.published(), []);
      });
    },
  );

  browserTest(
    `postThroughBrowser() when ${label} never confirms the post says it may have been published, once, and never retries`,
    async () => {
      await withSites({ outcome: "never" }, async (scene) => {
        const request = await requestFor(scene, platform, {}, { stepTimeoutMs: 2500 });
        const result = await post(request);
        assert.ok(!result.ok && !result.retryable && result.mayHaveActed, JSON.stringify(result));
        assert.match(result.reason, new RegExp(`^${label} post ${request.itemId} may have been`));
        assert.match(result.reason, /Browser step 'confirm'/);
        assert.match(result.reason, /check .* before posting it again$/);
        await assertEvidenceNamed(result.reason, scene.evidenceDir);
        assert.equal(scene.fake.published().length, 1, "it went out once, and only once");
        await assertProfileFree(request);
      });
    },
  );

  browserTest(
    `postThroughBrowser() when ${label} shows an error after Post: not published, not retried, the error quoted`,
    async () => {
      const errorText = `${label} says: this post looks like a duplicate.`;
      await withSites({ outcome: "error", errorText }, async (scene) => {
        const request = await requestFor(scene, platform);
        const result = await post(request);
        assert.ok(!result.ok && !result.retryable && !result.mayHaveActed, JSON.stringify(result));
        assert.match(result.reason, /was not published: Browser step 'confirm'/);
        assert.ok(result.reason.includes(JSON.stringify(errorText)), result.reason);
        assert.deepEqual(scene.fake.published(), []);
      });
    },
  );
}

browserTest(
  "postThroughBrowser() does not take a stranger's post that appears in the Facebook feed for the owner's",
  async () => {
    await withSites({ outcome: "never", stranger: true }, async (scene) => {
      const request = await requestFor(scene, "facebook", {}, { stepTimeoutMs: 2500 });
      const result = await post(request);
      assert.ok(!result.ok && result.mayHaveActed, JSON.stringify(result));
      assert.ok(
        !JSON.stringify(result).includes("someone.else"),
        "the stranger's link is not ours",
      );
      assert.equal(scene.fake.published().length, 1);
    });
  },
);

// ---- the session ----

browserTest(
  "socialSessionState() tells a logged-in page, the login form, and a page that shows neither",
  async () => {
    await withSites({}, async (scene) => {
      const paths = browserPaths(join(scene.dir, ".aiemp"), "facebook");
      const browser = await openProfile({ executable: await findBrowser(), ...paths });
      try {
        const page = await browser.page();
        const options = { evidenceDir: scene.evidenceDir, timeoutMs: 3000 };
        await page.goto(scene.fake.urlOf("facebook"));
        assert.deepEqual(await socialSessionState(page, "facebook", options), {
          state: "logged_in",
        });

        scene.fake.setModes({ loggedIn: false });
        await page.reload();
        assert.deepEqual(await socialSessionState(page, "facebook", options), {
          state: "logged_out",
          detail: "Facebook shows the login form",
        });

        scene.fake.setModes({ loggedIn: true, markup: "renamed" });
        await page.reload();
        assert.deepEqual(await socialSessionState(page, "facebook", options), {
          state: "logged_in",
          fallbacks: {
            loggedIn: '[role="navigation"][aria-label="Account Controls and Settings"]',
          },
        });

        await page.goto(`${scene.fake.origin}/api/state?platform=facebook`);
        const neither = await socialSessionState(page, "facebook", {
          ...options,
          timeoutMs: 800,
          itemId: "login",
        });
        assert.equal(neither.state, "broken");
        assert.match(neither.detail ?? "", /Browser step 'session' for login failed/);
        assert.ok(neither.evidence?.screenshot && neither.evidence.html);
        assert.ok((await Deno.stat(neither.evidence.screenshot)).size > 0);
      } finally {
        await browser.close();
      }
    });
  },
);
