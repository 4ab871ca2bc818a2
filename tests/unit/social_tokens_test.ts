/**
 * The social token store: the stored format, health states on an injected clock, and renewal
 * against the loopback fake token endpoint (X's rotation saved, one renewal shared by callers at
 * the same time, a refused renewal), plus the atomic private write every `aiemp auth` uses.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  redactSecrets,
  SecretError,
  type SecretStore,
  writeSecret,
} from "../../src/secrets/mod.ts";
import {
  freshSocialToken,
  parseSocialToken,
  renderSocialToken,
  type SocialToken,
  SocialTokenError,
  socialTokenHealth,
  socialTokenSecret,
} from "../../src/social/tokens.ts";
import { startFakeSocial } from "../fixtures/fake_social_oauth.ts";

const NOW = new Date("2026-11-21T10:00:00Z");
const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000).toISOString();
const days = (n: number) => new Date(NOW.getTime() + n * 86_400_000).toISOString();

/** A secret store in memory, with the save that writes into it. */
function memoryStore(initial: Record<string, string> = {}) {
  const files = new Map(Object.entries(initial));
  const saved: string[] = [];
  const secrets: SecretStore = {
    read(name) {
      const value = files.get(name);
      if (value === undefined) {
        throw new SecretError(`Cannot find the secret '${name}'`, { missing: true });
      }
      return value.replace(/\n$/, "");
    },
  };
  const save = (name: string, value: string) => {
    files.set(name, value);
    saved.push(name);
    return Promise.resolve();
  };
  return { files, saved, secrets, save };
}

Deno.test("socialTokenSecret() names <platform>_token", () => {
  assert.equal(socialTokenSecret("linkedin"), "linkedin_token");
  assert.equal(socialTokenSecret("x"), "x_token");
});

Deno.test("parseSocialToken() takes a bare token from a variable set by hand", () => {
  assert.deepEqual(parseSocialToken("  EAAGm0PX4ZCps\n", "facebook"), {
    accessToken: "EAAGm0PX4ZCps",
  });
});

Deno.test("renderSocialToken() and parseSocialToken() round-trip every field", () => {
  const token: SocialToken = {
    accessToken: "access-1",
    expiresAt: "2026-12-01T00:00:00.000Z",
    refreshToken: "refresh-1",
    clientId: "client-1",
    clientSecret: "secret-1",
    account: "urn:li:person:Ab3",
    name: "Ana Example",
    scopes: ["openid", "profile"],
  };
  const text = renderSocialToken(token);
  assert.ok(text.endsWith("\n"));
  assert.deepEqual(JSON.parse(text), {
    access_token: "access-1",
    expires_at: "2026-12-01T00:00:00.000Z",
    refresh_token: "refresh-1",
    client_id: "client-1",
    client_secret: "secret-1",
    account: "urn:li:person:Ab3",
    name: "Ana Example",
    scope: "openid profile",
  });
  assert.deepEqual(parseSocialToken(text, "linkedin"), token);
  assert.deepEqual(parseSocialToken(renderSocialToken({ accessToken: "a-only" }), "x"), {
    accessToken: "a-only",
  });
});

Deno.test("parseSocialToken() refuses what is not a token, naming the secret and the fix, never the value", () => {
  const cases: [string, RegExp][] = [
    ["", /it is empty/],
    ["two words-secret-value", /alone on one line/],
    ["{not json-secret-value", /not JSON/],
    ['{"expires_at":"2026-01-01"}', /no access_token/],
    ['{"access_token":"a1","expires_at":"soon"}', /expires_at 'soon' is not a date/],
    ['{"access_token":42}', /'access_token' is not text/],
  ];
  for (const [text, why] of cases) {
    assert.throws(() => parseSocialToken(text, "x"), (error: Error) => {
      assert.ok(error instanceof SocialTokenError, String(error));
      assert.match(error.message, why);
      assert.match(
        error.message,
        /'x_token' \(\.aiemp\/secrets\/x_token or AIEMP_SECRET_X_TOKEN\)/,
      );
      assert.match(error.message, /'aiemp auth x'/);
      assert.ok(!error.message.includes("secret-value"), error.message);
      return true;
    });
  }
  assert.throws(() => parseSocialToken("", "facebook"), /aiemp auth facebook --token-file FILE/);
});

Deno.test("socialTokenHealth() tells missing, valid, renews, expiring and expired apart on the given clock", () => {
  const health = (token?: SocialToken, platform: "linkedin" | "x" | "instagram" = "linkedin") =>
    socialTokenHealth(platform, token, NOW);
  const missing = health(undefined, "x");
  assert.equal(missing.state, "missing");
  assert.match(missing.message, /^not set up \(browser driver\); 'aiemp auth x'/);

  assert.deepEqual(health({ accessToken: "a" }), {
    state: "valid",
    message: "set up (no expiry recorded)",
  });
  const valid = health({ accessToken: "a", expiresAt: days(30) });
  assert.equal(valid.state, "valid");
  assert.equal(valid.message, "valid until 2026-12-21 10:00 UTC");
  assert.equal(valid.expiresAt, days(30));

  const expiring = health({ accessToken: "a", expiresAt: days(6.4) });
  assert.equal(expiring.state, "expiring");
  assert.equal(
    expiring.message,
    "expires 2026-11-27 19:36 UTC, in 6 days; run 'aiemp auth linkedin' before then",
  );
  assert.equal(health({ accessToken: "a", expiresAt: days(7) }).state, "expiring");
  assert.equal(health({ accessToken: "a", expiresAt: days(7.01) }).state, "valid");
  assert.match(health({ accessToken: "a", expiresAt: minutes(30) }).message, /, in 1 hour;/);
  assert.match(health({ accessToken: "a", expiresAt: minutes(600) }).message, /, in 10 hours;/);
  assert.match(health({ accessToken: "a", expiresAt: days(4.99) }).message, /, in 5 days;/);

  const expired = health({ accessToken: "a", expiresAt: minutes(0) }, "instagram");
  assert.equal(expired.state, "expired");
  assert.equal(
    expired.message,
    "expired 2026-11-21 10:00 UTC; run 'aiemp auth instagram --token-file FILE'",
  );

  // X's access token lasts two hours, but the refresh token renews it: neither expiring nor expired.
  for (const at of [minutes(-60), minutes(60)]) {
    const renews = health({ accessToken: "a", expiresAt: at, refreshToken: "r" }, "x");
    assert.equal(renews.state, "renews");
    assert.match(renews.message, /renewed automatically/);
  }
});

Deno.test("freshSocialToken() is undefined when no token is set up", async () => {
  const store = memoryStore();
  const token = await freshSocialToken("linkedin", {
    ...store,
    tokenUri: "http://127.0.0.1:9/token",
    now: () => NOW,
  });
  assert.equal(token, undefined);
});

Deno.test("freshSocialToken() hands out a token far from its expiry as it is, without asking anyone", async () => {
  const fake = startFakeSocial();
  try {
    const stored = {
      accessToken: "x-access-kept",
      expiresAt: minutes(6),
      refreshToken: "x-r-1",
      clientId: "c",
    };
    const store = memoryStore({ x_token: renderSocialToken(stored) });
    const token = await freshSocialToken("x", {
      ...store,
      tokenUri: fake.tokenUri("x"),
      now: () => NOW,
    });
    assert.deepEqual(token, stored);
    assert.equal(fake.requests.length, 0);
    assert.equal(
      redactSecrets("sent x-access-kept"),
      "sent [redacted]",
      "remembered for redaction",
    );
  } finally {
    await fake.close();
  }
});

Deno.test("freshSocialToken() renews an X token about to expire and saves the rotated refresh token first", async () => {
  const fake = startFakeSocial();
  try {
    fake.setRefreshToken("x", "x-refresh-old-4e1f");
    const store = memoryStore({
      x_token: renderSocialToken({
        accessToken: "x-access-old-77aa",
        expiresAt: minutes(4),
        refreshToken: "x-refresh-old-4e1f",
        clientId: fake.apps.x.clientId,
        name: "@ana_example",
        scopes: ["tweet.write", "offline.access"],
      }),
    });
    const token = await freshSocialToken("x", {
      ...store,
      tokenUri: fake.tokenUri("x"),
      now: () => NOW,
    });
    assert.ok(token);
    assert.equal(token.accessToken, fake.issued[0]);
    assert.equal(token.expiresAt, minutes(120));
    assert.equal(token.name, "@ana_example", "what was known of the account is kept");
    assert.notEqual(token.refreshToken, "x-refresh-old-4e1f");
    assert.equal(token.refreshToken, fake.refreshToken("x"), "the rotated refresh token is kept");
    assert.deepEqual(store.saved, ["x_token"]);
    assert.deepEqual(parseSocialToken(store.files.get("x_token")!, "x"), token);
    const [request] = fake.requestsTo("token", "x");
    assert.equal(request.form?.grant_type, "refresh_token");
    assert.equal(request.form?.client_id, fake.apps.x.clientId, "a public client names itself");
    assert.equal(request.authorization, undefined);
    assert.equal(
      redactSecrets(`${token.accessToken} ${token.refreshToken}`),
      "[redacted] [redacted]",
    );

    // The next call uses the saved token: no second renewal.
    const again = await freshSocialToken("x", {
      ...store,
      tokenUri: fake.tokenUri("x"),
      now: () => NOW,
    });
    assert.deepEqual(again, token);
    assert.equal(fake.requestsTo("token").length, 1);
  } finally {
    await fake.close();
  }
});

Deno.test("freshSocialToken() shares one renewal between calls at the same time", async () => {
  const fake = startFakeSocial();
  try {
    fake.setRefreshToken("x", "x-refresh-shared-1");
    const store = memoryStore({
      x_token: renderSocialToken({
        accessToken: "x-access-stale",
        expiresAt: minutes(-1),
        refreshToken: "x-refresh-shared-1",
        clientId: fake.apps.x.clientId,
      }),
    });
    const deps = { ...store, tokenUri: fake.tokenUri("x"), now: () => NOW };
    const tokens = await Promise.all([
      freshSocialToken("x", deps),
      freshSocialToken("x", deps),
      freshSocialToken("x", deps),
    ]);
    assert.equal(
      fake.requestsTo("token").length,
      1,
      "X would refuse a second use of the refresh token",
    );
    assert.deepEqual(tokens[1], tokens[0]);
    assert.deepEqual(tokens[2], tokens[0]);
    assert.equal(store.saved.length, 1);
  } finally {
    await fake.close();
  }
});

Deno.test("freshSocialToken() renews LinkedIn with the client secret in the form, whatever the ID token says", async () => {
  const fake = startFakeSocial({ linkedinRefresh: true });
  try {
    fake.setRefreshToken("linkedin", "li-refresh-3c3c");
    const { clientId, clientSecret } = fake.apps.linkedin;
    const store = memoryStore({
      linkedin_token: renderSocialToken({
        accessToken: "li-access-old",
        expiresAt: minutes(2),
        refreshToken: "li-refresh-3c3c",
        clientId,
        clientSecret,
        account: "urn:li:person:Ab3dE5",
      }),
    });
    const token = await freshSocialToken("linkedin", {
      ...store,
      tokenUri: fake.tokenUri("linkedin"),
      now: () => NOW,
    });
    assert.equal(token?.accessToken, fake.issued[0]);
    assert.equal(token?.expiresAt, days(60));
    assert.equal(token?.refreshToken, "li-refresh-3c3c");
    assert.equal(token?.account, "urn:li:person:Ab3dE5");
    assert.deepEqual(token?.scopes, ["openid", "profile", "w_member_social"]);
    const [request] = fake.requestsTo("token");
    assert.equal(request.form?.client_secret, clientSecret);
  } finally {
    await fake.close();
  }
});

Deno.test("freshSocialToken() says to run 'aiemp auth x' when X refuses the renewal (invalid_grant), and saves nothing", async () => {
  const fake = startFakeSocial();
  try {
    fake.setRefreshToken("x", "x-refresh-current");
    const store = memoryStore({
      x_token: renderSocialToken({
        accessToken: "x-access-old",
        expiresAt: minutes(1),
        refreshToken: "x-refresh-withdrawn-9",
        clientId: fake.apps.x.clientId,
      }),
    });
    await assert.rejects(
      freshSocialToken("x", { ...store, tokenUri: fake.tokenUri("x"), now: () => NOW }),
      (error: Error) => {
        assert.ok(error instanceof SocialTokenError);
        assert.equal(error.retryable, false);
        assert.match(
          error.message,
          /^X refused to renew the token .*\(invalid_grant.*run 'aiemp auth x'$/,
        );
        assert.ok(!error.message.includes("x-refresh-withdrawn-9"));
        return true;
      },
    );
    assert.deepEqual(store.saved, []);
  } finally {
    await fake.close();
  }
});

Deno.test("freshSocialToken() takes the token another process renewed when its own refresh token was already used", async () => {
  const fake = startFakeSocial();
  try {
    fake.setRefreshToken("x", "x-refresh-theirs");
    const ours = renderSocialToken({
      accessToken: "x-access-old",
      expiresAt: minutes(1),
      refreshToken: "x-refresh-ours",
      clientId: fake.apps.x.clientId,
    });
    const theirs = {
      accessToken: "x-access-theirs",
      expiresAt: minutes(120),
      refreshToken: "x-refresh-theirs",
      clientId: fake.apps.x.clientId,
    };
    let reads = 0;
    const secrets: SecretStore = { read: () => reads++ === 0 ? ours : renderSocialToken(theirs) };
    const token = await freshSocialToken("x", {
      secrets,
      save: () => Promise.reject(new Error("nothing to save")),
      tokenUri: fake.tokenUri("x"),
      now: () => NOW,
    });
    assert.deepEqual(token, theirs);
  } finally {
    await fake.close();
  }
});

Deno.test("freshSocialToken() refuses an expired token it cannot renew, and a token endpoint out of reach is retryable", async () => {
  const expired = memoryStore({
    linkedin_token: renderSocialToken({ accessToken: "li-access-old", expiresAt: minutes(-5) }),
  });
  await assert.rejects(
    freshSocialToken("linkedin", { ...expired, tokenUri: "http://127.0.0.1:9/", now: () => NOW }),
    /^SocialTokenError: The LinkedIn token in the secret 'linkedin_token' .* expired 2026-11-21 09:55 UTC; run 'aiemp auth linkedin'/,
  );
  // Still valid for a minute: handed out, and the post goes before it ends.
  const soon = memoryStore({
    linkedin_token: renderSocialToken({ accessToken: "li-access-soon", expiresAt: minutes(1) }),
  });
  const token = await freshSocialToken("linkedin", {
    ...soon,
    tokenUri: "http://127.0.0.1:9/",
    now: () => NOW,
  });
  assert.equal(token?.accessToken, "li-access-soon");

  const unreachable = memoryStore({
    x_token: renderSocialToken({
      accessToken: "x-a",
      expiresAt: minutes(1),
      refreshToken: "x-refresh-r",
      clientId: "c",
    }),
  });
  await assert.rejects(
    freshSocialToken("x", { ...unreachable, tokenUri: "http://127.0.0.1:9/token", now: () => NOW }),
    (error: Error) => {
      assert.ok(error instanceof SocialTokenError);
      assert.equal(error.retryable, true);
      assert.match(
        error.message,
        /^Cannot renew the X token \(cannot reach http:\/\/127\.0\.0\.1:9\/token.*it will be tried again$/,
      );
      return true;
    },
  );
});

Deno.test("freshSocialToken() reports a renewed token it could not save, with the fix", async () => {
  const fake = startFakeSocial();
  try {
    fake.setRefreshToken("x", "x-refresh-1a");
    const store = memoryStore({
      x_token: renderSocialToken({
        accessToken: "x-a",
        expiresAt: minutes(1),
        refreshToken: "x-refresh-1a",
        clientId: fake.apps.x.clientId,
      }),
    });
    await assert.rejects(
      freshSocialToken("x", {
        ...store,
        save: () =>
          Promise.reject(new SecretError("Cannot write /v/.aiemp/secrets/x_token: disk full")),
        tokenUri: fake.tokenUri("x"),
        now: () => NOW,
      }),
      /^SocialTokenError: Renewed the X token but cannot save it \(Cannot write .*disk full\); .*run 'aiemp auth x'$/,
    );
  } finally {
    await fake.close();
  }
});

Deno.test("writeSecret() makes the folder 0700 and writes the file 0600, replacing the old one whole", async () => {
  const root = await Deno.makeTempDir({ prefix: "aiemp-secret-" });
  try {
    const dir = join(root, ".aiemp", "secrets");
    await writeSecret(dir, "x_token", "first\n");
    await writeSecret(dir, "x_token", "second\n");
    assert.equal(await Deno.readTextFile(join(dir, "x_token")), "second\n");
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
      assert.equal((await Deno.stat(join(dir, "x_token"))).mode! & 0o777, 0o600);
    }
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names, ["x_token"], "no temporary file left behind");
    await assert.rejects(writeSecret(dir, "../escape", "x"), SecretError);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
