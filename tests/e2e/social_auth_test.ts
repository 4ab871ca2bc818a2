/**
 * `aiemp auth linkedin|x|facebook|instagram` and the social lines of `aiemp auth status` through
 * the real CLI, against the loopback fake of the platforms: a pasted token checked with each
 * platform before it is stored, the consent flows of X (PKCE) and LinkedIn (the test plays the
 * browser: the fake's consent page redirects to the loopback address), a forged state refused,
 * secret files 0600, and no token value ever in the output.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type FakeSocial, startFakeSocial } from "../fixtures/fake_social_oauth.ts";
import {
  aiemp,
  closing,
  spawnAiemp,
  type SpawnedAiemp,
  type TestVault,
  waitFor,
  withVault,
} from "./_harness.ts";

/** Tokens with no recognisable shape, so only aiemp's care keeps them out of the output. */
const TOKENS = {
  linkedin: "li-pasted-6f0c2a91d7",
  x: "x-pasted-0b7e55c3a1",
  facebook: "fb-page-pasted-93d1e0",
  instagram: "ig-pasted-5a7c13b2e4",
};

/** `aiemp --vault VAULT auth ARGS` running, its output read while it waits; stdin piped. */
function auth(vault: TestVault, args: string[]): SpawnedAiemp {
  return spawnAiemp(["--vault", vault.path, "auth", ...args], { stdin: "piped" });
}

/** `aiemp auth x` signing in with the fake's X app on a free port (`--no-browser` if asked). */
function signInX(
  fake: FakeSocial,
  vault: TestVault,
  options: { noBrowser?: boolean } = {},
): SpawnedAiemp {
  const args = ["x", "--client-id", fake.apps.x.clientId, "--port", "0"];
  return auth(vault, options.noBrowser ? [...args, "--no-browser"] : args);
}

/** Waits for the consent URL the CLI prints and returns it. */
async function consentUrlOf(run: SpawnedAiemp, authUri: string): Promise<URL> {
  const line = await waitFor(
    () => run.stdout().split("\n").find((l) => l.startsWith(`${authUri}?`)),
    `the consent URL\n--- stdout:\n${run.stdout()}\n--- stderr:\n${run.stderr()}`,
    20_000,
  );
  return new URL(line.trim());
}

/** Plays the owner approving on the fake's consent page: where it sends the browser back. */
async function approve(consent: URL): Promise<URL> {
  const page = await fetch(consent, { redirect: "manual" });
  await page.body?.cancel();
  assert.equal(page.status, 302);
  return new URL(page.headers.get("location")!);
}

async function modeOf(path: string): Promise<number> {
  return (await Deno.stat(path)).mode! & 0o777;
}

async function stored(vault: TestVault, name: string): Promise<Record<string, string>> {
  const file = vault.file(".aiemp", "secrets", name);
  assert.equal(await modeOf(file), 0o600, `${name} is private`);
  return JSON.parse(await Deno.readTextFile(file));
}

function assertNoSecret(text: string, fake: FakeSocial, extra: string[] = []) {
  const secrets = [
    ...Object.values(TOKENS),
    ...fake.issued,
    fake.refreshToken("x") ?? "x-refresh-none",
    fake.apps.linkedin.clientSecret!,
    ...extra,
  ];
  for (const secret of secrets) {
    assert.ok(!text.includes(secret), `the output holds ${secret}:\n${text}`);
  }
}

function withFake(body: (fake: FakeSocial, vault: TestVault) => Promise<void>) {
  return closing(startFakeSocial(), (fake) => withVault(fake.settings(), (v) => body(fake, v)));
}

Deno.test("aiemp auth <platform> --token-file checks a pasted token with each platform and stores it 0600 with its account", async () => {
  await withFake(async (fake, vault) => {
    fake.addToken(TOKENS.linkedin, { linkedin: { sub: "Ab3dE5", name: "Ana Example" } });
    fake.addToken(TOKENS.x, { x: { id: "1234567", username: "ana_example" } });
    fake.addToken(TOKENS.facebook, { facebook: { id: "104729", name: "Ana's Bakery" } });
    fake.addToken(TOKENS.instagram, { instagram: { id: "178414", username: "anas.bakery" } });
    // A vault whose secrets folder is gone: the command makes it again, private.
    await Deno.remove(vault.file(".aiemp", "secrets"), { recursive: true });
    const file = (platform: keyof typeof TOKENS) => {
      const path = vault.file(`${platform}.txt`);
      return Deno.writeTextFile(path, `${TOKENS[platform]}\n`).then(() => path);
    };
    const runs = await Promise.all([
      file("linkedin").then((f) =>
        aiemp([
          "--vault",
          vault.path,
          "auth",
          "linkedin",
          "--token-file",
          f,
          "--expires-in-days",
          "60",
        ])
      ),
      file("x").then((f) => aiemp(["--vault", vault.path, "auth", "x", "--token-file", f])),
      file("facebook").then((f) =>
        aiemp([
          "--vault",
          vault.path,
          "auth",
          "facebook",
          "--token-file",
          f,
          "--expires",
          "2099-01-01",
        ])
      ),
      file("instagram").then((f) =>
        aiemp([
          "--vault",
          vault.path,
          "auth",
          "instagram",
          "--token-file",
          f,
          "--account",
          "178414",
        ])
      ),
    ]);
    for (const run of runs) {
      assert.equal(run.code, 0, run.stderr);
      assert.match(
        run.stdout,
        /^Stored the \w+ token in \.aiemp\/secrets\/\w+_token \(readable by you only\)\.$/m,
      );
      assertNoSecret(run.stdout + run.stderr, fake);
    }
    assert.equal(await modeOf(vault.file(".aiemp", "secrets")), 0o700);
    const linkedin = await stored(vault, "linkedin_token");
    assert.equal(linkedin.access_token, TOKENS.linkedin);
    assert.equal(linkedin.account, "urn:li:person:Ab3dE5");
    assert.equal(linkedin.name, "Ana Example");
    const inDays = (Date.parse(linkedin.expires_at) - Date.now()) / 86_400_000;
    assert.ok(inDays > 59.9 && inDays <= 60, linkedin.expires_at);
    assert.match(runs[0].stdout, /Account: Ana Example, urn:li:person:Ab3dE5/);
    assert.match(runs[0].stdout, /Expiry: valid until /);

    assert.deepEqual(await stored(vault, "x_token"), {
      access_token: TOKENS.x,
      name: "@ana_example",
    });
    assert.match(runs[1].stdout, /Expiry: not known/);
    assert.deepEqual(await stored(vault, "facebook_token"), {
      access_token: TOKENS.facebook,
      expires_at: "2099-01-01T00:00:00.000Z",
      account: "104729",
      name: "Ana's Bakery",
    });
    assert.deepEqual(await stored(vault, "instagram_token"), {
      access_token: TOKENS.instagram,
      account: "178414",
      name: "@anas.bakery",
    });

    // Each check went to its platform's endpoint with the token as a Bearer header, never in a URL.
    const checks = fake.requestsTo("check");
    assert.deepEqual(checks.map((r) => r.path).sort(), [
      "/graph/v23.0/178414",
      "/graph/v23.0/me",
      "/linkedin/v2/userinfo",
      "/x/2/users/me",
    ]);
    for (const check of checks) {
      assert.equal(check.authorization, `Bearer ${TOKENS[check.platform as keyof typeof TOKENS]}`);
      assert.ok(!JSON.stringify(check.query).includes("pasted"));
    }

    const status = await aiemp(["--vault", vault.path, "auth", "status"]);
    assert.equal(status.code, 0, status.stdout + status.stderr);
    assert.match(status.stdout, /^Gmail: not set up/m);
    assert.match(
      status.stdout,
      /^ {2}LinkedIn: valid until .* \[Ana Example, urn:li:person:Ab3dE5\]$/m,
    );
    assert.match(status.stdout, /^ {2}X: set up \(no expiry recorded\) \[@ana_example\]$/m);
    assert.match(
      status.stdout,
      /^ {2}Facebook: valid until 2099-01-01 00:00 UTC \[Ana's Bakery, 104729\]$/m,
    );
    assert.match(status.stdout, /^ {2}Instagram: set up/m);
    assertNoSecret(status.stdout + status.stderr, fake);
  });
});

Deno.test("aiemp auth <platform> --token-file - reads stdin; a refused or powerless token is not stored", async () => {
  await withFake(async (fake, vault) => {
    fake.addToken(TOKENS.x, { x: { id: "1", username: "ana" } }, { forbidden: true });
    const cases: [string[], RegExp][] = [
      [
        ["x"],
        /^aiemp: X accepted the token but it lacks a permission \(HTTP 403: .*\): the token needs the scopes tweet\.read tweet\.write users\.read/,
      ],
      [
        ["linkedin"],
        /^aiemp: LinkedIn refused the token \(HTTP 401: Invalid access token\): it is wrong, expired or withdrawn; get a new one, then run 'aiemp auth linkedin' again$/,
      ],
      [
        ["facebook"],
        /^aiemp: Facebook refused the token \(HTTP 400: Invalid OAuth access token.*\): .*'aiemp auth facebook --token-file FILE' again$/,
      ],
    ];
    await Promise.all(cases.map(async ([args, expected]) => {
      const platform = args[0] as keyof typeof TOKENS;
      const run = auth(vault, [...args, "--token-file", "-"]);
      await run.type(`${TOKENS[platform]}\n`);
      await run.endInput();
      assert.equal(await run.exited, 1, run.stdout());
      const lines = run.stderr().trim().split("\n");
      assert.equal(lines.length, 1, run.stderr());
      assert.match(lines[0], expected);
      assertNoSecret(run.stdout() + run.stderr(), fake);
      await assert.rejects(Deno.stat(vault.file(".aiemp", "secrets", `${platform}_token`)));
    }));
  });
});

Deno.test("aiemp auth refuses what it cannot do, saying what to do instead", async () => {
  await withFake(async (_fake, vault) => {
    const token = vault.file("token.txt");
    await Deno.writeTextFile(token, "some-token-value\n");
    const cases: [string[], RegExp][] = [
      [
        ["instagram", "--token-file", token],
        /Instagram needs --account ID: the id of the Instagram professional account .*instagram_business_account/,
      ],
      [
        ["facebook", "--client-id", "123"],
        /Facebook has no browser sign-in in aiemp: Meta's needs an app review and a public redirect address.*'aiemp auth facebook --token-file FILE'/,
      ],
      [["linkedin"], /Give --client-id ID .* or --token-file FILE/],
      [
        ["linkedin", "--client-id", "abc"],
        /LinkedIn's sign-in needs the app's client secret: .*--client-secret-file FILE/,
      ],
      [
        ["x", "--token-file", token, "--expires-in-days", "soon"],
        /--expires-in-days 'soon' is not a number of days/,
      ],
      [
        ["x", "--token-file", token, "--expires", "2001-01-01"],
        /--expires 2001-01-01 is already past/,
      ],
      [
        ["x", "--token-file", vault.file("nowhere.txt")],
        /Cannot find .*nowhere\.txt; give the file that holds the access token/,
      ],
    ];
    const runs = await Promise.all(
      cases.map(([args]) => aiemp(["--vault", vault.path, "auth", ...args])),
    );
    runs.forEach((run, index) => {
      assert.equal(run.code, 1, cases[index][0].join(" "));
      assert.match(run.stderr, new RegExp(`^aiemp: ${cases[index][1].source}`), run.stderr);
      assert.ok(!run.stderr.includes("some-token-value"));
    });
  });
});

Deno.test("aiemp auth x --client-id signs in with PKCE through the loopback redirect and keeps the refresh token", async () => {
  await withFake(async (fake, vault) => {
    const run = signInX(fake, vault);
    const consent = await consentUrlOf(run, fake.authUri("x"));
    const params = Object.fromEntries(consent.searchParams);
    assert.equal(params.scope, "tweet.read tweet.write users.read media.write offline.access");
    assert.equal(params.code_challenge_method, "S256");
    assert.match(params.code_challenge, /^[A-Za-z0-9_-]{43}$/);
    assert.match(params.redirect_uri, /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    const back = await approve(consent);
    const page = await fetch(back);
    assert.match(await page.text(), /close this tab/);
    assert.equal(await run.exited, 0, run.stderr());
    await run.endInput();

    const [exchange] = fake.requestsTo("token", "x");
    assert.equal(exchange.form?.grant_type, "authorization_code");
    assert.match(
      exchange.form?.code_verifier ?? "",
      /^[A-Za-z0-9_-]{43,128}$/,
      "the fake checked it",
    );
    const token = await stored(vault, "x_token");
    assert.equal(token.access_token, fake.issued[0]);
    assert.equal(token.refresh_token, fake.refreshToken("x"));
    assert.equal(token.client_id, fake.apps.x.clientId);
    assert.equal(token.client_secret, undefined, "a public client has none");
    assert.equal(token.name, "@ana_example");
    const inMinutes = (Date.parse(token.expires_at) - Date.now()) / 60_000;
    assert.ok(inMinutes > 118 && inMinutes <= 120, token.expires_at);
    assert.match(run.stdout(), /Expiry: renewed automatically when used/);
    assertNoSecret(run.stdout() + run.stderr(), fake, [new URL(back).searchParams.get("code")!]);

    const status = await aiemp(["--vault", vault.path, "auth", "status", "--json"]);
    assert.equal(status.code, 0, status.stderr);
    const report = JSON.parse(status.stdout);
    assert.equal(report.ok, true);
    assert.equal(report.gmailSetUp, false);
    assert.deepEqual(report.social.x.state, "renews");
    assert.equal(report.social.x.name, "@ana_example");
    assert.equal(report.social.linkedin.state, "missing");
    assertNoSecret(status.stdout, fake);
  });
});

Deno.test("aiemp auth x --no-browser takes the redirect address pasted on stdin", async () => {
  await withFake(async (fake, vault) => {
    const run = signInX(fake, vault, { noBrowser: true });
    const consent = await consentUrlOf(run, fake.authUri("x"));
    assert.match(run.stdout(), /paste it here/);
    const back = await approve(consent);
    await run.type(`${back.href}\n`);
    assert.equal(await run.exited, 0, run.stderr());
    await run.endInput();
    assert.equal((await stored(vault, "x_token")).access_token, fake.issued[0]);
  });
});

Deno.test("aiemp auth linkedin signs in at http://localhost:PORT/callback and keeps the client for renewals", async () => {
  await withFake(async (fake, vault) => {
    const secretFile = vault.file("client_secret.txt");
    await Deno.writeTextFile(secretFile, `${fake.apps.linkedin.clientSecret}\n`);
    const run = auth(vault, [
      "linkedin",
      "--client-id",
      fake.apps.linkedin.clientId,
      "--client-secret-file",
      secretFile,
      "--port",
      "0",
    ]);
    const consent = await consentUrlOf(run, fake.authUri("linkedin"));
    assert.equal(consent.searchParams.get("scope"), "openid profile w_member_social");
    assert.equal(consent.searchParams.get("code_challenge"), null);
    assert.match(consent.searchParams.get("redirect_uri")!, /^http:\/\/localhost:\d+\/callback$/);
    const back = await approve(consent);
    const page = await fetch(back);
    await page.body?.cancel();
    assert.equal(page.status, 200);
    assert.equal(await run.exited, 0, run.stderr());
    await run.endInput();

    const [exchange] = fake.requestsTo("token", "linkedin");
    assert.equal(exchange.form?.client_secret, fake.apps.linkedin.clientSecret);
    assert.equal(exchange.form?.redirect_uri, consent.searchParams.get("redirect_uri"));
    const token = await stored(vault, "linkedin_token");
    assert.equal(token.access_token, fake.issued[0]);
    assert.equal(token.account, "urn:li:person:Ab3dE5");
    assert.equal(token.name, "Ana Example");
    assert.equal(token.client_id, fake.apps.linkedin.clientId);
    assert.equal(token.client_secret, fake.apps.linkedin.clientSecret);
    assert.equal(token.scope, "openid profile w_member_social");
    assert.equal(token.refresh_token, undefined);
    const inDays = (Date.parse(token.expires_at) - Date.now()) / 86_400_000;
    assert.ok(inDays > 59.9 && inDays <= 60, token.expires_at);
    assertNoSecret(run.stdout() + run.stderr(), fake);
  });
});

Deno.test("aiemp auth x refuses a redirect with a forged state: exit 1, one clear line, nothing exchanged or stored", async () => {
  await withFake(async (fake, vault) => {
    const run = signInX(fake, vault);
    const back = await approve(await consentUrlOf(run, fake.authUri("x")));
    back.searchParams.set("state", "forged");
    const page = await fetch(back);
    await page.body?.cancel();
    assert.equal(page.status, 400);
    assert.equal(await run.exited, 1);
    await run.endInput();
    const lines = run.stderr().trim().split("\n");
    assert.equal(lines.length, 1, run.stderr());
    assert.match(lines[0], /^aiemp: .*state does not match.*aiemp auth x --client-id/);
    assert.equal(fake.requestsTo("token").length, 0, "nothing was exchanged");
    await assert.rejects(Deno.stat(vault.file(".aiemp", "secrets", "x_token")));
  });
});

Deno.test("aiemp auth status fails for an expired token that is set up, and names the fix", async () => {
  await withFake(async (fake, vault) => {
    const secrets = vault.file(".aiemp", "secrets");
    await Deno.writeTextFile(
      join(secrets, "linkedin_token"),
      JSON.stringify({ access_token: TOKENS.linkedin, expires_at: "2020-01-01T00:00:00Z" }),
      { mode: 0o600 },
    );
    const status = await aiemp(["--vault", vault.path, "auth", "status"]);
    assert.equal(status.code, 1, status.stdout);
    assert.match(
      status.stdout,
      /^ {2}LinkedIn: expired 2020-01-01 00:00 UTC; run 'aiemp auth linkedin'$/m,
    );
    assert.match(
      status.stdout,
      /^ {2}X: not set up \(browser driver\); 'aiemp auth x' sets up the API$/m,
    );
    assertNoSecret(status.stdout + status.stderr, fake);

    // A token given by hand in the environment counts too.
    const fromEnv = await aiemp(["--vault", vault.path, "auth", "status", "--json"], {
      AIEMP_SECRET_X_TOKEN: TOKENS.x,
    });
    const report = JSON.parse(fromEnv.stdout);
    assert.equal(report.ok, false);
    assert.equal(report.social.linkedin.state, "expired");
    assert.equal(report.social.x.state, "valid");
    assertNoSecret(fromEnv.stdout + fromEnv.stderr, fake);
  });
});
