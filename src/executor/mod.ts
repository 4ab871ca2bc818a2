/**
 * The approval executor: claims what the human moved into Approved/, has it performed at most once,
 * and files it in Done/ or Rejected/ with its result.
 * @module
 */
export { createDispatcher, type Dispatcher, type DispatcherOptions } from "./dispatcher.ts";
export { executeApproved, type ExecuteOptions } from "./execute.ts";
export {
  destinationOf,
  type ExecutionOutcome,
  type FinalResult,
  noteWithResult,
  textWithResult,
} from "./outcome.ts";
export type { ExecutorWorkerInit } from "./worker_init.ts";

/** Entry module of the approval executor's Worker. */
export const EXECUTOR_WORKER = new URL("./worker.ts", import.meta.url);
