/**
 * The loopback listener the owner's browser is sent back to after a consent page, and the page it
 * shows there.
 * @module
 */

/** Answers one request to the loopback address. */
export type RedirectHandler = (url: URL) => Response;

/** A listener for the redirect; see {@linkcode listenOnLoopback}. */
export interface RedirectListener {
  /** The `redirect_uri`: `http://HOST:PORT` followed by the path listened for. */
  redirectUri: string;
  /** Stops listening, after answering the requests in flight. */
  close(): Promise<void>;
}

/** Where {@linkcode listenOnLoopback} listens. */
export interface LoopbackOptions {
  /**
   * The host name in the redirect address: `127.0.0.1`, or `localhost` where the app registered
   * it so. @default "127.0.0.1"
   */
  host?: string;
  /** The port; 0 picks a free one. @default 0 */
  port?: number;
  /** The path of the redirect address, after the port: "" or "/callback". @default "" */
  path?: string;
}

/**
 * Listens on the loopback address (GET only; anything else is answered 405). `localhost` may be
 * either address family in the browser, so for it the listener takes 127.0.0.1 and, where there
 * is one, ::1 on the same port. Throws as `Deno.serve` does when the port is taken
 * (`Deno.errors.AddrInUse`).
 *
 * @example
 * ```ts
 * const listener = listenOnLoopback(() => new Response("ok"), { path: "/callback" });
 * // listener.redirectUri: "http://127.0.0.1:PORT/callback"
 * await listener.close();
 * ```
 */
export function listenOnLoopback(
  handler: RedirectHandler,
  options: LoopbackOptions = {},
): RedirectListener {
  const { host = "127.0.0.1", port = 0, path = "" } = options;
  const serve = (hostname: string, at: number) =>
    Deno.serve(
      { hostname, port: at, onListen: () => {} },
      (request) =>
        request.method === "GET"
          ? handler(new URL(request.url))
          : new Response("Method Not Allowed", { status: 405 }),
    );
  const first = serve("127.0.0.1", port);
  const servers = [first];
  if (host === "localhost") {
    try {
      servers.push(serve("::1", first.addr.port));
    } catch { /* no IPv6 loopback here: 127.0.0.1 alone */ }
  }
  return {
    redirectUri: `http://${host}:${first.addr.port}${path}`,
    close: async () => {
      await Promise.all(servers.map((server) => server.shutdown()));
    },
  };
}

/**
 * The page the owner's browser shows after the redirect: 404 for what is not the redirect, else
 * a page saying the tab can be closed (200 with the code, 400 without).
 */
export function closingPage(kind: "code" | "failed" | "not_redirect"): Response {
  if (kind === "not_redirect") return new Response("Not Found", { status: 404 });
  const [title, text] = kind === "code"
    ? ["aiemp received your approval", "You can close this tab and return to the terminal."]
    : ["aiemp could not sign in", "You can close this tab; the terminal says what to do."];
  const html = `<!doctype html><meta charset="utf-8"><title>${title}</title>` +
    `<body style="font-family:sans-serif;margin:3em"><h1>${title}</h1><p>${text}</p></body>`;
  return new Response(html, {
    status: kind === "code" ? 200 : 400,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "referrer-policy": "no-referrer",
    },
  });
}
