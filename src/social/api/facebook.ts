/**
 * A Facebook Page through the Graph API: one request publishes — `<page>/feed` for text and a
 * link, `<page>/photos` with the image and its caption. The Page token goes as a Bearer header,
 * never in the body.
 * @module
 */
import type { ActionResult } from "../../actions/types.ts";
import type { ApiPostRequest } from "../types.ts";
import { type ApiRun, call, fieldsOf, readImage, type Step, withLink } from "./_http.ts";

/** Publishes a post on the Facebook Page `request.account`. */
export async function postToFacebook(
  request: ApiPostRequest,
  run: ApiRun,
): Promise<ActionResult> {
  const { post } = request;
  const page = encodeURIComponent(request.account);
  const step: Step = { what: "the post", publishes: true };
  let body: URLSearchParams | FormData;
  let edge: string;
  if (post.image) {
    const bytes = await readImage(run, post.image);
    if (!(bytes instanceof Blob)) return bytes;
    body = new FormData();
    body.append("source", bytes, post.image.name);
    // A photo has no link field: the link goes in its caption.
    body.append("message", withLink(post.text, post.link));
    body.append("published", "true");
    edge = "photos";
  } else {
    body = new URLSearchParams({ message: post.text });
    if (post.link) body.append("link", post.link);
    edge = "feed";
  }
  const reply = await call(run, step, {
    method: "POST",
    url: new URL(`${page}/${edge}`, request.apiBase),
    body,
  });
  if (!reply.ok) return reply;
  const fields = fieldsOf(reply.body);
  const id = edge === "photos" ? fields.post_id ?? fields.id : fields.id;
  if (typeof id !== "string" || id === "") {
    return {
      ok: true,
      detail: `HTTP ${reply.status}; Facebook gave no post id, so there is no link to the post`,
    };
  }
  return {
    ok: true,
    remoteId: id,
    url: `https://www.facebook.com/${id}`,
    detail: `HTTP ${reply.status}`,
  };
}
