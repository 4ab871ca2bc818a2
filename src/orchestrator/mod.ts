/**
 * The orchestrator: one process per vault that holds the lock, supervises the component Workers,
 * runs the schedules, executes approved actions, and is the only writer of Dashboard.md, the state
 * file and the audit log. Also what the CLI asks of it (status, stop, trigger).
 * @module
 */
export {
  StartError,
  type StartOptions,
  startOrchestrator,
  type SweepSummary,
} from "./orchestrator.ts";
export {
  healthProblems,
  readStatus,
  restartComponent,
  type StatusReport,
  stopOrchestrator,
  triggerTask,
} from "./control.ts";
export { COUNTED_FOLDERS, countItems } from "./board.ts";
export { decideRequest, type Decision } from "./decisions.ts";
export { loadVaultRegistry, loadVaultSchedules, setScheduleEnabled } from "./schedules.ts";
export { type SocialAccount } from "./social.ts";
export { lastRunsOf, type OrchestratorState, readState } from "./state.ts";
export { type BuildInfo, VERSION, versionText } from "./version.ts";
