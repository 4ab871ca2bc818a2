import type { SocialPlatform } from "../types.ts";

/**
 * How one site's composer differs from the others: the flow is the same for all four (open the
 * composer, type, attach, post, confirm), and what differs is this data.
 */
export interface SocialSite {
  /** The site's name for people: "LinkedIn". */
  readonly label: string;
  /**
   * Where the composer is, relative to the site's address (`<platform>.url`): X opens its
   * composer at `compose/post`; the others open it from the feed (`feed/`, or the home page).
   */
  readonly composerPath: string;
  /**
   * True when the composer's address shows the composer by itself (X): the "open" button is
   * only used when it does not.
   */
  readonly composerAtAddress: boolean;
  /**
   * The key a line break is typed with. Every site's post editor takes Enter as a line break
   * (X posts with Ctrl+Enter, not Enter), so it is Enter everywhere.
   */
  readonly newline: "Enter" | "Shift+Enter";
  /** The text of the button that publishes ("Post"; Instagram's is "Share"), for messages. */
  readonly postButtonText: string;
  /** True when the image is chosen before the text is typed (Instagram: image, Next, caption). */
  readonly imageFirst: boolean;
  /** True when a post must have an image (Instagram). */
  readonly requiresImage: boolean;
  /** The post's id in a link to it, e.g. `/status/(\d+)`; the first group is the id. */
  readonly postId: RegExp;
  /** Where the owner sees a post when the site showed no link to it. */
  readonly whereToSee: string;
}

/** Every site the `browser` drivers post to. */
export const SOCIAL_SITES: Readonly<Record<SocialPlatform, SocialSite>> = Object.freeze({
  x: Object.freeze({
    label: "X",
    composerPath: "compose/post",
    composerAtAddress: true,
    newline: "Enter",
    postButtonText: "Post",
    imageFirst: false,
    requiresImage: false,
    postId: /\/status\/(\d+)/,
    whereToSee: "the Posts tab of your X profile",
  }),
  linkedin: Object.freeze({
    label: "LinkedIn",
    composerPath: "feed/",
    composerAtAddress: false,
    newline: "Enter",
    postButtonText: "Post",
    imageFirst: false,
    requiresImage: false,
    postId: /(urn:li:(?:activity|share|ugcPost):\d+)/,
    whereToSee: "Me → Posts & Activity on LinkedIn",
  }),
  facebook: Object.freeze({
    label: "Facebook",
    composerPath: "",
    composerAtAddress: false,
    newline: "Enter",
    postButtonText: "Post",
    imageFirst: false,
    requiresImage: false,
    postId: /(?:\/posts\/|story_fbid=|\/permalink\/)([\w.-]+)/,
    whereToSee: "your Facebook profile",
  }),
  instagram: Object.freeze({
    label: "Instagram",
    composerPath: "",
    composerAtAddress: false,
    newline: "Enter",
    postButtonText: "Share",
    imageFirst: true,
    requiresImage: true,
    postId: /\/(?:p|reel)\/([\w-]+)/,
    whereToSee: "the grid of your Instagram profile",
  }),
});

/**
 * The address of `platform`'s composer on the site at `siteUrl` (`<platform>.url`).
 *
 * @example
 * ```ts
 * composerUrl("x", "https://x.com/"); // "https://x.com/compose/post"
 * ```
 */
export function composerUrl(platform: SocialPlatform, siteUrl: string): string {
  const base = siteUrl.endsWith("/") ? siteUrl : `${siteUrl}/`;
  return new URL(SOCIAL_SITES[platform].composerPath, base).href;
}

/** The post's id in `url`, by the site's pattern; undefined when the address holds none. */
export function postIdFrom(platform: SocialPlatform, url: string): string | undefined {
  let path = url;
  try {
    path = decodeURIComponent(url);
  } catch { /* an address with a stray % is read as it is */ }
  return SOCIAL_SITES[platform].postId.exec(path)?.[1];
}
