/** What the orchestrator sends the inbox watcher's Worker at start. */
export interface InboxWorkerInit {
  /** The vault's root folder. */
  vault: string;
  /** Milliseconds of quiet after which a dropped file counts as written (`inbox.settle_ms`). */
  settleMs: number;
  /** Size limit in megabytes; larger files are not read (`inbox.max_file_mb`). */
  maxFileMb: number;
  /** Characters of a text file quoted in its note (`inbox.preview_chars`). */
  previewChars: number;
  /** Handle what is waiting, then exit (`aiemp start --once`). */
  once: boolean;
}
