/** What the orchestrator sends the approval executor's Worker at start. */
export interface ExecutorWorkerInit {
  vault: string;
  maxRetries: number;
  retryDelayMs: number;
  settleMs: number;
  /** Handle what is waiting, then exit (`aiemp start --once`). */
  once: boolean;
}
