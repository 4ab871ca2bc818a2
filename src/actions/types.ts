import type { SocialPlatform } from "../social/mod.ts";

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
  /**
   * Each social platform's driver, API base and site (`linkedin:`, `x:`, `facebook:`,
   * `instagram:` in aiemp.yaml). @default none: a post is refused
   */
  social?: Readonly<Record<SocialPlatform, SocialPlatformActionSettings>>;
  /**
   * The platform's API token as `aiemp auth <platform>` stored it, renewed first when it is about
   * to expire and can be; undefined when none is set up. Throws {@linkcode ActionInputError}
   * when it has expired and cannot be renewed. @default none: posts go through the browser
   */
  socialToken?(platform: SocialPlatform): Promise<SocialAccountToken | undefined>;
}

/** One social platform's settings, as a post action needs them. */
export interface SocialPlatformActionSettings {
  /** `auto`, `api` or `browser` (`<platform>.driver`). */
  driver: "auto" | "api" | "browser";
  /** The API's base address, ending in `/`. */
  apiBase: string;
  /** The site's address. */
  url: string;
  /** LinkedIn's API version (`YYYYMM`). @default none */
  apiVersion?: string;
  /** LinkedIn's organization URN for `post_as: organization`. @default none */
  organization?: string;
}

/** What a post action needs of a platform's stored token. */
export interface SocialAccountToken {
  /** The access token. */
  accessToken: string;
  /** Who posts: LinkedIn's member URN, the Facebook Page's or Instagram account's id. */
  account?: string;
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
   * The run's Worker entry in `ACTION_RUNS`, when the action has more than one (a post through
   * the API or the browser). @default the action's name
   */
  run?: string;
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
 * as interrupted, "may have been sent". `url` is where what was published can be seen (a post).
 */
export type ActionResult =
  | { ok: true; remoteId?: string; url?: string; detail?: string }
  | {
    ok: false;
    retryable: boolean;
    reason: string;
    mayHaveActed?: boolean;
    /**
     * The remote refused for now and asked to be asked again after this many milliseconds (a
     * 429 with `Retry-After` or a reset time). Nothing was done; the item waits that long.
     */
    retryAfterMs?: number;
  };

/**
 * An approved item that cannot be acted on as written, or not yet; the message says what to
 * change. `retryable` marks what may pass by itself (a token endpoint that did not answer).
 */
export class ActionInputError extends Error {
  /** Always `"ActionInputError"`, for logs and stack traces. */
  override name = "ActionInputError";
  /** True when trying again later may work without a change. */
  readonly retryable: boolean;

  /** `options.retryable` marks a problem that may pass. @default false */
  constructor(message: string, options: ErrorOptions & { retryable?: boolean } = {}) {
    super(message, options);
    this.retryable = options.retryable ?? false;
  }
}

/**
 * One kind of outward action: how to recognise it, prepare it, and perform it. `Prepared` says
 * whether its `prepare` answers at once (`PreparedAction`) or may wait (a post asks for its
 * token, which may be renewed first).
 */
export interface ActionType<
  Prepared extends PreparedAction | Promise<PreparedAction> =
    | PreparedAction
    | Promise<PreparedAction>,
> {
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
  /**
   * Checks the item and builds the request; throws {@linkcode ActionInputError}. Touches nothing
   * outside but the item's files and what `settings` hands out (a post asks for its token).
   */
  prepare(item: ApprovedItem, settings: ActionSettings): Prepared;
  /** Performs the request; runs in a fresh Worker with only the prepared permissions. */
  perform(request: unknown, signal: AbortSignal): Promise<ActionResult>;
}
