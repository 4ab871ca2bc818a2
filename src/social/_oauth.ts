/**
 * The OAuth 2 requests of LinkedIn and X, made with oauth4webapi: the consent address (with PKCE
 * for X), the authorization code exchanged, a refresh token renewed. Each request's outcome is a
 * result union, for the caller to word. Loaded only when a flow runs or a token is renewed.
 * @module
 */
import * as oauth from "oauth4webapi";
import type { SocialPlatform } from "./types.ts";

/** The app the owner registered with the platform. */
export interface OAuthClient {
  /** Its client id. */
  clientId: string;
  /** Its secret (LinkedIn always; X only for a confidential client). @default none */
  clientSecret?: string;
}

/** A token endpoint's answer, as aiemp keeps it. */
export interface TokenAnswer {
  /** The new access token. */
  accessToken: string;
  /** Its lifetime in seconds, when the answer says. */
  expiresIn?: number;
  /** The refresh token, when one was issued (X rotates it at every renewal). */
  refreshToken?: string;
  /** The granted scopes, when the answer says. */
  scopes?: string[];
}

/** How a token request ended. */
export type TokenOutcome =
  | { ok: true; answer: TokenAnswer }
  /** The endpoint answered with an OAuth error (`invalid_grant`, `invalid_client`…). */
  | { ok: false; refused: true; error: string; description: string; status: number }
  /** No usable answer: network, timeout, a server error; `retryable` when trying later may work. */
  | { ok: false; refused: false; message: string; retryable: boolean };

/** How long one token request may take. */
const TOKEN_TIMEOUT_MS = 30_000;

/** What {@linkcode consentUrl} needs. */
export interface ConsentRequest {
  /** The consent page (`<platform>.auth_uri`). */
  authUri: string;
  /** The app's client id. */
  clientId: string;
  /** Where the browser comes back, exactly as registered with the app. */
  redirectUri: string;
  /** The scopes asked for. */
  scopes: readonly string[];
  /** A random value the redirect must bring back unchanged. */
  state: string;
  /** The PKCE S256 challenge, for X. @default none (LinkedIn) */
  codeChallenge?: string;
}

/** The consent address: code flow, client id, redirect, scopes, state, and PKCE when given. */
export function consentUrl(request: ConsentRequest): string {
  const url = new URL(request.authUri);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", request.clientId);
  url.searchParams.set("redirect_uri", request.redirectUri);
  url.searchParams.set("scope", request.scopes.join(" "));
  url.searchParams.set("state", request.state);
  if (request.codeChallenge !== undefined) {
    url.searchParams.set("code_challenge", request.codeChallenge);
    url.searchParams.set("code_challenge_method", "S256");
  }
  return url.href;
}

/** A fresh PKCE pair: the verifier kept here, the S256 challenge sent in the consent address. */
export async function pkcePair(): Promise<{ verifier: string; challenge: string }> {
  const verifier = oauth.generateRandomCodeVerifier();
  return { verifier, challenge: await oauth.calculatePKCECodeChallenge(verifier) };
}

/** A random `state`. */
export function randomState(): string {
  return oauth.generateRandomState();
}

/** What {@linkcode exchangeCode} needs. */
export interface CodeExchange {
  /** The consent page, naming the authorization server. */
  authUri: string;
  /** The token endpoint (`<platform>.token_uri`). */
  tokenUri: string;
  /** The app. */
  client: OAuthClient;
  /** The redirect's query, its `state` already checked by the caller. */
  callback: URLSearchParams;
  /** The state sent (checked again by the library). */
  state: string;
  /** The redirect address, exactly as in the consent address. */
  redirectUri: string;
  /** The PKCE verifier (X). @default none */
  codeVerifier?: string;
  /** The fetch requests go through (a fake in tests). @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** Exchanges an authorization code at the token endpoint. */
export async function exchangeCode(
  platform: SocialPlatform,
  request: CodeExchange,
): Promise<TokenOutcome> {
  const server = authorizationServer(platform, request.authUri, request.tokenUri);
  return await tokenRequest(platform, {
    ...request,
    server,
    send: (client, auth, options) =>
      oauth.authorizationCodeGrantRequest(
        server,
        client,
        auth,
        oauth.validateAuthResponse(server, client, request.callback, request.state),
        request.redirectUri,
        request.codeVerifier ?? oauth.nopkce,
        options,
      ),
    read: (client, response) => oauth.processAuthorizationCodeResponse(server, client, response),
  });
}

/** What {@linkcode refreshGrant} needs. */
export interface RefreshRequest {
  /** The token endpoint. */
  tokenUri: string;
  /** The app the token was issued to. */
  client: OAuthClient;
  /** The refresh token. */
  refreshToken: string;
  /** The fetch requests go through (a fake in tests). @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** Renews an access token with a refresh token. */
export async function refreshGrant(
  platform: SocialPlatform,
  request: RefreshRequest,
): Promise<TokenOutcome> {
  const server = authorizationServer(platform, request.tokenUri, request.tokenUri);
  return await tokenRequest(platform, {
    ...request,
    server,
    send: (client, auth, options) =>
      oauth.refreshTokenGrantRequest(server, client, auth, request.refreshToken, options),
    read: (client, response) => oauth.processRefreshTokenResponse(server, client, response),
  });
}

/** One request to the token endpoint: how it is sent and how its answer is read. */
interface TokenRequest {
  /** The token endpoint. */
  tokenUri: string;
  /** The app. */
  client: OAuthClient;
  /** The fetch requests go through. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** The authorization server, as the library wants it. */
  server: oauth.AuthorizationServer;
  /** Sends the grant with the app's authentication and the request options. */
  send(
    client: oauth.Client,
    auth: oauth.ClientAuth,
    options: ReturnType<typeof requestOptions>,
  ): Promise<Response>;
  /** Reads the (normalized) answer. */
  read(client: oauth.Client, response: Response): Promise<oauth.TokenEndpointResponse>;
}

/** Sends a token request and reads its answer; any failure becomes a {@linkcode TokenOutcome}. */
async function tokenRequest(
  platform: SocialPlatform,
  request: TokenRequest,
): Promise<TokenOutcome> {
  const client = { client_id: request.client.clientId };
  try {
    const response = await request.send(
      client,
      clientAuth(platform, request.client),
      requestOptions(request.tokenUri, request.fetch),
    );
    const answer = await request.read(client, await normalized(response));
    return { ok: true, answer: answerOf(answer) };
  } catch (error) {
    return failure(error, request.tokenUri);
  }
}

/**
 * The authorization server as the library wants it. Its issuer matters only if the redirect
 * carries `iss`: LinkedIn's is its consent page's folder (`https://www.linkedin.com/oauth`), X's
 * its origin.
 */
function authorizationServer(
  platform: SocialPlatform,
  authUri: string,
  tokenUri: string,
): oauth.AuthorizationServer {
  const auth = new URL(authUri);
  const issuer = platform === "linkedin" && auth.pathname.endsWith("/v2/authorization")
    ? `${auth.origin}${auth.pathname.slice(0, -"/v2/authorization".length)}`
    : auth.origin;
  return { issuer, authorization_endpoint: authUri, token_endpoint: tokenUri };
}

/**
 * How the app proves itself: LinkedIn wants the secret in the form; X a confidential client's
 * secret as HTTP Basic, a public client's id alone in the form.
 */
function clientAuth(platform: SocialPlatform, client: OAuthClient): oauth.ClientAuth {
  if (client.clientSecret === undefined) return oauth.None();
  return platform === "linkedin"
    ? oauth.ClientSecretPost(client.clientSecret)
    : oauth.ClientSecretBasic(client.clientSecret);
}

/** Plain http only to this machine (a test or a local proxy); anything else must be https. */
function requestOptions(tokenUri: string, fetchImpl?: typeof fetch) {
  const url = new URL(tokenUri);
  const loopback = ["127.0.0.1", "[::1]", "localhost"].includes(url.hostname);
  return {
    [oauth.allowInsecureRequests]: url.protocol === "http:" && loopback,
    [oauth.customFetch]: fetchImpl ?? globalThis.fetch,
    signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS),
  };
}

/**
 * The answer with what aiemp does not use taken out before the library reads it: the ID token
 * (who signed in is asked of the API instead; LinkedIn has changed its ID token's issuer before,
 * and the library would refuse the whole answer for it), and `token_type` added where the
 * answer leaves it out (LinkedIn's documented answers do; its tokens are Bearer tokens).
 */
async function normalized(response: Response): Promise<Response> {
  if (response.status !== 200) return response;
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return new Response(text, response);
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return new Response(text, response);
  }
  const { id_token: _unused, ...rest } = body as Record<string, unknown>;
  if (rest.token_type === undefined) rest.token_type = "bearer";
  return Response.json(rest, { status: response.status });
}

function answerOf(answer: oauth.TokenEndpointResponse): TokenAnswer {
  const scopes = answer.scope?.split(/[\s,]+/).filter(Boolean);
  return {
    accessToken: answer.access_token,
    ...(answer.expires_in !== undefined ? { expiresIn: answer.expires_in } : {}),
    ...(answer.refresh_token ? { refreshToken: answer.refresh_token } : {}),
    ...(scopes?.length ? { scopes } : {}),
  };
}

/** A failed request as a {@linkcode TokenOutcome}, from the library's error. */
function failure(error: unknown, tokenUri: string): TokenOutcome & { ok: false } {
  if (error instanceof oauth.ResponseBodyError) {
    return {
      ok: false,
      refused: true,
      error: error.error,
      description: (error.error_description ?? "").slice(0, 200),
      status: error.status,
    };
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    const said = error.cause.find((challenge) => challenge.parameters.error);
    return {
      ok: false,
      refused: true,
      error: said?.parameters.error ?? `HTTP ${error.status}`,
      description: (said?.parameters.error_description ?? "").slice(0, 200),
      status: error.status,
    };
  }
  const status = error instanceof oauth.OperationProcessingError && error.cause instanceof Response
    ? error.cause.status
    : undefined;
  const said = error instanceof Error ? error.message : String(error);
  if (error instanceof oauth.OperationProcessingError && status === undefined) {
    return { ok: false, refused: false, message: said, retryable: false };
  }
  return {
    ok: false,
    refused: false,
    message: status === undefined
      ? `cannot reach ${tokenUri}: ${said}`
      : `${tokenUri} answered HTTP ${status}`,
    retryable: status === undefined || status === 429 || status >= 500,
  };
}
