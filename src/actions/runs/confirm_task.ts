/** Worker entry of a task confirmation run. */
import { confirmTaskAction } from "../confirm_task.ts";
import { serveActionRun } from "../run_worker.ts";

serveActionRun([confirmTaskAction]);
