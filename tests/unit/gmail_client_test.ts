/**
 * The Gmail client against a loopback fake of Gmail's REST API and Google's token endpoint,
 * driving the real `@googleapis/gmail` and `google-auth-library`: every call, pagination, token
 * refresh, rate limits, server errors, revoked credentials, and the client inside a Worker with
 * only the Gmail permissions. Waits between retries go to a recording fake sleep.
 */
import assert from "node:assert/strict";
import { createGmailClient, decodeBase64Url } from "../../src/gmail/client.ts";
import {
  checkGmail,
  DEFAULT_RETRY_POLICY,
  GMAIL_LIBRARY_ENV,
  GmailAuthError,
  type GmailClientOptions,
  GmailError,
  gmailHosts,
  GmailNetworkError,
  GmailRateLimit,
  type GmailRetry,
  GmailServerError,
  gmailWorkerPermissions,
  GOOGLE_GMAIL_API_ROOT,
  GOOGLE_TOKEN_URI,
  parseRetryAfter,
  retryDelay,
  tokenInfoUriFor,
} from "../../src/gmail/mod.ts";
import { type FakeGmail, type FakeGmailOptions, startFakeGmail } from "../fixtures/fake_gmail.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A client on the fake whose retry waits are recorded instead of slept. */
function clientOn(fake: FakeGmail, options: Partial<GmailClientOptions> = {}) {
  const sleeps: number[] = [];
  const retries: GmailRetry[] = [];
  const client = createGmailClient({
    clientId: fake.clientId,
    clientSecret: fake.clientSecret,
    refreshToken: fake.refreshToken,
    apiRoot: fake.apiRoot,
    tokenUri: fake.tokenUri,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    onRetry: (retry) => retries.push(retry),
    ...options,
  });
  return { client, sleeps, retries };
}

/** Runs `body` with a fresh fake and closes it afterwards. */
async function withFake(
  body: (fake: FakeGmail) => Promise<void>,
  options: FakeGmailOptions = {},
): Promise<void> {
  const fake = startFakeGmail(options);
  try {
    await body(fake);
  } finally {
    await fake.close();
  }
}

/** A port on 127.0.0.1 where nothing listens. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

const ATTACHMENT = Uint8Array.from({ length: 300 }, (_, i) => (i * 37 + 11) % 256);

/** Mail with a non-ASCII subject, text and HTML alternatives, and a binary attachment. */
const MIXED_MAIL = [
  "From: =?UTF-8?Q?Jos=C3=A9_Ruiz?= <jose@example.net>",
  "To: owner@example.com",
  "Subject: =?UTF-8?B?RmFjdHVyYSBuwrogNDI=?=",
  "Date: Tue, 14 May 2024 09:30:00 +0000",
  "Message-ID: <m1@example.net>",
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="outer"',
  "",
  "--outer",
  'Content-Type: multipart/alternative; boundary="inner"',
  "",
  "--inner",
  "Content-Type: text/plain; charset=UTF-8",
  "Content-Transfer-Encoding: quoted-printable",
  "",
  "Hola, adjunto la factura. Gracias =E2=80=94 Jos=C3=A9",
  "--inner",
  "Content-Type: text/html; charset=UTF-8",
  "",
  "<p>Hola, adjunto la <b>factura</b>.</p>",
  "--inner--",
  "--outer",
  'Content-Type: application/octet-stream; name="factura 42.bin"',
  'Content-Disposition: attachment; filename="factura 42.bin"',
  "Content-Transfer-Encoding: base64",
  "",
  ...(ATTACHMENT.toBase64().match(/.{1,76}/g) ?? []),
  "--outer--",
  "",
].join("\n");

function simpleMail(subject: string, date: string): string {
  return `From: a@example.net\nTo: owner@example.com\nSubject: ${subject}\nDate: ${date}\n\n${subject} body\n`;
}

Deno.test("listAllMessageIds() follows three pages and returns every id once, newest first", async () => {
  await withFake(async (fake) => {
    const added = Array.from(
      { length: 7 },
      (_, i) => fake.addMessage(simpleMail(`m${i}`, `Mon, 1 Apr 2024 10:0${i}:00 +0000`)).id,
    );
    fake.addMessage(simpleMail("read one", "Mon, 1 Apr 2024 11:00:00 +0000"), {
      labelIds: ["INBOX"],
    });
    const { client } = clientOn(fake);
    const ids = await client.listAllMessageIds("is:unread", { pageSize: 3 });
    assert.deepEqual(ids, added.toReversed());
    const lists = fake.requestsTo("list");
    assert.equal(lists.length, 3);
    assert.deepEqual(lists.map((r) => r.query.pageToken), [undefined, "page-3", "page-6"]);
    assert.ok(lists.every((r) => r.query.q === "is:unread" && r.query.maxResults === "3"));
  });
});

Deno.test("listMessageIds() gives one page and its nextPageToken; limit stops the walk", async () => {
  await withFake(async (fake) => {
    for (let i = 0; i < 5; i++) {
      fake.addMessage(simpleMail(`m${i}`, `Mon, 1 Apr 2024 10:0${i}:00 +0000`));
    }
    const { client } = clientOn(fake);
    const first = await client.listMessageIds("", { maxResults: 2 });
    assert.equal(first.ids.length, 2);
    assert.equal(first.nextPageToken, "page-2");
    const last = await client.listMessageIds("", { maxResults: 2, pageToken: "page-4" });
    assert.equal(last.ids.length, 1);
    assert.equal(last.nextPageToken, undefined);
    assert.deepEqual(await client.listMessageIds("nothing-matches-this"), { ids: [] });
    assert.equal((await client.listAllMessageIds("", { limit: 4, pageSize: 3 })).length, 4);
  });
});

Deno.test("getMessage(full) returns the MIME tree with headers, decoded bodies and attachment ids", async () => {
  await withFake(async (fake) => {
    const { id, threadId } = fake.addMessage(MIXED_MAIL);
    const { client } = clientOn(fake);
    const message = await client.getMessage(id, "full");
    assert.equal(message.id, id);
    assert.equal(message.threadId, threadId);
    assert.deepEqual(message.labelIds, ["INBOX", "UNREAD", "IMPORTANT"]);
    assert.equal(message.internalDate, String(Date.parse("2024-05-14T09:30:00Z")));
    const root = message.payload;
    assert.equal(root.mimeType, "multipart/mixed");
    assert.equal(
      root.headers.find((h) => h.name === "Subject")?.value,
      "=?UTF-8?B?RmFjdHVyYSBuwrogNDI=?=",
    );
    assert.deepEqual(root.parts?.map((p) => p.partId), ["0", "1"]);
    const [alternative, attachment] = root.parts!;
    assert.deepEqual(alternative.parts?.map((p) => [p.partId, p.mimeType]), [
      ["0.0", "text/plain"],
      ["0.1", "text/html"],
    ]);
    const text = decoder.decode(decodeBase64Url(alternative.parts![0].body.data!));
    assert.equal(text, "Hola, adjunto la factura. Gracias — José");
    assert.equal(message.snippet, text);
    assert.equal(attachment.filename, "factura 42.bin");
    assert.equal(attachment.body.size, ATTACHMENT.length);
    assert.equal(attachment.body.data, undefined);
    assert.ok(attachment.body.attachmentId);
  });
});

Deno.test("getMessage(raw) returns the RFC 822 bytes and getAttachment() the attachment's bytes", async () => {
  await withFake(async (fake) => {
    const { id } = fake.addMessage(MIXED_MAIL);
    const { client } = clientOn(fake);
    const raw = await client.getMessage(id, "raw");
    assert.equal(decoder.decode(raw.raw), MIXED_MAIL.replaceAll("\n", "\r\n"));
    assert.equal(raw.labelIds.length, 3);
    assert.equal(fake.requestsTo("get").at(-1)?.query.format, "raw");
    const full = await client.getMessage(id, "full");
    const attachmentId = full.payload.parts![1].body.attachmentId!;
    assert.deepEqual(await client.getAttachment(id, attachmentId), ATTACHMENT);
  });
});

Deno.test("modifyLabels() adds and removes labels and returns the labels now on the message", async () => {
  await withFake(async (fake) => {
    const { id } = fake.addMessage(simpleMail("label me", "Mon, 1 Apr 2024 10:00:00 +0000"));
    const { client } = clientOn(fake);
    const labels = await client.modifyLabels(id, ["Label_7"], ["UNREAD"]);
    assert.deepEqual(labels, ["INBOX", "IMPORTANT", "Label_7"]);
    assert.deepEqual(fake.labelsOf(id), labels);
  });
});

Deno.test("sendRaw() delivers the exact bytes in the given thread and returns the ids", async () => {
  await withFake(async (fake) => {
    const { threadId } = fake.addMessage(simpleMail("question", "Mon, 1 Apr 2024 10:00:00 +0000"));
    const { client } = clientOn(fake);
    const mime = encoder.encode(
      "To: a@example.net\r\nSubject: =?UTF-8?Q?Re:_pregunta_=C3=B1?=\r\n" +
        "In-Reply-To: <q@example.net>\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nSí — gracias\r\n",
    );
    const result = await client.sendRaw(mime, threadId);
    assert.equal(fake.sent.length, 1);
    assert.deepEqual(fake.sent[0].raw, mime);
    assert.equal(fake.sent[0].requestedThreadId, threadId);
    assert.deepEqual(result, { id: fake.sent[0].id, threadId });
    const fresh = await client.sendRaw(encoder.encode("To: b@example.net\r\n\r\nhi"));
    assert.equal(fake.sent[1].requestedThreadId, undefined);
    assert.equal(fresh.threadId, fresh.id);
  });
});

Deno.test("an access token refused with 401 is refreshed exactly once and the call succeeds", async () => {
  await withFake(async (fake) => {
    fake.addMessage(simpleMail("one", "Mon, 1 Apr 2024 10:00:00 +0000"));
    const { client, sleeps } = clientOn(fake);
    await client.listMessageIds("");
    assert.equal(fake.requestsTo("token").length, 1);
    fake.expireAccessTokens();
    assert.equal((await client.listMessageIds("")).ids.length, 1);
    assert.equal(fake.requestsTo("token").length, 2, "one refresh after the 401");
    assert.equal(fake.requestsTo("list").length, 3, "first call, refused call, retried call");
    assert.equal(fake.requestsTo("token")[1].form?.grant_type, "refresh_token");
    assert.deepEqual(sleeps, []);
  });
});

Deno.test("sendRaw() after a 401 refreshes and sends exactly once", async () => {
  await withFake(async (fake) => {
    const { client } = clientOn(fake);
    await client.profile();
    fake.expireAccessTokens();
    await client.sendRaw(encoder.encode("To: a@example.net\r\n\r\nonce"));
    assert.equal(fake.sent.length, 1);
    assert.equal(fake.requestsTo("token").length, 2);
  });
});

Deno.test("429 is retried after Retry-After seconds, for reads and for sends", async () => {
  await withFake(async (fake) => {
    const { client, sleeps, retries } = clientOn(fake);
    fake.failNext("list", 2, { status: 429, retryAfter: "1" });
    assert.deepEqual(await client.listMessageIds(""), { ids: [] });
    assert.deepEqual(sleeps, [1000, 1000]);
    assert.ok(retries.every((r) => r.error instanceof GmailRateLimit && r.error.status === 429));
    fake.failNext("send", 1, { status: 429, retryAfter: "1" });
    await client.sendRaw(encoder.encode("To: a@example.net\r\n\r\nafter a 429"));
    assert.equal(fake.sent.length, 1);
    assert.deepEqual(sleeps, [1000, 1000, 1000]);
  });
});

Deno.test("a Retry-After HTTP date is waited until; one beyond maxDelayMs is left to the caller", async () => {
  await withFake(async (fake) => {
    const now = Date.parse("2024-05-14T09:30:00Z");
    const { client, sleeps } = clientOn(fake, { now: () => now });
    fake.failNext("profile", 1, {
      status: 429,
      retryAfter: new Date(now + 1000).toUTCString(),
    });
    await client.profile();
    assert.deepEqual(sleeps, [1000]);
    const impatient = clientOn(fake, { retry: { maxDelayMs: 500 } });
    fake.failNext("list", 1, { status: 429, retryAfter: "1" });
    const error = await client429(impatient.client);
    assert.ok(error instanceof GmailRateLimit);
    assert.equal(error.retryAfterMs, 1000);
    assert.deepEqual(impatient.sleeps, []);
  });
});

async function client429(client: { listMessageIds(q: string): Promise<unknown> }) {
  return await client.listMessageIds("").then(() => undefined, (error) => error);
}

Deno.test("500 is retried with a doubling backoff for reads, up to maxAttempts", async () => {
  await withFake(async (fake) => {
    const { client, sleeps } = clientOn(fake);
    fake.failNext("list", 2, { status: 500 });
    await client.listMessageIds("");
    assert.deepEqual(sleeps, [500, 1000]);
    assert.equal(fake.requestsTo("list").length, 3);
    fake.failNext("get", 10, { status: 500 });
    await assert.rejects(client.getMessage("18f0a0000000", "full"), (error: unknown) => {
      assert.ok(error instanceof GmailServerError);
      assert.equal(error.status, 500);
      assert.match(error.message, /messages\.get failed on Google's side \(500: Backend Error\)/);
      return true;
    });
    assert.equal(fake.requestsTo("get").length, DEFAULT_RETRY_POLICY.maxAttempts);
  });
});

Deno.test("sendRaw() is not retried after a 500: the message may have gone out", async () => {
  await withFake(async (fake) => {
    const { client, sleeps } = clientOn(fake);
    fake.failNext("send", 1, { status: 500 });
    await assert.rejects(
      client.sendRaw(encoder.encode("To: a@example.net\r\n\r\nmaybe")),
      GmailServerError,
    );
    assert.equal(fake.requestsTo("send").length, 1);
    assert.deepEqual(sleeps, []);
  });
});

Deno.test("sendRaw() is retried when the connection is refused but not after a timeout", async () => {
  await withFake(async (fake) => {
    const refused = clientOn(fake, { apiRoot: `http://127.0.0.1:${closedPort()}/` });
    await assert.rejects(
      refused.client.sendRaw(encoder.encode("To: a@example.net\r\n\r\nx")),
      (error: unknown) => error instanceof GmailNetworkError && error.beforeSending,
    );
    assert.deepEqual(refused.sleeps, [500, 1000, 2000]);

    let release = () => {};
    const released = new Promise<void>((resolve) => release = resolve);
    let arrived = 0;
    const hanging = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async () => {
      arrived++;
      await released;
      return Response.json({ id: "late", threadId: "late" });
    });
    try {
      const slow = clientOn(fake, {
        apiRoot: `http://127.0.0.1:${hanging.addr.port}/`,
        timeoutMs: 50,
      });
      await assert.rejects(
        slow.client.sendRaw(encoder.encode("To: a@example.net\r\n\r\ny")),
        (error: unknown) => error instanceof GmailNetworkError && !error.beforeSending,
      );
      assert.equal(arrived, 1);
      assert.deepEqual(slow.sleeps, []);
      await assert.rejects(slow.client.listMessageIds(""), GmailNetworkError);
      assert.equal(arrived, 1 + DEFAULT_RETRY_POLICY.maxAttempts, "reads are retried");
    } finally {
      release();
      await hanging.shutdown();
    }
  });
});

Deno.test("a revoked refresh token ends in GmailAuthError naming `aiemp auth gmail`, unretried", async () => {
  await withFake(async (fake) => {
    const { client, sleeps } = clientOn(fake);
    await client.profile();
    fake.revokeRefreshToken();
    for (const call of [() => client.listMessageIds(""), () => client.tokenInfo()]) {
      await assert.rejects(call(), (error: unknown) => {
        assert.ok(error instanceof GmailAuthError);
        assert.match(error.message, /invalid_grant: Token has been expired or revoked/);
        assert.match(error.message, /run `aiemp auth gmail`/);
        return true;
      });
    }
    assert.deepEqual(sleeps, []);
    const stranger = clientOn(fake, { refreshToken: "never-issued" });
    await assert.rejects(stranger.client.profile(), GmailAuthError);
    assert.throws(() => clientOn(fake, { refreshToken: "" }), /aiemp auth gmail/);
  });
});

Deno.test("a 403 for a missing scope is a GmailAuthError; other statuses keep Google's message", async () => {
  await withFake(async (fake) => {
    const { client } = clientOn(fake);
    // The library refreshes once on a 403 too, so the fake refuses twice.
    fake.failNext("send", 2, { status: 403 });
    await assert.rejects(
      client.sendRaw(encoder.encode("To: a@example.net\r\n\r\nz")),
      /needs a scope the token was not granted .*aiemp auth gmail/,
    );
    assert.equal(fake.sent.length, 0);
    await assert.rejects(client.getMessage("no-such-id", "full"), (error: unknown) => {
      assert.ok(error instanceof GmailError && !(error instanceof GmailAuthError));
      assert.equal(error.status, 404);
      assert.equal(
        error.message,
        "Gmail messages.get failed (404: Requested entity was not found.)",
      );
      return true;
    });
  });
});

Deno.test("profile() and tokenInfo() report the account and the token's scopes", async () => {
  const scopes = ["https://www.googleapis.com/auth/gmail.readonly"];
  await withFake(async (fake) => {
    const { client } = clientOn(fake);
    fake.addMessage(simpleMail("x", "Mon, 1 Apr 2024 10:00:00 +0000"));
    const profile = await client.profile();
    assert.equal(profile.emailAddress, "owner@example.com");
    assert.equal(profile.messagesTotal, 1);
    const info = await client.tokenInfo();
    assert.deepEqual(info.scopes, scopes);
    assert.equal(info.source, "token_response");
    assert.equal(fake.requestsTo("tokeninfo").length, 0);
  }, { scopes });
  await withFake(async (fake) => {
    const info = await clientOn(fake).client.tokenInfo();
    assert.deepEqual(info.scopes, scopes);
    assert.equal(info.source, "tokeninfo");
    assert.ok(info.expiresAt! > Date.now());
  }, { scopes, scopeInTokenResponse: false });
});

Deno.test("parseRetryAfter() reads seconds and HTTP dates; retryDelay() never repeats an unclear send", () => {
  const now = Date.parse("2024-05-14T09:30:00Z");
  assert.equal(parseRetryAfter("1", now), 1000);
  assert.equal(parseRetryAfter("Tue, 14 May 2024 09:30:02 GMT", now), 2000);
  assert.equal(parseRetryAfter("Tue, 14 May 2024 09:00:00 GMT", now), 0);
  assert.equal(parseRetryAfter("soon", now), undefined);
  assert.equal(parseRetryAfter(null, now), undefined);

  const server = new GmailServerError("x", { status: 503 });
  const limited = new GmailRateLimit("x", { status: 429, retryAfterMs: 1000 });
  const refused = new GmailNetworkError("x", true);
  const timedOut = new GmailNetworkError("x", false);
  assert.equal(retryDelay(server, 1, "idempotent"), 500);
  assert.equal(retryDelay(server, 3, "idempotent"), 2000);
  assert.equal(retryDelay(server, 4, "idempotent"), undefined);
  assert.equal(retryDelay(server, 1, "send"), undefined);
  assert.equal(retryDelay(timedOut, 1, "send"), undefined);
  assert.equal(retryDelay(timedOut, 1, "idempotent"), 500);
  assert.equal(retryDelay(refused, 1, "send"), 500);
  assert.equal(retryDelay(limited, 1, "send"), 1000);
  assert.equal(retryDelay(new GmailAuthError("x"), 1, "idempotent"), undefined);
});

Deno.test("gmailHosts() names Google's hosts by default and the tokeninfo sits beside the token endpoint", () => {
  assert.deepEqual(gmailHosts({ apiRoot: GOOGLE_GMAIL_API_ROOT, tokenUri: GOOGLE_TOKEN_URI }), [
    "gmail.googleapis.com:443",
    "oauth2.googleapis.com:443",
  ]);
  assert.equal(tokenInfoUriFor(GOOGLE_TOKEN_URI), "https://oauth2.googleapis.com/tokeninfo");
  assert.equal(
    tokenInfoUriFor("https://proxy.internal:8443/google/token"),
    "https://proxy.internal:8443/google/tokeninfo",
  );
});

Deno.test("in a Worker with only the Gmail permissions the client works; a missing host is NotCapable", async () => {
  await withFake(async (fake) => {
    const request = {
      clientId: fake.clientId,
      clientSecret: fake.clientSecret,
      refreshToken: fake.refreshToken,
      apiRoot: fake.apiRoot,
      tokenUri: fake.tokenUri,
    };
    const permissions = gmailWorkerPermissions(request);
    assert.deepEqual(permissions, {
      read: false,
      write: false,
      net: [fake.hostPort],
      env: [...GMAIL_LIBRARY_ENV],
      sys: false,
      run: false,
      ffi: false,
      import: false,
    });
    const check = await checkGmail(request, permissions);
    assert.ok(check.ok, JSON.stringify(check));
    assert.equal(check.profile.emailAddress, "owner@example.com");
    assert.equal(check.token.scopes.length, 2);

    const before = fake.requests.length;
    const elsewhere = await checkGmail(request, {
      ...permissions,
      net: [`127.0.0.1:${closedPort()}`],
    });
    assert.deepEqual(elsewhere.ok ? "ok" : elsewhere.name, "NotCapable");
    assert.equal(fake.requests.length, before, "nothing reached the fake");

    const withoutEnv = await checkGmail(request, {
      ...permissions,
      env: GMAIL_LIBRARY_ENV.filter((name) => name !== "GOOGLE_SDK_NODE_LOGGING"),
    });
    assert.ok(!withoutEnv.ok);
    assert.equal(withoutEnv.name, "NotCapable");
    assert.match(withoutEnv.message, /GOOGLE_SDK_NODE_LOGGING/);
  });
});

Deno.test("a failure at the token endpoint is named a token refresh of the call", async () => {
  await withFake(async (fake) => {
    const { client } = clientOn(fake, { retry: { maxAttempts: 1 } });
    fake.failNext("token", 1, { status: 401 });
    await assert.rejects(
      client.listMessageIds(""),
      /Google refused the stored Gmail credentials \(invalid_client: Unauthorized\)/,
    );
    fake.failNext("token", 10, { status: 503 });
    await assert.rejects(
      client.listMessageIds(""),
      /Gmail messages\.list \(token refresh\) failed on Google's side \(503: internal_failure: Backend Error\)/,
    );
    assert.equal(fake.requestsTo("token").length, 2, "the library's own token retries are off");
  });
});

Deno.test("a token refresh that fails with 5xx before a send is retried, then the send happens once", async () => {
  await withFake(async (fake) => {
    const { client, sleeps } = clientOn(fake);
    fake.failNext("token", 2, { status: 503, retryAfter: "1" });
    await client.sendRaw(encoder.encode("To: a@example.net\r\n\r\nafter the token came"));
    assert.deepEqual(sleeps, [1000, 1000]);
    assert.equal(fake.requestsTo("token").length, 3);
    assert.equal(fake.requestsTo("send").length, 1);
    assert.equal(fake.sent.length, 1);
  });
});

Deno.test("an aborted signal ends a retry wait with the signal's reason and sends nothing more", async () => {
  await withFake(async (fake) => {
    const controller = new AbortController();
    const reason = new Error("stopping");
    const { client } = clientOn(fake, {
      signal: controller.signal,
      sleep: () => {
        controller.abort(reason);
        return Promise.reject(reason);
      },
    });
    fake.failNext("list", 5, { status: 500 });
    await assert.rejects(client.listMessageIds(""), (error) => error === reason);
    assert.equal(fake.requestsTo("list").length, 1);
    await assert.rejects(client.profile(), (error) => error === reason);
    assert.equal(fake.requestsTo("profile").length, 0);
  });
});

Deno.test("labelIdOf() finds a label by its name in any case, Gmail's own by their id, and none for an unknown name", async () => {
  await withFake(async (fake) => {
    const { client } = clientOn(fake);
    assert.equal(await client.labelIdOf("AIEMP"), "Label_1");
    assert.equal(await client.labelIdOf("starred"), "STARRED");
    assert.equal(await client.labelIdOf("no such label"), undefined);
  });
});
