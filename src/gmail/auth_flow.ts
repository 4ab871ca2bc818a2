/**
 * Signing the owner in to Gmail: the OAuth 2 installed-app flow with a loopback redirect (consent
 * URL with PKCE and a random `state`, the redirect read and checked, the code exchanged through
 * `google-auth-library`), which scopes are enough for what aiemp does, and turning the seeds'
 * `credentials.json` / `token.json` into aiemp's secret files. The decisions are plain functions;
 * {@linkcode runConsentFlow} is the thin shell, with its listener, clock and exchange injectable.
 * @module
 */
import { CodeChallengeMethod, OAuth2Client } from "google-auth-library";
import {
  checkRedirect,
  listenOnLoopback,
  type LoopbackOptions,
  type RedirectCheck,
  type RedirectHandler,
  type RedirectListener,
  waitForConsent,
} from "../consent/mod.ts";
import { GMAIL_AUTH_COMMAND } from "./errors.ts";
import { clientOf, refreshTokenOf } from "./credentials.ts";

export { listenOnLoopback, type LoopbackOptions, type RedirectHandler, type RedirectListener };

/** The Gmail scopes aiemp knows of. */
export const GMAIL_SCOPE = {
  /** Everything, including deleting mail for good. aiemp never asks for it. */
  full: "https://mail.google.com/",
  /** Read, label, mark read and send; no permanent deletion. */
  modify: "https://www.googleapis.com/auth/gmail.modify",
  /** Read only. */
  readonly: "https://www.googleapis.com/auth/gmail.readonly",
  /** Drafts, and sending. */
  compose: "https://www.googleapis.com/auth/gmail.compose",
  /** Sending only. */
  send: "https://www.googleapis.com/auth/gmail.send",
  /** Creating and listing labels (not putting them on messages). */
  labels: "https://www.googleapis.com/auth/gmail.labels",
} as const;

/** What `aiemp auth gmail` asks for: read and label mail (watcher), send mail (actions). */
export const GMAIL_AUTH_SCOPES: readonly string[] = Object.freeze([
  GMAIL_SCOPE.modify,
  GMAIL_SCOPE.send,
]);

/** How long the flow waits for the owner's browser to come back. */
export const CONSENT_TIMEOUT_MS = 5 * 60_000;

/** What {@linkcode consentUrl} needs. */
export interface ConsentRequest {
  /** The consent page (`gmail.auth_uri`). */
  authUri: string;
  /** The owner's OAuth client id. */
  clientId: string;
  /** Where the browser is sent back: `http://127.0.0.1:PORT`. */
  redirectUri: string;
  /** A random value the redirect must carry back unchanged. */
  state: string;
  /** The PKCE challenge: base64url SHA-256 of the code verifier (S256). */
  codeChallenge: string;
  /** The scopes asked for. @default {@linkcode GMAIL_AUTH_SCOPES} */
  scopes?: readonly string[];
}

/**
 * The consent address the owner opens, made by `OAuth2Client.generateAuthUrl` with its auth
 * endpoint set to `authUri`: code flow, offline access (so a refresh token is issued), the consent
 * screen every time (so it is issued again), PKCE S256 and `state`.
 *
 * @example
 * ```ts
 * consentUrl({ authUri, clientId, redirectUri: "http://127.0.0.1:53682", state, codeChallenge });
 * ```
 */
export function consentUrl(request: ConsentRequest): string {
  const library = new OAuth2Client({
    clientId: request.clientId,
    endpoints: { oauth2AuthBaseUrl: request.authUri },
  });
  return library.generateAuthUrl({
    redirect_uri: request.redirectUri,
    access_type: "offline",
    prompt: "consent",
    scope: [...(request.scopes ?? GMAIL_AUTH_SCOPES)],
    state: request.state,
    code_challenge: request.codeChallenge,
    code_challenge_method: CodeChallengeMethod.S256,
  });
}

/** Why the consent did not give a code; each comes with its own message and fix. */
export type ConsentProblem =
  | "denied"
  | "state_mismatch"
  | "consent_error"
  | "no_code"
  | "timeout"
  | "exchange_failed"
  | "no_refresh_token";

/** What came back to the redirect address. */
export type RedirectResult =
  | { kind: "code"; code: string }
  | { kind: "failed"; problem: ConsentProblem; message: string }
  /** Not the redirect (the browser asking for `/favicon.ico`, say): answer 404 and keep waiting. */
  | { kind: "not_redirect" };

const AGAIN = `run '${GMAIL_AUTH_COMMAND}' again and open the address it prints then`;

/**
 * Reads a redirect to the loopback address. The `state` is checked first, so that an answer
 * that does not belong to this run is never acted on, not even an error; then Google's `error`
 * (`access_denied` when the owner refused), then the `code`. With `anyPath`, a URL at another path
 * counts too (an address the owner pasted from another machine's browser).
 */
export function readRedirect(
  url: URL,
  expectedState: string,
  options: { anyPath?: boolean } = {},
): RedirectResult {
  const answer = checkRedirect(url, { ...redirectCheck(expectedState), anyPath: options.anyPath });
  return answer.kind === "code" ? { kind: "code", code: answer.code } : answer;
}

/** How Google's redirect to `/` is read, and Google's `error` worded. */
function redirectCheck(state: string): RedirectCheck<"denied" | "consent_error"> {
  return {
    state,
    path: "/",
    again: AGAIN,
    refused: (error, said) =>
      error === "access_denied"
        ? {
          problem: "denied",
          message:
            `Google says access was denied (error=access_denied): the consent was refused, or the account is not a test user of the app; add it under "Test users" of the OAuth consent screen if needed, then ${AGAIN} and approve`,
        }
        : {
          problem: "consent_error",
          message:
            `Google did not give consent (${said}); check the OAuth client and consent screen (README, "Gmail"), then ${AGAIN}`,
        },
  };
}

/** One use of Gmail and whether the granted scopes allow it. */
export interface ScopeNeed {
  /** What aiemp does. */
  use: "read mail" | "change labels" | "send mail";
  /** Which part does it. */
  by: "watcher" | "actions";
  /** Whether one of `accepted` was granted. */
  ok: boolean;
  /** The scopes Google accepts for it (from the Gmail API's method reference). */
  accepted: readonly string[];
}

/**
 * Whether `granted` covers what aiemp does with Gmail: the watcher lists, reads and downloads
 * attachments (gmail.modify or gmail.readonly) and, when it marks mail read or labels it after the
 * note (`changesLabels`), changes a message's labels, which Google allows with gmail.modify only
 * (gmail.labels manages labels but does not put them on messages); the actions send (gmail.send,
 * gmail.compose or gmail.modify). Full mail access covers everything.
 *
 * @example
 * ```ts
 * gmailScopeNeeds([GMAIL_SCOPE.readonly]).map((n) => `${n.use}: ${n.ok}`);
 * // ["read mail: true", "send mail: false"]
 * ```
 */
export function gmailScopeNeeds(
  granted: readonly string[],
  options: { changesLabels?: boolean } = {},
): ScopeNeed[] {
  const { full, modify, readonly, compose, send } = GMAIL_SCOPE;
  const need = (use: ScopeNeed["use"], by: ScopeNeed["by"], accepted: string[]): ScopeNeed => ({
    use,
    by,
    ok: accepted.some((scope) => granted.includes(scope)),
    accepted,
  });
  return [
    need("read mail", "watcher", [modify, readonly, full]),
    ...(options.changesLabels ? [need("change labels", "watcher", [modify, full])] : []),
    need("send mail", "actions", [send, compose, modify, full]),
  ];
}

/** The two secret files an import writes, as their text. */
export interface ImportedSecrets {
  /** `gmail_client.json`: Google's `credentials.json` as it is, or `{client_id, client_secret}`. */
  client: string;
  /** `gmail_token.json`: see {@linkcode grantFile}. */
  token: string;
  /** The scopes token.json says were granted (informative; `aiemp auth status` asks Google). */
  scopes: string[];
}

/**
 * The secret files for the seeds' layout: Google's `credentials.json` (`installed` or `web`; may
 * be missing when `token.json` carries the client, as an authorized-user file does) and
 * `token.json` (Google's authorized-user format or the Python client's, with `scopes` as a list).
 * The access token in token.json is dropped: only the grant is kept.
 */
export function importSeeds(
  files: { credentials?: string; token: string },
  defaultTokenUri: string,
): { ok: true; secrets: ImportedSecrets } | { ok: false; message: string } {
  const refreshToken = refreshTokenOf(files.token);
  const data = parseObject(files.token);
  if (!refreshToken || !data) {
    return {
      ok: false,
      message:
        "token.json holds no refresh_token (expected Google's authorized-user JSON); sign in again with 'aiemp auth gmail --client credentials.json'",
    };
  }
  const fromCredentials = files.credentials === undefined ? undefined : clientOf(files.credentials);
  if (files.credentials !== undefined && !fromCredentials) {
    return {
      ok: false,
      message:
        "credentials.json is not an OAuth client file (expected Google's download, with 'installed' and its client_id); download it again from Google Cloud (README, \"Gmail\")",
    };
  }
  const client = fromCredentials ?? clientOf(files.token);
  if (!client) {
    return {
      ok: false,
      message:
        "no OAuth client: credentials.json is missing and token.json carries no client_id; put Google's credentials.json beside token.json",
    };
  }
  const scopes = Array.isArray(data.scopes)
    ? data.scopes.filter((s: unknown): s is string => typeof s === "string")
    : typeof data.scope === "string"
    ? data.scope.split(" ").filter(Boolean)
    : [];
  const tokenUri = typeof data.token_uri === "string" ? data.token_uri : defaultTokenUri;
  return {
    ok: true,
    secrets: {
      client: files.credentials ?? JSON.stringify({
        client_id: client.clientId,
        ...(client.clientSecret ? { client_secret: client.clientSecret } : {}),
      }),
      token: grantFile({ refreshToken, scopes, tokenUri }),
      scopes,
    },
  };
}

/** The text of `gmail_token.json`: `{refresh_token, scope, token_uri}`. */
export function grantFile(
  grant: { refreshToken: string; scopes: string[]; tokenUri: string },
): string {
  return `${
    JSON.stringify(
      {
        refresh_token: grant.refreshToken,
        scope: grant.scopes.join(" "),
        token_uri: grant.tokenUri,
      },
      null,
      2,
    )
  }\n`;
}

// deno-lint-ignore no-explicit-any
function parseObject(text: string): Record<string, any> | undefined {
  try {
    const data = JSON.parse(text);
    return data && typeof data === "object" && !Array.isArray(data) ? data : undefined;
  } catch {
    return undefined;
  }
}

/** What {@linkcode runConsentFlow} asks the token endpoint. */
export interface CodeExchange {
  /** The authorization code from the redirect. */
  code: string;
  /** The PKCE verifier whose challenge the consent URL carried. */
  codeVerifier: string;
  /** The redirect address, exactly as in the consent URL. */
  redirectUri: string;
}

/** The parts of the token endpoint's answer the flow reads (OAuth 2 field names). */
export interface TokenAnswer {
  /** The long-lived grant; present with `access_type=offline` and a fresh consent. */
  refresh_token?: string | null;
  /** The granted scopes, space-separated. */
  scope?: string;
}

/** Options of {@linkcode runConsentFlow}. */
export interface ConsentFlowOptions {
  /** The owner's OAuth client id. */
  clientId: string;
  /** Its secret (a Desktop app client has one; Google wants it in the exchange). */
  clientSecret?: string;
  /** The consent page (`gmail.auth_uri`). */
  authUri: string;
  /** The token endpoint (`gmail.token_uri`). */
  tokenUri: string;
  /** Shown the consent address (and the redirect address) once it is known. */
  show(consentUrl: string, redirectUri: string): void;
  /** The scopes asked for. @default {@linkcode GMAIL_AUTH_SCOPES} */
  scopes?: readonly string[];
  /** Starts listening for the redirect. @default {@linkcode listenOnLoopback} on 127.0.0.1 */
  listen?: (handler: RedirectHandler) => RedirectListener;
  /**
   * Addresses the owner pastes (from a browser on another machine that could not reach the
   * loopback address); each line is read like the redirect. @default none
   */
  pasted?: AsyncIterable<string>;
  /** How long to wait for the redirect. @default {@linkcode CONSENT_TIMEOUT_MS} */
  timeoutMs?: number;
  /** The clock's wait, cancelled by the signal once the redirect came. @default a timer */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Exchanges the code. @default `OAuth2Client.getToken` against `tokenUri` */
  exchange?: (request: CodeExchange) => Promise<TokenAnswer>;
  /** The fetch the library uses. @default globalThis.fetch */
  fetchImpl?: typeof fetch;
}

/** The owner's grant, from the token endpoint's answer. */
export interface ConsentGrant {
  /** The refresh token to store. */
  refreshToken: string;
  /** The granted scopes (the requested ones when the answer does not say). */
  scopes: string[];
  /** Whether `scopes` came from the answer. */
  scopesFromAnswer: boolean;
}

/** How the flow ended: the grant, or the problem with its message and fix. */
export type ConsentOutcome =
  | { ok: true; grant: ConsentGrant }
  | { ok: false; problem: ConsentProblem; message: string };

/**
 * Runs the consent: listens for the redirect, shows the consent address, waits (at most
 * `timeoutMs`) for the owner's browser to come back with the code, answers it with a page saying
 * the tab can be closed, checks `state`, and exchanges the code with its PKCE verifier.
 * Expected failures (refusal, wrong state, timeout, a refused exchange, no refresh token) come
 * back as `{ ok: false }` with one line saying what happened and what to do.
 */
export async function runConsentFlow(options: ConsentFlowOptions): Promise<ConsentOutcome> {
  const scopes = [...(options.scopes ?? GMAIL_AUTH_SCOPES)];
  const pkce = await new OAuth2Client().generateCodeVerifierAsync();
  const { codeVerifier } = pkce;
  const codeChallenge = pkce.codeChallenge ?? "";
  const state = crypto.getRandomValues(new Uint8Array(24)).toBase64({ alphabet: "base64url" });
  const waited = await waitForConsent({
    check: redirectCheck(state),
    listen: options.listen ?? listenOnLoopback,
    show: (redirectUri) =>
      options.show(
        consentUrl({ ...options, redirectUri, state, codeChallenge, scopes }),
        redirectUri,
      ),
    pasted: options.pasted,
    timeoutMs: options.timeoutMs ?? CONSENT_TIMEOUT_MS,
    sleep: options.sleep,
  });
  if (!waited.ok) throw waited.listenError;
  const { answer, redirectUri } = waited;
  if (answer.kind === "failed") {
    return { ok: false, problem: answer.problem, message: answer.message };
  }
  return await exchangeCode(options, { code: answer.code, codeVerifier, redirectUri }, scopes);
}

async function exchangeCode(
  options: ConsentFlowOptions,
  request: CodeExchange,
  requested: string[],
): Promise<ConsentOutcome> {
  let tokens: TokenAnswer;
  try {
    tokens = await (options.exchange ?? libraryExchange(options))(request);
  } catch (error) {
    return {
      ok: false,
      problem: "exchange_failed",
      message: exchangeFailure(error, options.tokenUri),
    };
  }
  if (!tokens.refresh_token) {
    return {
      ok: false,
      problem: "no_refresh_token",
      message:
        `Google gave no refresh token, so aiemp could not stay signed in; remove the app's access at https://myaccount.google.com/connections, then run '${GMAIL_AUTH_COMMAND}' again`,
    };
  }
  const answered = tokens.scope?.split(" ").filter(Boolean) ?? [];
  return {
    ok: true,
    grant: {
      refreshToken: tokens.refresh_token,
      scopes: answered.length ? answered : requested,
      scopesFromAnswer: answered.length > 0,
    },
  };
}

function libraryExchange(options: ConsentFlowOptions) {
  return async (request: CodeExchange): Promise<TokenAnswer> => {
    const library = new OAuth2Client({
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      endpoints: { oauth2TokenUrl: options.tokenUri },
      // As in client.ts: the given fetch, no proxy agent from gaxios (Deno's fetch proxies by
      // itself), and no retries: a code is good for one exchange only.
      transporterOptions: {
        fetchImplementation: options.fetchImpl ?? globalThis.fetch,
        timeout: 60_000,
        noProxy: [/^/],
        retryConfig: { retry: 0, noResponseRetries: 0 },
      },
    });
    const { tokens } = await library.getToken({
      code: request.code,
      codeVerifier: request.codeVerifier,
      redirect_uri: request.redirectUri,
    });
    return tokens;
  };
}

/** One line for a failed exchange, from the OAuth error in the answer when there is one. */
function exchangeFailure(error: unknown, tokenUri: string): string {
  const response = (error as { response?: { status?: number; data?: unknown } }).response;
  if (!response) {
    const said = error instanceof Error ? error.message : String(error);
    return `Could not reach the token endpoint ${tokenUri} (${said}); check the network and gmail.token_uri, then run '${GMAIL_AUTH_COMMAND}' again`;
  }
  const data = (response.data ?? {}) as Record<string, unknown>;
  const code = typeof data.error === "string" ? data.error : `HTTP ${response.status}`;
  const said = typeof data.error_description === "string"
    ? `${code}: ${data.error_description.slice(0, 200)}`
    : code;
  if (code === "invalid_client" || code === "unauthorized_client") {
    return `Google refused the OAuth client (${said}); download credentials.json again and run '${GMAIL_AUTH_COMMAND} --client credentials.json'`;
  }
  return `Google refused the authorization code (${said}); ${AGAIN}`;
}
