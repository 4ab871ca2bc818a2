/**
 * The WhatsApp channel run by the real `aiemp start`, with the system's Chromium (headless)
 * against the local imitation of WhatsApp Web (tests/fixtures/pages/whatsapp): an urgent message
 * becomes exactly one note, an approved reply is typed and sent exactly once, a logged-out
 * session pauses the channel with the fix, a send that never confirms goes back to the owner as
 * "may have been sent" and is not sent again, and no Chromium outlives aiemp — not after
 * `aiemp stop`, nor after a SIGKILL once aiemp has started again.
 */
import assert from "node:assert/strict";
import { readAuditLog } from "../../src/audit/mod.ts";
import { parseNote } from "../../src/vault/mod.ts";
import {
  type FakeWhatsApp,
  type FakeWhatsAppOptions,
  startFakeWhatsApp,
} from "../fixtures/pages/whatsapp/fake_whatsapp.ts";
import {
  aiemp,
  approve,
  filesIn,
  makeVault,
  type RunningAiemp,
  startAiemp,
  type TestVault,
  waitFor,
} from "./_harness.ts";
import { browserTest } from "../fixtures/chromium.ts";

/** The chats the imitation starts with: nothing unread. */
const CHATS: FakeWhatsAppOptions["chats"] = [
  { name: "Ana Lima", messages: [{ text: "Hi! Did you get my email?" }] },
  { name: "Bruno Costa", messages: [{ text: "Thanks!" }] },
];

/** The channel on, pointed at the imitation, with quick checks, pacing and retries. */
function settings(fake: FakeWhatsApp): string {
  return [
    "whatsapp:",
    "  enabled: true",
    `  url: ${fake.url}`,
    "  check_interval_s: 5",
    "browser:",
    "  headless: true",
    "  keystroke_ms: { min: 0, max: 4 }",
    "  action_ms: { min: 0, max: 20 }",
    "  step_timeout_s: 5",
    "approvals:",
    "  retry_delay_s: 1",
    "  max_retries: 5",
    "",
  ].join("\n");
}

/** An approved reply to `chat`. */
function replyRequest(id: string, chat: string, text: string): string {
  return `---\nid: ${id}\ntype: approval_request\naction: whatsapp_reply\nchat: ${chat}\n` +
    `created: 2026-05-01T10:00:00Z\nexpires: 2099-01-01T00:00:00Z\n---\n\n## Why\nShe asked.\n\n` +
    `## Content\n${text}\n`;
}

interface Status {
  components: { id: string; state: string; restarts: number }[];
  alerts: string[];
  sessions: { platform: string; state: string; checked_at: string; fix?: string }[];
}

async function statusOf(vault: TestVault): Promise<Status> {
  const result = await aiemp(["status", "--json", "--vault", vault.path]);
  return JSON.parse(result.stdout);
}

/** The WhatsApp session as `aiemp status --json` shows it, once checked after `since`. */
async function sessionAfter(vault: TestVault, since: Date, state = "logged_in") {
  return await waitFor(
    async () => {
      const session = (await statusOf(vault)).sessions.find((s) => s.platform === "whatsapp");
      return session && session.state === state && Date.parse(session.checked_at) > +since &&
        session;
    },
    `a WhatsApp check (${state}) after ${since.toISOString()}`,
    20_000,
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

function profileOf(vault: TestVault): string {
  return vault.file(".aiemp", "browser", "whatsapp");
}

async function markdownIn(vault: TestVault, folder: string): Promise<string[]> {
  return (await filesIn(vault.file(folder))).filter((name) => name.endsWith(".md"));
}

/** The fake, a vault with the channel on, and a stop of whatever runs at the end. */
async function withChannel(
  options: FakeWhatsAppOptions,
  fn: (fake: FakeWhatsApp, vault: TestVault, runs: RunningAiemp[]) => Promise<void>,
): Promise<void> {
  const fake = startFakeWhatsApp({ chats: CHATS, ...options });
  const vault = await makeVault(settings(fake));
  const runs: RunningAiemp[] = [];
  try {
    await fn(fake, vault, runs);
  } finally {
    for (const run of runs) await run.stop();
    await vault.cleanup();
    await fake.close();
  }
}

browserTest(
  "aiemp start: an urgent WhatsApp message becomes one note, a plain one none; an approved reply is sent once; no Chromium is left",
  async () => {
    await withChannel({}, async (fake, vault, runs) => {
      const urgent = fake.addIncoming({ chat: "Ana Lima", text: "Please send the invoice ASAP" });
      const plain = fake.addIncoming({ chat: "Bruno Costa", text: "See you at lunch" });
      const run = await startAiemp(vault.path);
      runs.push(run);
      await run.waitForOutput("Started WhatsApp watcher");

      const name = `WHATSAPP_${urgent}.md`;
      const text = await waitFor(
        () => Deno.readTextFile(vault.file("Needs_Action", name)),
        `the note ${name}`,
        20_000,
      );
      const note = parseNote(text);
      assert.equal(note.frontMatter.source, "whatsapp");
      assert.equal(note.frontMatter.chat, "Ana Lima");
      assert.equal(note.frontMatter.priority, "urgent");
      assert.match(note.body, /Please send the invoice ASAP/);
      // The plain message was read in the same check (its chat is read), and gave no note.
      await waitFor(
        () => fake.chats().every((chat) => chat.unread === 0),
        "the check to have read both chats",
      );
      const seen = await waitFor(async () => {
        const ids: string[] = JSON.parse(
          await Deno.readTextFile(vault.file(".aiemp", "whatsapp", "seen.json")),
        ).ids;
        return ids.includes(plain) && ids;
      }, "the plain message among the seen ids");
      assert.ok(seen.includes(urgent));
      assert.deepEqual(await markdownIn(vault, "Needs_Action"), [name]);
      const received = await waitFor(
        async () =>
          (await readAuditLog(vault.file(".aiemp", "audit.jsonl"))).find((e) =>
            e.id === `WHATSAPP_${urgent}`
          ),
        "the received entry",
      );
      assert.equal(received.event, "received");
      assert.equal(received.who, "watcher");

      // The Dashboard and the state file are written at most once per dashboard.refresh_ms.
      await sessionAfter(vault, new Date(0));
      const status = await statusOf(vault);
      assert.equal(status.components.find((c) => c.id === "whatsapp")?.state, "running");
      await waitFor(async () => {
        const dashboard = await Deno.readTextFile(vault.file("Dashboard.md"));
        return /## Sessions[\s\S]*- whatsapp: logged in/.test(dashboard) &&
          /\| Urgent WhatsApp messages \| 1 \|/.test(dashboard);
      }, "the Dashboard's session line and counter");

      // The owner approves a reply: typed exactly, sent once, filed in Done/.
      const reply = "Sending it now, Ana. 📎\nThe invoice is 2041.";
      const file = "WHATSAPP_reply_ana.md";
      await approve(vault, file, replyRequest("WHATSAPP_reply_ana", "Ana Lima", reply));
      const done = await waitFor(
        async () => {
          const note = parseNote(await Deno.readTextFile(vault.file("Done", file)));
          return note.frontMatter.remote_id !== undefined && note;
        },
        `${file} in Done/`,
        60_000,
      );
      assert.equal(done.frontMatter.outcome, "sent");
      const sent = fake.sent();
      assert.equal(sent.length, 1);
      assert.equal(sent[0].chat, "Ana Lima");
      assert.equal(sent[0].text, reply);
      assert.equal(done.frontMatter.remote_id, sent[0].id);
      assert.match(done.body, /- Detail: sent at \d{4}-\d{2}-\d{2}T/);
      assert.equal(await run.stop(), 0);
      assert.deepEqual(await browsersOn(profileOf(vault)), [], "no Chromium after aiemp stop");

      // After a restart: still one note, still one reply.
      const restarted = new Date();
      const again = await startAiemp(vault.path);
      runs.push(again);
      await sessionAfter(vault, restarted);
      assert.deepEqual(await markdownIn(vault, "Needs_Action"), [name]);
      assert.equal(fake.sent().length, 1);
      assert.equal(await again.stop(), 0);
      assert.deepEqual(await browsersOn(profileOf(vault)), []);
    });
  },
);

browserTest(
  "aiemp start: a logged-out WhatsApp session pauses the channel with an alert naming aiemp login whatsapp",
  async () => {
    await withChannel({ loggedIn: false }, async (_fake, vault, runs) => {
      const run = await startAiemp(vault.path);
      runs.push(run);
      const status = await waitFor(
        async () => {
          const status = await statusOf(vault);
          return status.components.find((c) => c.id === "whatsapp")?.state === "paused" && status;
        },
        "the WhatsApp watcher to be paused",
        20_000,
      );
      assert.equal(status.components.find((c) => c.id === "whatsapp")?.restarts, 0, "no restarts");
      const alert = status.alerts.find((a) => a.includes("WhatsApp watcher is paused"));
      assert.ok(alert, JSON.stringify(status.alerts));
      assert.match(alert, /aiemp login whatsapp/);
      assert.match(alert, /aiemp restart whatsapp/);
      const session = status.sessions.find((s) => s.platform === "whatsapp");
      assert.equal(session?.state, "logged_out");
      assert.equal(session?.fix, "run aiemp login whatsapp");
      await waitFor(async () => {
        const dashboard = await Deno.readTextFile(vault.file("Dashboard.md"));
        return dashboard.includes("WhatsApp watcher is paused") &&
          /- whatsapp: logged out .*run aiemp login whatsapp/.test(dashboard);
      }, "the Dashboard to show the alert and the session");
      assert.doesNotMatch(run.output(), /WhatsApp watcher has died/);
      assert.equal(await run.stop(), 0);
      assert.deepEqual(await browsersOn(profileOf(vault)), []);
    });
  },
);

browserTest(
  "aiemp start: a reply never confirmed goes back as 'may have been sent' with evidence and is not resent; a SIGKILLed aiemp's Chromium goes at the next start",
  async () => {
    await withChannel({ failures: { neverConfirm: true } }, async (fake, vault, runs) => {
      const run = await startAiemp(vault.path);
      runs.push(run);
      const file = "WHATSAPP_reply_bruno.md";
      await approve(vault, file, replyRequest("WHATSAPP_reply_bruno", "Bruno Costa", "Yes, 1 pm."));
      const back = await waitFor(
        async () => {
          const note = parseNote(await Deno.readTextFile(vault.file("Pending_Approval", file)));
          return note.frontMatter.interrupted !== undefined && note;
        },
        `${file} back in Pending_Approval/`,
        60_000,
      );
      assert.equal(back.frontMatter.interrupted, "may have been sent");
      assert.match(back.body, /## Interrupted[\s\S]*may have been sent[\s\S]*check the chat/);
      const evidence = [...back.body.matchAll(/(\/\S+\/Logs\/browser\/\S+\.(?:png|html))/g)]
        .map((match) => match[1]);
      assert.equal(evidence.length, 2, back.body);
      for (const path of evidence) assert.ok((await Deno.stat(path)).size > 0, path);
      assert.ok(
        (await filesIn(vault.file("Logs", "browser"))).some((n) =>
          n.startsWith("WHATSAPP_reply_bruno-confirm-")
        ),
      );
      assert.equal(fake.sent().length, 1, "typed and sent once");
      assert.equal(await run.stop(), 0);

      // A restart does not send it again.
      const restarted = new Date();
      const again = await startAiemp(vault.path);
      runs.push(again);
      await sessionAfter(vault, restarted);
      assert.equal(fake.sent().length, 1, "not resent after a restart");
      assert.deepEqual(await filesIn(vault.file("Approved")), []);
      assert.deepEqual(await filesIn(vault.file(".aiemp", "inflight")), []);

      // Killed while a check has the browser open: the next start stops what it left.
      const pidFile = vault.file(".aiemp", "browser", "whatsapp.pid");
      const record = await waitFor(
        async () => JSON.parse(await Deno.readTextFile(pidFile)) as { pid: number },
        "a check to have the browser open",
        20_000,
      );
      await again.stop("SIGKILL");
      // Chromium outlives a SIGKILLed parent (unless the check had just closed it).
      const left = await browsersOn(profileOf(vault));
      const third = await startAiemp(vault.path);
      runs.push(third);
      await waitFor(
        async () => !(await browsersOn(profileOf(vault))).some((pid) => left.includes(pid)),
        `the browser left by the killed aiemp (PID ${record.pid}) to be stopped`,
        20_000,
      );
      assert.equal(await third.stop(), 0);
      assert.deepEqual(await browsersOn(profileOf(vault)), []);
    });
  },
);
