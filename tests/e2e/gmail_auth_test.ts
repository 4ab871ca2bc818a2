/**
 * `aiemp auth gmail` and `aiemp auth status` through the real CLI, against the fake Google token
 * endpoint: the consent flow (the test plays the browser coming back to the loopback address),
 * a forged state, importing the seeds' files, a plain refresh token, and no token value ever in
 * the output.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type FakeGmail, startFakeGmail } from "../fixtures/fake_gmail.ts";
import { aiemp, closing, spawnAiemp, type TestVault, waitFor, withVault } from "./_harness.ts";

const MODIFY = "https://www.googleapis.com/auth/gmail.modify";
const SEND = "https://www.googleapis.com/auth/gmail.send";
/** A refresh token with no recognisable shape, so only aiemp's care keeps it out of the output. */
const REFRESH = "plain-refresh-7d2c91e0b4";

/** Google's credentials.json of a Desktop app client, for the fake's client. */
function credentialsJson(fake: FakeGmail): string {
  return JSON.stringify({
    installed: {
      client_id: fake.clientId,
      client_secret: fake.clientSecret,
      auth_uri: `${fake.origin}/auth`,
      token_uri: fake.tokenUri,
      redirect_uris: ["http://localhost"],
    },
  });
}

function gmailSettings(fake: FakeGmail): string {
  return `gmail:\n  api_root: ${fake.apiRoot}\n  token_uri: ${fake.tokenUri}\n  auth_uri: ${fake.origin}/auth\n`;
}

/** `aiemp auth gmail --client CREDENTIALS` running, its output read while it waits. */
function signIn(vault: TestVault, credentials: string) {
  return spawnAiemp(["--vault", vault.path, "auth", "gmail", "--client", credentials]);
}

/** Waits for the consent URL the CLI prints and returns it. */
async function consentUrlOf(run: ReturnType<typeof signIn>, fake: FakeGmail): Promise<URL> {
  const line = await waitFor(
    () => run.stdout().split("\n").find((l) => l.startsWith(`${fake.origin}/auth?`)),
    `the consent URL\n--- stdout:\n${run.stdout()}\n--- stderr:\n${run.stderr()}`,
    20_000,
  );
  return new URL(line.trim());
}

async function modeOf(path: string): Promise<number> {
  return (await Deno.stat(path)).mode! & 0o777;
}

function assertNoToken(text: string, fake: FakeGmail) {
  for (const secret of [fake.refreshToken, fake.clientSecret, fake.authCode]) {
    assert.ok(!text.includes(secret), `the output holds ${secret}:\n${text}`);
  }
  assert.ok(!/ya29\./.test(text), `the output holds an access token:\n${text}`);
}

function withFakeVault(body: (fake: FakeGmail, vault: TestVault) => Promise<void>) {
  const fake = startFakeGmail({ refreshToken: REFRESH, authCode: "code-e2e-4f1a" });
  return closing(fake, () => withVault(gmailSettings(fake), (vault) => body(fake, vault)));
}

Deno.test("aiemp auth gmail signs in through the loopback redirect and stores the grant 0600; auth status says usable", async () => {
  await withFakeVault(async (fake, vault) => {
    const creds = vault.file("credentials.json");
    await Deno.writeTextFile(creds, credentialsJson(fake));
    // A vault whose secrets folder is gone: the command makes it again, private.
    await Deno.remove(vault.file(".aiemp", "secrets"), { recursive: true });
    const run = signIn(vault, creds);
    const url = await consentUrlOf(run, fake);
    assert.equal(url.searchParams.get("access_type"), "offline");
    assert.equal(url.searchParams.get("scope"), `${MODIFY} ${SEND}`);
    const redirect = new URL(url.searchParams.get("redirect_uri")!);
    assert.equal(redirect.hostname, "127.0.0.1");
    const state = url.searchParams.get("state")!;
    const page = await fetch(`${redirect.origin}/?code=${fake.authCode}&state=${state}`);
    assert.match(await page.text(), /close this tab/);
    assert.equal(await run.exited, 0, run.stderr());
    assertNoToken(run.stdout() + run.stderr(), fake);
    assert.match(run.stdout(), /Signed in/);

    const secrets = vault.file(".aiemp", "secrets");
    assert.equal(await modeOf(secrets), 0o700);
    const tokenFile = join(secrets, "gmail_token.json");
    assert.equal(await modeOf(tokenFile), 0o600);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(tokenFile)), {
      refresh_token: REFRESH,
      scope: `${MODIFY} ${SEND}`,
      token_uri: fake.tokenUri,
    });
    const clientFile = join(secrets, "gmail_client.json");
    assert.equal(await modeOf(clientFile), 0o600);
    assert.equal(await Deno.readTextFile(clientFile), credentialsJson(fake));

    const status = await aiemp(["--vault", vault.path, "auth", "status"]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /Sign-in: works \(the account is owner@example\.com\)/);
    assert.ok(status.stdout.includes(`Scopes: ${MODIFY} ${SEND}`), status.stdout);
    assert.match(status.stdout, /Gmail is usable\./);
    assertNoToken(status.stdout + status.stderr, fake);

    const json = await aiemp(["--vault", vault.path, "auth", "status", "--json"]);
    assert.equal(json.code, 0);
    const report = JSON.parse(json.stdout);
    assert.equal(report.usable, true);
    assert.deepEqual(report.scopes, [MODIFY, SEND]);
    assertNoToken(json.stdout, fake);

    // A revoked grant: not usable, and the fix is named.
    fake.revokeRefreshToken();
    const revoked = await aiemp(["--vault", vault.path, "auth", "status"]);
    assert.equal(revoked.code, 1);
    assert.match(revoked.stdout, /Gmail is not usable: .*aiemp auth gmail/);
    assertNoToken(revoked.stdout + revoked.stderr, fake);
  });
});

Deno.test("aiemp auth gmail refuses a redirect with the wrong state: exit 1, one clear line, nothing stored", async () => {
  await withFakeVault(async (fake, vault) => {
    const creds = vault.file("credentials.json");
    await Deno.writeTextFile(creds, credentialsJson(fake));
    const run = signIn(vault, creds);
    const url = await consentUrlOf(run, fake);
    const redirect = new URL(url.searchParams.get("redirect_uri")!);
    const page = await fetch(`${redirect.origin}/?code=${fake.authCode}&state=forged`);
    assert.equal(page.status, 400);
    await page.body?.cancel();
    assert.equal(await run.exited, 1);
    const lines = run.stderr().trim().split("\n");
    assert.equal(lines.length, 1, run.stderr());
    assert.match(lines[0], /^aiemp: .*state does not match.*aiemp auth gmail/);
    assert.equal(fake.requestsTo("token").length, 0, "nothing was exchanged");
    await assert.rejects(Deno.stat(vault.file(".aiemp", "secrets", "gmail_token.json")));
    assertNoToken(run.stdout() + run.stderr(), fake);
  });
});

Deno.test("aiemp auth gmail without a client names the README section", async () => {
  await withFakeVault(async (_fake, vault) => {
    const result = await aiemp(["--vault", vault.path, "auth", "gmail"]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^aiemp: No OAuth client yet: .*--client credentials\.json.*"Gmail" section/,
    );
  });
});

Deno.test("aiemp auth gmail --import takes the seeds' credentials.json and token.json", async () => {
  await withFakeVault(async (fake, vault) => {
    const seeds = await Deno.makeTempDir({ prefix: "aiemp-seeds-" });
    try {
      await Deno.writeTextFile(join(seeds, "credentials.json"), credentialsJson(fake));
      await Deno.writeTextFile(
        join(seeds, "token.json"),
        JSON.stringify({
          token: "ya29.stale-access",
          refresh_token: REFRESH,
          token_uri: fake.tokenUri,
          client_id: fake.clientId,
          client_secret: fake.clientSecret,
          scopes: [MODIFY, SEND],
        }),
      );
      const result = await aiemp(["--vault", vault.path, "auth", "gmail", "--import", seeds]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /Imported/);
      assertNoToken(result.stdout + result.stderr, fake);
      const secrets = vault.file(".aiemp", "secrets");
      for (const name of ["gmail_client.json", "gmail_token.json"]) {
        assert.equal(await modeOf(join(secrets, name)), 0o600, name);
      }
      const stored = await Deno.readTextFile(join(secrets, "gmail_token.json"));
      assert.equal(JSON.parse(stored).refresh_token, REFRESH);
      assert.ok(!stored.includes("ya29"));

      const status = await aiemp(["--vault", vault.path, "auth", "status"]);
      assert.equal(status.code, 0, status.stdout + status.stderr);
      assert.match(status.stdout, /Gmail is usable\./);

      const broken = await Deno.makeTempDir({ prefix: "aiemp-seeds-" });
      await Deno.writeTextFile(join(broken, "token.json"), '{"token":"ya29.only-access"}');
      const refused = await aiemp(["--vault", vault.path, "auth", "gmail", "--import", broken]);
      await Deno.remove(broken, { recursive: true });
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /^aiemp: Cannot import from .*no refresh_token/);
    } finally {
      await Deno.remove(seeds, { recursive: true });
    }
  });
});

Deno.test("aiemp auth gmail --refresh-token-file stores a plain token for a proxy set-up", async () => {
  await withFakeVault(async (fake, vault) => {
    const creds = vault.file("credentials.json");
    await Deno.writeTextFile(creds, credentialsJson(fake));
    const tokenFile = vault.file("refresh.txt");
    await Deno.writeTextFile(tokenFile, `${REFRESH}\n`);
    const result = await aiemp([
      "--vault",
      vault.path,
      "auth",
      "gmail",
      "--client",
      creds,
      "--refresh-token-file",
      tokenFile,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assertNoToken(result.stdout + result.stderr, fake);
    const stored = vault.file(".aiemp", "secrets", "gmail_refresh_token");
    assert.equal(await modeOf(stored), 0o600);
    assert.equal((await Deno.readTextFile(stored)).trim(), REFRESH);
    const status = await aiemp(["--vault", vault.path, "auth", "status"]);
    assert.equal(status.code, 0, status.stdout + status.stderr);
    assertNoToken(status.stdout + status.stderr, fake);
  });
});
