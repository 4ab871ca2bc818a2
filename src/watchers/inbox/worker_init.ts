/** What the orchestrator sends the inbox watcher's Worker at start. */
export interface InboxWorkerInit {
  vault: string;
  settleMs: number;
  maxFileMb: number;
  previewChars: number;
  /** Handle what is waiting, then exit (`aiemp start --once`). */
  once: boolean;
}
