/**
 * Signing in to Gmail: the consent URL, reading the redirect, which scopes are enough, importing
 * the seeds' credentials.json / token.json, and the consent flow driven through its injected
 * listener, clock and exchange — and once through the real loopback listener and
 * google-auth-library against the fake token endpoint.
 */
import assert from "node:assert/strict";
import {
  type ConsentFlowOptions,
  type ConsentOutcome,
  consentUrl,
  GMAIL_AUTH_SCOPES,
  GMAIL_SCOPE,
  gmailScopeNeeds,
  grantFile,
  importSeeds,
  readRedirect,
  type RedirectHandler,
  runConsentFlow,
} from "../../src/gmail/auth_flow.ts";
import { startFakeGmail } from "../fixtures/fake_gmail.ts";

const AUTH_URI = "http://127.0.0.1:9/o/oauth2/v2/auth";
const TOKEN_URI = "http://127.0.0.1:9/token";
const REDIRECT = "http://127.0.0.1:53682";

async function s256(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return new Uint8Array(digest).toBase64({ alphabet: "base64url", omitPadding: true });
}

Deno.test("consentUrl() asks for offline access with consent, the least scopes, PKCE S256 and state", () => {
  const url = new URL(consentUrl({
    authUri: AUTH_URI,
    clientId: "123.apps.example",
    redirectUri: REDIRECT,
    state: "state-xyz",
    codeChallenge: "challenge-abc",
  }));
  assert.equal(`${url.origin}${url.pathname}`, AUTH_URI);
  const params = Object.fromEntries(url.searchParams);
  assert.deepEqual(params, {
    access_type: "offline",
    prompt: "consent",
    scope: `${GMAIL_SCOPE.modify} ${GMAIL_SCOPE.send}`,
    state: "state-xyz",
    code_challenge: "challenge-abc",
    code_challenge_method: "S256",
    response_type: "code",
    client_id: "123.apps.example",
    redirect_uri: REDIRECT,
  });
});

Deno.test("readRedirect() takes the code when the state matches", () => {
  const result = readRedirect(new URL(`${REDIRECT}/?state=s1&code=4/0Abc&scope=x`), "s1");
  assert.deepEqual(result, { kind: "code", code: "4/0Abc" });
});

Deno.test("readRedirect() refuses an answer whose state does not match, even an error", () => {
  for (const query of ["state=other&code=c", "code=c", "state=other&error=access_denied"]) {
    const result = readRedirect(new URL(`${REDIRECT}/?${query}`), "s1");
    assert.equal(result.kind, "failed", query);
    if (result.kind !== "failed") continue;
    assert.equal(result.problem, "state_mismatch");
    assert.match(result.message, /does not match.*run 'aiemp auth gmail' again/);
  }
});

Deno.test("readRedirect() says a refused consent (access_denied) and how to fix it", () => {
  const result = readRedirect(new URL(`${REDIRECT}/?error=access_denied&state=s1`), "s1");
  assert.equal(result.kind, "failed");
  if (result.kind !== "failed") return;
  assert.equal(result.problem, "denied");
  assert.match(result.message, /access_denied.*Test users.*aiemp auth gmail/);
});

Deno.test("readRedirect() ignores other requests to the loopback address (favicon, bare visits)", () => {
  assert.equal(readRedirect(new URL(`${REDIRECT}/favicon.ico`), "s1").kind, "not_redirect");
  assert.equal(readRedirect(new URL(`${REDIRECT}/`), "s1").kind, "not_redirect");
  const pasted = new URL(`${REDIRECT}/callback?state=s1&code=c`);
  assert.equal(readRedirect(pasted, "s1").kind, "not_redirect");
  assert.equal(readRedirect(pasted, "s1", { anyPath: true }).kind, "code");
});

Deno.test("gmailScopeNeeds() accepts modify + send for everything aiemp does", () => {
  const needs = gmailScopeNeeds(GMAIL_AUTH_SCOPES, { changesLabels: true });
  assert.deepEqual(needs.map((n) => [n.use, n.ok]), [
    ["read mail", true],
    ["change labels", true],
    ["send mail", true],
  ]);
});

Deno.test("gmailScopeNeeds() says readonly reads but neither sends nor puts labels on messages", () => {
  const readonly = gmailScopeNeeds([GMAIL_SCOPE.readonly, GMAIL_SCOPE.labels], {
    changesLabels: true,
  });
  assert.deepEqual(readonly.map((n) => [n.use, n.ok]), [
    ["read mail", true],
    ["change labels", false],
    ["send mail", false],
  ]);
  // Without marking or labelling after the note, the watcher only reads.
  assert.deepEqual(gmailScopeNeeds([GMAIL_SCOPE.readonly]).map((n) => n.use), [
    "read mail",
    "send mail",
  ]);
});

Deno.test("gmailScopeNeeds() says send alone cannot read, and full mail access covers all", () => {
  assert.deepEqual(gmailScopeNeeds([GMAIL_SCOPE.send]).map((n) => n.ok), [false, true]);
  assert.ok(gmailScopeNeeds([GMAIL_SCOPE.full], { changesLabels: true }).every((n) => n.ok));
  assert.ok(gmailScopeNeeds([]).every((n) => !n.ok));
});

/** Google's download for a Desktop app client. */
const INSTALLED = JSON.stringify({
  installed: {
    client_id: "123-abc.apps.googleusercontent.com",
    project_id: "aiemp-test",
    auth_uri: "https://accounts.google.com/o/oauth2/auth",
    token_uri: "https://oauth2.googleapis.com/token",
    client_secret: "GOCSPX-not-a-real-secret",
    redirect_uris: ["http://localhost"],
  },
});

Deno.test("importSeeds() keeps credentials.json as it is and only the grant of the Python token.json", () => {
  const token = JSON.stringify({
    token: "ya29.old-access-token",
    refresh_token: "1//0g-refresh",
    token_uri: "https://oauth2.googleapis.com/token",
    client_id: "123-abc.apps.googleusercontent.com",
    client_secret: "GOCSPX-not-a-real-secret",
    scopes: [GMAIL_SCOPE.readonly, GMAIL_SCOPE.send],
    expiry: "2026-01-01T00:00:00Z",
  });
  const result = importSeeds({ credentials: INSTALLED, token }, TOKEN_URI);
  assert.ok(result.ok);
  assert.equal(result.secrets.client, INSTALLED);
  assert.deepEqual(JSON.parse(result.secrets.token), {
    refresh_token: "1//0g-refresh",
    scope: `${GMAIL_SCOPE.readonly} ${GMAIL_SCOPE.send}`,
    token_uri: "https://oauth2.googleapis.com/token",
  });
  assert.ok(!result.secrets.token.includes("ya29"), "the access token is dropped");
});

Deno.test("importSeeds() takes the client from an authorized-user token.json without credentials.json", () => {
  const token = JSON.stringify({
    type: "authorized_user",
    client_id: "999.apps.googleusercontent.com",
    client_secret: "s3cret-value",
    refresh_token: "1//0g-refresh",
  });
  const result = importSeeds({ token }, TOKEN_URI);
  assert.ok(result.ok);
  assert.deepEqual(JSON.parse(result.secrets.client), {
    client_id: "999.apps.googleusercontent.com",
    client_secret: "s3cret-value",
  });
  assert.deepEqual(JSON.parse(result.secrets.token), {
    refresh_token: "1//0g-refresh",
    scope: "",
    token_uri: TOKEN_URI,
  });
});

Deno.test("importSeeds() refuses a token.json without a refresh token and a credentials.json that is no client", () => {
  const noGrant = importSeeds({ credentials: INSTALLED, token: '{"token":"ya29.x"}' }, TOKEN_URI);
  assert.ok(!noGrant.ok);
  assert.match(noGrant.message, /no refresh_token/);
  const token = JSON.stringify({ refresh_token: "1//0g-refresh" });
  const badClient = importSeeds({ credentials: '{"installed":{}}', token }, TOKEN_URI);
  assert.ok(!badClient.ok);
  assert.match(badClient.message, /credentials.json is not an OAuth client file/);
  const noClient = importSeeds({ token }, TOKEN_URI);
  assert.ok(!noClient.ok);
  assert.match(noClient.message, /no OAuth client/);
});

Deno.test("grantFile() holds the refresh token, the scopes and the token endpoint", () => {
  assert.deepEqual(
    JSON.parse(grantFile({ refreshToken: "r-1", scopes: ["a", "b"], tokenUri: TOKEN_URI })),
    { refresh_token: "r-1", scope: "a b", token_uri: TOKEN_URI },
  );
});

/** A flow on a recording listener, a clock that fires only when told, and a fake exchange. */
function flowHarness(overrides: Partial<ConsentFlowOptions> = {}) {
  let handler: RedirectHandler | undefined;
  let closed = false;
  let fireTimeout: (() => void) | undefined;
  const exchanges: { code: string; codeVerifier: string; redirectUri: string }[] = [];
  let shown: URL | undefined;
  const outcome: Promise<ConsentOutcome> = runConsentFlow({
    clientId: "client-1",
    authUri: AUTH_URI,
    tokenUri: TOKEN_URI,
    show: (url) => shown = new URL(url),
    listen: (h) => {
      handler = h;
      return {
        redirectUri: REDIRECT,
        close: () => {
          closed = true;
          return Promise.resolve();
        },
      };
    },
    sleep: (_ms, signal) =>
      new Promise((resolve) => {
        fireTimeout = resolve;
        signal.addEventListener("abort", () => fireTimeout = undefined);
      }),
    exchange: (request) => {
      exchanges.push(request);
      return Promise.resolve({
        access_token: "ya29.a",
        refresh_token: "1//r",
        scope: GMAIL_AUTH_SCOPES.join(" "),
      });
    },
    ...overrides,
  });
  return {
    outcome,
    exchanges,
    closed: () => closed,
    shown: () => shown!,
    redirect: (query: string) => handler!(new URL(`${REDIRECT}/${query}`)),
    timeout: () => fireTimeout?.(),
  };
}

/** Lets the flow reach its wait (it makes the PKCE verifier first). */
async function untilShown(flow: ReturnType<typeof flowHarness>): Promise<URL> {
  for (let i = 0; i < 100 && !flow.shown(); i++) await new Promise((r) => setTimeout(r, 0));
  return flow.shown();
}

Deno.test("runConsentFlow() exchanges the code with the verifier of the URL's challenge", async () => {
  const flow = flowHarness();
  const url = await untilShown(flow);
  const state = url.searchParams.get("state")!;
  assert.equal(flow.redirect("favicon.ico").status, 404);
  const page = flow.redirect(`?state=${state}&code=the-code`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /close this tab/);
  const outcome = await flow.outcome;
  assert.deepEqual(outcome, {
    ok: true,
    grant: { refreshToken: "1//r", scopes: [...GMAIL_AUTH_SCOPES], scopesFromAnswer: true },
  });
  assert.equal(flow.exchanges.length, 1);
  const [exchange] = flow.exchanges;
  assert.equal(exchange.code, "the-code");
  assert.equal(exchange.redirectUri, REDIRECT);
  assert.equal(await s256(exchange.codeVerifier), url.searchParams.get("code_challenge"));
  assert.ok(flow.closed(), "the listener is closed");
  assert.equal(flow.redirect(`?state=${state}&code=again`).status, 404, "one answer only");
});

Deno.test("runConsentFlow() stops at a wrong state without exchanging anything", async () => {
  const flow = flowHarness();
  await untilShown(flow);
  assert.equal(flow.redirect("?state=forged&code=c").status, 400);
  const outcome = await flow.outcome;
  assert.ok(!outcome.ok);
  assert.equal(outcome.problem, "state_mismatch");
  assert.equal(flow.exchanges.length, 0);
});

Deno.test("runConsentFlow() reports a refused consent", async () => {
  const flow = flowHarness();
  const state = (await untilShown(flow)).searchParams.get("state");
  flow.redirect(`?error=access_denied&state=${state}`);
  const outcome = await flow.outcome;
  assert.ok(!outcome.ok);
  assert.equal(outcome.problem, "denied");
});

Deno.test("runConsentFlow() gives up when the clock says the wait is over", async () => {
  const flow = flowHarness();
  await untilShown(flow);
  flow.timeout();
  const outcome = await flow.outcome;
  assert.ok(!outcome.ok);
  assert.equal(outcome.problem, "timeout");
  assert.match(outcome.message, /within 5 minutes.*aiemp auth gmail/);
  assert.ok(flow.closed());
});

Deno.test("runConsentFlow() says so when Google returns no refresh token", async () => {
  const flow = flowHarness({
    exchange: () => Promise.resolve({ access_token: "ya29.a", scope: GMAIL_SCOPE.send }),
  });
  const state = (await untilShown(flow)).searchParams.get("state");
  flow.redirect(`?state=${state}&code=c`);
  const outcome = await flow.outcome;
  assert.ok(!outcome.ok);
  assert.equal(outcome.problem, "no_refresh_token");
  assert.match(outcome.message, /no refresh token.*myaccount\.google\.com/);
});

Deno.test("runConsentFlow() turns a refused exchange into one line with the fix", async () => {
  const refused = Object.assign(new Error("invalid_grant"), {
    response: { status: 400, data: { error: "invalid_grant", error_description: "Bad Request" } },
  });
  const flow = flowHarness({ exchange: () => Promise.reject(refused) });
  const state = (await untilShown(flow)).searchParams.get("state");
  flow.redirect(`?state=${state}&code=c`);
  const outcome = await flow.outcome;
  assert.ok(!outcome.ok);
  assert.equal(outcome.problem, "exchange_failed");
  assert.match(outcome.message, /refused the authorization code \(invalid_grant: Bad Request\)/);
});

Deno.test("runConsentFlow() takes an address pasted from a browser on another machine", async () => {
  let paste!: (line: string) => void;
  const pasted = (async function* () {
    yield "not an address";
    yield await new Promise<string>((resolve) => paste = resolve);
  })();
  const flow = flowHarness({ pasted });
  const state = (await untilShown(flow)).searchParams.get("state");
  paste(`  ${REDIRECT}/?state=${state}&code=pasted-code&scope=x  `);
  const outcome = await flow.outcome;
  assert.ok(outcome.ok);
  assert.equal(flow.exchanges[0].code, "pasted-code");
});

Deno.test("runConsentFlow() on the real loopback listener exchanges the code at the fake token endpoint", async () => {
  const fake = startFakeGmail({ authCode: "code-xyz" });
  try {
    let shown: URL | undefined;
    const outcome = runConsentFlow({
      clientId: fake.clientId,
      clientSecret: fake.clientSecret,
      authUri: `${fake.origin}/auth`,
      tokenUri: fake.tokenUri,
      show: (url) => shown = new URL(url),
    });
    for (let i = 0; i < 200 && !shown; i++) await new Promise((r) => setTimeout(r, 5));
    const redirect = new URL(shown!.searchParams.get("redirect_uri")!);
    assert.equal(redirect.hostname, "127.0.0.1");
    const state = shown!.searchParams.get("state");
    const page = await fetch(`${redirect.origin}/?state=${state}&code=code-xyz`);
    assert.equal(page.status, 200);
    await page.body?.cancel();
    const result = await outcome;
    assert.ok(result.ok);
    assert.equal(result.grant.refreshToken, fake.refreshToken);
    assert.deepEqual(result.grant.scopes, [...GMAIL_AUTH_SCOPES]);
    const [exchange] = fake.requestsTo("token");
    assert.equal(exchange.form?.grant_type, "authorization_code");
    assert.equal(exchange.form?.redirect_uri, redirect.origin);
    assert.equal(exchange.form?.client_secret, fake.clientSecret);
    assert.equal(
      await s256(exchange.form?.code_verifier ?? ""),
      shown!.searchParams.get("code_challenge"),
    );
  } finally {
    await fake.close();
  }
});
