/**
 * Instagram through the Graph API's content publishing: a media container is made from the
 * image's public address (`<ig-user>/media`), checked until Instagram has fetched the image, then
 * published once (`<ig-user>/media_publish`); the post's address is asked for last. The API takes
 * images only from a public address, never uploaded bytes.
 * @module
 */
import type { ActionResult } from "../../actions/types.ts";
import type { ApiPostRequest } from "../types.ts";
import {
  type ApiRun,
  call,
  type Failure,
  fieldsOf,
  quote,
  type Step,
  unexpected,
  withLink,
} from "./_http.ts";

/** The first wait between status checks; each next one doubles, up to the longest. */
const POLL_FIRST_MS = 1_000;
const POLL_LONGEST_MS = 8_000;
/** How long Instagram may take to fetch the image: well within an action's run time. */
export const POLL_LIMIT_MS = 30_000;

/** Publishes a post on the Instagram account `request.account`. */
export async function postToInstagram(
  request: ApiPostRequest,
  run: ApiRun,
): Promise<ActionResult> {
  const { post } = request;
  if (!post.imageUrl) {
    return {
      ok: false,
      retryable: false,
      reason: post.image
        ? `Instagram's API takes an image only from a public address, and ${post.image.name} ` +
          "is in the vault; nothing was published. Give the image's public address as " +
          "'image_url:', or set 'instagram.driver: browser' in aiemp.yaml to post from the vault"
        : "an Instagram post needs an image; nothing was published. Give its public address " +
          "as 'image_url:' and approve the post again",
    };
  }
  const user = encodeURIComponent(request.account);
  const create: Step = { what: "the media container's creation" };
  const created = await call(run, create, {
    method: "POST",
    url: new URL(`${user}/media`, request.apiBase),
    body: new URLSearchParams({
      image_url: post.imageUrl,
      caption: withLink(post.text, post.link),
    }),
  });
  if (!created.ok) return created;
  const container = fieldsOf(created.body).id;
  if (typeof container !== "string" || container === "") {
    return unexpected(run, create, "a container id", created.body);
  }
  const ready = await untilFinished(request, run, container);
  if (ready !== true) return ready;
  const published = await call(run, { what: "the publishing", publishes: true }, {
    method: "POST",
    url: new URL(`${user}/media_publish`, request.apiBase),
    body: new URLSearchParams({ creation_id: container }),
  });
  if (!published.ok) return published;
  const media = fieldsOf(published.body).id;
  const detail = `HTTP ${published.status}`;
  if (typeof media !== "string" || media === "") {
    return { ok: true, detail: `${detail}; Instagram gave no post id, so there is no link to it` };
  }
  return { ok: true, remoteId: media, ...await addressOf(request, run, media, detail) };
}

/** Checks the container until Instagram has the image: true, or why not (nothing published). */
async function untilFinished(
  request: ApiPostRequest,
  run: ApiRun,
  container: string,
): Promise<true | Failure> {
  const step: Step = { what: "the check of the image" };
  const url = new URL(
    `${encodeURIComponent(container)}?fields=status_code,status`,
    request.apiBase,
  );
  let waited = 0;
  let wait = POLL_FIRST_MS;
  while (true) {
    const reply = await call(run, step, { method: "GET", url });
    if (!reply.ok) return reply;
    const { status_code: code, status } = fieldsOf(reply.body);
    if (code === "FINISHED") return true;
    if (code === "ERROR" || code === "EXPIRED") {
      return {
        ok: false,
        retryable: false,
        reason: `Instagram could not take the image at ${request.post.imageUrl} (${code}` +
          `${typeof status === "string" && status ? `: ${quote(status)}` : ""}); nothing was ` +
          "published. Check that 'image_url:' is a public JPEG address, then approve it again",
      };
    }
    if (waited >= POLL_LIMIT_MS) {
      return {
        ok: false,
        retryable: true,
        reason: `Instagram was still fetching the image after ${POLL_LIMIT_MS / 1000} s ` +
          `(${typeof code === "string" ? code : "no status"}); nothing was published`,
      };
    }
    wait = Math.min(wait, POLL_LIMIT_MS - waited);
    await run.sleep(wait, run.signal);
    waited += wait;
    wait = Math.min(wait * 2, POLL_LONGEST_MS);
    if (run.signal.aborted) {
      return {
        ok: false,
        retryable: true,
        reason: "the Instagram run was cut off while Instagram fetched the image; nothing was " +
          "published",
      };
    }
  }
}

/** The published post's address; its absence does not undo the post, and the detail says so. */
async function addressOf(
  request: ApiPostRequest,
  run: ApiRun,
  media: string,
  detail: string,
): Promise<{ url?: string; detail: string }> {
  const reply = await call(run, { what: "the post's address" }, {
    method: "GET",
    url: new URL(`${encodeURIComponent(media)}?fields=permalink`, request.apiBase),
  });
  const permalink = reply.ok ? fieldsOf(reply.body).permalink : undefined;
  if (typeof permalink === "string" && /^https?:\/\//.test(permalink)) {
    return { url: permalink, detail };
  }
  const why = reply.ok ? "its answer had no permalink" : reply.reason;
  return {
    detail: `${detail}; published, but Instagram did not give the post's address (${why})`,
  };
}
