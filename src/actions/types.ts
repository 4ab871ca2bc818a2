/** An approved item, as the executor hands it to an action. */
export interface ApprovedItem {
  /** The item's `id:` from its front matter, else its file name without `.md`. */
  id: string;
  /** The action's name, e.g. `webhook`. */
  action: string;
  /** The file's name as the human approved it. */
  fileName: string;
  /** The note's front matter, as parsed. */
  frontMatter: Record<string, unknown>;
  /** The note's Markdown after the front matter. */
  body: string;
}

/** What an action needs from the settings. */
export interface ActionSettings {
  /**
   * Named webhooks from aiemp.yaml: a URL, or in full: the URL or the name of a secret holding it
   * (exactly one), and optionally the name of a secret sent as `Authorization: Bearer <secret>`.
   */
  webhooks: Readonly<
    Record<string, string | { url?: string; url_secret?: string; token_secret?: string }>
  >;
  /** Sent as User-Agent. */
  userAgent: string;
  /**
   * The value of the secret `name`, read in the main thread while the action is prepared. Throws
   * {@linkcode ActionInputError} saying where it was looked for and how to fix it. A value must
   * never be put in a summary or a result: write `[secret NAME]` there instead.
   */
  secret(name: string): string;
  /**
   * Where the Gmail actions connect (`gmail.api_root`, `gmail.token_uri` in aiemp.yaml).
   * @default Google's endpoints
   */
  gmail?: { apiRoot: string; tokenUri: string };
  /**
   * The vault's top folder, against which attachment paths in an item are resolved (and where a
   * browser action's profile is).
   * @default none: an item naming an attachment, or driving a browser, is refused, saying so
   */
  vault?: string;
  /** What browser actions need (`browser:` in aiemp.yaml). @default none: they are refused */
  browser?: BrowserActionSettings;
  /** Where WhatsApp Web is (`whatsapp.url`). @default none: a WhatsApp reply is refused */
  whatsapp?: { url: string };
}

/** The browser settings a browser action runs with, and the browser found. */
export interface BrowserActionSettings {
  /** The browser program found (`browser.executable`, or Chromium found on the machine). */
  executable?: string;
  /** Why no browser was found, with the fix; set when `executable` is not. */
  missing?: string;
  /** Without a window (`browser.headless`). */
  headless: boolean;
  /** Between keystrokes (`browser.keystroke_ms`). */
  keystroke: { minMs: number; maxMs: number };
  /** Between actions: open the chat, type, send (`browser.action_ms`). */
  action: { minMs: number; maxMs: number };
  /** How long one browser step may take (`browser.step_timeout_s`). */
  stepTimeoutMs: number;
}

/**
 * A request made ready in the main thread: what the action run may reach, what a dry run records,
 * and the data the run gets.
 */
export interface PreparedAction {
  /** `host:port` pairs the run may connect to; nothing else is reachable. */
  hosts: string[];
  /** Files the run may read (the item and its attachments). */
  readable: string[];
  /**
   * Environment variables the run may read: those its client library reads (Deno refuses the
   * others with `NotCapable` rather than answering `undefined`). @default none
   */
  env?: readonly string[];
  /** What would be sent, with secrets left out: recorded for dry runs and in the result. */
  summary: Record<string, unknown>;
  /** Handed to `perform` inside the sandboxed run. */
  request: unknown;
  /**
   * For an action that drives a browser: the program, profile, PID file and evidence folder its
   * run works with (the run then gets `browserActionRunPermissions`). @default none
   */
  browser?: {
    executable: string;
    profileDir: string;
    pidFile: string;
    evidenceDir: string;
  };
  /**
   * The platform whose rate limit this send counts against (`pacing.rate_limits`). A slot is
   * taken in the main thread before the run, and given back when nothing was sent.
   * @default none: not paced
   */
  pace?: string;
  /**
   * How long the run may take at least, when the settings' `approvals.action_timeout_s` is less
   * (typing a long reply at a human pace takes time). @default none
   */
  minTimeoutMs?: number;
}

/**
 * How an action ended. `retryable` is true only when trying again cannot repeat its effect.
 * `mayHaveActed` says the remote may have acted although the action failed (a 5xx or a timeout
 * while a message was being sent): the executor never retries it and hands it back to the owner
 * as interrupted, "may have been sent".
 */
export type ActionResult =
  | { ok: true; remoteId?: string; detail?: string }
  | { ok: false; retryable: boolean; reason: string; mayHaveActed?: boolean };

/** An approved item that cannot be acted on as written; the message says what to change. */
export class ActionInputError extends Error {
  /** Always `"ActionInputError"`, for logs and stack traces. */
  override name = "ActionInputError";
}

/** One kind of outward action: how to recognise it, prepare it, and perform it. */
export interface ActionType {
  /** The name an item gives in `action:`, e.g. `webhook`. */
  name: string;
  /** Other names accepted in `action:` (e.g. `twitter_post` for `x_post`). */
  aliases?: string[];
  /** File-name prefixes that select this action when `action:` is absent. */
  prefixes: string[];
  /**
   * True when repeating the request cannot repeat its effect (the remote honours the idempotency
   * key), so an attempt cut off by a crash may be retried.
   */
  idempotent(item: ApprovedItem): boolean;
  /** Checks the item and builds the request; throws {@linkcode ActionInputError}. Pure. */
  prepare(item: ApprovedItem, settings: ActionSettings): PreparedAction;
  /** Performs the request; runs in a fresh Worker with only the prepared permissions. */
  perform(request: unknown, signal: AbortSignal): Promise<ActionResult>;
}
