/** Worker entry of a Gmail send or reply run. */
import { replyEmailAction, sendEmailAction } from "../gmail.ts";
import { serveActionRun } from "../run_worker.ts";

serveActionRun([sendEmailAction, replyEmailAction]);
