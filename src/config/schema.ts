import { z } from "zod";
import { SECRET_NAME } from "../secrets/mod.ts";

const wholeNumber = (what: string, min = 0) =>
  z.number({ error: `expected a whole number of ${what}` }).int({
    error: `expected a whole number of ${what}`,
  }).min(min, { error: `expected at least ${min} ${what}` });

const flag = z.boolean({ error: "expected true or false" });

const webhookUrl = z.url({
  protocol: /^https?$/,
  error: "expected an http:// or https:// URL",
});

const secretName = z.string({ error: "expected the name of a file in .aiemp/secrets/" }).regex(
  SECRET_NAME,
  {
    error:
      "expected the name of a file in .aiemp/secrets/: letters, digits, '.', '_' and '-', not starting with '.'",
  },
);

/** A named webhook in full: its URL or the secret holding it, and an optional Bearer token. */
const namedWebhook = z.strictObject({
  url: webhookUrl.optional(),
  url_secret: secretName.optional(),
  token_secret: secretName.optional(),
});

const weight = z.number({ error: "expected a number from 0 to 1" }).min(0, {
  error: "expected a number from 0 to 1",
}).max(1, { error: "expected a number from 0 to 1" });
const words = z.array(z.string({ error: "expected a word" }), { error: "expected a list" });
const seconds = z.number({ error: "expected a number of seconds" }).min(0, {
  error: "expected 0 or more seconds",
});

/**
 * A range of human delays in milliseconds (`{min, max}`), each delay drawn within it; `min` may
 * not exceed `max`.
 */
const msRange = (min: number, max: number) =>
  z.strictObject({
    min: wholeNumber("milliseconds").default(min),
    max: wholeNumber("milliseconds").default(max),
  }).prefault({}).check((context) => {
    if (context.value.min <= context.value.max) return;
    context.issues.push({
      code: "custom",
      input: context.value,
      path: [],
      message: `expected min ≤ max (milliseconds), e.g. {min: ${min}, max: ${max}}`,
    });
  });

/** A platform's name as in `aiemp login <platform>` and `.aiemp/browser/<platform>/`. */
const platformName = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, {
  error: "platform names use lower-case letters, digits, _ and - (e.g. whatsapp, linkedin, x)",
});

/**
 * One platform's rate limit. The rule is rateLimitsFrom's (src/pacing): a whole number of 1 or
 * more sends an hour.
 */
const rateLimit = z.strictObject({
  per_hour: z.number({ error: "expected a whole number of 1 or more (sends an hour)" }).int({
    error: "expected a whole number of 1 or more (sends an hour)",
  }).min(1, { error: "expected a whole number of 1 or more (sends an hour)" }),
}, { error: "expected {per_hour: N}" });

/** How a social platform is posted to: the API when credentials are set up, else the browser. */
const socialDriver = z.enum(["auto", "api", "browser"], {
  error: "expected auto (the API when 'aiemp auth' set it up, else the browser), api or browser",
}).default("auto");

/** The settings every social platform has: its driver, API base and site address. */
const socialPlatform = (apiBase: string, url: string) => ({
  driver: socialDriver,
  api_base: webhookUrl.default(apiBase),
  url: webhookUrl.default(url),
});

/** Restart-policy settings: in `supervisor:` for every component, per watcher as overrides. */
const restartPolicy = {
  backoff_initial_s: seconds.default(2),
  backoff_max_s: seconds.default(60),
  stable_after_s: seconds.default(300),
  max_restarts: wholeNumber("restarts", 1).default(5),
  restart_period_s: seconds.default(600),
};

const externalWatcher = z.strictObject({
  name: z.string({ error: "expected a name" }).regex(/^[a-z0-9_-]+$/, {
    error: "use lower-case letters, digits, _ and - (it names Logs/NAME.log)",
  }),
  command: z.string({ error: "expected the program to run" }).min(1, {
    error: "expected the program to run",
  }),
  args: z.array(z.string(), { error: "expected a list of arguments" }).default([]),
  env: z.record(z.string(), z.string(), { error: "expected a map of NAME: value" }).default({}),
  cwd: z.string({ error: "expected a folder" }).optional(),
  enabled: flag.default(true),
  restart: z.enum(["permanent", "transient", "temporary"], {
    error: "expected permanent, transient or temporary",
  }).default("permanent"),
  heartbeat_timeout_s: seconds.optional(),
  grace_s: seconds.default(10),
  backoff_initial_s: seconds.optional(),
  backoff_max_s: seconds.optional(),
  stable_after_s: seconds.optional(),
  max_restarts: wholeNumber("restarts", 1).optional(),
  restart_period_s: seconds.optional(),
});

/**
 * The schema of aiemp.yaml: every setting, its type and its default. Used by
 * {@linkcode loadConfig}; its parsed result is a {@linkcode Config}.
 *
 * @internal Its zod type is not part of the documented API: depend on {@linkcode Config} instead.
 */
export const configSchema = z.strictObject({
  dry_run: flag.default(false),
  log: z.strictObject({
    level: z.enum(["debug", "info", "warning", "error"], {
      error: "expected one of debug, info, warning, error",
    }).default("info"),
    format: z.enum(["text", "json"], { error: "expected text or json" }).default("text"),
  }).prefault({}),
  inbox: z.strictObject({
    enabled: flag.default(true),
    settle_ms: wholeNumber("milliseconds").default(200),
    max_file_mb: z.number({ error: "expected a number of megabytes" }).positive({
      error: "expected a positive number of megabytes",
    }).default(50),
    preview_chars: wholeNumber("characters").default(1500),
  }).prefault({}),
  approvals: z.strictObject({
    enabled: flag.default(true),
    settle_ms: wholeNumber("milliseconds").default(50),
    max_retries: wholeNumber("attempts", 1).default(3),
    retry_delay_s: z.number({ error: "expected a number of seconds" }).min(0, {
      error: "expected 0 or more seconds",
    }).default(5),
    action_timeout_s: wholeNumber("seconds", 1).default(60),
    stale_after_hours: wholeNumber("hours", 1).default(24),
    default_expiry_hours: wholeNumber("hours", 1).default(72),
  }).prefault({}),
  approval_keywords: words.default(["deploy", "production", "delete", "payment", "password"]),
  supervisor: z.strictObject({
    ...restartPolicy,
    health_check_s: seconds.default(30),
    ping_timeout_s: seconds.default(5),
    shutdown_timeout_s: wholeNumber("seconds", 1).default(5),
  }).prefault({}),
  watchers: z.array(externalWatcher, { error: "expected a list of watchers" }).default([])
    .check((context) => {
      const seen = new Set<string>(["inbox", "executor"]);
      context.value.forEach((watcher, index) => {
        if (seen.has(watcher.name)) {
          context.issues.push({
            code: "custom",
            input: watcher.name,
            path: [index, "name"],
            message: `the name '${watcher.name}' is taken; give each watcher its own name`,
          });
        }
        seen.add(watcher.name);
      });
    }),
  dashboard: z.strictObject({
    refresh_ms: wholeNumber("milliseconds").default(1000),
    activity_entries: wholeNumber("entries", 1).default(20),
  }).prefault({}),
  scheduler: z.strictObject({
    enabled: flag.default(true),
    tick_s: wholeNumber("seconds", 1).default(30),
  }).prefault({}),
  archive: z.strictObject({
    done_after_days: wholeNumber("days", 1).default(7),
  }).prefault({}),
  gmail: z.strictObject({
    enabled: flag.default(false),
    check_interval_s: wholeNumber("seconds", 10).default(120),
    query: z.string({ error: "expected a Gmail search, e.g. is:unread is:important" })
      .default("is:unread is:important"),
    max_per_check: wholeNumber("messages", 1).default(25),
    after_note: z.enum(["nothing", "mark_read", "label"], {
      error: "expected nothing, mark_read or label",
    }).default("nothing"),
    label: z.string({ error: "expected a Gmail label name" }).min(1).default("aiemp"),
    max_attachment_mb: z.number({ error: "expected a number of megabytes" }).positive({
      error: "expected a positive number of megabytes",
    }).default(25),
    api_root: webhookUrl.default("https://gmail.googleapis.com/"),
    token_uri: webhookUrl.default("https://oauth2.googleapis.com/token"),
    auth_uri: webhookUrl.default("https://accounts.google.com/o/oauth2/v2/auth"),
  }).prefault({}),
  browser: z.strictObject({
    executable: z.string({ error: "expected the browser's path or its name on PATH" })
      .default(""),
    headless: flag.default(true),
    keystroke_ms: msRange(40, 160),
    action_ms: msRange(300, 1200),
    step_timeout_s: wholeNumber("seconds", 1).default(30),
  }).prefault({}),
  whatsapp: z.strictObject({
    enabled: flag.default(false),
    url: webhookUrl.default("https://web.whatsapp.com/"),
    check_interval_s: wholeNumber("seconds", 5).default(30),
    urgent_keywords: words.default(["urgent", "asap", "invoice", "payment", "help"]),
    vip_contacts: words.default([]),
    max_chats_per_check: wholeNumber("chats", 1).default(10),
    logged_in_selector: z.string({ error: "expected a CSS selector" }).min(1, {
      error: "expected a CSS selector",
    }).default("#chat-list"),
    logged_out_selector: z.string({ error: "expected a CSS selector" }).min(1, {
      error: "expected a CSS selector",
    }).default("#qr-code"),
  }).prefault({}),
  linkedin: z.strictObject({
    ...socialPlatform("https://api.linkedin.com/", "https://www.linkedin.com/"),
    api_version: z.string().regex(/^\d{6}$/, {
      error: "expected LinkedIn's API version as YYYYMM, e.g. 202510",
    }).default("202510"),
    organization: z.string().regex(/^(urn:li:organization:\d+)?$/, {
      error: "expected an organization URN like urn:li:organization:12345, or nothing",
    }).default(""),
    auth_uri: webhookUrl.default("https://www.linkedin.com/oauth/v2/authorization"),
    token_uri: webhookUrl.default("https://www.linkedin.com/oauth/v2/accessToken"),
  }).prefault({}),
  x: z.strictObject({
    ...socialPlatform("https://api.x.com/", "https://x.com/"),
    auth_uri: webhookUrl.default("https://x.com/i/oauth2/authorize"),
    token_uri: webhookUrl.default("https://api.x.com/2/oauth2/token"),
  }).prefault({}),
  facebook: z.strictObject({
    ...socialPlatform("https://graph.facebook.com/v23.0/", "https://www.facebook.com/"),
  }).prefault({}),
  instagram: z.strictObject({
    ...socialPlatform("https://graph.facebook.com/v23.0/", "https://www.instagram.com/"),
  }).prefault({}),
  pacing: z.strictObject({
    rate_limits: z.record(platformName, rateLimit, {
      error: "expected a map of platform: {per_hour: N}",
    }).default({}),
  }).prefault({}),
  tasks: z.strictObject({
    enabled: flag.default(true),
    poll_interval_s: wholeNumber("seconds", 1).default(30),
    max_concurrent_tasks: wholeNumber("agent runs", 1).default(1),
    max_iterations: wholeNumber("attempts", 1).default(3),
    retry_backoff_s: wholeNumber("seconds").default(30),
    agent_timeout_minutes: z.number({ error: "expected a number of minutes" }).positive({
      error: "expected a positive number of minutes (0.5 is 30 seconds)",
    }).default(10),
    priority_weights: z.strictObject({
      urgency: weight.default(0.4),
      deadline: weight.default(0.3),
      sender: weight.default(0.3),
    }).prefault({}),
    urgent_keywords: words.default(["urgent", "asap", "immediately", "emergency", "deadline"]),
    vip_senders: words.default([]),
    known_contacts: words.default([]),
    daily_budget: z.strictObject({
      agent_runs: wholeNumber("agent runs", 1).default(50),
      agent_minutes: wholeNumber("minutes", 1).default(120),
    }).prefault({}),
  }).prefault({}),
  agent: z.strictObject({
    command: z.string({ error: "expected the agent program's name or path" }).min(1)
      .default("claude"),
    args: z.array(z.string(), { error: "expected a list of arguments" }).default(["--print"]),
    timeout_minutes: wholeNumber("minutes", 1).default(10),
  }).prefault({}),
  webhooks: z.record(
    z.string().regex(/^[A-Za-z0-9_-]+$/, { error: "names may use letters, digits, _ and -" }),
    z.union([webhookUrl, namedWebhook], {
      error: "expected a URL, or url or url_secret with an optional token_secret",
    }),
    { error: "expected a map of name: URL" },
  ).check((context) => {
    for (const [name, webhook] of Object.entries(context.value)) {
      if (typeof webhook === "string") continue;
      if ((webhook.url === undefined) !== (webhook.url_secret === undefined)) continue;
      context.issues.push({
        code: "custom",
        input: webhook,
        path: [name],
        message: "give exactly one of url (the URL) and url_secret (a secret holding the URL)",
      });
    }
  }).default({}),
});

/** The settings of one vault (aiemp.yaml), after defaults; read-only. */
export interface Config {
  /** Contact nothing outside; record what would be sent instead. @default false */
  dry_run: boolean;
  /** The orchestrator's log, in Logs/. */
  log: {
    /** The least severe level written. @default "info" */
    level: "debug" | "info" | "warning" | "error";
    /** Log lines as plain text or as JSON. @default "text" */
    format: "text" | "json";
  };
  /** The inbox watcher, which turns files dropped into Inbox/ into task notes. */
  inbox: {
    /** Whether the inbox watcher runs. @default true */
    enabled: boolean;
    /** Milliseconds of quiet after which a dropped file counts as written. @default 200 */
    settle_ms: number;
    /** Size limit in megabytes; a larger file is noted but not read. @default 50 */
    max_file_mb: number;
    /** How many characters of a text file its task note quotes. @default 1500 */
    preview_chars: number;
  };
  /** The approval executor, which performs what the owner moves into Approved/. */
  approvals: {
    /** Whether the approval executor runs. @default true */
    enabled: boolean;
    /** Quiet time in milliseconds before a file in Approved/ is taken. @default 50 */
    settle_ms: number;
    /** Attempts per item before it is rejected (at least 1). @default 3 */
    max_retries: number;
    /** Wait in seconds between a retryable failure and the next attempt. @default 5 */
    retry_delay_s: number;
    /** Seconds an action may run before it is cut off. @default 60 */
    action_timeout_s: number;
    /** Hours after which a request in Pending_Approval/ raises a Dashboard alert. @default 24 */
    stale_after_hours: number;
    /**
     * Hours a request without `expires` stays approvable after aiemp first saw it pending; an
     * expired request is sent back to Pending_Approval/ instead of performed. @default 72
     */
    default_expiry_hours: number;
  };
  /**
   * Words (whole, any case) that make an item need a pending-then-approved history before anything
   * is done with it, whatever its type. @default deploy, production, delete, payment, password
   */
  approval_keywords: string[];
  /** How components are supervised: restart backoff, crash-loop guard, health checks. */
  supervisor: SupervisorSettings;
  /** External watchers: programs run and supervised as subprocesses. @default [] */
  watchers: ExternalWatcherConfig[];
  /** Dashboard.md and `.aiemp/state.json`. */
  dashboard: {
    /** Both files are written at most once per this many milliseconds. @default 1000 */
    refresh_ms: number;
    /** Recent-activity lines the Dashboard shows; older ones roll over to Logs/. @default 20 */
    activity_entries: number;
  };
  /** The scheduler, which runs the tasks of schedules.yaml. */
  scheduler: {
    /** Whether due tasks run on the tick (`aiemp trigger` works either way). @default true */
    enabled: boolean;
    /** Seconds between two checks for due tasks. @default 30 */
    tick_s: number;
  };
  /** The `done_archive` task. */
  archive: {
    /** Days after which an item in Done/ moves to `Done/Archive/YYYY-MM/`. @default 7 */
    done_after_days: number;
  };
  /** The Gmail channel: a watcher for important unread mail, and the send and reply actions. */
  gmail: {
    /** Whether the Gmail watcher runs (set up first with `aiemp auth gmail`). @default false */
    enabled: boolean;
    /** Seconds between checks. @default 120 */
    check_interval_s: number;
    /** Which messages become notes (Gmail's search syntax). @default "is:unread is:important" */
    query: string;
    /** Messages taken per check at most (the rest come at the next). @default 25 */
    max_per_check: number;
    /**
     * What is done to a message once its note is written (never before): `nothing`,
     * `mark_read`, or `label` (adds `label`). @default "nothing"
     */
    after_note: "nothing" | "mark_read" | "label";
    /** The label added with `after_note: label`. @default "aiemp" */
    label: string;
    /** Attachments larger than this many megabytes are listed, not saved. @default 25 */
    max_attachment_mb: number;
    /** Where the Gmail API is (another address for tests or a proxy). @default Google's */
    api_root: string;
    /** Where OAuth tokens are refreshed and exchanged. @default Google's */
    token_uri: string;
    /** Where `aiemp auth gmail` sends the owner to consent. @default Google's */
    auth_uri: string;
  };
  /** The browser every browser channel drives: the system's Chromium or Chrome. */
  browser: {
    /** The browser's path, or its name on PATH; empty finds Chromium or Chrome. @default "" */
    executable: string;
    /** Channels run the browser without a window (`aiemp login` always shows one). @default true */
    headless: boolean;
    /** The delay between two keystrokes, drawn within this range. @default 40–160 */
    keystroke_ms: MsRange;
    /** The delay between two actions (open a chat, click, send). @default 300–1200 */
    action_ms: MsRange;
    /** Seconds one browser step (open a page, find an element, send) may take. @default 30 */
    step_timeout_s: number;
  };
  /** The WhatsApp Web channel: a watcher for urgent messages, and the approved replies. */
  whatsapp: {
    /** Whether the WhatsApp watcher runs (log in first with `aiemp login whatsapp`). @default false */
    enabled: boolean;
    /** WhatsApp Web's address (another one for tests). @default "https://web.whatsapp.com/" */
    url: string;
    /** Seconds between two looks at the unread chats. @default 30 */
    check_interval_s: number;
    /** Words that make a message urgent. @default urgent, asap, invoice, payment, help */
    urgent_keywords: string[];
    /** Contacts (chat names) whose every message counts. @default [] */
    vip_contacts: string[];
    /** Unread chats read per check at most (the rest come at the next). @default 10 */
    max_chats_per_check: number;
    /**
     * No longer used: `aiemp login` now uses the WhatsApp channel's own session check and its
     * selectors (src/whatsapp/selectors.ts). Still accepted, so existing files load.
     * @default "#chat-list"
     */
    logged_in_selector: string;
    /** No longer used, like `logged_in_selector`. @default "#qr-code" */
    logged_out_selector: string;
  };
  /** LinkedIn posts (`linkedin_post`): see the README's "Social posting". */
  linkedin: {
    /** How posts go out (see {@linkcode SocialPlatformSettings}). @default "auto" */
    driver: SocialPlatformSettings["driver"];
    /** The API's base address. @default "https://api.linkedin.com/" */
    api_base: string;
    /** The site's address. @default "https://www.linkedin.com/" */
    url: string;
    /** The `LinkedIn-Version` header of API calls (`YYYYMM`). @default "202510" */
    api_version: string;
    /**
     * The organization a post with `post_as: organization` is published as
     * (`urn:li:organization:N`); the token must be allowed to post for it. @default ""
     */
    organization: string;
    /** Where `aiemp auth linkedin` sends the owner to consent. @default LinkedIn's */
    auth_uri: string;
    /** Where `aiemp auth linkedin` exchanges the code for a token. @default LinkedIn's */
    token_uri: string;
  };
  /** X posts (`x_post`, alias `twitter_post`). */
  x: {
    /** How posts go out (see {@linkcode SocialPlatformSettings}). @default "auto" */
    driver: SocialPlatformSettings["driver"];
    /** The API's base address. @default "https://api.x.com/" */
    api_base: string;
    /** The site's address. @default "https://x.com/" */
    url: string;
    /** Where `aiemp auth x` sends the owner to consent. @default X's */
    auth_uri: string;
    /** Where tokens are exchanged and renewed. @default X's */
    token_uri: string;
  };
  /** Facebook Page posts (`facebook_post`). */
  facebook: SocialPlatformSettings;
  /** Instagram posts (`instagram_post`). */
  instagram: SocialPlatformSettings;
  /** How fast aiemp may act on the owner's behalf. */
  pacing: {
    /**
     * Per-platform limits replacing src/pacing's defaults (LinkedIn 5, Facebook 5, Instagram 3,
     * X 10, WhatsApp 30 an hour). @default {}
     */
    rate_limits: Record<string, { per_hour: number }>;
  };
  /** The task loop: drives every item in Needs_Action/ to Done/ or Rejected/ with the agent. */
  tasks: {
    /** Whether the task loop runs. @default true */
    enabled: boolean;
    /** Seconds between sweeps of Needs_Action/ (events are handled at once too). @default 30 */
    poll_interval_s: number;
    /** Agent runs at the same time. @default 1 */
    max_concurrent_tasks: number;
    /** Attempts per item before it is rejected. @default 3 */
    max_iterations: number;
    /** Seconds before the second attempt; doubles with each further one. @default 30 */
    retry_backoff_s: number;
    /** Minutes one agent run on an item may take (a fraction is fine: 0.5 is 30 s). @default 10 */
    agent_timeout_minutes: number;
    /** Weights of the priority score's three parts. @default 0.4 / 0.3 / 0.3 */
    priority_weights: { urgency: number; deadline: number; sender: number };
    /** Words that make an item urgent. @default urgent, asap, immediately, emergency, deadline */
    urgent_keywords: string[];
    /** Senders (addresses or names) whose items come first. @default [] */
    vip_senders: string[];
    /** Senders the owner knows: above strangers, below VIPs. @default [] */
    known_contacts: string[];
    /** What the agent may use in a day; when spent, no more runs until tomorrow. */
    daily_budget: {
      /** Agent runs a day. @default 50 */
      agent_runs: number;
      /** Minutes of agent time a day. @default 120 */
      agent_minutes: number;
    };
  };
  /** The agent CLI (Claude Code by default) that the task loop and the agent schedules run. */
  agent: {
    /** The program's name or path. @default "claude" */
    command: string;
    /** Arguments before the prompt. @default ["--print"] */
    args: string[];
    /** Upper bound in minutes on one agent run (a task's own timeout may be lower). @default 10 */
    timeout_minutes: number;
  };
  /**
   * Named webhooks, for an approved item's `webhook: NAME`: an http(s) URL, or in full with
   * exactly one of `url` and `url_secret`. @default {}
   */
  webhooks: Record<
    string,
    string | {
      /** The http(s) URL. */
      url?: string;
      /** The name of a secret (a file in `.aiemp/secrets/`) that holds the whole URL. */
      url_secret?: string;
      /** The name of a secret sent as `Authorization: Bearer <secret>`. */
      token_secret?: string;
    }
  >;
}

/** What every social platform's settings give (`linkedin:`, `x:`, `facebook:`, `instagram:`). */
export interface SocialPlatformSettings {
  /**
   * How posts go out: `api` (the official API, set up with `aiemp auth <platform>`), `browser`
   * (the site in the profile `aiemp login <platform>` logged in), or `auto`: the API when its
   * token is set up, else the browser. @default "auto"
   */
  driver: "auto" | "api" | "browser";
  /** The API's base address (another one for tests or a proxy). @default the platform's */
  api_base: string;
  /** The site's address, for the browser driver and `aiemp login`. @default the platform's */
  url: string;
}

/** A range of delays in milliseconds; `min` is at most `max`. */
export interface MsRange {
  /** The shortest delay. */
  min: number;
  /** The longest delay. */
  max: number;
}

/** The restart policy, in seconds, as aiemp.yaml gives it. */
export interface RestartSettings {
  /** Wait before the first restart; doubles with each failure in a row. @default 2 */
  backoff_initial_s: number;
  /** The longest wait between restarts. @default 60 */
  backoff_max_s: number;
  /** A run this long is stable: the next failure starts the backoff from the beginning. @default 300 */
  stable_after_s: number;
  /** Restarts allowed within `restart_period_s` before the component is paused. @default 5 */
  max_restarts: number;
  /** The window `max_restarts` is counted over. @default 600 */
  restart_period_s: number;
}

/** How components are supervised. */
export interface SupervisorSettings extends RestartSettings {
  /** Seconds between health checks of running components. @default 30 */
  health_check_s: number;
  /** Seconds a component may take to answer a health check before it counts as hung. @default 5 */
  ping_timeout_s: number;
  /** Seconds the components get to stop at shutdown before they are terminated. @default 5 */
  shutdown_timeout_s: number;
}

/** One external watcher: any program, supervised like the built-in components. */
export interface ExternalWatcherConfig extends Partial<RestartSettings> {
  /** Its name (lower-case letters, digits, _ and -); its output goes to `Logs/NAME.log`. */
  name: string;
  /** The program to run. */
  command: string;
  /** Its arguments. @default [] */
  args: string[];
  /** Extra environment variables. @default {} */
  env: Record<string, string>;
  /** Its working directory, relative to the vault. @default the vault */
  cwd?: string;
  /** Whether it runs. @default true */
  enabled: boolean;
  /** When it is started again: always, after a failure only, or never. @default "permanent" */
  restart: "permanent" | "transient" | "temporary";
  /** It must touch AIEMP_HEARTBEAT_FILE at least this often (seconds), or it counts as hung. @default none */
  heartbeat_timeout_s?: number;
  /** Seconds between SIGTERM and SIGKILL when it is stopped. @default 10 */
  grace_s: number;
}

/** True when `A` and `B` are the same type. */
type SameType<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;

// Config must say exactly what configSchema produces: this fails to type-check when they differ.
const _configIsExact: SameType<Config, z.infer<typeof configSchema>> = true;
