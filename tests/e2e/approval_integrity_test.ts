/**
 * Nothing leaves the machine without a human: only a request that was pending and then moved to
 * Approved/ by a person is performed; the network is opened only for it; expiry and the audit trail.
 */
import assert from "node:assert/strict";
import { readAuditLog } from "../../src/audit/mod.ts";
import { parseNote } from "../../src/vault/mod.ts";
import {
  aiemp,
  approve,
  makeVault,
  startAiemp,
  type TestVault,
  waitFor,
  waitUntilPending,
  webhookRequest,
} from "./_harness.ts";

/**
 * A loopback HTTP endpoint that counts every TCP connection it accepts, so a test can tell that
 * nothing even connected. It answers each request with `answer(port)` (a raw HTTP response).
 */
function countingEndpoint(answer = () => "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok") {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let connections = 0;
  const requests: string[] = [];
  const served = (async () => {
    for await (const conn of listener) {
      connections++;
      (async () => {
        const buffer = new Uint8Array(65536);
        const n = await conn.read(buffer).catch(() => null);
        if (n) requests.push(new TextDecoder().decode(buffer.subarray(0, n)));
        await conn.write(new TextEncoder().encode(answer())).catch(() => {});
        conn.close();
      })();
    }
  })().catch(() => {});
  return {
    url: `http://127.0.0.1:${listener.addr.port}`,
    port: listener.addr.port,
    connections: () => connections,
    requests,
    async close() {
      listener.close();
      await served;
    },
  };
}

async function landsIn(vault: TestVault, folder: string, name: string) {
  const path = vault.file(folder, name);
  await waitFor(() => Deno.stat(path).then(() => true, () => false), `${name} in ${folder}/`);
  return parseNote(await Deno.readTextFile(path));
}

const FAST = "approvals:\n  retry_delay_s: 0\n  max_retries: 1\n";

Deno.test("a request written straight into Approved/ is refused with an alert, while the same request moved there from Pending_Approval/ is performed", async () => {
  const endpoint = countingEndpoint();
  const vault = await makeVault(FAST);
  const run = await startAiemp(vault.path);
  try {
    const text = webhookRequest("payout-1", `${endpoint.url}/hook`);
    // What a hijacked agent would do: write the approval itself.
    await Deno.writeTextFile(vault.file("Approved", "WEBHOOK_payout.md"), text);
    const refused = await landsIn(vault, "Rejected", "WEBHOOK_payout.md");
    assert.match(String(refused.frontMatter.error), /never pending/);
    assert.match(refused.body, /Nothing was sent/);
    const dashboard = await waitFor(async () => {
      const text = await Deno.readTextFile(vault.file("Dashboard.md"));
      return text.includes("WEBHOOK_payout.md appeared in Approved/") && text;
    }, "the refusal's alert on the Dashboard");
    assert.match(dashboard, /never pending, so no human approved it/);
    assert.equal(endpoint.connections(), 0);

    // The human's way: pending first, then moved.
    await approve(vault, "WEBHOOK_payout_2.md", text);
    await landsIn(vault, "Done", "WEBHOOK_payout_2.md");
    assert.equal(endpoint.requests.length, 1);

    const events = (await readAuditLog(vault.file(".aiemp", "audit.jsonl")))
      .filter((e) => e.id === "payout-1")
      .map((e) => `${e.event}:${e.who}`);
    assert.deepEqual(events, [
      "refused:executor",
      "pending:unknown",
      "approved:human",
      "started:executor",
      "done:executor",
    ]);
    // The alert goes once the owner has dealt with the refused file.
    await Deno.remove(vault.file("Rejected", "WEBHOOK_payout.md"));
    await waitFor(async () =>
      !(await Deno.readTextFile(vault.file("Dashboard.md"))).includes(
        "WEBHOOK_payout.md appeared",
      ), "the alert to go");
  } finally {
    await run.stop();
    await endpoint.close();
    await vault.cleanup();
  }
});

Deno.test("a pending request edited after approval is not performed, and an executed one cannot be replayed", async () => {
  const endpoint = countingEndpoint();
  const vault = await makeVault(FAST);
  const run = await startAiemp(vault.path);
  try {
    const text = webhookRequest("edit-1", `${endpoint.url}/hook`);
    await Deno.writeTextFile(vault.file("Pending_Approval", "WEBHOOK_edit.md"), text);
    await waitUntilPending(vault, "WEBHOOK_edit.md");
    // Changed on the way: a different amount than the one the human saw.
    await Deno.remove(vault.file("Pending_Approval", "WEBHOOK_edit.md"));
    await Deno.writeTextFile(
      vault.file("Approved", "WEBHOOK_edit.md"),
      text.replace("The build finished.", "Pay 10,000 EUR."),
    );
    const refused = await landsIn(vault, "Rejected", "WEBHOOK_edit.md");
    assert.match(String(refused.frontMatter.error), /not what was pending/);
    assert.equal(endpoint.connections(), 0);

    // Executed once; the very same file put back into Approved/ afterwards is refused.
    await approve(vault, "WEBHOOK_once.md", webhookRequest("once-1", `${endpoint.url}/hook`));
    await landsIn(vault, "Done", "WEBHOOK_once.md");
    await Deno.writeTextFile(
      vault.file("Approved", "WEBHOOK_once.md"),
      webhookRequest("once-1", `${endpoint.url}/hook`),
    );
    await landsIn(vault, "Rejected", "WEBHOOK_once.md");
    assert.equal(endpoint.requests.length, 1);
  } finally {
    await run.stop();
    await endpoint.close();
    await vault.cleanup();
  }
});

Deno.test("an approved webhook cannot reach a second server: a redirect to another port is blocked by the sandbox", async () => {
  const second = countingEndpoint();
  const first = countingEndpoint(() =>
    `HTTP/1.1 307 Temporary Redirect\r\nlocation: ${second.url}/steal\r\ncontent-length: 0\r\n\r\n`
  );
  const vault = await makeVault(FAST);
  const run = await startAiemp(vault.path);
  try {
    await approve(vault, "WEBHOOK_redirect.md", webhookRequest("redir-1", `${first.url}/hook`));
    const failed = await landsIn(vault, "Rejected", "WEBHOOK_redirect.md");
    assert.equal(failed.frontMatter.outcome, "failed");
    assert.match(
      String(failed.frontMatter.error),
      new RegExp(
        `redirected to 127\\.0\\.0\\.1:${second.port}, which this approval does not reach`,
      ),
    );
    assert.equal(first.connections(), 1);
    assert.equal(second.connections(), 0);
  } finally {
    await run.stop();
    await first.close();
    await second.close();
    await vault.cleanup();
  }
});

Deno.test("a dry run and an expired request open no connection; the expired one goes back to Pending_Approval/ marked", async () => {
  const endpoint = countingEndpoint();
  const vault = await makeVault(FAST);
  const dry = await startAiemp(vault.path, ["--dry-run"]);
  try {
    await approve(vault, "WEBHOOK_dry.md", webhookRequest("dry-1", `${endpoint.url}/hook`));
    const done = await landsIn(vault, "Done", "WEBHOOK_dry.md");
    assert.equal(done.frontMatter.outcome, "dry_run");
  } finally {
    await dry.stop();
  }
  const run = await startAiemp(vault.path);
  try {
    const old = webhookRequest("old-1", `${endpoint.url}/hook`)
      .replace("expires: 2099-01-01T00:00:00Z", "expires: 2020-01-01T00:00:00Z");
    await approve(vault, "WEBHOOK_old.md", old);
    const back = await waitFor(async () => {
      const text = await Deno.readTextFile(vault.file("Pending_Approval", "WEBHOOK_old.md"))
        .catch(() => "");
      return text.includes("## Expired") && parseNote(text);
    }, "the expired request back in Pending_Approval/");
    assert.equal(back.frontMatter.expired, true);
    assert.equal(back.frontMatter.status, "expired");
    assert.match(
      back.body,
      /expired at 2020-01-01T00:00:00\.000Z[\s\S]*set 'expires:' to a later time/,
    );
    assert.equal(endpoint.connections(), 0);
  } finally {
    await run.stop();
    await endpoint.close();
    await vault.cleanup();
  }
});

Deno.test("aiemp approve and aiemp reject record the human by name; aiemp audit shows the history and verify catches an edit", async () => {
  const endpoint = countingEndpoint();
  const vault = await makeVault(FAST);
  const env = { USER: "ana" };
  try {
    // With aiemp not running: approved now, performed at the next start.
    await Deno.writeTextFile(
      vault.file("Pending_Approval", "WEBHOOK_cli.md"),
      webhookRequest("cli-1", `${endpoint.url}/hook`),
    );
    const approved = await aiemp(["approve", "cli-1", "--vault", vault.path], env);
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, /approved WEBHOOK_cli\.md/);
    const once = await aiemp(["start", "--once", "--vault", vault.path]);
    assert.equal(once.code, 0, once.stderr);
    await landsIn(vault, "Done", "WEBHOOK_cli.md");
    assert.equal(endpoint.requests.length, 1);

    // With aiemp running: the running orchestrator records and moves it.
    const run = await startAiemp(vault.path);
    try {
      await Deno.writeTextFile(
        vault.file("Pending_Approval", "WEBHOOK_no.md"),
        webhookRequest("no-1", `${endpoint.url}/hook`),
      );
      const rejected = await aiemp(
        ["reject", "WEBHOOK_no.md", "--reason", "wrong tone", "--vault", vault.path],
        env,
      );
      assert.equal(rejected.code, 0, rejected.stderr);
      const note = await landsIn(vault, "Rejected", "WEBHOOK_no.md");
      assert.equal(note.frontMatter.rejected_reason, "wrong tone");
      const unknown = await aiemp(["approve", "nope", "--vault", vault.path], env);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /no request 'nope' in Pending_Approval/);
    } finally {
      await run.stop();
    }
    assert.equal(endpoint.requests.length, 1);

    const entries = await readAuditLog(vault.file(".aiemp", "audit.jsonl"));
    const approval = entries.find((e) => e.id === "cli-1" && e.event === "approved");
    assert.equal(approval?.who, "human");
    assert.equal(approval?.by, "ana");
    assert.equal(approval?.via, "aiemp approve");
    const rejection = entries.find((e) => e.id === "no-1" && e.event === "rejected");
    assert.equal(rejection?.by, "ana");
    assert.equal(rejection?.why, "wrong tone");

    const show = await aiemp(["audit", "show", "cli-1", "--vault", vault.path]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /human\s+approved\s+Pending_Approval → Approved/);
    assert.match(show.stdout, /executor\s+done/);

    const verify = await aiemp(["audit", "verify", "--vault", vault.path]);
    assert.equal(verify.code, 0, verify.stderr);
    assert.match(verify.stdout, new RegExp(`intact: ${entries.length} entries`));

    // Someone edits the approval entry to blame another person.
    const path = vault.file(".aiemp", "audit.jsonl");
    const lines = (await Deno.readTextFile(path)).split("\n");
    const at = lines.findIndex((line) => line.includes('"by":"ana"'));
    lines[at] = lines[at].replace('"by":"ana"', '"by":"bob"');
    await Deno.writeTextFile(path, lines.join("\n"));
    const tampered = await aiemp(["audit", "verify", "--vault", vault.path]);
    assert.equal(tampered.code, 1);
    assert.match(tampered.stderr, new RegExp(`broken at entry ${at + 1}\\b`));
  } finally {
    await endpoint.close();
    await vault.cleanup();
  }
});
