/**
 * The browser layer (src/browser): finding the browser, persistent profiles, leftovers, steps
 * with evidence, selectors with fallbacks, human typing, and the permissions of a Worker that
 * drives a browser. The browser tests run the system's real Chromium, headless, against the
 * local pages of tests/fixtures/pages served on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  BROWSER_NAMES,
  BrowserNotFound,
  browserPaths,
  type BrowserProfile,
  BrowserStartError,
  BrowserStepError,
  browserWorkerPermissions,
  describeSession,
  findBrowser,
  firstMatch,
  holdProfile,
  humanDelay,
  keystrokes,
  openProfile,
  PROFILE_LOCK_FILE,
  ProfileBusy,
  readPidFile,
  runStep,
  seededRandom,
  SelectorNotFound,
  sessionHealth,
  stopLeftoverBrowser,
  stopLeftoverWhenFree,
  typeHumanly,
} from "../../src/browser/mod.ts";
import { servePages } from "../fixtures/pages/serve.ts";
import type { WorkerAnswer, WorkerRequest } from "../fixtures/pages/browser_worker.ts";
import { browserTest } from "../fixtures/chromium.ts";

const WORKER = new URL("../fixtures/pages/browser_worker.ts", import.meta.url);
const ROOT = new URL("../../", import.meta.url);

// ---- helpers ----

/** A temporary folder for one test, removed afterwards. */
async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aiemp-browser-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
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

/** Waits until `condition` holds, checking every 50 ms; fails after `timeoutMs`. */
async function waitUntil(
  what: string,
  condition: () => Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`Still waiting after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Opens a headless browser on `<dir>/profile` with its PID file beside it. */
async function openIn(dir: string, executable: string): Promise<BrowserProfile> {
  return await openProfile({
    executable,
    profileDir: join(dir, "profile"),
    pidFile: join(dir, "browser.pid"),
  });
}

/** A page of the fixture server in a fresh profile; everything is closed after `fn`. */
async function withPage(
  pageName: string,
  fn: (page: Awaited<ReturnType<BrowserProfile["page"]>>, dir: string) => Promise<void>,
): Promise<void> {
  const executable = await findBrowser();
  const server = servePages();
  try {
    await withTempDir(async (dir) => {
      const browser = await openIn(dir, executable);
      try {
        const page = await browser.page();
        await page.goto(server.url(pageName));
        await fn(page, dir);
      } finally {
        await browser.close();
      }
    });
  } finally {
    await server.close();
  }
}

/** A file that counts as an executable program. */
async function fakeProgram(path: string): Promise<void> {
  await Deno.writeTextFile(path, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
}

// ---- finding the browser ----

browserTest(
  "findBrowser() prefers the configured path, then PATH in order, then the usual places",
  async () => {
    await withTempDir(async (dir) => {
      const bin = join(dir, "bin");
      await Deno.mkdir(bin);
      const usual = join(dir, "usual-chrome");
      await fakeProgram(usual);
      const options = { searchPath: bin, usualPaths: [join(dir, "absent"), usual] };
      assert.equal(await findBrowser(undefined, options), usual);

      await fakeProgram(join(bin, "google-chrome-stable"));
      assert.equal(await findBrowser(undefined, options), join(bin, "google-chrome-stable"));
      await fakeProgram(join(bin, "chromium-browser"));
      assert.equal(await findBrowser(undefined, options), join(bin, "chromium-browser"));

      const configured = join(dir, "my-chrome");
      await fakeProgram(configured);
      assert.equal(await findBrowser(configured, options), configured);
      assert.equal(
        await findBrowser("google-chrome-stable", options),
        join(bin, "google-chrome-stable"),
      );
    });
  },
);

browserTest(
  "findBrowser() names browser.executable when the configured browser is missing",
  async () => {
    await assert.rejects(
      findBrowser("/nowhere/chrome", { searchPath: "", usualPaths: [] }),
      (error: Error) => {
        assert.ok(error instanceof BrowserNotFound);
        assert.match(error.message, /browser\.executable is '\/nowhere\/chrome'/);
        return true;
      },
    );
  },
);

browserTest(
  "findBrowser() without any browser says to install Chromium or set browser.executable",
  async () => {
    await withTempDir(async (dir) => {
      // A file that is there but not executable does not count.
      await Deno.writeTextFile(join(dir, "chromium"), "not a program", { mode: 0o644 });
      await assert.rejects(
        findBrowser(undefined, { searchPath: dir, usualPaths: [join(dir, "absent")] }),
        (error: Error) => {
          assert.ok(error instanceof BrowserNotFound);
          assert.match(error.message, /apt-get install chromium/);
          assert.match(error.message, /browser\.executable/);
          for (const name of BROWSER_NAMES) assert.ok(error.message.includes(name));
          return true;
        },
      );
    });
  },
);

browserTest(
  "browserPaths() puts each platform's profile and PID file under .aiemp/browser/",
  () => {
    assert.deepEqual(browserPaths("/v/.aiemp", "whatsapp"), {
      profileDir: "/v/.aiemp/browser/whatsapp",
      pidFile: "/v/.aiemp/browser/whatsapp.pid",
    });
    assert.throws(() => browserPaths("/v/.aiemp", "../etc"), RangeError);
  },
);

// ---- pacing and health, as plain functions ----

browserTest(
  "humanDelay() draws whole milliseconds within the range, the same for the same seed",
  () => {
    const pace = { minMs: 30, maxMs: 120 };
    const first = Array.from(
      { length: 200 },
      ((random) => () => humanDelay(pace, random))(seededRandom(7)),
    );
    const again = Array.from(
      { length: 200 },
      ((random) => () => humanDelay(pace, random))(seededRandom(7)),
    );
    assert.deepEqual(first, again);
    assert.ok(first.every((ms) => Number.isInteger(ms) && ms >= 30 && ms <= 120));
    assert.ok(new Set(first).size > 20, "delays vary");
    assert.equal(humanDelay({ minMs: 5, maxMs: 5 }), 5);
    assert.throws(() => humanDelay({ minMs: 100, maxMs: 50 }), RangeError);
    assert.throws(() => humanDelay({ minMs: -1, maxMs: 50 }), RangeError);
  },
);

browserTest("keystrokes() keeps an emoji, a flag and an accented letter whole", () => {
  assert.deepEqual(keystrokes("añ👍🏽🇫🇷e\u0301!"), ["a", "ñ", "👍🏽", "🇫🇷", "e\u0301", "!"]);
});

browserTest("sessionHealth() gives a logged-out session the aiemp login fix", () => {
  const at = new Date("2026-01-02T03:04:05Z");
  const out = sessionHealth("whatsapp", "logged_out", at, "the QR code is shown");
  assert.deepEqual(out, {
    platform: "whatsapp",
    state: "logged_out",
    checkedAt: "2026-01-02T03:04:05.000Z",
    detail: "the QR code is shown",
    fix: "run aiemp login whatsapp",
  });
  assert.equal(
    describeSession(out),
    "whatsapp: logged out (the QR code is shown); run aiemp login whatsapp",
  );
  assert.equal(describeSession(sessionHealth("whatsapp", "logged_in", at)), "whatsapp: logged in");
  assert.equal(sessionHealth("x", "broken", at).fix, undefined);
});

// ---- real Chromium ----

browserTest(
  "openProfile() keeps cookies and localStorage across two launches, in a 0700 profile",
  async () => {
    const executable = await findBrowser();
    const server = servePages();
    try {
      await withTempDir(async (dir) => {
        const profileDir = join(dir, "profile");
        const first = await openIn(dir, executable);
        const page = await first.page();
        await page.goto(server.url("index.html"));
        // Run in the page, where `document` is the page's.
        await page.evaluate(`
        document.cookie = "aiemp_session=kept; max-age=3600; path=/";
        localStorage.setItem("aiemp_note", "remembered");
      `);
        assert.equal((await Deno.stat(profileDir)).mode! & 0o777, 0o700);
        const record = await readPidFile(join(dir, "browser.pid"));
        assert.equal(record?.pid, first.pid);
        assert.equal(record?.profileDir, profileDir);
        await first.close();
        await first.close(); // twice is fine
        await assert.rejects(Deno.stat(join(dir, "browser.pid")), Deno.errors.NotFound);

        const second = await openIn(dir, executable);
        try {
          const again = await second.page();
          await again.goto(server.url("index.html"));
          assert.equal(
            await again.locator("#stored").textContent(),
            "cookie=kept storage=remembered",
          );
        } finally {
          await second.close();
        }
      });
    } finally {
      await server.close();
    }
  },
);

browserTest("openProfile() leaves no browser process behind after close()", async () => {
  await withTempDir(async (dir) => {
    const browser = await openIn(dir, await findBrowser());
    const profileDir = join(dir, "profile");
    assert.ok((await browsersOn(profileDir)).includes(browser.pid!), "the browser runs");
    await browser.close();
    await waitUntil(
      "no process on the profile",
      async () => (await browsersOn(profileDir)).length === 0,
    );
  });
});

browserTest(
  "stopLeftoverBrowser() stops a browser that was never closed, and a new one can start",
  async () => {
    await withTempDir(async (dir) => {
      const executable = await findBrowser();
      const profileDir = join(dir, "profile");
      const pidFile = join(dir, "browser.pid");
      const abandoned = await openIn(dir, executable); // as if the orchestrator had been SIGKILLed
      const lines: string[] = [];
      assert.equal(
        await stopLeftoverBrowser(pidFile, { log: (_, line) => lines.push(line) }),
        true,
      );
      await waitUntil(
        "the leftover is gone",
        async () => (await browsersOn(profileDir)).length === 0,
      );
      assert.match(lines.join("\n"), new RegExp(`PID ${abandoned.pid}`));
      await assert.rejects(Deno.stat(pidFile), Deno.errors.NotFound);
      await abandoned.close(); // closing what is already gone is harmless
      assert.equal(await stopLeftoverBrowser(pidFile), false, "nothing left to stop");

      // openProfile() itself stops a leftover on its profile before it starts.
      const leftover = await openIn(dir, executable);
      // As if its aiemp had died: the operating system lets go of the profile's lock with it.
      await Deno.remove(join(profileDir, PROFILE_LOCK_FILE));
      const next = await openIn(dir, executable);
      try {
        const running = await browsersOn(profileDir);
        assert.ok(!running.includes(leftover.pid!), "the leftover was stopped");
        assert.ok(running.includes(next.pid!), "the new browser runs");
      } finally {
        await next.close();
        await leftover.close();
      }
    });
  },
);

browserTest(
  "openProfile() refuses a profile another part of aiemp holds, starting nothing; the leftover clean-up waits too",
  async () => {
    await withTempDir(async (dir) => {
      const profileDir = join(dir, "profile");
      const pidFile = join(dir, "browser.pid");
      await Deno.mkdir(profileDir);
      const record = { pid: 1, command: "chromium", profileDir, started: new Date().toISOString() };
      await Deno.writeTextFile(pidFile, JSON.stringify(record));
      const hold = await holdProfile(profileDir);
      assert.ok(hold, "the profile is free at first");
      try {
        assert.equal(await holdProfile(profileDir), undefined, "a second hold is refused");
        await assert.rejects(
          openProfile({ executable: "/nonexistent/chromium", profileDir, pidFile }),
          (error: unknown) => error instanceof ProfileBusy && /in use/.test(error.message),
        );
        assert.equal(await stopLeftoverWhenFree({ profileDir, pidFile }), "busy");
        assert.ok((await readPidFile(pidFile))?.pid === 1, "the holder's PID file is left alone");
      } finally {
        hold.release();
      }
      const again = await holdProfile(profileDir);
      assert.ok(again, "released, it can be held again");
      again.release();
    });
  },
);

browserTest("stopLeftoverBrowser() leaves alone a PID that now runs another program", async () => {
  await withTempDir(async (dir) => {
    const other = new Deno.Command("sleep", { args: ["30"], stdout: "null", stderr: "null" })
      .spawn();
    try {
      const pidFile = join(dir, "browser.pid");
      await Deno.writeTextFile(
        pidFile,
        JSON.stringify({ pid: other.pid, command: "sleep", profileDir: join(dir, "profile") }),
      );
      assert.equal(await stopLeftoverBrowser(pidFile), false);
      Deno.kill(other.pid, "SIGCONT"); // throws if the process were gone
      await assert.rejects(Deno.stat(pidFile), Deno.errors.NotFound);
    } finally {
      other.kill("SIGKILL");
      await other.status;
    }
  });
});

browserTest("openProfile() says so when a browser it did not start holds the profile", async () => {
  await withTempDir(async (dir) => {
    const executable = await findBrowser();
    const profileDir = join(dir, "profile");
    // The owner's own Chromium on the profile: no PID file, so aiemp leaves it alone.
    const foreign = new Deno.Command(executable, {
      args: ["--headless", "--no-sandbox", `--user-data-dir=${profileDir}`, "about:blank"],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      await waitUntil(
        "the other browser holds the profile",
        () => Deno.lstat(join(profileDir, "SingletonLock")).then(() => true, () => false),
      );
      await assert.rejects(openIn(dir, executable), (error: Error) => {
        assert.ok(error instanceof BrowserStartError);
        assert.ok(
          error.message.startsWith(`Cannot start the browser ${executable} on ${profileDir}: `),
        );
        assert.match(error.message, /is using this profile: close it and start again$/);
        return true;
      });
      Deno.kill(foreign.pid, "SIGCONT"); // still running: not ours to stop
    } finally {
      foreign.kill("SIGKILL");
      await foreign.status;
    }
  });
});

browserTest(
  "runStep() saves a screenshot and the HTML of a failing step, and names both",
  async () => {
    await withPage("index.html", async (page, dir) => {
      const evidenceDir = join(dir, "Logs", "browser");
      const now = () => new Date("2026-03-04T05:06:07.089Z");
      assert.equal(
        await runStep(
          page,
          { name: "read", timeoutMs: 5000, evidenceDir, itemId: "WHATSAPP_1", now },
          () => page.locator("#heading").textContent(),
        ),
        "A local page for the browser tests",
      );
      const error = await runStep(
        page,
        { name: "open chat", timeoutMs: 5000, evidenceDir, itemId: "WHATSAPP_1", now },
        () => Promise.reject(new Error("chat list not found")),
      ).then(() => assert.fail("the step should fail"), (error) => error);
      assert.ok(error instanceof BrowserStepError);
      const base = join(evidenceDir, "WHATSAPP_1-open_chat-2026-03-04T05-06-07-089Z");
      assert.equal(error.evidence.screenshot, `${base}.png`);
      assert.equal(error.evidence.html, `${base}.html`);
      assert.equal(error.step, "open chat");
      assert.equal(error.timedOut, false);
      assert.match(
        error.message,
        /Browser step 'open chat' for WHATSAPP_1 failed: chat list not found/,
      );
      assert.ok(error.message.includes(`${base}.png`) && error.message.includes(`${base}.html`));
      const png = await Deno.readFile(`${base}.png`);
      assert.deepEqual([...png.subarray(1, 4)], [...new TextEncoder().encode("PNG")]);
      assert.match(await Deno.readTextFile(`${base}.html`), /A local page for the browser tests/);
    });
  },
);

browserTest(
  "runStep() ends a step that runs out of time, aborts its signal, and keeps evidence",
  async () => {
    await withPage("index.html", async (page, dir) => {
      const evidenceDir = join(dir, "Logs", "browser");
      let aborted = false;
      const error = await runStep(
        page,
        { name: "wait_for_send", timeoutMs: 300, evidenceDir, itemId: "WHATSAPP_2" },
        (signal) => {
          signal.addEventListener("abort", () => aborted = true);
          return page.locator("#never-there").waitFor({ timeout: 20_000 });
        },
      ).then(() => assert.fail("the step should time out"), (error) => error);
      assert.ok(error instanceof BrowserStepError);
      assert.equal(error.timedOut, true);
      assert.ok(aborted, "the step's signal was aborted");
      assert.match(error.message, /'wait_for_send' for WHATSAPP_2 failed: timed out after 300 ms/);

      // A stop from outside (shutdown) is not a failure: its reason passes through, no evidence.
      const stop = new AbortController();
      const stopped = runStep(
        page,
        {
          name: "stopped",
          timeoutMs: 20_000,
          evidenceDir,
          itemId: "WHATSAPP_3",
          signal: stop.signal,
        },
        () => page.locator("#never-there").waitFor({ timeout: 20_000 }),
      );
      stop.abort(new Error("shutting down"));
      await assert.rejects(stopped, /^Error: shutting down$/);
      const files = (await Array.fromAsync(Deno.readDir(evidenceDir))).map((entry) => entry.name);
      assert.deepEqual(files.map((name) => name.split(".").pop()).sort(), ["html", "png"]);
      assert.ok(files.every((name) => name.startsWith("WHATSAPP_2-wait_for_send-")));
    });
  },
);

browserTest(
  "firstMatch() prefers the first selector, falls back, waits, and names all it tried",
  async () => {
    await withPage("selectors.html", async (page) => {
      const composer = await firstMatch(
        page,
        ["#composer", '[data-testid="conversation-compose-box"]'],
        { timeoutMs: 2000 },
      );
      assert.equal(composer.index, 1);
      assert.equal(composer.selector, '[data-testid="conversation-compose-box"]');
      assert.equal(await composer.locator.textContent(), "new composer");

      // A hidden element is not a match for "visible"; the visible fallback is.
      const send = await firstMatch(page, ["button.send", 'button[aria-label="Send"]'], {
        timeoutMs: 2000,
      });
      assert.equal(send.index, 1);
      const hidden = await firstMatch(page, ["button.send"], {
        timeoutMs: 2000,
        state: "attached",
      });
      assert.equal(hidden.index, 0);

      // Both present: the preferred one wins.
      const both = await firstMatch(page, ['button[aria-label="Send"]', "button"], {
        timeoutMs: 2000,
      });
      assert.equal(both.index, 0);

      // An element that appears later (a slow page) is waited for.
      const late = await firstMatch(page, [".arrived"], { timeoutMs: 5000 });
      assert.equal(await late.locator.textContent(), "arrived");

      await assert.rejects(
        firstMatch(page, ["#composer", "div[", ".old-composer"], {
          timeoutMs: 300,
          what: "the composer",
        }),
        (error: Error) => {
          assert.ok(error instanceof SelectorNotFound);
          assert.match(error.message, /^Cannot find the composer: none of 3 selector\(s\) matched/);
          assert.match(error.message, /'#composer', 'div\[' \(invalid\), '\.old-composer'/);
          assert.deepEqual(error.selectors, ["#composer", "div[", ".old-composer"]);
          return true;
        },
      );
    });
  },
);

browserTest(
  "typeHumanly() types the exact text, accents and emoji included, key by key",
  async () => {
    await withPage("form.html", async (page) => {
      const text = "Grüße, José — 你好 👋🏽 ok? 🇫🇷 e\u0301";
      const waits: number[] = [];
      const sleep = (ms: number) => {
        waits.push(ms);
        return Promise.resolve(false);
      };
      await typeHumanly(page.locator("#name"), text, {
        minMs: 20,
        maxMs: 60,
        random: seededRandom(1),
        sleep,
      });
      assert.equal(await page.locator("#name").inputValue(), text);
      assert.equal(waits.length, keystrokes(text).length - 1);
      assert.ok(waits.every((ms) => ms >= 20 && ms <= 60));
      assert.ok(Number(await page.locator("#keys").textContent()) > 10, "typed, not pasted");

      // Real (short) waits, and a line break typed with Enter in a text area.
      await typeHumanly(page.locator("#message"), "first line\nsecond 😀", { minMs: 0, maxMs: 3 });
      assert.equal(await page.locator("#message").inputValue(), "first line\nsecond 😀");

      // In a composer where Enter would send, Shift+Enter makes the line break.
      await typeHumanly(page.locator("#composer"), "a\nb", {
        minMs: 0,
        maxMs: 1,
        newline: "Shift+Enter",
      });
      assert.equal(await page.locator("#composer").innerText(), "a\nb");

      await assert.rejects(
        typeHumanly(page.locator("#name"), "x", { minMs: 50, maxMs: 10 }),
        RangeError,
      );
    });
  },
);

browserTest(
  "a Worker with only browserWorkerPermissions() drives a browser and is refused the rest",
  async () => {
    const executable = await findBrowser();
    const server = servePages();
    try {
      await withTempDir(async (dir) => {
        const request: WorkerRequest = {
          executable,
          profileDir: join(dir, ".aiemp", "browser", "test"),
          pidFile: join(dir, ".aiemp", "browser", "test.pid"),
          evidenceDir: join(dir, "Logs", "browser"),
          url: server.url("form.html"),
        };
        // The places exist before the Worker starts, as the vault's do.
        await Deno.mkdir(join(dir, ".aiemp", "browser"), { recursive: true });
        await Deno.mkdir(request.evidenceDir, { recursive: true });
        const worker = new Worker(WORKER, {
          type: "module",
          deno: { permissions: browserWorkerPermissions(request) },
        });
        try {
          const answer = await new Promise<WorkerAnswer>((resolve) => {
            worker.onmessage = (event: MessageEvent<WorkerAnswer>) => resolve(event.data);
            worker.onerror = (event) => {
              event.preventDefault();
              resolve({ ok: false, error: event.message });
            };
            worker.postMessage(request);
          });
          assert.ok(answer.ok, answer.ok ? "" : answer.error);
          assert.equal(answer.typed, "ok ✓");
          assert.equal(answer.evidence.length, 2, answer.evidence.join("; "));
          assert.ok(answer.evidence.every((file) => file.startsWith(request.evidenceDir)));
          assert.equal(answer.fetchRefused, "NotCapable");
          assert.equal(answer.outsideRefused, "NotCapable");
          assert.deepEqual(await browsersOn(request.profileDir), []);
        } finally {
          worker.terminate();
        }
      });
    } finally {
      await server.close();
    }
  },
);

browserTest(
  "src/browser/mod.ts loads no npm package as it is imported (playwright-core waits for openProfile)",
  async () => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "info",
        "--json",
        "--config",
        new URL("deno.json", ROOT).pathname,
        "src/browser/mod.ts",
      ],
      cwd: ROOT.pathname,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(output.success, new TextDecoder().decode(output.stderr));
    const graph = JSON.parse(new TextDecoder().decode(output.stdout)) as {
      roots: string[];
      modules: {
        specifier: string;
        dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
      }[];
    };
    const modules = new Map(graph.modules.map((module) => [module.specifier, module]));
    // Follow the imports that run at import time (static, code); note every npm package reached.
    const loaded: string[] = [];
    const seen = new Set<string>();
    const visit = (specifier: string, chain: string) => {
      if (seen.has(specifier)) return;
      seen.add(specifier);
      if (specifier.startsWith("npm:")) return void loaded.push(`${specifier} through ${chain}`);
      for (const dependency of modules.get(specifier)?.dependencies ?? []) {
        if (dependency.isDynamic || !dependency.code) continue;
        visit(dependency.code.specifier, `${chain} → ${specifier.replace(ROOT.href, "")}`);
      }
    };
    visit(graph.roots[0], "mod.ts");
    assert.ok(seen.size > 5, "the graph was walked");
    assert.deepEqual(loaded, []);
  },
);
