/** Worker entry of a social post through the site, in the platform's browser profile. */
import { type BrowserPostRequest, postThroughBrowser } from "../../social/mod.ts";
import { serveActionRun } from "../run_worker.ts";
import { SOCIAL_POST_ACTIONS } from "../social.ts";

serveActionRun(SOCIAL_POST_ACTIONS.map((action) => ({
  ...action,
  perform: (request, signal) => postThroughBrowser(request as BrowserPostRequest, signal),
})));
