/**
 * What every social posting driver shares: the platforms, a post as approved, and the requests
 * an action run is handed for each driver. Light: no client library, no browser.
 * @module
 */
import type { BrowserRun } from "../browser/mod.ts";

/** The platforms aiemp posts to, by their name in aiemp.yaml and `aiemp auth|login <platform>`. */
export type SocialPlatform = "linkedin" | "x" | "facebook" | "instagram";

/** Every platform, in the order the README and the Dashboard list them. */
export const SOCIAL_PLATFORMS: readonly SocialPlatform[] = [
  "linkedin",
  "x",
  "facebook",
  "instagram",
];

/** Each platform's name as the owner reads it. */
export const SOCIAL_LABELS: Readonly<Record<SocialPlatform, string>> = Object.freeze({
  linkedin: "LinkedIn",
  x: "X",
  facebook: "Facebook",
  instagram: "Instagram",
});

/** How a post reaches its platform: the official API, or the site in the owner's browser profile. */
export type SocialDriver = "api" | "browser";

/** An image from the vault, checked in the main thread (type read from its first bytes). */
export interface SocialImage {
  /** Its absolute path in the vault; the run may read it and nothing else of the vault. */
  path: string;
  /** Its file name, as uploaded. */
  name: string;
  /** Its type, from its content: `image/jpeg`, `image/png`, `image/gif` or `image/webp`. */
  type: string;
  /** Its size in bytes when checked. */
  size: number;
}

/** A post as the owner approved it, checked against its platform's limits. */
export interface SocialPost {
  /** Where it goes. */
  platform: SocialPlatform;
  /** The text exactly as published: the approved text, then the hashtags (`#tag`) if any. */
  text: string;
  /** An image from the vault. */
  image?: SocialImage;
  /**
   * An image at a public address (`image_url:`): Instagram's API takes images only this way.
   * @default none
   */
  imageUrl?: string;
  /** A link shared with the post (`link:`), an `https://` or `http://` address. */
  link?: string;
}

/** What an `api` driver's run is handed: everything it needs, since it reads nothing else. */
export interface ApiPostRequest {
  /** Always `"api"`. */
  driver: "api";
  /** The approval's id, for errors. */
  itemId: string;
  /** The post. */
  post: SocialPost;
  /**
   * The platform's API base (`<platform>.api_base`), ending in `/`, e.g.
   * `https://api.linkedin.com/`, `https://api.x.com/`, `https://graph.facebook.com/v23.0/`.
   */
  apiBase: string;
  /** The access token (a user token; a Page token for Facebook and Instagram). */
  token: string;
  /**
   * Who posts: LinkedIn's author URN (`urn:li:person:…` or `urn:li:organization:…`), the
   * Facebook Page's id, the Instagram account's id. Empty for X (the token's user posts).
   */
  account: string;
  /** LinkedIn's API version header (`linkedin.api_version`, `YYYYMM`). @default none */
  apiVersion?: string;
  /** Sent as User-Agent. */
  userAgent: string;
}

/** What a `browser` driver's run is handed. */
export interface BrowserPostRequest extends BrowserRun {
  /** Always `"browser"`. */
  driver: "browser";
  /** The approval's id: names the evidence files and the errors. */
  itemId: string;
  /** The post. */
  post: SocialPost;
  /** The site's address (`<platform>.url`), e.g. `https://www.linkedin.com/`. */
  url: string;
}

/** What a social post's run is handed, by driver. */
export type SocialPostRequest = ApiPostRequest | BrowserPostRequest;
