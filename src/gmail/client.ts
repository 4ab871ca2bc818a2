/**
 * The Gmail client: the few Gmail calls aiemp makes, in our words, over the official libraries
 * (`@googleapis/gmail` with `google-auth-library`'s OAuth2Client), pointed at configurable
 * endpoints and with failures turned into the named outcomes of `errors.ts`.
 * @module
 */
import { gmail as gmailApi, type gmail_v1 } from "@googleapis/gmail";
import { OAuth2Client } from "google-auth-library";
import { failedAtTokenEndpoint, toGmailError } from "./_map_error.ts";
import { tokenInfoUriFor } from "./endpoints.ts";
import { GMAIL_AUTH_COMMAND, GmailAuthError, type GmailError } from "./errors.ts";
import { type CallKind, DEFAULT_RETRY_POLICY, retryDelay, type RetryPolicy } from "./retry.ts";
import type {
  GmailIdPage,
  GmailMessage,
  GmailMessagePart,
  GmailMessageSummary,
  GmailProfile,
  GmailRawMessage,
  GmailTokenInfo,
} from "./types.ts";

/** A retry about to happen, for logs and tests. */
export interface GmailRetry {
  /** The Gmail call, e.g. `messages.list`. */
  operation: string;
  /** The attempt that failed (1-based). */
  attempt: number;
  /** The wait before the next attempt. */
  delayMs: number;
  /** Why the attempt failed. */
  error: GmailError;
}

/** Options of {@link createGmailClient}. */
export interface GmailClientOptions {
  /** The OAuth client id the refresh token was issued to. */
  clientId: string;
  /** The OAuth client secret (installed apps have one; it is not really secret). */
  clientSecret?: string;
  /** The stored refresh token. */
  refreshToken: string;
  /** The Gmail API root (`gmail.api_root`), e.g. `https://gmail.googleapis.com/`. */
  apiRoot: string;
  /** The OAuth 2 token endpoint (`gmail.token_uri`), e.g. `https://oauth2.googleapis.com/token`. */
  tokenUri: string;
  /** The tokeninfo endpoint, asked for scopes only when the token answer lacks them. @default `tokeninfo` beside tokenUri */
  tokenInfoUri?: string;
  /** The fetch the libraries use (gaxios would otherwise load node-fetch under Deno). @default globalThis.fetch */
  fetchImpl?: typeof fetch;
  /** Per-request timeout. @default 60000 */
  timeoutMs?: number;
  /** Retries of 429 / 5xx / failed connections. @default DEFAULT_RETRY_POLICY */
  retry?: Partial<RetryPolicy>;
  /** Waits between retries. @default a timer that the signal cancels */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Told before each retry. */
  onRetry?: (retry: GmailRetry) => void;
  /** The clock, for `Retry-After` given as an HTTP date. @default Date.now */
  now?: () => number;
  /** Cancels waits and requests in flight; a call then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** The Gmail calls aiemp makes, all on the signed-in account (`userId: "me"`). */
export interface GmailClient {
  /** One page of the ids of messages matching a Gmail search query, newest first. */
  listMessageIds(
    query: string,
    page?: { maxResults?: number; pageToken?: string },
  ): Promise<GmailIdPage>;
  /**
   * The ids of up to `limit` (default 500) matching messages, newest first, following the pages
   * (of `pageSize`, default 100; Gmail allows up to 500).
   */
  listAllMessageIds(
    query: string,
    options?: { limit?: number; pageSize?: number },
  ): Promise<string[]>;
  /** A message with its MIME tree (`format=full`). */
  getMessage(id: string, format: "full"): Promise<GmailMessage>;
  /** A message as its RFC 822 bytes (`format=raw`). */
  getMessage(id: string, format: "raw"): Promise<GmailRawMessage>;
  /** The bytes of an attachment (from a part's `body.attachmentId`). */
  getAttachment(messageId: string, attachmentId: string): Promise<Uint8Array>;
  /** Adds and removes label ids (e.g. remove `"UNREAD"` to mark read); returns the labels now on it. */
  modifyLabels(id: string, add: string[], remove: string[]): Promise<string[]>;
  /**
   * Sends an RFC 822 message, in `threadId`'s thread when given. Retried only when Google
   * certainly did not act on it: 429 (rate limit) and a connection that could not be made.
   * Never retried after a 5xx or a timeout, since the message may have gone out: the caller gets
   * `GmailServerError` / `GmailNetworkError` and must treat the send as "maybe sent".
   */
  sendRaw(rfc822: Uint8Array, threadId?: string): Promise<{ id: string; threadId: string }>;
  /**
   * The id of the label called `name` (any case; Gmail's own labels such as `STARRED` are their own
   * ids), or undefined when the account has none by that name. Gmail labels messages by id.
   */
  labelIdOf(name: string): Promise<string | undefined>;
  /** The account's address and counts; proves the token works with Gmail. */
  profile(): Promise<GmailProfile>;
  /**
   * Refreshes the access token (proving the refresh token works) and reports its scopes, from the
   * token endpoint's answer or, when that lacks them, from the tokeninfo endpoint. For `aiemp doctor`.
   */
  tokenInfo(): Promise<GmailTokenInfo>;
}

/** base64url text (padded or not) to bytes. */
export function decodeBase64Url(text: string): Uint8Array {
  return Uint8Array.fromBase64(text, { alphabet: "base64url" });
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const done = () => {
      signal?.removeEventListener("abort", abort);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const abort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", abort, { once: true });
  });
}

function toPart(part: gmail_v1.Schema$MessagePart | undefined): GmailMessagePart {
  const body = part?.body ?? {};
  return {
    partId: part?.partId ?? "",
    mimeType: part?.mimeType ?? "",
    filename: part?.filename ?? "",
    headers: (part?.headers ?? []).map((h) => ({ name: h.name ?? "", value: h.value ?? "" })),
    body: {
      size: body.size ?? 0,
      ...(body.data ? { data: body.data } : {}),
      ...(body.attachmentId ? { attachmentId: body.attachmentId } : {}),
    },
    ...(part?.parts ? { parts: part.parts.map(toPart) } : {}),
  };
}

function toSummary(message: gmail_v1.Schema$Message): GmailMessageSummary {
  return {
    id: message.id ?? "",
    threadId: message.threadId ?? "",
    labelIds: message.labelIds ?? [],
    snippet: message.snippet ?? "",
    internalDate: message.internalDate ?? "",
  };
}

/**
 * A Gmail client signed in with a stored refresh token. Nothing is fetched until the first call;
 * the access token is then obtained from `tokenUri` and refreshed by the library when it
 * expires, and once more when Gmail answers 401 (`forceRefreshOnFailure`).
 *
 * Retries: gaxios' own are off (it ignores `Retry-After`). Reads, label changes and profile
 * calls are retried on 429, 5xx and failed connections with a doubling backoff, waiting
 * `Retry-After` instead when Google sends one (a longer wait than `retry.maxDelayMs` is not
 * waited out: the call throws `GmailRateLimit` with `retryAfterMs`). `sendRaw` is retried only on
 * 429 and on a connection that was never made — never on 5xx or timeouts, where a send may
 * have happened — except that a failed token refresh before it is retried like a read.
 *
 * Errors: `GmailAuthError` (refresh token invalid or revoked, 401 after a refresh, missing
 * scope: the owner must run `aiemp auth gmail`), `GmailRateLimit`, `GmailServerError`,
 * `GmailNetworkError`, or `GmailError` with Google's status and message. Deno's `NotCapable`
 * (a host outside the Worker's `net` permission) is thrown as it is.
 *
 * @example
 * ```ts
 * const gmail = createGmailClient({
 *   clientId, clientSecret, refreshToken,
 *   apiRoot: GOOGLE_GMAIL_API_ROOT, tokenUri: GOOGLE_TOKEN_URI,
 * });
 * for (const id of await gmail.listAllMessageIds("is:unread is:important", { limit: 50 })) {
 *   const message = await gmail.getMessage(id, "full");
 * }
 * ```
 */
export function createGmailClient(options: GmailClientOptions): GmailClient {
  if (!options.refreshToken) {
    throw new GmailAuthError(
      `Cannot create the Gmail client: no refresh token is stored; run \`${GMAIL_AUTH_COMMAND}\``,
    );
  }
  const fetchImpl = options.fetchImpl ?? globalThis.fetch;
  const timeout = options.timeoutMs ?? 60_000;
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const signal = options.signal;
  // Deno's fetch proxies by itself (HTTP_PROXY, HTTPS_PROXY, NO_PROXY). Left alone, gaxios would
  // also build a proxy agent, which fetch ignores, from `https-proxy-agent`, whose `debug`
  // dependency reads the whole environment when it loads. Every URL is "no proxy" for gaxios.
  const transport = { fetchImplementation: fetchImpl, timeout, noProxy: [/^/] };
  const auth = new OAuth2Client({
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    endpoints: {
      oauth2TokenUrl: options.tokenUri,
      tokenInfoUrl: options.tokenInfoUri ?? tokenInfoUriFor(options.tokenUri),
    },
    // Refresh once and retry on a 401 even while the token's expiry date says it is fresh
    // (revoked access token, clock skew); by default the library only does so without a date.
    forceRefreshOnFailure: true,
    // Token requests carry the library's own retry config (real sleeps, no Retry-After); it is
    // turned off so that they go through the same retries as every other request.
    transporterOptions: { ...transport, retryConfig: { retry: 0, noResponseRetries: 0 } },
  });
  auth.setCredentials({ refresh_token: options.refreshToken });
  const api = gmailApi({
    version: "v1",
    auth,
    rootUrl: options.apiRoot.endsWith("/") ? options.apiRoot : `${options.apiRoot}/`,
    retry: false,
    ...transport,
  });
  const messages = api.users.messages;
  const methodOptions = signal ? { signal } : {};

  async function call<T>(operation: string, kind: CallKind, run: () => Promise<T>): Promise<T> {
    for (let attempt = 1;; attempt++) {
      try {
        return await run();
      } catch (thrown) {
        const error = toGmailError(thrown, {
          operation,
          tokenUri: options.tokenUri,
          nowMs: now(),
          signal,
        });
        // A failed token refresh never reached the Gmail call, so even a send may repeat it.
        const safeKind = failedAtTokenEndpoint(thrown, options.tokenUri) ? "idempotent" : kind;
        const delayMs = retryDelay(error, attempt, safeKind, policy);
        if (delayMs === undefined) throw error;
        options.onRetry?.({ operation, attempt, delayMs, error });
        await sleep(delayMs, signal);
      }
    }
  }

  async function listMessageIds(
    query: string,
    page: { maxResults?: number; pageToken?: string } = {},
  ): Promise<GmailIdPage> {
    const { data } = await call("messages.list", "idempotent", () =>
      messages.list({
        userId: "me",
        q: query,
        maxResults: page.maxResults,
        pageToken: page.pageToken,
      }, methodOptions));
    return {
      ids: (data.messages ?? []).map((m) => m.id ?? "").filter(Boolean),
      ...(data.nextPageToken ? { nextPageToken: data.nextPageToken } : {}),
    };
  }

  async function getMessage(id: string, format: "full" | "raw") {
    const { data } = await call(
      "messages.get",
      "idempotent",
      () => messages.get({ userId: "me", id, format }, methodOptions),
    );
    return format === "raw"
      ? { ...toSummary(data), raw: decodeBase64Url(data.raw ?? "") }
      : { ...toSummary(data), payload: toPart(data.payload) };
  }

  return {
    listMessageIds,
    async listAllMessageIds(query, { limit = 500, pageSize = 100 } = {}) {
      const ids: string[] = [];
      const seen = new Set<string>();
      let pageToken: string | undefined;
      while (ids.length < limit) {
        const maxResults = Math.min(pageSize, limit - ids.length);
        const page = await listMessageIds(query, { maxResults, pageToken });
        ids.push(...page.ids.slice(0, limit - ids.length));
        pageToken = page.nextPageToken;
        if (!pageToken || seen.has(pageToken)) break;
        seen.add(pageToken);
      }
      return ids;
    },
    getMessage: getMessage as GmailClient["getMessage"],
    async getAttachment(messageId, attachmentId) {
      const { data } = await call(
        "messages.attachments.get",
        "idempotent",
        () =>
          messages.attachments.get({ userId: "me", messageId, id: attachmentId }, methodOptions),
      );
      return decodeBase64Url(data.data ?? "");
    },
    async modifyLabels(id, add, remove) {
      const { data } = await call("messages.modify", "idempotent", () =>
        messages.modify({
          userId: "me",
          id,
          requestBody: { addLabelIds: add, removeLabelIds: remove },
        }, methodOptions));
      return data.labelIds ?? [];
    },
    async sendRaw(rfc822, threadId) {
      const raw = rfc822.toBase64({ alphabet: "base64url", omitPadding: true });
      const { data } = await call("messages.send", "send", () =>
        messages.send({
          userId: "me",
          requestBody: threadId ? { raw, threadId } : { raw },
        }, methodOptions));
      return { id: data.id ?? "", threadId: data.threadId ?? "" };
    },
    async labelIdOf(name) {
      const { data } = await call(
        "labels.list",
        "idempotent",
        () => api.users.labels.list({ userId: "me" }, methodOptions),
      );
      const wanted = name.trim().toLowerCase();
      return (data.labels ?? []).find((label) =>
        label.id?.toLowerCase() === wanted || label.name?.toLowerCase() === wanted
      )?.id ?? undefined;
    },
    async profile() {
      const { data } = await call(
        "users.getProfile",
        "idempotent",
        () => api.users.getProfile({ userId: "me" }, methodOptions),
      );
      return {
        emailAddress: data.emailAddress ?? "",
        messagesTotal: data.messagesTotal ?? 0,
        threadsTotal: data.threadsTotal ?? 0,
        historyId: data.historyId ?? "",
      };
    },
    async tokenInfo() {
      // Always a fresh refresh: it proves the stored refresh token still works, and Google's
      // answer carries the granted `scope`. Only without it is tokeninfo asked.
      const { credentials } = await call(
        "token refresh",
        "idempotent",
        () => auth.refreshAccessToken(),
      );
      const { scope, expiry_date, access_token } = credentials;
      if (scope) {
        return {
          scopes: scope.split(" ").filter(Boolean),
          ...(expiry_date ? { expiresAt: expiry_date } : {}),
          source: "token_response",
        };
      }
      const info = await call(
        "tokeninfo",
        "idempotent",
        () => auth.getTokenInfo(access_token ?? ""),
      );
      return { scopes: info.scopes, expiresAt: info.expiry_date, source: "tokeninfo" };
    },
  };
}
