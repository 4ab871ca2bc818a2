import {
  ActionInputError,
  type ActionResult,
  type ActionSettings,
  type ActionType,
  type ApprovedItem,
  type PreparedAction,
} from "./types.ts";

interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  idempotent: boolean;
}

/**
 * `webhook`: an HTTP POST of JSON to the item's `url`, or to a webhook named under `webhooks:` in
 * aiemp.yaml (`webhook: NAME`) — for Slack, Discord, ntfy, n8n and the like. A named webhook may
 * keep its URL in a secret (`url_secret`) and send a secret as a Bearer token (`token_secret`);
 * records show `[secret NAME]`, never the value.
 *
 * The body is the item's `payload` verbatim when it has one, else its id, action, front matter
 * and Markdown body. The `Idempotency-Key` header is the item's id.
 */
export const webhookAction: ActionType<PreparedAction> = {
  name: "webhook",
  prefixes: ["WEBHOOK_"],

  idempotent: (item) => item.frontMatter.idempotent === true,

  prepare(item, settings) {
    const target = webhookTarget(item, settings);
    const { url } = target;
    const payload = "payload" in item.frontMatter
      ? item.frontMatter.payload
      : { id: item.id, action: item.action, fields: withoutUrl(item.frontMatter), body: item.body };
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "idempotency-key": item.id,
      "user-agent": settings.userAgent,
    };
    const shownHeaders = { ...headers };
    if (target.token) {
      headers.authorization = `Bearer ${target.token.value}`;
      shownHeaders.authorization = `Bearer [secret ${target.token.name}]`;
    }
    const port = url.port || (url.protocol === "https:" ? "443" : "80");
    const request: WebhookRequest = {
      url: url.href,
      headers,
      body,
      idempotent: webhookAction.idempotent(item),
    };
    return {
      hosts: [`${url.hostname}:${port}`],
      readable: [],
      // The path and query of a webhook URL often hold its token: only the origin is recorded,
      // and nothing of a URL kept as a secret.
      summary: { method: "POST", url: target.shownUrl, headers: shownHeaders, body: payload },
      request,
    };
  },

  async perform(request, signal) {
    const { url, headers, body, idempotent } = request as WebhookRequest;
    let response: Response;
    try {
      response = await fetch(url, { method: "POST", headers, body, signal });
    } catch (error) {
      return failedToConnect(error, idempotent);
    }
    const text = await response.text().catch(() => "");
    if (response.ok) {
      return {
        ok: true,
        remoteId: response.headers.get("x-request-id") ?? jsonId(text),
        detail: `HTTP ${response.status}`,
      };
    }
    // 429 and 503 say the request was not processed; other 5xx may have been.
    const refused = response.status === 429 || response.status === 503;
    const serverError = response.status >= 500;
    return {
      ok: false,
      retryable: refused || (serverError && idempotent),
      reason: `the webhook answered HTTP ${response.status}${
        text ? `: ${text.slice(0, 200)}` : ""
      }`,
    };
  },
};

/** Where a webhook goes: its URL, how a record shows it, and the Bearer token to send. */
interface WebhookTarget {
  url: URL;
  shownUrl: string;
  token?: { name: string; value: string };
}

function webhookTarget(item: ApprovedItem, settings: ActionSettings): WebhookTarget {
  const { url, webhook } = item.frontMatter;
  if (typeof webhook === "string" && webhook !== "") {
    return namedTarget(webhook, settings);
  }
  if (typeof url === "string" && url !== "") {
    return shownByOrigin(parseUrl(url, "the webhook's 'url'"));
  }
  throw new ActionInputError(
    "a webhook needs 'url: https://…' or 'webhook: NAME' in its front matter",
  );
}

function namedTarget(name: string, settings: ActionSettings): WebhookTarget {
  const named = settings.webhooks;
  if (!Object.hasOwn(named, name)) {
    const known = Object.keys(named);
    throw new ActionInputError(
      `webhook '${name}' is not defined under 'webhooks:' in aiemp.yaml` +
        (known.length ? ` (defined: ${known.join(", ")})` : "; add it there or give a 'url:'"),
    );
  }
  const entry = named[name];
  if (typeof entry === "string") {
    return shownByOrigin(parseUrl(entry, `the URL of webhook '${name}'`));
  }
  const { url, url_secret: urlSecret, token_secret: tokenSecret } = entry;
  let target: WebhookTarget;
  if (url !== undefined && urlSecret === undefined) {
    target = shownByOrigin(parseUrl(url, `the URL of webhook '${name}'`));
  } else if (urlSecret !== undefined && url === undefined) {
    const text = settings.secret(urlSecret);
    target = {
      url: parseUrl(text, `the secret '${urlSecret}' (the URL of webhook '${name}')`),
      shownUrl: `[secret ${urlSecret}]`,
    };
  } else {
    throw new ActionInputError(
      `webhook '${name}' in aiemp.yaml needs exactly one of 'url:' and 'url_secret:'`,
    );
  }
  if (tokenSecret !== undefined) {
    target.token = { name: tokenSecret, value: settings.secret(tokenSecret) };
    if (/[\r\n]/.test(target.token.value)) {
      throw new ActionInputError(
        `the secret '${tokenSecret}' (webhook '${name}') has a line break inside; a token is one line`,
      );
    }
  }
  return target;
}

/** A target recorded by its origin only: a URL's path and query often hold its token. */
function shownByOrigin(url: URL): WebhookTarget {
  return { url, shownUrl: `${url.origin}/…` };
}

/** Parses an http(s) URL; `what` names it in the error, which never shows the text itself. */
function parseUrl(text: string, what: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new ActionInputError(`${what} is not a valid URL; write it as https://host/path`);
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new ActionInputError(
      `${what} must start with http:// or https://, not ${parsed.protocol}//`,
    );
  }
  return parsed;
}

function failedToConnect(error: unknown, idempotent: boolean): ActionResult {
  if (error instanceof Deno.errors.NotCapable) {
    // The sandbox stopped a connection elsewhere: the webhook redirected to another host.
    const elsewhere = /access to "([^"]+)"/.exec(error.message)?.[1] ?? "another address";
    return {
      ok: false,
      retryable: false,
      reason: `the webhook redirected to ${elsewhere}, which this approval does not reach (an ` +
        "action may contact only the host of its own URL); nothing was sent there. Put the " +
        "final address in 'url:' and approve it again",
    };
  }
  const cause = error instanceof Error && error.cause ? String(error.cause) : "";
  const text = `${error instanceof Error ? error.message : String(error)}${
    cause ? `: ${cause}` : ""
  }`;
  // A failure while connecting (refused, no such host) never carried the request.
  const neverSent = /\(Connect\)|connection refused|dns error|failed to lookup/i.test(text);
  const aborted = error instanceof DOMException && error.name === "AbortError";
  // The request URL is left out of the reason: its path or query may hold a token.
  const why = text.split("\n")[0].replace(/ for url \([^)]*\)/, "");
  return {
    ok: false,
    retryable: neverSent || idempotent,
    reason: aborted
      ? "the webhook did not answer in time; it may have received the request"
      : `cannot reach the webhook: ${why}`,
  };
}

function jsonId(text: string): string | undefined {
  try {
    const value = JSON.parse(text);
    const id = value?.id ?? value?.message_id ?? value?.ts;
    return id === undefined ? undefined : String(id);
  } catch {
    return undefined;
  }
}

/** The front matter without `url`: the remote knows its own address, and it may hold a token. */
function withoutUrl(frontMatter: Record<string, unknown>): Record<string, unknown> {
  const { url: _url, ...fields } = frontMatter;
  return fields;
}
