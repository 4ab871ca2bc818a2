import assert from "node:assert/strict";
import { readAuditLog } from "../../src/audit/mod.ts";
import { parseNote } from "../../src/vault/mod.ts";
import {
  approve,
  filesIn,
  makeVault,
  startAiemp,
  type TestVault,
  waitFor,
  webhookRequest,
  webhookServer,
} from "./_harness.ts";

const FAST_RETRIES = "approvals:\n  retry_delay_s: 0\n";

async function finishedIn(
  vault: TestVault,
  folder: "Done" | "Rejected" | "Pending_Approval",
  name: string,
) {
  const path = vault.file(folder, name);
  await waitFor(() => Deno.stat(path).then(() => true, () => false), `${name} in ${folder}/`);
  return parseNote(await Deno.readTextFile(path));
}

Deno.test("an approved webhook is sent exactly once, with its body and Idempotency-Key, and filed in Done/ with the result", async () => {
  const server = webhookServer();
  const vault = await makeVault();
  try {
    const run = await startAiemp(vault.path);
    await approve(
      vault,
      "WEBHOOK_build.md",
      webhookRequest("WEBHOOK_build_1", `${server.url}/hooks/build`),
    );
    const done = await finishedIn(vault, "Done", "WEBHOOK_build.md");
    assert.equal(server.requests.length, 1);
    const [request] = server.requests;
    assert.equal(request.method, "POST");
    assert.equal(request.path, "/hooks/build");
    assert.equal(request.headers["idempotency-key"], "WEBHOOK_build_1");
    assert.equal(request.headers["content-type"], "application/json");
    const body = JSON.parse(request.body);
    assert.equal(body.id, "WEBHOOK_build_1");
    assert.equal(body.action, "webhook");
    assert.equal(body.body, "The build finished.\n");
    assert.equal(body.fields.type, "approval_request");
    assert.equal(done.frontMatter.status, "done");
    assert.equal(done.frontMatter.outcome, "sent");
    assert.equal(done.frontMatter.attempts, 1);
    assert.equal(done.frontMatter.remote_id, "remote-42");
    assert.match(done.body, /## Result[\s\S]*- Outcome: sent[\s\S]*- Remote id: remote-42/);
    const audit = (await readAuditLog(vault.file(".aiemp", "audit.jsonl"))).filter((e) =>
      e.id === "WEBHOOK_build_1"
    );
    assert.deepEqual(audit.map((e) => [e.event, e.who]), [
      ["pending", "unknown"],
      ["approved", "human"],
      ["started", "executor"],
      ["done", "executor"],
    ]);
    assert.equal(await run.stop(), 0);
    // A restart does not send it again.
    const again = await startAiemp(vault.path);
    assert.equal(await again.stop(), 0);
    assert.equal(server.requests.length, 1);
  } finally {
    await server.close();
    await vault.cleanup();
  }
});

Deno.test("a payload in the front matter is sent verbatim; a named webhook's URL never shows in logs, audit or results", async () => {
  const server = webhookServer();
  const token = "T0KEN-s3cr3t-abc123";
  const vault = await makeVault(`webhooks:\n  ops: ${server.url}/services/${token}\n`);
  try {
    const run = await startAiemp(vault.path);
    await approve(
      vault,
      "WEBHOOK_ops.md",
      `---\nid: ops-1\ntype: approval_request\nwebhook: ops\npayload:\n  text: Deploy done ✓\n  count: 3\n---\nignored\n`,
    );
    await finishedIn(vault, "Done", "WEBHOOK_ops.md");
    assert.deepEqual(JSON.parse(server.requests[0].body), { text: "Deploy done ✓", count: 3 });
    assert.equal(server.requests[0].path, `/services/${token}`);
    assert.equal(await run.stop(), 0);
    for (
      const file of [
        "Logs/system.log",
        "Logs/executor.log",
        ".aiemp/audit.jsonl",
        "Done/WEBHOOK_ops.md",
        "Dashboard.md",
        ".aiemp/state.json",
      ]
    ) {
      assert.doesNotMatch(
        await Deno.readTextFile(vault.file(file)),
        new RegExp(token),
        `${file} holds no token`,
      );
    }
    assert.doesNotMatch(run.output(), new RegExp(token));
  } finally {
    await server.close();
    await vault.cleanup();
  }
});

Deno.test("dry run records what would be sent, files the item in Done/ with dry_run: true, and contacts nothing", async () => {
  const server = webhookServer();
  const vault = await makeVault();
  try {
    const run = await startAiemp(vault.path, ["--dry-run"]);
    assert.match(run.output(), /Dry run: on/);
    await approve(vault, "WEBHOOK_dry.md", webhookRequest("dry-1", `${server.url}/x?token=abc`));
    const done = await finishedIn(vault, "Done", "WEBHOOK_dry.md");
    assert.equal(done.frontMatter.dry_run, true);
    assert.equal(done.frontMatter.outcome, "dry_run");
    assert.match(
      done.body,
      /Dry run: nothing was contacted[\s\S]*"method": "POST"[\s\S]*"idempotency-key": "dry-1"/,
    );
    const wouldSend = JSON.parse(done.body.match(/```json\n([\s\S]*?)\n```/)![1]);
    assert.equal(
      wouldSend.url,
      `${server.url}/…`,
      "only the URL's origin is recorded (its path and query often hold a token)",
    );
    assert.equal(await run.stop(), 0);
    assert.equal(server.requests.length, 0);
  } finally {
    await server.close();
    await vault.cleanup();
  }
});

Deno.test("DRY_RUN=true in the environment is the same as --dry-run", async () => {
  const server = webhookServer();
  const vault = await makeVault();
  try {
    const run = await startAiemp(vault.path, [], { env: { DRY_RUN: "true" } });
    await approve(vault, "WEBHOOK_env.md", webhookRequest("env-1", server.url));
    assert.equal((await finishedIn(vault, "Done", "WEBHOOK_env.md")).frontMatter.dry_run, true);
    assert.equal(await run.stop(), 0);
    assert.equal(server.requests.length, 0);
  } finally {
    await server.close();
    await vault.cleanup();
  }
});

Deno.test("malformed approvals go to Rejected/ with the reason, and the executor carries on", async (t) => {
  const server = webhookServer();
  const vault = await makeVault(FAST_RETRIES);
  const run = await startAiemp(vault.path);
  try {
    await t.step("front matter that is not closed", async () => {
      const text = "---\nid: broken\naction: webhook\nurl: http://x\nThe rest\n";
      await approve(vault, "WEBHOOK_broken.md", text);
      const rejected = await Deno.readTextFile(
        await waitForFile(vault, "Rejected", "WEBHOOK_broken.md"),
      );
      assert.ok(rejected.startsWith(text), "the original text is kept as it was");
      assert.match(rejected, /malformed front matter: .*no closing '---'/);
    });
    await t.step("front matter that is not YAML", async () => {
      await approve(vault, "WEBHOOK_yaml.md", "---\nid: [unclosed\n---\nbody\n");
      const rejected = await Deno.readTextFile(
        await waitForFile(vault, "Rejected", "WEBHOOK_yaml.md"),
      );
      assert.match(rejected, /malformed front matter: front matter is not valid YAML/);
    });
    await t.step("an unknown action", async () => {
      const note = await approveAndWait(
        vault,
        "Rejected",
        "launch.md",
        "---\nid: l1\naction: launch_rocket\n---\nGo\n",
      );
      assert.match(
        String(note.frontMatter.error),
        /unknown action 'launch_rocket'; this version can perform: webhook/,
      );
      assert.equal(note.frontMatter.status, "rejected");
    });
    await t.step("a LINKEDIN_ post with neither an API token nor a browser login", async () => {
      const note = await approveAndWait(
        vault,
        "Rejected",
        "LINKEDIN_hi.md",
        "---\nid: l1\n---\n## Content\nHi\n",
      );
      assert.match(
        String(note.frontMatter.error),
        /no LinkedIn session: log in once with 'aiemp login linkedin', or set up the API with 'aiemp auth linkedin'/,
      );
    });
    await t.step("no action and no prefix", async () => {
      const note = await approveAndWait(
        vault,
        "Rejected",
        "notes.md",
        "---\nid: n1\n---\nJust a note\n",
      );
      assert.match(String(note.frontMatter.error), /no action: add 'action: NAME'/);
    });
    await t.step("a webhook without a URL", async () => {
      const note = await approveAndWait(
        vault,
        "Rejected",
        "WEBHOOK_nourl.md",
        "---\nid: w1\n---\nHi\n",
      );
      assert.match(String(note.frontMatter.error), /needs 'url: https:\/\/…' or 'webhook: NAME'/);
    });
    await t.step("a webhook name not defined in aiemp.yaml", async () => {
      const note = await approveAndWait(
        vault,
        "Rejected",
        "WEBHOOK_named.md",
        "---\nid: w2\nwebhook: slack\n---\nHi\n",
      );
      assert.match(
        String(note.frontMatter.error),
        /webhook 'slack' is not defined under 'webhooks:' in aiemp\.yaml/,
      );
    });
    await t.step("a URL that is not http(s)", async () => {
      const note = await approveAndWait(
        vault,
        "Rejected",
        "WEBHOOK_ftp.md",
        "---\nid: w3\nurl: ftp://files.example/x\n---\nHi\n",
      );
      assert.match(String(note.frontMatter.error), /must start with http:\/\/ or https:\/\//);
    });
    await t.step("a file that is not Markdown", async () => {
      await Deno.writeTextFile(vault.file("Approved", "photo.png"), "not an approval");
      const why = await Deno.readTextFile(
        await waitForFile(vault, "Rejected", "photo.png.result.md"),
      );
      assert.match(why, /not an approval request/);
      assert.equal(
        await Deno.readTextFile(vault.file("Rejected", "photo.png")),
        "not an approval",
        "kept untouched",
      );
    });
    await t.step("after all that, a good item still goes out once", async () => {
      await approveAndWait(vault, "Done", "WEBHOOK_ok.md", webhookRequest("ok-1", server.url));
      assert.equal(server.requests.length, 1);
      assert.doesNotMatch(run.output(), /Uncaught|has died/);
    });
  } finally {
    await run.stop();
    await server.close();
    await vault.cleanup();
  }
});

Deno.test("a webhook answering 503 is retried and then succeeds; one answering 500 every time is rejected after max_retries", async () => {
  const flaky = webhookServer((_, i) =>
    i === 0 ? new Response("busy", { status: 503 }) : Response.json({ id: "ok" })
  );
  const broken = webhookServer(() => new Response("boom", { status: 400 }));
  const refusing = webhookServer(() => new Response("slow down", { status: 429 }));
  const vault = await makeVault(FAST_RETRIES);
  try {
    const run = await startAiemp(vault.path);
    const retried = await approveAndWait(
      vault,
      "Done",
      "WEBHOOK_flaky.md",
      webhookRequest("flaky-1", flaky.url),
    );
    assert.equal(retried.frontMatter.attempts, 2);
    assert.equal(flaky.requests.length, 2);
    const rejected = await approveAndWait(
      vault,
      "Rejected",
      "WEBHOOK_broken.md",
      webhookRequest("broken-1", broken.url),
    );
    assert.equal(rejected.frontMatter.attempts, 1, "a 400 is not retried");
    assert.match(String(rejected.frontMatter.error), /HTTP 400: boom/);
    const exhausted = await approveAndWait(
      vault,
      "Rejected",
      "WEBHOOK_429.md",
      webhookRequest("r-1", refusing.url),
    );
    assert.equal(exhausted.frontMatter.attempts, 3);
    assert.equal(refusing.requests.length, 3);
    assert.equal(await run.stop(), 0);
  } finally {
    await Promise.all([flaky.close(), broken.close(), refusing.close()]);
    await vault.cleanup();
  }
});

Deno.test("a connection refused is retried, and rejected after max_retries with the reason", async () => {
  const server = webhookServer();
  const deadUrl = server.url;
  await server.close();
  const vault = await makeVault(FAST_RETRIES);
  try {
    const run = await startAiemp(vault.path);
    const note = await approveAndWait(
      vault,
      "Rejected",
      "WEBHOOK_dead.md",
      webhookRequest("dead-1", deadUrl),
    );
    assert.equal(note.frontMatter.attempts, 3);
    assert.match(String(note.frontMatter.error), /cannot reach the webhook/);
    assert.equal(await run.stop(), 0);
  } finally {
    await vault.cleanup();
  }
});

Deno.test("at most once across a crash: an item whose request was in flight when aiemp was killed is not sent again, and waits for the human", async () => {
  let release: () => void = () => {};
  const hanging = new Promise<void>((resolve) => release = resolve);
  const server = webhookServer(async () => {
    await hanging;
    return Response.json({ id: "late" });
  });
  const vault = await makeVault(FAST_RETRIES);
  try {
    const run = await startAiemp(vault.path);
    await approve(vault, "WEBHOOK_crash.md", webhookRequest("crash-1", server.url));
    await waitFor(() => server.requests.length === 1, "the request to reach the server");
    await run.stop("SIGKILL");
    release();
    const again = await startAiemp(vault.path);
    const back = await finishedIn(vault, "Pending_Approval", "WEBHOOK_crash.md");
    assert.equal(back.frontMatter.interrupted, "may have been sent");
    assert.match(back.body, /## Interrupted[\s\S]*Check before approving it again/);
    assert.equal(await again.stop(), 0);
    assert.equal(server.requests.length, 1, "not sent a second time");
    assert.deepEqual(await filesIn(vault.file(".aiemp", "inflight")), []);
    const events = (await readAuditLog(vault.file(".aiemp", "audit.jsonl"))).map((e) => e.event);
    assert.ok(events.includes("started") && events.includes("interrupted"));
  } finally {
    release();
    await server.close();
    await vault.cleanup();
  }
});

Deno.test("at most once across a crash: an idempotent item (the remote honours the key) is retried with the same key", async () => {
  let calls = 0;
  let release: () => void = () => {};
  const hanging = new Promise<void>((resolve) => release = resolve);
  const server = webhookServer(async () => {
    if (++calls === 1) await hanging;
    return Response.json({ id: "ok" });
  });
  const vault = await makeVault(FAST_RETRIES);
  try {
    const run = await startAiemp(vault.path);
    await approve(
      vault,
      "WEBHOOK_idem.md",
      webhookRequest("idem-1", server.url, "idempotent: true\n"),
    );
    await waitFor(() => server.requests.length === 1, "the first request");
    await run.stop("SIGKILL");
    const again = await startAiemp(vault.path);
    await finishedIn(vault, "Done", "WEBHOOK_idem.md");
    assert.equal(await again.stop(), 0);
    assert.deepEqual(server.requests.map((r) => r.headers["idempotency-key"]), [
      "idem-1",
      "idem-1",
    ]);
  } finally {
    release();
    await server.close();
    await vault.cleanup();
  }
});

Deno.test("graceful shutdown lets the action in flight finish before exiting", async () => {
  const server = webhookServer(async () => {
    await new Promise((resolve) => setTimeout(resolve, 800)); // a slow remote, not a wait in the test
    return Response.json({ id: "slow" });
  });
  const vault = await makeVault();
  try {
    const run = await startAiemp(vault.path);
    await approve(vault, "WEBHOOK_slow.md", webhookRequest("slow-1", server.url));
    await waitFor(() => server.requests.length === 1, "the request to reach the server");
    assert.equal(await run.stop("SIGTERM"), 0);
    assert.deepEqual(await filesIn(vault.file("Done")), ["WEBHOOK_slow.md"]);
    assert.equal(server.requests.length, 1);
  } finally {
    await server.close();
    await vault.cleanup();
  }
});

Deno.test("an action cut off by the end of the shutdown window goes back to Pending_Approval/ as interrupted", async () => {
  let release: () => void = () => {};
  const hanging = new Promise<void>((resolve) => release = resolve);
  const server = webhookServer(async () => {
    await hanging;
    return Response.json({});
  });
  const vault = await makeVault("supervisor:\n  shutdown_timeout_s: 2\n");
  try {
    const run = await startAiemp(vault.path);
    await approve(vault, "WEBHOOK_hang.md", webhookRequest("hang-1", server.url));
    await waitFor(() => server.requests.length === 1, "the request to reach the server");
    assert.equal(await run.stop("SIGTERM"), 0);
    const back = parseNote(
      await Deno.readTextFile(vault.file("Pending_Approval", "WEBHOOK_hang.md")),
    );
    assert.equal(back.frontMatter.interrupted, "may have been sent");
  } finally {
    release();
    await server.close();
    await vault.cleanup();
  }
});

async function waitForFile(vault: TestVault, folder: string, name: string): Promise<string> {
  const path = vault.file(folder, name);
  await waitFor(() => Deno.stat(path).then(() => true, () => false), `${name} in ${folder}/`);
  return path;
}

async function approveAndWait(
  vault: TestVault,
  folder: "Done" | "Rejected",
  name: string,
  text: string,
) {
  await approve(vault, name, text);
  return await finishedIn(vault, folder, name);
}
