/**
 * `linkedin_post`, `x_post` (alias `twitter_post`), `facebook_post` and `instagram_post`: an
 * approved post published through the platform's official API when the owner set up a token
 * (`aiemp auth <platform>`), else through the site in the owner's browser profile (`aiemp login
 * <platform>`), or as `<platform>.driver` says. The approval file is the same for both.
 *
 * Only the light part is here (the main thread and the executor's Worker load it through the
 * registry). Each driver's run has its own entry (`runs/social_api.ts`,
 * `runs/social_browser.ts`), so an API run never loads the browser layer.
 * @module
 */
import { browserPaths } from "../browser/mod.ts";
import { browserPlacesOf } from "../sandbox/mod.ts";
import {
  apiHostsOf,
  type ApiPostRequest,
  type BrowserPostRequest,
  characters,
  loadXLength,
  PLATFORM_RULES,
  postProblems,
  type SocialDriver,
  type SocialPlatform,
  type SocialPost,
  type SocialPostRequest,
} from "../social/mod.ts";
import { vaultLayout } from "../vault/mod.ts";
import { browserRunOf, browserRunTimeoutMs } from "./_browser_run.ts";
import { type PostInput, postInputOf, publishedText } from "./_social_input.ts";
import {
  ActionInputError,
  type ActionResult,
  type ActionSettings,
  type ActionType,
  type ApprovedItem,
  type PreparedAction,
} from "./types.ts";

/** The browser steps of a post: open, session, composer, type, attach (twice as long), ready, post, confirm, spare. */
const STEPS = 10;

/** The file-name prefix of each platform's requests (DESIGN.md). */
const PREFIXES: Record<SocialPlatform, string> = {
  linkedin: "LINKEDIN_",
  x: "TWITTER_",
  facebook: "FACEBOOK_",
  instagram: "INSTAGRAM_",
};

/**
 * One platform's post action. Front matter: the text under `## Content` (or `text:`),
 * `hashtags:` (words, added as ` #tag` at the end), `image:` (a picture in the vault), `link:`,
 * and for LinkedIn `post_as: organization`; Instagram's API takes `image_url:` (a public
 * address) instead of `image:`. Each platform's limits are checked before anything is sent.
 * Not idempotent: no platform takes an idempotency key, so a post that may have gone out goes
 * back to the owner and is never posted again by aiemp. Paced by the platform's rate limit,
 * through either driver.
 */
function socialPostAction(platform: SocialPlatform): ActionType {
  return {
    name: PLATFORM_RULES[platform].action,
    ...(platform === "x" ? { aliases: ["twitter_post"] } : {}),
    prefixes: [PREFIXES[platform]],
    idempotent: () => false,
    prepare: (item, settings) => preparePost(platform, item, settings),
    // Each run's entry module gives the real perform; this one loads it when used elsewhere.
    perform: async (request, signal): Promise<ActionResult> => {
      const { postThroughApi, postThroughBrowser } = await import("../social/mod.ts");
      const post = request as SocialPostRequest;
      return post.driver === "api"
        ? await postThroughApi(post, signal)
        : await postThroughBrowser(post, signal);
    },
  };
}

/** The four post actions, LinkedIn, X, Facebook, Instagram. */
export const SOCIAL_POST_ACTIONS: readonly ActionType[] = [
  socialPostAction("linkedin"),
  socialPostAction("x"),
  socialPostAction("facebook"),
  socialPostAction("instagram"),
];

async function preparePost(
  platform: SocialPlatform,
  item: ApprovedItem,
  settings: ActionSettings,
): Promise<PreparedAction> {
  const rules = PLATFORM_RULES[platform];
  const named = item.frontMatter.platform;
  if (typeof named === "string" && named.trim() !== "" && !namesPlatform(named, platform)) {
    throw new ActionInputError(
      `the request says 'platform: ${named.trim()}' but asks for ${rules.action}; make them agree`,
    );
  }
  const social = settings.social?.[platform];
  if (!social) {
    throw new ActionInputError(
      `a ${rules.label} post needs its settings; run it through 'aiemp start'`,
    );
  }
  const input = postInputOf(item.frontMatter, item.body, settings.vault);
  const token = social.driver === "browser" ? undefined : await settings.socialToken?.(platform);
  const driver: SocialDriver = social.driver === "auto"
    ? (token ? "api" : "browser")
    : social.driver;
  const post = checkedPost(
    platform,
    driver,
    input,
    platform === "x" ? await loadXLength() : characters,
  );
  const summary = {
    via: `${rules.label} ${driver === "api" ? "API" : "in the browser"}`,
    text: post.text,
    ...(post.image ? { image: post.image.name } : {}),
    ...(post.imageUrl ? { image_url: post.imageUrl } : {}),
    ...(post.link ? { link: post.link } : {}),
  };
  if (driver === "browser") return browserPost(platform, item, post, settings, summary);
  if (!token) {
    throw new ActionInputError(
      `no ${rules.label} API token is set up: run 'aiemp auth ${platform}', or set ${platform}.driver: browser in aiemp.yaml and run 'aiemp login ${platform}'`,
    );
  }
  const request: ApiPostRequest = {
    driver: "api",
    itemId: item.id,
    post,
    apiBase: social.apiBase,
    token: token.accessToken,
    account: accountOf(platform, input, token.account, social.organization),
    ...(social.apiVersion ? { apiVersion: social.apiVersion } : {}),
    userAgent: settings.userAgent,
  };
  return {
    hosts: apiHostsOf(platform, social.apiBase, social.url),
    readable: post.image ? [post.image.path] : [],
    pace: platform,
    run: "social_api",
    summary,
    request,
  };
}

/** Whether `named` (a `platform:` field) is `platform`; X is also called twitter. */
function namesPlatform(named: string, platform: SocialPlatform): boolean {
  const name = named.trim().toLowerCase();
  return name === platform || (platform === "x" && name === "twitter");
}

/**
 * The post as it will be published by `driver`, or an {@linkcode ActionInputError} naming every
 * limit it breaks. A link goes apart from the text where the platform's API takes one, else into
 * the text (where it counts).
 */
function checkedPost(
  platform: SocialPlatform,
  driver: SocialDriver,
  input: PostInput,
  lengthOf: (text: string) => number,
): SocialPost {
  const rules = PLATFORM_RULES[platform];
  // A LinkedIn post carries one content: with an image, its link goes in the text (and counts).
  const linkApart = driver === "api" && rules.linkField &&
    !(platform === "linkedin" && input.image);
  const problems: string[] = [];
  if (input.link && platform === "instagram") {
    problems.push(
      "Instagram shows no links in a caption: put the address in your bio, not 'link:'",
    );
  }
  if (input.imageUrl && !(platform === "instagram" && driver === "api")) {
    problems.push(
      `'image_url' is only for Instagram's API; give the picture as 'image:' (a file in the vault)`,
    );
  }
  if (platform === "instagram" && driver === "api" && input.image && !input.imageUrl) {
    problems.push(
      "Instagram's API takes a picture only at a public address: give 'image_url: https://…', or set instagram.driver: browser to upload the vault's file",
    );
  }
  if (input.image && input.imageUrl) problems.push("give 'image:' or 'image_url:', not both");
  const post: SocialPost = {
    platform,
    text: publishedText(
      input.text,
      input.hashtags,
      linkApart || platform === "instagram" ? undefined : input.link,
    ),
    ...(input.image ? { image: input.image } : {}),
    ...(input.imageUrl ? { imageUrl: input.imageUrl } : {}),
    ...(input.link && linkApart ? { link: input.link } : {}),
  };
  problems.push(...postProblems(platform, post, lengthOf));
  if (problems.length > 0) {
    throw new ActionInputError(`Cannot post to ${rules.label}: ${problems.join("; ")}`);
  }
  return post;
}

/** Who posts through the API: the token's account, or LinkedIn's organization when asked. */
function accountOf(
  platform: SocialPlatform,
  input: PostInput,
  tokenAccount: string | undefined,
  organization: string | undefined,
): string {
  if (input.postAs === "organization") {
    if (platform !== "linkedin") {
      throw new ActionInputError(`'post_as: organization' is for LinkedIn; remove it`);
    }
    if (!organization) {
      throw new ActionInputError(
        "'post_as: organization' needs linkedin.organization (urn:li:organization:N) in aiemp.yaml",
      );
    }
    return organization;
  }
  if (platform === "x") return "";
  if (!tokenAccount) {
    const fix = platform === "linkedin"
      ? "run 'aiemp auth linkedin' again (it records who posts)"
      : `run 'aiemp auth ${platform} --account ID' with the ${
        platform === "facebook" ? "Page's" : "Instagram account's"
      } id`;
    throw new ActionInputError(
      `the ${PLATFORM_RULES[platform].label} token names no account: ${fix}`,
    );
  }
  return tokenAccount;
}

function browserPost(
  platform: SocialPlatform,
  item: ApprovedItem,
  post: SocialPost,
  settings: ActionSettings,
  summary: Record<string, unknown>,
): PreparedAction {
  const label = PLATFORM_RULES[platform].label;
  const browser = settings.browser;
  if (!settings.vault || !browser) {
    throw new ActionInputError(
      `a ${label} post in the browser needs the vault's browser profile; run it through 'aiemp start'`,
    );
  }
  const layout = vaultLayout(settings.vault);
  // Without a login there is no session to post with, whatever browser there is.
  if (!isFolder(browserPaths(layout.internal, platform).profileDir)) {
    throw new ActionInputError(
      `no ${label} session: log in once with 'aiemp login ${platform}', or set up the API with 'aiemp auth ${platform}'; then approve it again`,
    );
  }
  if (!browser.executable) {
    throw new ActionInputError(browser.missing ?? `a ${label} post needs a browser`);
  }
  const places = browserPlacesOf(layout, platform, browser.executable);
  const request: BrowserPostRequest = {
    driver: "browser",
    itemId: item.id,
    post,
    url: settings.social![platform].url,
    ...browserRunOf(places, browser),
  };
  return {
    hosts: [],
    readable: post.image ? [post.image.path] : [],
    browser: places,
    pace: platform,
    run: "social_browser",
    minTimeoutMs: browserRunTimeoutMs(request, STEPS, post.text),
    summary,
    request,
  };
}

function isFolder(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}
