import type { GmailCredentials } from "../../gmail/mod.ts";
import type { GmailWatcherSettings } from "./gmail_watcher.ts";

/**
 * What the orchestrator sends the Gmail watcher's Worker at start. The credentials are read from
 * the secrets in the main thread and come only this way: the Worker may not read the secrets.
 */
export interface GmailWorkerInit {
  /** The vault's root folder. */
  vault: string;
  /** The OAuth client and the owner's refresh token. */
  credentials: GmailCredentials;
  /** The Gmail API root (`gmail.api_root`). */
  apiRoot: string;
  /** The OAuth 2 token endpoint (`gmail.token_uri`). */
  tokenUri: string;
  /** What to take and what to do afterwards. */
  settings: GmailWatcherSettings;
  /** Check once, then exit (`aiemp start --once`). */
  once: boolean;
}
