/** What the orchestrator sends the approval executor's Worker at start. */
export interface ExecutorWorkerInit {
  /** The vault's root folder. */
  vault: string;
  /** Attempts per item before it is rejected (`approvals.max_retries`). */
  maxRetries: number;
  /** Wait in milliseconds between attempts (`approvals.retry_delay_s` × 1000). */
  retryDelayMs: number;
  /** Quiet time in milliseconds before a file in Approved/ is taken (`approvals.settle_ms`). */
  settleMs: number;
  /** Handle what is waiting, then exit (`aiemp start --once`). */
  once: boolean;
}
