import {
  ActionInputError,
  type ActionResult,
  type ActionType,
  type ApprovedItem,
} from "./types.ts";

interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  idempotent: boolean;
}

/**
 * `webhook`: an HTTP POST of JSON to the item's `url`, or to a URL named under `webhooks:` in
 * aiemp.yaml (`webhook: NAME`) — for Slack, Discord, ntfy, n8n and the like.
 *
 * The body is the item's `payload` verbatim when it has one, else its id, action, front matter
 * and Markdown body. The `Idempotency-Key` header is the item's id.
 */
export const webhookAction: ActionType = {
  name: "webhook",
  prefixes: ["WEBHOOK_"],

  idempotent: (item) => item.frontMatter.idempotent === true,

  prepare(item, settings) {
    const url = webhookUrl(item, settings.webhooks);
    const payload = "payload" in item.frontMatter
      ? item.frontMatter.payload
      : { id: item.id, action: item.action, fields: withoutUrl(item.frontMatter), body: item.body };
    const body = JSON.stringify(payload);
    const headers = {
      "content-type": "application/json",
      "idempotency-key": item.id,
      "user-agent": settings.userAgent,
    };
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
      // The path and query of a webhook URL often hold its token: only the origin is recorded.
      summary: { method: "POST", url: `${url.origin}/…`, headers, body: payload },
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

function webhookUrl(item: ApprovedItem, named: Readonly<Record<string, string>>): URL {
  const { url, webhook } = item.frontMatter;
  let text: string;
  if (typeof webhook === "string" && webhook !== "") {
    if (!(webhook in named)) {
      const known = Object.keys(named);
      throw new ActionInputError(
        `webhook '${webhook}' is not defined under 'webhooks:' in aiemp.yaml` +
          (known.length ? ` (defined: ${known.join(", ")})` : "; add it there or give a 'url:'"),
      );
    }
    text = named[webhook];
  } else if (typeof url === "string" && url !== "") {
    text = url;
  } else {
    throw new ActionInputError(
      "a webhook needs 'url: https://…' or 'webhook: NAME' in its front matter",
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new ActionInputError(
      "the webhook's 'url' is not a valid URL; write it as https://host/path",
    );
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new ActionInputError(
      `the webhook's URL must start with http:// or https://, not ${parsed.protocol}//`,
    );
  }
  return parsed;
}

function failedToConnect(error: unknown, idempotent: boolean): ActionResult {
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
