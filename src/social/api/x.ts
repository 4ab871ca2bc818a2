/**
 * X through its API v2: an image is uploaded first (`2/media/upload`), then one `2/tweets`
 * publishes, as the user the OAuth 2 token belongs to. X has no link field: a link goes at the
 * end of the text unless the text already has it.
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
  unexpected,
  withLink,
} from "./_http.ts";

/** Publishes a post on X. */
export async function postToX(request: ApiPostRequest, run: ApiRun): Promise<ActionResult> {
  const { post } = request;
  let media: string | undefined;
  if (post.image) {
    const uploaded = await uploadImage(request, run);
    if (typeof uploaded !== "string") return uploaded;
    media = uploaded;
  }
  const reply = await call(run, { what: "the post", publishes: true }, {
    method: "POST",
    url: new URL("2/tweets", request.apiBase),
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      text: withLink(post.text, post.link),
      ...(media ? { media: { media_ids: [media] } } : {}),
    }),
  });
  if (!reply.ok) return reply;
  const id = fieldsOf(fieldsOf(reply.body).data).id;
  if (typeof id !== "string" || id === "") {
    return {
      ok: true,
      detail: `HTTP ${reply.status}; X gave no post id, so there is no link to the post`,
    };
  }
  return {
    ok: true,
    remoteId: id,
    url: `https://x.com/i/web/status/${id}`,
    detail: `HTTP ${reply.status}`,
  };
}

/** Uploads the post's image; resolves with its media id. */
async function uploadImage(request: ApiPostRequest, run: ApiRun): Promise<string | Failure> {
  const image = request.post.image!;
  const bytes = await readImage(run, image);
  if (!(bytes instanceof Blob)) return bytes;
  const form = new FormData();
  form.append("media", bytes, image.name);
  form.append("media_category", "tweet_image");
  const step = { what: "the image upload" };
  const reply = await call(run, step, {
    method: "POST",
    url: new URL("2/media/upload", request.apiBase),
    body: form,
  });
  if (!reply.ok) return reply;
  const id = fieldsOf(fieldsOf(reply.body).data).id;
  return typeof id === "string" && id !== "" ? id : unexpected(run, step, "a media id", reply.body);
}
