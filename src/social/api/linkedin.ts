/**
 * LinkedIn through its Posts API: an image is registered (`rest/images?action=initializeUpload`)
 * and uploaded first, then one `rest/posts` publishes. The commentary is LinkedIn's "little
 * text", so the text is escaped to appear exactly as approved, hashtags kept as hashtags.
 * @module
 */
import type { ActionResult } from "../../actions/types.ts";
import type { ApiPostRequest } from "../types.ts";
import {
  type ApiRun,
  call,
  type Failure,
  fieldsOf,
  readImage,
  type Step,
  unexpected,
  withLink,
} from "./_http.ts";

/** Characters little text gives a meaning to; a backslash makes each one plain. */
const RESERVED = /[\\|{}@[\]()<>#*_~]/g;

/**
 * An address (kept whole, so nothing in it becomes a hashtag), or a hashtag: `#` after no letter,
 * digit or underscore, then a word with at least one letter (`#1` stays plain text).
 */
const TOKEN = /(https?:\/\/\S+)|(?<![\p{L}\p{N}_])#((?=[\p{N}_]*\p{L})[\p{L}\p{N}_]+)/gu;

/**
 * Writes `text` as LinkedIn's little text: every reserved character (`\ | { } @ [ ] ( ) < > # *
 * _ ~`) escaped with a backslash, and each hashtag as LinkedIn's hashtag template
 * (`#tag` → `{hashtag|\#|tag}`), so mentions and markup cannot appear by accident and the
 * hashtags stay links.
 *
 * @example
 * ```ts
 * littleText("Launch (v2) #ai"); // "Launch \\(v2\\) {hashtag|\\#|ai}"
 * ```
 */
export function littleText(text: string): string {
  const escape = (plain: string) => plain.replace(RESERVED, (c) => `\\${c}`);
  let out = "";
  let at = 0;
  for (const match of text.matchAll(TOKEN)) {
    out += escape(text.slice(at, match.index));
    out += match[1] !== undefined ? escape(match[1]) : `{hashtag|\\#|${escape(match[2])}}`;
    at = match.index + match[0].length;
  }
  return out + escape(text.slice(at));
}

/** Publishes a post on LinkedIn as `request.account` (a person's or an organization's URN). */
export async function postToLinkedIn(
  request: ApiPostRequest,
  run: ApiRun,
): Promise<ActionResult> {
  const { post } = request;
  if (!request.apiVersion) {
    return {
      ok: false,
      retryable: false,
      reason: "LinkedIn's API needs its version: set 'linkedin.api_version' (YYYYMM) in " +
        "aiemp.yaml; nothing was published",
    };
  }
  const headers = {
    "linkedin-version": request.apiVersion,
    "x-restli-protocol-version": "2.0.0",
    "content-type": "application/json",
  };
  let content: Record<string, unknown> | undefined;
  let text = post.text;
  if (post.image) {
    const image = await uploadImage(request, run, headers);
    if (typeof image !== "string") return image;
    content = { media: { id: image } };
    // A post carries one content: with an image, the link goes in the text.
    text = withLink(text, post.link);
  } else if (post.link) {
    content = { article: { source: post.link, title: post.link } };
  }
  const step: Step = { what: "the post", publishes: true };
  const reply = await call(run, step, {
    method: "POST",
    url: new URL("rest/posts", request.apiBase),
    headers,
    body: JSON.stringify({
      author: request.account,
      commentary: littleText(text),
      visibility: "PUBLIC",
      distribution: {
        feedDistribution: "MAIN_FEED",
        targetEntities: [],
        thirdPartyDistributionChannels: [],
      },
      ...(content ? { content } : {}),
      lifecycleState: "PUBLISHED",
      isReshareDisabledByAuthor: false,
    }),
  });
  if (!reply.ok) return reply;
  const urn = reply.headers.get("x-restli-id") ?? fieldsOf(reply.body).id;
  if (typeof urn !== "string" || urn === "") {
    return {
      ok: true,
      detail: `HTTP ${reply.status}; LinkedIn gave no post id, so there is no link to the post`,
    };
  }
  return {
    ok: true,
    remoteId: urn,
    url: `https://www.linkedin.com/feed/update/${urn}/`,
    detail: `HTTP ${reply.status}`,
  };
}

/** Registers and uploads the post's image; resolves with its URN (`urn:li:image:…`). */
async function uploadImage(
  request: ApiPostRequest,
  run: ApiRun,
  headers: Record<string, string>,
): Promise<string | Failure> {
  const bytes = await readImage(run, request.post.image!);
  if (!(bytes instanceof Blob)) return bytes;
  const start: Step = { what: "the image registration" };
  const registered = await call(run, start, {
    method: "POST",
    url: new URL("rest/images?action=initializeUpload", request.apiBase),
    headers,
    body: JSON.stringify({ initializeUploadRequest: { owner: request.account } }),
  });
  if (!registered.ok) return registered;
  const value = fieldsOf(fieldsOf(registered.body).value);
  const { uploadUrl, image } = value;
  if (
    typeof uploadUrl !== "string" || !/^https?:\/\//.test(uploadUrl) || typeof image !== "string"
  ) {
    return unexpected(run, start, "an upload address and an image URN", registered.body);
  }
  const uploaded = await call(run, { what: "the image upload" }, {
    method: "PUT",
    url: uploadUrl,
    headers: { "content-type": "application/octet-stream" },
    body: bytes,
  });
  return uploaded.ok ? image : uploaded;
}
