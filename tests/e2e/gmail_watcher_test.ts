/**
 * The Gmail watcher run by the real `aiemp start`, in its Worker with its narrowed permissions,
 * against the loopback fake of Gmail and Google's token endpoint: mail becomes notes, the
 * component shows in `aiemp status`, and credentials that stop working pause it with the fix.
 */
import assert from "node:assert/strict";
import { readAuditLog } from "../../src/audit/mod.ts";
import { parseNote } from "../../src/vault/mod.ts";
import { type FakeGmail, startFakeGmail, storeFakeCredentials } from "../fixtures/fake_gmail.ts";
import {
  aiemp,
  filesIn,
  makeVault,
  type RunningAiemp,
  startAiemp,
  type TestVault,
  waitFor,
} from "./_harness.ts";

function settings(fake: FakeGmail): string {
  return `gmail:\n  enabled: true\n  check_interval_s: 10\n  api_root: ${fake.apiRoot}\n` +
    `  token_uri: ${fake.tokenUri}\n`;
}

function mail(subject: string): string {
  return `From: Client <client@example.net>\nTo: owner@example.com\nSubject: ${subject}\n` +
    `Date: Thu, 16 May 2024 10:00:00 +0000\n\nCould you send the contract?\n`;
}

async function statusOf(vault: TestVault) {
  const result = await aiemp(["status", "--json", "--vault", vault.path]);
  return JSON.parse(result.stdout) as {
    components: { id: string; state: string; restarts: number }[];
    alerts: string[];
  };
}

async function gmailComponent(vault: TestVault) {
  return (await statusOf(vault)).components.find((c) => c.id === "gmail");
}

Deno.test("aiemp start: mail in Gmail becomes an untrusted note; a revoked token pauses the watcher with the fix", async () => {
  const fake = startFakeGmail();
  const vault = await makeVault(settings(fake));
  let run: RunningAiemp | undefined;
  try {
    await storeFakeCredentials(vault.file(".aiemp", "secrets"), fake);
    const { id } = fake.addMessage(mail("Contract renewal"));
    run = await startAiemp(vault.path);
    await run.waitForOutput("Started Gmail watcher");

    const path = vault.file("Needs_Action", `EMAIL_${id}.md`);
    const text = await waitFor(() => Deno.readTextFile(path), `the note EMAIL_${id}.md`);
    const { frontMatter } = parseNote(text);
    assert.equal(frontMatter.trust, "untrusted");
    assert.equal(frontMatter.source, "gmail");
    assert.equal(frontMatter.subject, "Contract renewal");
    assert.equal(frontMatter.from, "Client <client@example.net>");
    assert.deepEqual(
      (await filesIn(vault.file("Needs_Action"))).filter((n) => n.endsWith(".md")),
      [`EMAIL_${id}.md`],
    );
    assert.deepEqual(fake.labelsOf(id), ["INBOX", "UNREAD", "IMPORTANT"], "after_note: nothing");
    const received = await waitFor(
      async () =>
        (await readAuditLog(vault.file(".aiemp", "audit.jsonl"))).find((e) =>
          e.id === `EMAIL_${id}`
        ),
      "the audit entry of the note",
    );
    assert.equal(received.event, "received");
    assert.equal(received.who, "watcher");
    assert.equal(received.from, "Gmail");
    assert.equal(received.to, "Needs_Action");
    assert.match(String(received.hash), /^[0-9a-f]{64}$/);

    const running = await waitFor(
      async () => (await gmailComponent(vault))?.state === "running" && gmailComponent(vault),
      "aiemp status to show the Gmail watcher running",
    );
    assert.equal(running?.restarts, 0);

    fake.revokeRefreshToken();
    // The next check comes within check_interval_s (10 s).
    const paused = await waitFor(
      async () => (await gmailComponent(vault))?.state === "paused" && statusOf(vault),
      "the Gmail watcher to be paused",
      30_000,
    );
    assert.equal(paused.components.find((c) => c.id === "gmail")?.restarts, 0, "not restarted");
    const alert = paused.alerts.find((a) => a.includes("Gmail watcher is paused"));
    assert.ok(alert, `an alert: ${JSON.stringify(paused.alerts)}`);
    assert.match(alert, /aiemp auth gmail/);
    assert.match(alert, /aiemp restart gmail/);
    const dashboard = await waitFor(async () => {
      const text = await Deno.readTextFile(vault.file("Dashboard.md"));
      return text.includes("aiemp auth gmail") && text;
    }, "Dashboard.md to show the alert");
    assert.match(dashboard, /Gmail watcher is paused/);
    assert.doesNotMatch(run.output(), /Gmail watcher has died/);
    assert.equal((await gmailComponent(vault))?.state, "paused");
    assert.equal(await run.stop(), 0);
    assert.ok(!run.output().includes(fake.refreshToken), "the refresh token is never printed");
  } finally {
    await run?.stop();
    await vault.cleanup();
    await fake.close();
  }
});

Deno.test("aiemp start without Gmail credentials pauses the watcher naming `aiemp auth gmail`; restart after they are stored resumes it", async () => {
  const fake = startFakeGmail();
  const vault = await makeVault(settings(fake));
  let run: RunningAiemp | undefined;
  try {
    const { id } = fake.addMessage(mail("Waiting for setup"));
    run = await startAiemp(vault.path);
    await run.waitForOutput("All components started except the paused gmail");
    const status = await statusOf(vault);
    assert.equal(status.components.find((c) => c.id === "gmail")?.state, "paused");
    assert.ok(
      status.alerts.some((a) => /Gmail is not set up/.test(a) && /aiemp auth gmail/.test(a)),
      JSON.stringify(status.alerts),
    );
    assert.equal(fake.requests.length, 0, "nothing was asked of Gmail");

    await storeFakeCredentials(vault.file(".aiemp", "secrets"), fake);
    const restarted = await aiemp(["restart", "gmail", "--vault", vault.path]);
    assert.equal(restarted.code, 0, restarted.stderr);
    await waitFor(
      () => Deno.stat(vault.file("Needs_Action", `EMAIL_${id}.md`)).then(() => true),
      "the note after the restart",
    );
    await waitFor(
      async () => (await gmailComponent(vault))?.state === "running",
      "the Gmail watcher running",
    );
    assert.equal(await run.stop(), 0);
  } finally {
    await run?.stop();
    await vault.cleanup();
    await fake.close();
  }
});

Deno.test("aiemp start --once checks Gmail once and reports the notes written", async () => {
  const fake = startFakeGmail();
  const vault = await makeVault(settings(fake));
  try {
    await storeFakeCredentials(vault.file(".aiemp", "secrets"), fake);
    fake.addMessage(mail("First"));
    fake.addMessage(mail("Second"));
    const result = await aiemp(["start", "--once", "--vault", vault.path]);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.deepEqual(summary.components.gmail, { notes: 2 });
    assert.equal(summary.counts.Needs_Action, 2);
    assert.equal(fake.requestsTo("list").length, 1);
  } finally {
    await vault.cleanup();
    await fake.close();
  }
});
