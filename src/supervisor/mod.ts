/**
 * Supervision: children as data (id, start, restart kind), run side by side, restarted after a
 * fixed delay; and the Worker protocol every built-in component speaks.
 * @module
 */
export {
  type ChildSpec,
  type ChildState,
  type ChildStatus,
  createSupervisor,
  type RestartKind,
  type Supervisor,
  type SupervisorOptions,
} from "./supervisor.ts";
export { ComponentCrash, runWorkerComponent, type WorkerComponent } from "./worker_child.ts";
export { type ComponentContext, serveComponent } from "./worker_side.ts";
export type {
  ComponentLogLevel,
  ComponentMessage,
  ComponentOrder,
  ComponentReport,
} from "./protocol.ts";
