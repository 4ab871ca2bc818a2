/**
 * What the four API drivers share: one call to an endpoint (the Bearer token, User-Agent and the
 * run's signal), and what an answer or a failure means for the owner — published, refused and
 * how to fix it, asked to wait, or perhaps published. Reasons name the platform, the status and
 * the fix, and never hold the token.
 * @module
 */
import type { ActionResult } from "../../actions/types.ts";
import type { SocialImage, SocialPlatform } from "../types.ts";

/** A failed {@linkcode ActionResult}. */
export type Failure = Extract<ActionResult, { ok: false }>;

/** A 2xx answer, its body parsed as JSON when it is JSON, else its text. */
export interface Reply {
  ok: true;
  status: number;
  headers: Headers;
  body: unknown;
}

/** One run of a driver: who calls, with what, and how (injected in tests). */
export interface ApiRun {
  platform: SocialPlatform;
  token: string;
  userAgent: string;
  signal: AbortSignal;
  fetch: typeof fetch;
  /** Waits between Instagram's status checks. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** The clock that rate-limit reset times are read against, in epoch milliseconds. */
  now: () => number;
}

/** One request of a post, as the reasons name it. */
export interface Step {
  /** What the request does, e.g. "the image upload". */
  what: string;
  /**
   * True for the request that publishes: failing once it was sent, it may have published.
   * @default false
   */
  publishes?: boolean;
}

/** A request to make. */
export interface Endpoint {
  method: "GET" | "POST" | "PUT";
  url: string | URL;
  headers?: Record<string, string>;
  body?: BodyInit;
}

/** How long a 429 waits when the platform said nothing about when to come back. */
export const DEFAULT_RATE_WAIT_MS = 15 * 60_000;

const NAMES: Record<SocialPlatform, string> = {
  linkedin: "LinkedIn",
  x: "X",
  facebook: "Facebook",
  instagram: "Instagram",
};

/** The permissions a post needs, by platform: named in a 403's reason. */
const SCOPES: Record<SocialPlatform, string[]> = {
  linkedin: ["w_member_social", "w_organization_social"],
  x: ["tweet.write", "tweet.read", "users.read", "media.write"],
  facebook: ["pages_manage_posts", "pages_read_engagement", "pages_show_list"],
  instagram: ["instagram_content_publish", "instagram_basic", "pages_read_engagement"],
};

/** Graph API error codes, by what they mean. */
const GRAPH_AUTH = new Set([102, 190]);
const GRAPH_RATE = new Set([4, 17, 32, 613]);
const isGraphPermission = (code: number) => code === 10 || (code >= 200 && code <= 299);

/** The platform's name as the owner knows it. */
export function nameOf(platform: SocialPlatform): string {
  return NAMES[platform];
}

/**
 * Makes one request and reads its answer: the reply when it is a 2xx, else the failure it means
 * for the owner. Never rejects.
 */
export async function call(run: ApiRun, step: Step, endpoint: Endpoint): Promise<Reply | Failure> {
  let response: Response;
  try {
    response = await run.fetch(endpoint.url, {
      method: endpoint.method,
      headers: {
        ...endpoint.headers,
        authorization: `Bearer ${run.token}`,
        "user-agent": run.userAgent,
      },
      body: endpoint.body,
      // An API answers where it was asked; following a redirect would carry the token elsewhere.
      redirect: "manual",
      signal: run.signal,
    });
  } catch (error) {
    return networkFailure(run, step, error);
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    if (!response.ok || !step.publishes) return networkFailure(run, step, error);
    return {
      ok: false,
      retryable: false,
      mayHaveActed: true,
      reason: `${nameOf(run.platform)} accepted ${step.what} (HTTP ${response.status}) but its ` +
        `answer was cut off, so the post was probably published. ${checkPage(run.platform)}`,
    };
  }
  const body = parseBody(text);
  if (response.ok) return { ok: true, status: response.status, headers: response.headers, body };
  return answerFailure(run, step, response.status, response.headers, body);
}

function parseBody(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** What the platform said in an error answer, as its API words it. */
interface PlatformError {
  message: string;
  /** Graph's `error.code`. */
  code?: number;
}

function errorOf(platform: SocialPlatform, body: unknown): PlatformError {
  if (typeof body === "string") return { message: body };
  if (typeof body !== "object" || body === null) return { message: "" };
  const b = body as Record<string, unknown>;
  if (platform === "facebook" || platform === "instagram") {
    const error = (b.error ?? {}) as Record<string, unknown>;
    const parts = [error.message, error.error_user_msg].filter((p) => typeof p === "string");
    return {
      message: parts.join(" ") || JSON.stringify(body),
      ...(typeof error.code === "number" ? { code: error.code } : {}),
    };
  }
  if (platform === "x") {
    const errors = Array.isArray(b.errors)
      ? b.errors.map((e) => (e as Record<string, unknown>)?.message).filter(Boolean)
      : [];
    const message = b.detail ?? b.title ?? errors.join("; ");
    return { message: typeof message === "string" && message ? message : JSON.stringify(body) };
  }
  return { message: typeof b.message === "string" ? b.message : JSON.stringify(body) };
}

/** The platform's own words, on one line and at most about 300 characters. */
export function quote(text: string): string {
  const line = text.replace(/\s+/g, " ").trim().replace(/\.$/, "");
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

function checkPage(platform: SocialPlatform): string {
  return `Check the ${nameOf(platform)} page before approving it again`;
}

function authCommand(platform: SocialPlatform): string {
  return `\`aiemp auth ${platform}\``;
}

/** What a non-2xx answer means: by the Graph error code first, else by the HTTP status. */
function answerFailure(
  run: ApiRun,
  step: Step,
  status: number,
  headers: Headers,
  body: unknown,
): Failure {
  const { platform } = run;
  const name = nameOf(platform);
  const { message, code } = errorOf(platform, body);
  const said = message ? `: ${quote(message)}` : "";
  const answered = `${name} answered HTTP ${status}${code !== undefined ? ` (code ${code})` : ""}`;
  const graph = code !== undefined;
  if (status === 401 || (graph && GRAPH_AUTH.has(code))) {
    return {
      ok: false,
      retryable: false,
      reason: `${name} refused the token at ${step.what} (HTTP ${status}${said}): it has expired ` +
        `or was revoked; nothing was published. Run ${authCommand(platform)} to approve ` +
        "aiemp's access again, then approve the post again",
    };
  }
  if (graph && GRAPH_RATE.has(code) || status === 429) {
    const wait = retryAfterOf(headers, run.now());
    const waitMs = wait ?? DEFAULT_RATE_WAIT_MS;
    return {
      ok: false,
      retryable: true,
      retryAfterMs: waitMs,
      reason: `${answered} at ${step.what}${said}: too many requests for now; nothing was ` +
        `published. It is tried again in ${minutes(waitMs)}` +
        (wait === undefined ? " (the platform did not say when; that is the default wait)" : ""),
    };
  }
  // X answers 403 to a post that repeats an earlier one: a refusal of the post, not of the token.
  const duplicate = /duplicate/i.test(message);
  if ((status === 403 || graph && isGraphPermission(code)) && !duplicate) {
    const named = SCOPES[platform].filter((scope) => message.includes(scope));
    const missing = named.length
      ? `the token lacks the permission ${named.join(", ")}`
      : `the token lacks a permission a post needs (${SCOPES[platform].join(", ")})`;
    return {
      ok: false,
      retryable: false,
      reason: `${answered} at ${step.what}${said}: ${missing}; nothing was published. Run ` +
        `${authCommand(platform)} again and grant it, then approve the post again`,
    };
  }
  if (status >= 500) {
    if (step.publishes) {
      return {
        ok: false,
        retryable: false,
        mayHaveActed: true,
        reason: `${answered} to ${step.what}${said}; the post may have been published. ` +
          checkPage(platform),
      };
    }
    return {
      ok: false,
      retryable: true,
      reason: `${answered} at ${step.what}${said}; nothing was published`,
    };
  }
  if (status >= 300 && status < 400) {
    // A redirect answering a publishing request (a 303 after a POST) usually means it was done.
    const done = step.publishes ? "it may have been published" : "nothing was published";
    return {
      ok: false,
      retryable: false,
      ...(step.publishes ? { mayHaveActed: true } : {}),
      reason: `${answered} at ${step.what}: a redirect, which aiemp does not follow (it would ` +
        `carry the token elsewhere); ${done}. Check '${platform}.api_base' in ` +
        "aiemp.yaml",
    };
  }
  return {
    ok: false,
    retryable: false,
    reason: `${answered}: ${name} did not accept ${step.what}${said}; nothing was published. ` +
      "Fix the post and approve it again",
  };
}

/** The shortest wait for a reset time read against this machine's clock. */
const MIN_RESET_WAIT_MS = 60_000;

function minutes(ms: number): string {
  if (ms < 60_000) return `${Math.max(1, Math.round(ms / 1000))} s`;
  return `${Math.round(ms / 60_000)} min`;
}

/**
 * How long a refusal asks to wait, in milliseconds: `Retry-After` (seconds or an HTTP date), X's
 * `x-user-limit-24hour-reset` when that day's quota is spent, else X's `x-rate-limit-reset`
 * (epoch seconds), else the estimate in Graph's `x-business-use-case-usage` (minutes); undefined
 * when none is given. At least one second; a reset time at least a minute.
 */
export function retryAfterOf(headers: Headers, now: number): number | undefined {
  const atLeast = (ms: number) => Math.max(1000, Math.ceil(ms));
  const retryAfter = headers.get("retry-after")?.trim();
  if (retryAfter) {
    if (/^\d+$/.test(retryAfter)) return atLeast(Number(retryAfter) * 1000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return atLeast(date - now);
  }
  const dayReset = headers.get("x-user-limit-24hour-reset");
  const reset = headers.get("x-user-limit-24hour-remaining")?.trim() === "0" && dayReset
    ? dayReset
    : headers.get("x-rate-limit-reset");
  // A reset time is read against this machine's clock, which may run ahead of X's: a reset
  // that looks passed or near still waits a minute, so a skewed clock cannot spin.
  if (reset && /^\d+$/.test(reset.trim())) {
    return Math.max(MIN_RESET_WAIT_MS, Math.ceil(Number(reset) * 1000 - now));
  }
  const usage = headers.get("x-business-use-case-usage");
  if (usage) {
    try {
      const entries = Object.values(JSON.parse(usage) as Record<string, unknown[]>).flat();
      const regain = Math.max(
        0,
        ...entries.map((e) =>
          Number((e as Record<string, unknown>)?.estimated_time_to_regain_access)
        )
          .filter((m) => Number.isFinite(m)),
      );
      if (regain > 0) return atLeast(regain * 60_000);
    } catch {
      // Not the JSON Graph sends: no estimate.
    }
  }
  return undefined;
}

/**
 * What a request that got no answer means. A connection that was never made carried nothing;
 * one cut off after the request went out may have published, when the request publishes.
 */
export function networkFailure(run: ApiRun, step: Step, error: unknown): Failure {
  const name = nameOf(run.platform);
  if (error instanceof Deno.errors.NotCapable) {
    const where = /access to "([^"]+)"/.exec(error.message)?.[1] ?? "an address";
    return {
      ok: false,
      retryable: false,
      reason: `the ${name} run may not reach ${where} at ${step.what} (it may contact only the ` +
        `platform's API); nothing was published. Check '${run.platform}.api_base' in aiemp.yaml`,
    };
  }
  const text = errorText(error);
  const cutOff = run.signal.aborted ||
    (error instanceof DOMException &&
      (error.name === "AbortError" || error.name === "TimeoutError"));
  const neverConnected = !cutOff &&
    /\(Connect\)|connection refused|ECONNREFUSED|dns error|failed to lookup|tcp connect/i.test(
      text,
    );
  const why = cutOff ? "the run was cut off (it took too long or was stopped)" : text;
  if (step.publishes && !neverConnected) {
    return {
      ok: false,
      retryable: false,
      mayHaveActed: true,
      reason: `${name} did not answer ${step.what}: ${why}; the post may have been published. ` +
        checkPage(run.platform),
    };
  }
  return {
    ok: false,
    retryable: true,
    reason: `cannot reach ${name} at ${step.what}: ${why}; nothing was published`,
  };
}

/** An error's message and cause on one line, with addresses left out (they may be signed). */
function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause
    ? (error.cause instanceof Error ? error.cause.message : String(error.cause))
    : "";
  const detail = /client error \(\w+\):\s*(.*)$/s.exec(cause || message)?.[1];
  const line = detail ?? [message, cause].filter(Boolean).join(": ");
  const clean = line.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, "…").replace(/\s+/g, " ").trim();
  // "(Connect)" is how Deno says the connection was never made: kept for the reader of a reason.
  return /\(Connect\)/.test(cause || message) ? `${clean} (while connecting)` : clean;
}

/** Reads the image of a post, or says why it cannot be read. */
export async function readImage(
  run: ApiRun,
  image: SocialImage,
): Promise<Blob | Failure> {
  try {
    const bytes = await Deno.readFile(image.path);
    return new Blob([bytes], { type: image.type });
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "it is no longer there"
      : error instanceof Error
      ? error.message
      : String(error);
    return {
      ok: false,
      retryable: false,
      reason: `cannot read the image ${image.name} for ${nameOf(run.platform)} (${why}); ` +
        "nothing was published. Put the image back and approve the post again",
    };
  }
}

/** The text with the link after it, for platforms that take a link only in the text. */
export function withLink(text: string, link: string | undefined): string {
  if (!link || text.includes(link)) return text;
  return text === "" ? link : `${text}\n\n${link}`;
}

/** An answer's JSON object (`{}` when it is not one), to read fields from. */
export function fieldsOf(body: unknown): Record<string, unknown> {
  return typeof body === "object" && body !== null && !Array.isArray(body)
    ? body as Record<string, unknown>
    : {};
}

/** A 2xx answer without what it should carry: the platform changed, or the API base is wrong. */
export function unexpected(run: ApiRun, step: Step, missing: string, body: unknown): Failure {
  const shown = typeof body === "string" ? body : JSON.stringify(body) ?? "nothing";
  return {
    ok: false,
    retryable: false,
    reason: `${nameOf(run.platform)} answered ${step.what} without ${missing} ` +
      `(${quote(shown)}); nothing was published. Check '${run.platform}.api_base' in aiemp.yaml`,
  };
}
