/**
 * Worker entry of a social post through the platform's API. It loads the API drivers alone, not
 * the whole social part: no browser layer, no length counter in a Worker that needs neither.
 */
import { postThroughApi } from "../../social/api/mod.ts";
import type { ApiPostRequest } from "../../social/mod.ts";
import { serveActionRun } from "../run_worker.ts";
import { SOCIAL_POST_ACTIONS } from "../social.ts";

serveActionRun(SOCIAL_POST_ACTIONS.map((action) => ({
  ...action,
  perform: (request, signal) => postThroughApi(request as ApiPostRequest, signal),
})));
