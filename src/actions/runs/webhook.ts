/** Worker entry of a webhook run. */
import { serveActionRun } from "../run_worker.ts";
import { webhookAction } from "../webhook.ts";

serveActionRun([webhookAction]);
