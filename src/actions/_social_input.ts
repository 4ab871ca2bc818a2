/**
 * What an approved post says, read from its note: the text with its hashtags, an image from the
 * vault (measured, its type read from its bytes), an image at a public address, a link. The
 * platform's limits are checked by the caller, once the driver is known.
 * @module
 */
import { imageTypeOf, type SocialImage } from "../social/mod.ts";
import { checkAttachment, exactText, textField } from "./_email_input.ts";
import { ActionInputError } from "./types.ts";

/** A post as written in its note, before the platform's limits are checked. */
export interface PostInput {
  /** The approved text (`text:` or `## Content`), blank ends dropped; may be empty. */
  text: string;
  /** The `hashtags:` list, without `#`. */
  hashtags: string[];
  /** `image:`, a file in the vault. */
  image?: SocialImage;
  /** `image_url:`, an image at a public `https://` address. */
  imageUrl?: string;
  /** `link:`, an `http(s)://` address shared with the post. */
  link?: string;
  /** `post_as:` (LinkedIn): `member` (the default) or `organization`. */
  postAs: "member" | "organization";
}

/**
 * Reads a post from an approved item's front matter and body; `vault` is where `image:` is
 * looked up. Throws {@linkcode ActionInputError} naming the field and the fix.
 */
export function postInputOf(
  frontMatter: Record<string, unknown>,
  body: string,
  vault: string | undefined,
): PostInput {
  const text = exactText(frontMatter, body, "post", true);
  const reference = imageReference(frontMatter);
  let image: SocialImage | undefined;
  if (reference !== undefined) {
    if (!vault) {
      throw new ActionInputError(
        "a post with an image needs the vault; run it through 'aiemp start'",
      );
    }
    image = measuredImage(vault, reference);
  }
  const imageUrl = addressField(frontMatter, "image_url", "https");
  const link = addressField(frontMatter, "link", "http");
  const postAs = textField(frontMatter, "post_as")?.toLowerCase() ?? "member";
  if (postAs !== "member" && postAs !== "organization") {
    throw new ActionInputError(
      `'post_as' is ${
        JSON.stringify(postAs)
      }; write member (you) or organization (linkedin.organization in aiemp.yaml)`,
    );
  }
  return {
    text,
    hashtags: hashtagsOf(frontMatter),
    ...(image ? { image } : {}),
    ...(imageUrl ? { imageUrl } : {}),
    ...(link ? { link } : {}),
    postAs,
  };
}

/**
 * The text as published: the approved text, then each hashtag as ` #tag` (the social-post
 * skill's rule, so the agent's count and aiemp's agree), then the link when it goes in the text.
 */
export function publishedText(text: string, hashtags: string[], link?: string): string {
  const tags = hashtags.map((tag) => ` #${tag}`).join("");
  const withTags = text === "" ? tags.trimStart() : text + tags;
  if (link === undefined) return withTags;
  return withTags === "" ? link : `${withTags}\n\n${link}`;
}

function imageReference(frontMatter: Record<string, unknown>): string | undefined {
  const value = frontMatter.image;
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") {
    throw new ActionInputError(
      "'image' must be one path in the vault, such as Media/launch.png (one image per post)",
    );
  }
  const link = /^\[\[([^|\]]+)(?:\|[^\]]*)?\]\]$/.exec(value.trim());
  return link ? link[1].trim() : value.trim();
}

/** An image in the vault, checked like an attachment, with its type from its first bytes. */
function measuredImage(vault: string, reference: string): SocialImage {
  let checked;
  try {
    checked = checkAttachment(vault, reference);
  } catch (error) {
    if (!(error instanceof ActionInputError)) throw error;
    throw new ActionInputError(error.message.replace("the attachment", "the image"));
  }
  const head = new Uint8Array(12);
  const file = Deno.openSync(checked.path);
  try {
    file.readSync(head);
  } finally {
    file.close();
  }
  const type = imageTypeOf(head);
  if (type === undefined) {
    throw new ActionInputError(
      `Cannot use the image ${
        JSON.stringify(reference)
      }: it is not a JPEG, PNG, GIF or WebP picture (whatever its name says); export it as JPEG or PNG`,
    );
  }
  return { path: checked.path, name: checked.name, type, size: checked.size };
}

/** The `hashtags:` list: a list or one text of words, each with or without `#`. */
function hashtagsOf(frontMatter: Record<string, unknown>): string[] {
  const value = frontMatter.hashtags;
  if (value === undefined || value === null || value === "") return [];
  const list = Array.isArray(value) ? value : String(value).split(/[\s,]+/);
  return list.filter((tag) => tag !== "").map((tag) => {
    const word = typeof tag === "string" || typeof tag === "number"
      ? String(tag).trim().replace(/^#/, "")
      : "";
    if (!/^[\p{L}\p{N}_]+$/u.test(word)) {
      throw new ActionInputError(
        `the hashtag ${
          JSON.stringify(tag)
        } cannot be used: a hashtag is one word of letters, digits and _ (write smallbusiness, not "small business")`,
      );
    }
    return word;
  });
}

/** An address field: an absolute URL with the scheme `https`, or `http`/`https`. */
function addressField(
  frontMatter: Record<string, unknown>,
  field: string,
  scheme: "http" | "https",
): string | undefined {
  const text = textField(frontMatter, field);
  if (text === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  const allowed = scheme === "https" ? ["https:"] : ["http:", "https:"];
  if (!url || !allowed.includes(url.protocol)) {
    throw new ActionInputError(
      `'${field}' must be a full ${scheme}:// address, such as ${scheme}://example.com/page, not ${
        JSON.stringify(text.slice(0, 80))
      }`,
    );
  }
  return url.href;
}
