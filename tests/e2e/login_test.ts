/**
 * `aiemp login <platform>` through the real CLI, with the system's real Chromium against the
 * local imitation of WhatsApp Web (tests/fixtures/pages/whatsapp) served on 127.0.0.1: it shows
 * its QR code until the test links the session, then the chats — which the WhatsApp channel's
 * own session check (`sessionState`) tells apart.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startFakeWhatsApp } from "../fixtures/pages/whatsapp/fake_whatsapp.ts";
import {
  aiemp,
  closing,
  spawnAiemp,
  startAiemp,
  type TestVault,
  waitFor,
  withVault,
} from "./_harness.ts";
import { browserTest } from "../fixtures/chromium.ts";

/** The imitation's control that links the session, as the owner's phone does. */
interface LoginPage {
  logIn(): Promise<void>;
}

/** A vault whose WhatsApp address is the imitation's (logged out); all is removed after `fn`. */
function withLoginPage(fn: (vault: TestVault, page: LoginPage) => Promise<void>): Promise<void> {
  return closing(
    startFakeWhatsApp({ loggedIn: false }),
    (fake) =>
      withVault(
        `whatsapp:\n  url: ${fake.url}\n`,
        (vault) => fn(vault, { logIn: () => Promise.resolve(fake.setLoggedIn(true)) }),
      ),
  );
}

/** The live (not zombie) processes whose command line names `profileDir` as their profile. */
async function browsersOn(profileDir: string): Promise<number[]> {
  const output = await new Deno.Command("ps", {
    args: ["-e", "-ww", "-o", "pid=", "-o", "stat=", "-o", "command="],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(output.stdout).split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([, stat, ...command]) =>
      stat !== undefined && !stat.startsWith("Z") &&
      command.join(" ").includes(`--user-data-dir=${profileDir}`)
    )
    .map(([pid]) => Number(pid));
}

/** The system's Chromium, as src/browser would find it (the tests need one). */
async function chromium(): Promise<string> {
  const { findBrowser } = await import("../../src/browser/mod.ts");
  return await findBrowser();
}

/** Starts a Chromium of the test's own on `profileDir`, headless, and waits until it holds it. */
async function foreignBrowserOn(profileDir: string): Promise<Deno.ChildProcess> {
  await Deno.mkdir(profileDir, { recursive: true, mode: 0o700 });
  const child = new Deno.Command(await chromium(), {
    args: ["--headless", "--no-sandbox", `--user-data-dir=${profileDir}`, "about:blank"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  await waitFor(
    () => Deno.lstat(join(profileDir, "SingletonLock")).then(() => true, () => false),
    "the test's browser to hold the profile",
  );
  return child;
}

/** True when `file` holds a PNG picture. */
async function isPng(file: string): Promise<boolean> {
  const bytes = await Deno.readFile(file).catch(() => new Uint8Array());
  return bytes.length > 8 && [0x89, 0x50, 0x4e, 0x47].every((byte, i) => bytes[i] === byte);
}

browserTest(
  "aiemp login whatsapp --headless --qr-file writes the QR picture, waits for the login, and keeps the session in a 0700 profile",
  async () => {
    await withLoginPage(async (vault, page) => {
      const qrFile = join(vault.path, "..", "qr.png");
      const profileDir = vault.file(".aiemp", "browser", "whatsapp");
      const login = spawnAiemp([
        "login",
        "whatsapp",
        "--vault",
        vault.path,
        "--headless",
        "--qr-file",
        qrFile,
        "--timeout-s",
        "90",
      ]);
      await Promise.race([
        waitFor(() => isPng(qrFile), "the QR picture", 30_000),
        login.exited.then((code) => assert.fail(`login exited with ${code}:\n${login.output()}`)),
      ]);
      assert.match(login.output(), /Waiting up to 90 s/);
      assert.ok(login.output().includes(qrFile), login.output());

      await page.logIn();
      const code = await login.exited;
      assert.equal(code, 0, login.output());
      assert.match(login.output(), /Logged in to WhatsApp/);
      assert.ok(login.output().includes(profileDir), login.output());
      const profile = await Deno.stat(profileDir);
      assert.ok(profile.isDirectory);
      assert.equal(profile.mode! & 0o777, 0o700);
      // The picture is of no use once logged in; the browser is gone, and its PID file with it.
      assert.equal(await Deno.lstat(qrFile).then(() => true, () => false), false);
      assert.deepEqual(await browsersOn(profileDir), []);
      assert.equal(
        await Deno.lstat(vault.file(".aiemp", "browser", "whatsapp.pid")).then(
          () => true,
          () => false,
        ),
        false,
      );
    });
  },
);

Deno.test({
  name: "aiemp login whatsapp without a display and without --headless explains the alternatives",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await withLoginPage(async (vault) => {
      const result = await aiemp(["login", "whatsapp", "--vault", vault.path], {
        DISPLAY: "",
        WAYLAND_DISPLAY: "",
      });
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /no display/);
      assert.ok(result.stderr.includes(".aiemp/browser/whatsapp/"), result.stderr);
      assert.ok(
        result.stderr.includes("aiemp login whatsapp --headless --qr-file qr.png"),
        result.stderr,
      );
      // No browser was started: the profile was not even created.
      const profile = vault.file(".aiemp", "browser", "whatsapp");
      assert.equal(await Deno.lstat(profile).then(() => true, () => false), false);
    });
  },
});

browserTest("aiemp login whatsapp gives up after --timeout-s and says so", async () => {
  await withLoginPage(async (vault) => {
    const result = await aiemp([
      "login",
      "whatsapp",
      "--vault",
      vault.path,
      "--headless",
      "--timeout-s",
      "1",
    ]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /No login to WhatsApp within 1 s/);
    assert.match(result.stderr, /aiemp login whatsapp' again/);
    assert.deepEqual(await browsersOn(vault.file(".aiemp", "browser", "whatsapp")), []);
  });
});

browserTest("aiemp login with an unknown platform names the ones aiemp knows", async () => {
  const result = await aiemp(["login", "myspace", "--vault", "/nonexistent-vault"]);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /Cannot log in to 'myspace': aiemp knows whatsapp/);
});

browserTest(
  "aiemp login whatsapp refuses while a running aiemp has the profile's browser open, and leaves that browser alone",
  async () => {
    await withLoginPage(async (vault) => {
      const running = await startAiemp(vault.path, ["--no-watchers"]);
      const profileDir = vault.file(".aiemp", "browser", "whatsapp");
      const browser = await foreignBrowserOn(profileDir);
      try {
        // What the orchestrator's channel records for the browser it has open on the profile.
        await Deno.writeTextFile(
          vault.file(".aiemp", "browser", "whatsapp.pid"),
          JSON.stringify({
            pid: browser.pid,
            command: await chromium(),
            profileDir,
            started: new Date().toISOString(),
          }),
        );
        const result = await aiemp([
          "login",
          "whatsapp",
          "--vault",
          vault.path,
          "--headless",
          "--timeout-s",
          "5",
        ]);
        assert.equal(result.code, 1, result.stderr);
        assert.match(result.stderr, /is in use by aiemp running on this vault/);
        assert.match(result.stderr, /stop aiemp first \(aiemp stop\) or wait/);
        assert.doesNotMatch(result.stderr, /stopped it/);
        // Still running (a stopped one would linger as a zombie of this test, so ps is asked).
        assert.ok((await browsersOn(profileDir)).includes(browser.pid), "the browser was stopped");
      } finally {
        browser.kill("SIGKILL");
        await browser.status;
        await running.stop();
      }
    });
  },
);

browserTest(
  "aiemp login whatsapp says to stop aiemp or wait when another browser holds the profile",
  async () => {
    await withLoginPage(async (vault) => {
      const browser = await foreignBrowserOn(vault.file(".aiemp", "browser", "whatsapp"));
      try {
        const result = await aiemp([
          "login",
          "whatsapp",
          "--vault",
          vault.path,
          "--headless",
          "--timeout-s",
          "5",
        ]);
        assert.equal(result.code, 1, result.stderr);
        assert.match(result.stderr, /is using this profile/);
        assert.match(result.stderr, /stop aiemp first \(aiemp stop\) or wait/);
      } finally {
        browser.kill("SIGKILL");
        await browser.status;
      }
    });
  },
);
