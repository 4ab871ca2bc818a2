/**
 * Supervision: children as data (id, start, restart kind, policy), run side by side, restarted
 * with exponential backoff, paused by the crash-loop guard, health-checked; the Worker protocol
 * every built-in component speaks; and external watchers as supervised subprocesses.
 * @module
 */
export {
  type ChildRun,
  type ChildSpec,
  type ChildState,
  type ChildStatus,
  createSupervisor,
  type RestartKind,
  restartsToday,
  type Supervisor,
  type SupervisorOptions,
} from "./supervisor.ts";
export {
  DEFAULT_RESTART_POLICY,
  nextRestart,
  type RestartDecision,
  type RestartHistory,
  type RestartPolicy,
} from "./restart_policy.ts";
export { ComponentCrash, runWorkerComponent, type WorkerComponent } from "./worker_child.ts";
export {
  runSubprocessComponent,
  stopLeftoverTree,
  type SubprocessComponent,
} from "./subprocess_child.ts";
export { type ComponentContext, serveComponent } from "./worker_side.ts";
export {
  type ComponentLogLevel,
  type ComponentMessage,
  type ComponentOrder,
  type ComponentReport,
  NeedsOwner,
} from "./protocol.ts";
