/**
 * Where the Gmail client connects, and what a Worker running it needs: Google's endpoints as
 * defaults, the tokeninfo address derived from the token endpoint, the `host:port` list for a
 * Worker's `net` permission, and the environment variables the Google libraries read.
 * @module
 */

/** Google's Gmail API root (the libraries' `rootUrl`); the default of `gmail.api_root`. */
export const GOOGLE_GMAIL_API_ROOT = "https://gmail.googleapis.com/";
/** Google's OAuth 2 token endpoint; the default of `gmail.token_uri`. */
export const GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token";

/**
 * The environment variables that `@googleapis/gmail` and `google-auth-library` read through
 * Node's `process.env` while aiemp's client uses them. Under Deno, reading one that the Worker may
 * not read throws `NotCapable` (it does not give `undefined`), so a Worker running the client
 * needs exactly these in its `env` permission — found by running the client in a Worker with no
 * env permission and adding what each NotCapable named.
 */
export const GMAIL_LIBRARY_ENV: readonly string[] = Object.freeze([
  // At import: google-logging-utils (loaded by gaxios, gcp-metadata) checks its debug switch.
  "GOOGLE_SDK_NODE_LOGGING",
  // At import: googleapis-common's HTTP/2 module reads its debug switch.
  "HTTP2_DEBUG",
  // Each API call: googleapis-common picks the "universe" domain of Google's endpoints.
  "GOOGLE_CLOUD_UNIVERSE_DOMAIN",
  // Each request (API and token): gaxios looks for a proxy, in this order…
  "HTTPS_PROXY",
  "https_proxy",
  "HTTP_PROXY",
  "http_proxy",
  // …and, only when one is set, for the hosts that bypass it.
  "NO_PROXY",
  "no_proxy",
]);

/**
 * The tokeninfo endpoint that goes with a token endpoint: `tokeninfo` beside it. For Google
 * (`…/token`) that is Google's own `https://oauth2.googleapis.com/tokeninfo`; for a fake or a
 * proxy it stays on the same host (so no extra `net` permission) and under the same path prefix.
 */
export function tokenInfoUriFor(tokenUri: string): string {
  return new URL("tokeninfo", tokenUri).href;
}

/** `host:port` of a URL, with the scheme's default port spelled out. */
export function hostPort(url: string): string {
  const parsed = new URL(url);
  const port = parsed.port || (parsed.protocol === "http:" ? "80" : "443");
  return `${parsed.hostname}:${port}`;
}

/** Where the client connects: the API root and the token (and tokeninfo) endpoint. */
export interface GmailEndpoints {
  /** The Gmail API root (`gmail.api_root`). */
  apiRoot: string;
  /** The OAuth 2 token endpoint (`gmail.token_uri`). */
  tokenUri: string;
  /** The tokeninfo endpoint. @default {@link tokenInfoUriFor}(tokenUri) */
  tokenInfoUri?: string;
}

/**
 * The hosts a Worker running the client must reach, as `host:port` for its `net` permission.
 *
 * @example
 * ```ts
 * gmailHosts({ apiRoot: GOOGLE_GMAIL_API_ROOT, tokenUri: GOOGLE_TOKEN_URI });
 * // ["gmail.googleapis.com:443", "oauth2.googleapis.com:443"]
 * ```
 */
export function gmailHosts(endpoints: GmailEndpoints): string[] {
  const urls = [
    endpoints.apiRoot,
    endpoints.tokenUri,
    endpoints.tokenInfoUri ?? tokenInfoUriFor(endpoints.tokenUri),
  ];
  return [...new Set(urls.map(hostPort))];
}

/**
 * Permissions of a Worker that runs the Gmail client: the Gmail and OAuth hosts, the libraries'
 * environment variables, the given paths, and nothing else (no sys, run, ffi or import: the
 * libraries need none of them, and they load from Deno's module cache without `read`).
 */
export function gmailWorkerPermissions(
  endpoints: GmailEndpoints,
  paths: { read?: string[]; write?: string[] } = {},
): Deno.PermissionOptionsObject {
  return {
    read: paths.read?.length ? paths.read : false,
    write: paths.write?.length ? paths.write : false,
    net: gmailHosts(endpoints),
    env: [...GMAIL_LIBRARY_ENV],
    sys: false,
    run: false,
    ffi: false,
    import: false,
  };
}
