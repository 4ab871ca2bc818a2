/**
 * Signing the owner in to LinkedIn or X for `aiemp auth`: the OAuth 2 authorization code flow with
 * a loopback redirect (`/callback` on the port registered with the app), PKCE S256 for X, a random
 * `state` checked before anything else, and the code exchanged at the token endpoint with
 * oauth4webapi. Loaded only by that command.
 * @module
 */
import { listenOnLoopback, type RedirectCheck, waitForConsent } from "../consent/mod.ts";
import {
  consentUrl,
  exchangeCode,
  type OAuthClient,
  pkcePair,
  randomState,
  type TokenAnswer,
} from "./_oauth.ts";
import { SOCIAL_LABELS, type SocialPlatform } from "./types.ts";

export type { OAuthClient, TokenAnswer } from "./_oauth.ts";

/** How long the flow waits for the owner's browser to come back. */
export const SOCIAL_CONSENT_TIMEOUT_MS = 5 * 60_000;

/** The platforms with a consent flow; Facebook and Instagram take a pasted token only. */
export type OAuthPlatform = Extract<SocialPlatform, "linkedin" | "x">;

/** What each platform's consent asks for and where it comes back. */
export const SOCIAL_OAUTH: Readonly<
  Record<OAuthPlatform, { scopes: readonly string[]; host: string; pkce: boolean }>
> = Object.freeze({
  /** LinkedIn matches the registered redirect exactly, host name included. */
  linkedin: { scopes: ["openid", "profile", "w_member_social"], host: "localhost", pkce: false },
  /** X: `offline.access` brings a refresh token. */
  x: {
    scopes: ["tweet.read", "tweet.write", "users.read", "media.write", "offline.access"],
    host: "127.0.0.1",
    pkce: true,
  },
});

/** Options of {@linkcode runSocialConsent}. */
export interface SocialConsentOptions {
  /** The consent page (`<platform>.auth_uri`). */
  authUri: string;
  /** The token endpoint (`<platform>.token_uri`). */
  tokenUri: string;
  /** The owner's app. */
  client: OAuthClient;
  /** The port of the registered redirect `http://<host>:<port>/callback`; 0 picks a free one. */
  port: number;
  /** The scopes asked for. @default the platform's, see {@linkcode SOCIAL_OAUTH} */
  scopes?: readonly string[];
  /** Shown the consent address and the redirect address once they are known. */
  show(consentUrl: string, redirectUri: string): void;
  /** The command to run again, named in the messages. */
  again: string;
  /** Addresses the owner pastes from a browser that could not reach this machine. @default none */
  pasted?: AsyncIterable<string>;
  /** How long to wait for the redirect. @default {@linkcode SOCIAL_CONSENT_TIMEOUT_MS} */
  timeoutMs?: number;
  /** The fetch requests go through (a fake in tests). @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** How the consent ended: the token endpoint's answer, or one line saying what to do. */
export type SocialConsentOutcome =
  | { ok: true; answer: TokenAnswer }
  | { ok: false; message: string };

/**
 * Runs the consent: listens on the loopback redirect, shows the consent address, waits (at most
 * `timeoutMs`) for the browser to come back, answers it with a page saying the tab can be closed,
 * checks `state` (an answer with another state is refused and never used), and exchanges the
 * code (with the PKCE verifier for X). Expected failures come back as `{ ok: false }`.
 */
export async function runSocialConsent(
  platform: OAuthPlatform,
  options: SocialConsentOptions,
): Promise<SocialConsentOutcome> {
  const label = SOCIAL_LABELS[platform];
  const setup = SOCIAL_OAUTH[platform];
  const again = `run '${options.again}' again and open the address it prints then`;
  const state = randomState();
  const pkce = setup.pkce ? await pkcePair() : undefined;
  const waited = await waitForConsent({
    check: redirectCheck(state, { label, again }),
    listen: (handler) =>
      listenOnLoopback(handler, { host: setup.host, port: options.port, path: "/callback" }),
    show: (redirectUri) =>
      options.show(
        consentUrl({
          authUri: options.authUri,
          clientId: options.client.clientId,
          redirectUri,
          scopes: options.scopes ?? setup.scopes,
          state,
          codeChallenge: pkce?.challenge,
        }),
        redirectUri,
      ),
    pasted: options.pasted,
    timeoutMs: options.timeoutMs ?? SOCIAL_CONSENT_TIMEOUT_MS,
  });
  if (!waited.ok) {
    const error = waited.listenError;
    const busy = error instanceof Deno.errors.AddrInUse;
    return {
      ok: false,
      message: `Cannot listen on ${setup.host}:${options.port} for the redirect (${
        busy ? "the port is in use" : error instanceof Error ? error.message : error
      }); give another --port and register http://${setup.host}:PORT/callback with the app`,
    };
  }
  const { answer, redirectUri } = waited;
  if (answer.kind === "failed") return { ok: false, message: answer.message };
  const outcome = await exchangeCode(platform, {
    authUri: options.authUri,
    tokenUri: options.tokenUri,
    client: options.client,
    callback: answer.query,
    state,
    redirectUri,
    codeVerifier: pkce?.verifier,
    fetch: options.fetch,
  });
  if (outcome.ok) return outcome;
  if (!outcome.refused) {
    return {
      ok: false,
      message:
        `Could not exchange the authorization code (${outcome.message}); check ${platform}.token_uri and the network, then ${again}`,
    };
  }
  const said = [outcome.error, outcome.description].filter(Boolean).join(": ");
  const client = outcome.error === "invalid_client" || outcome.error === "unauthorized_client";
  return {
    ok: false,
    message: client
      ? `${label} refused the app's credentials (${said}); check --client-id and the client secret in the app's settings, then ${again}`
      : `${label} refused the authorization code (${said}); ${again}`,
  };
}

/**
 * How the redirect to `/callback` is read, and the platform's `error` worded: the owner refusing
 * (or cancelling) the consent, or the platform refusing the request.
 */
function redirectCheck(
  state: string,
  { label, again }: { label: string; again: string },
): RedirectCheck<"denied" | "consent_error"> {
  return {
    state,
    path: "/callback",
    again,
    refused: (error, said) =>
      ["access_denied", "user_cancelled_login", "user_cancelled_authorize"].includes(error)
        ? {
          problem: "denied",
          message: `The consent was refused on ${label} (${said}); ${again} and approve`,
        }
        : {
          problem: "consent_error",
          message:
            `${label} did not give consent (${said}); check the app's settings (redirect address, products, scopes), then ${again}`,
        },
  };
}
