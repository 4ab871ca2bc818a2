import type { SecretStore } from "../secrets/mod.ts";
import { GmailAuthError } from "./errors.ts";

/** What the Gmail client needs to act for the owner. */
export interface GmailCredentials {
  /** The OAuth client (the owner's "Desktop app" client in Google Cloud). */
  clientId: string;
  /** Its secret (Google calls it a secret; for installed apps it is not really one). */
  clientSecret?: string;
  /** The owner's long-lived grant. */
  refreshToken: string;
}

/** The secrets that hold Gmail's credentials, in `.aiemp/secrets/`. */
export const GMAIL_SECRETS = {
  /** The OAuth client: Google's downloaded `credentials.json`, or `{client_id, client_secret}`. */
  client: "gmail_client.json",
  /** The grant: Google's `token.json` (authorized user), or `{refresh_token}`. */
  token: "gmail_token.json",
  /** A plain refresh token (for a proxy set-up without a consent screen). */
  refreshToken: "gmail_refresh_token",
} as const;

/**
 * Reads the OAuth client out of Google's `credentials.json` (`installed` or `web`), an
 * authorized-user `token.json` (which carries the client too), or a plain `{client_id, …}`.
 */
export function clientOf(text: string): { clientId: string; clientSecret?: string } | undefined {
  const data = parsed(text);
  const inner = data?.installed ?? data?.web ?? data;
  const clientId = inner?.client_id;
  if (typeof clientId !== "string" || clientId === "") return undefined;
  const secret = inner.client_secret;
  return { clientId, clientSecret: typeof secret === "string" ? secret : undefined };
}

/** Reads the refresh token out of a `token.json` (or `{refresh_token}`), or a plain token line. */
export function refreshTokenOf(text: string): string | undefined {
  const data = parsed(text);
  if (data === undefined) {
    const line = text.trim();
    return /^[\w./+=:-]{10,}$/.test(line) ? line : undefined;
  }
  const token = data.refresh_token;
  return typeof token === "string" && token !== "" ? token : undefined;
}

// deno-lint-ignore no-explicit-any
function parsed(text: string): Record<string, any> | undefined {
  try {
    const data = JSON.parse(text);
    return data && typeof data === "object" ? data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The owner's Gmail credentials from the secrets: the client from `gmail_client.json` (or from
 * `gmail_token.json` when it is an authorized-user file that carries one), the grant from
 * `gmail_token.json` or `gmail_refresh_token`. Throws {@linkcode GmailAuthError} naming
 * `aiemp auth gmail` when any is missing or unreadable (a permission problem keeps its own fix).
 */
export function readGmailCredentials(secrets: SecretStore): GmailCredentials {
  const optional = (name: string) => {
    try {
      return secrets.read(name);
    } catch (error) {
      if (error instanceof Error && /Cannot find the secret/.test(error.message)) return undefined;
      throw error;
    }
  };
  const tokenText = optional(GMAIL_SECRETS.token);
  const clientText = optional(GMAIL_SECRETS.client);
  const client = (clientText && clientOf(clientText)) || (tokenText && clientOf(tokenText));
  const refreshToken = (tokenText && refreshTokenOf(tokenText)) ||
    refreshTokenOf(optional(GMAIL_SECRETS.refreshToken) ?? "");
  if (!client) {
    throw new GmailAuthError(
      `Gmail is not set up: no OAuth client in .aiemp/secrets/${GMAIL_SECRETS.client}; run ` +
        "'aiemp auth gmail --client credentials.json' (see the README's Gmail set-up)",
    );
  }
  if (!refreshToken) {
    throw new GmailAuthError(
      `Gmail is not signed in: no refresh token in .aiemp/secrets/${GMAIL_SECRETS.token}; run ` +
        "'aiemp auth gmail'",
    );
  }
  return { ...client, refreshToken };
}
