/**
 * Each platform's limits, checked before anything is sent, so a post that breaks one is
 * rejected with the limit named instead of being cut or refused by the platform.
 * @module
 */
import { SOCIAL_LABELS, type SocialImage, type SocialPlatform } from "./types.ts";

/** What a platform accepts. */
export interface PlatformRules {
  /** The platform's name for people. */
  label: string;
  /** The action that posts there. */
  action: string;
  /** The most characters a post's text may have (X counts its own way: see `xLength`). */
  maxLength: number;
  /** What the text is called in the platform's words. */
  textName: string;
  /** Whether a post needs an image. */
  imageRequired: boolean;
  /** The image types accepted, by content. */
  imageTypes: readonly string[];
  /** The largest image accepted, in bytes. */
  maxImageBytes: number;
  /** The most hashtags a post may carry. @default no limit */
  maxHashtags?: number;
  /** Whether a link may be given apart from the text (`link:`); else it goes in the text. */
  linkField: boolean;
}

const MB = 1024 * 1024;

/**
 * The limits aiemp checks: X 280 (its weighted count: most non-Latin characters and emoji count
 * 2, a link 23), LinkedIn 3,000, Facebook 63,206, an Instagram caption 2,200 with at most 30
 * hashtags and an image required. Image sizes are the platforms' documented upper bounds where
 * they give one and a safe bound where they do not (LinkedIn: 8 MB).
 */
export const PLATFORM_RULES: Readonly<Record<SocialPlatform, PlatformRules>> = Object.freeze({
  linkedin: {
    label: SOCIAL_LABELS.linkedin,
    action: "linkedin_post",
    maxLength: 3000,
    textName: "post",
    imageRequired: false,
    imageTypes: ["image/jpeg", "image/png", "image/gif"],
    maxImageBytes: 8 * MB,
    linkField: true,
  },
  x: {
    label: SOCIAL_LABELS.x,
    action: "x_post",
    maxLength: 280,
    textName: "post",
    imageRequired: false,
    imageTypes: ["image/jpeg", "image/png", "image/gif", "image/webp"],
    maxImageBytes: 5 * MB,
    linkField: false,
  },
  facebook: {
    label: SOCIAL_LABELS.facebook,
    action: "facebook_post",
    maxLength: 63_206,
    textName: "post",
    imageRequired: false,
    imageTypes: ["image/jpeg", "image/png", "image/gif"],
    maxImageBytes: 4 * MB,
    linkField: true,
  },
  instagram: {
    label: SOCIAL_LABELS.instagram,
    action: "instagram_post",
    maxLength: 2200,
    textName: "caption",
    imageRequired: true,
    imageTypes: ["image/jpeg"],
    maxImageBytes: 8 * MB,
    maxHashtags: 30,
    linkField: false,
  },
});

/** The names of image types for people. */
const TYPE_NAMES: Record<string, string> = {
  "image/jpeg": "JPEG",
  "image/png": "PNG",
  "image/gif": "GIF",
  "image/webp": "WebP",
};

/**
 * An image's type from its first bytes (JPEG, PNG, GIF or WebP), or undefined for anything
 * else: the name of a file says nothing about what it holds.
 *
 * @example
 * ```ts
 * imageTypeOf(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])); // "image/png"
 * ```
 */
export function imageTypeOf(head: Uint8Array): string | undefined {
  const ascii = (from: number, to: number) => String.fromCharCode(...head.subarray(from, to));
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return "image/jpeg";
  if (head[0] === 0x89 && ascii(1, 4) === "PNG") return "image/png";
  if (ascii(0, 4) === "GIF8") return "image/gif";
  if (ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") return "image/webp";
  return undefined;
}

/** What a post's length is measured as: characters, or X's weighted count. */
export type LengthOf = (text: string) => number;

/** Counts characters as people see them: code points, not UTF-16 units. */
export function characters(text: string): number {
  return Array.from(text).length;
}

/**
 * Why `post` cannot go to `platform`, one sentence per limit broken (empty when it can). Pure:
 * the image was measured by whoever built the post.
 *
 * @example
 * ```ts
 * postProblems("x", { text: "x".repeat(300) }, characters);
 * // ["the post has 300 characters; X takes at most 280 (…)"]
 * ```
 */
export function postProblems(
  platform: SocialPlatform,
  post: { text: string; image?: SocialImage; imageUrl?: string },
  lengthOf: LengthOf,
): string[] {
  const rules = PLATFORM_RULES[platform];
  const problems: string[] = [];
  const length = lengthOf(post.text);
  if (post.text.trim() === "" && !post.image && !post.imageUrl) {
    problems.push(`the ${rules.textName} is empty: write it under '## Content' in the note`);
  }
  if (length > rules.maxLength) {
    const counted = platform === "x" ? " as X counts them (a link is 23, an emoji 2)" : "";
    problems.push(
      `the ${rules.textName} has ${length} characters${counted}; ${rules.label} takes at most ${rules.maxLength}: shorten it by ${
        length - rules.maxLength
      }`,
    );
  }
  const hashtags = post.text.match(/#[\p{L}\p{N}_]+/gu)?.length ?? 0;
  if (rules.maxHashtags !== undefined && hashtags > rules.maxHashtags) {
    problems.push(
      `the ${rules.textName} has ${hashtags} hashtags; ${rules.label} takes at most ${rules.maxHashtags}`,
    );
  }
  if (rules.imageRequired && !post.image && !post.imageUrl) {
    problems.push(
      `${rules.label} needs an image: give 'image:' (a JPEG in the vault, e.g. Media/photo.jpg)`,
    );
  }
  const image = post.image;
  if (image && !rules.imageTypes.includes(image.type)) {
    const accepted = rules.imageTypes.map((type) => TYPE_NAMES[type]).join(", ");
    problems.push(
      `the image ${image.name} is ${
        TYPE_NAMES[image.type] ?? "not an image aiemp knows"
      }; ${rules.label} takes ${accepted}`,
    );
  }
  if (image && image.size > rules.maxImageBytes) {
    problems.push(
      `the image ${image.name} is ${
        (image.size / MB).toFixed(1)
      } MB; ${rules.label} takes at most ${rules.maxImageBytes / MB} MB`,
    );
  }
  return problems;
}
