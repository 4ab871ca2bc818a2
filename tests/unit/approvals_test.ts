import assert from "node:assert/strict";
import { join } from "node:path";
import {
  approvalKeywordsIn,
  type ApprovalRegistry,
  type ApprovedFileFacts,
  createApprovalRegistry,
  expiryOf,
  judgeApproved,
  MARKS_KEPT_BY_AIEMP,
  type PendingRecord,
  type PendingRecords,
  readRequest,
  requestHash,
} from "../../src/approvals/mod.ts";
import {
  type AuditEntry,
  createAuditLog,
  historyOf,
  readAuditLog,
  sha256Hex,
  verifyAuditLog,
} from "../../src/audit/mod.ts";
import {
  listNames,
  parseNote,
  readSection,
  VAULT_FOLDERS,
  type VaultFolder,
  type VaultLayout,
  vaultLayout,
} from "../../src/vault/mod.ts";

const T0 = new Date("2026-03-10T12:00:00.000Z");
const HOUR = 3_600_000;

// ---------------------------------------------------------------------------------------------
// requestHash()

const NOTE = {
  frontMatter: { id: "mail-1", action: "webhook", to: "ana@example.org", amount: 120 },
  body: "Dear Ana,\nthe invoice is attached.\n",
};

Deno.test("requestHash() ignores the marks aiemp itself writes into a request", () => {
  const marks: Record<string, unknown> = {
    stale: true,
    stale_since: "2026-03-10T12:00:00Z",
    status: "interrupted",
    interrupted: true,
    interrupted_at: "2026-03-10T13:00:00Z",
    expired: true,
    expired_at: "2026-03-13T12:00:00Z",
  };
  assert.deepEqual(Object.keys(marks).sort(), [...MARKS_KEPT_BY_AIEMP].sort());
  const plain = requestHash(NOTE);
  for (const [key, value] of Object.entries(marks)) {
    assert.equal(
      requestHash({ ...NOTE, frontMatter: { ...NOTE.frontMatter, [key]: value } }),
      plain,
      `marking it '${key}' changed its hash`,
    );
  }
  assert.equal(requestHash({ ...NOTE, frontMatter: { ...NOTE.frontMatter, ...marks } }), plain);
});

Deno.test("requestHash() does not depend on the order of front matter keys, at any depth", () => {
  const a = {
    frontMatter: { id: "x", action: "webhook", payload: { b: 1, a: [{ y: 2, x: 1 }] } },
    body: "Hi\n",
  };
  const b = {
    frontMatter: { payload: { a: [{ x: 1, y: 2 }], b: 1 }, action: "webhook", id: "x" },
    body: "Hi\n",
  };
  assert.equal(requestHash(a), requestHash(b));
});

Deno.test("requestHash() changes with any field the human approves and with the body", () => {
  const plain = requestHash(NOTE);
  const changed: [string, Record<string, unknown>, string][] = [
    ["to", { ...NOTE.frontMatter, to: "eve@example.org" }, NOTE.body],
    ["amount", { ...NOTE.frontMatter, amount: 1200 }, NOTE.body],
    ["amount as text", { ...NOTE.frontMatter, amount: "120" }, NOTE.body],
    ["a new field", { ...NOTE.frontMatter, cc: "eve@example.org" }, NOTE.body],
    ["a removed field", { id: "mail-1", action: "webhook", to: "ana@example.org" }, NOTE.body],
    ["the body", NOTE.frontMatter, "Dear Ana,\nthe invoice is attached!\n"],
    ["the body's last newline", NOTE.frontMatter, "Dear Ana,\nthe invoice is attached."],
  ];
  for (const [what, frontMatter, body] of changed) {
    assert.notEqual(requestHash({ frontMatter, body }), plain, `a change of ${what} went unseen`);
  }
});

// ---------------------------------------------------------------------------------------------
// expiryOf()

Deno.test("expiryOf() reads an ISO date-time, with its offset", () => {
  assert.deepEqual(expiryOf({ expires: "2026-12-01T18:00:00Z" }, T0, 72), {
    at: new Date("2026-12-01T18:00:00Z"),
    given: true,
  });
  assert.deepEqual(expiryOf({ expires: "2026-12-01T18:00:00+02:00" }, T0, 72), {
    at: new Date("2026-12-01T16:00:00Z"),
    given: true,
  });
});

Deno.test("expiryOf() takes a date alone as the end of that day, UTC", () => {
  assert.deepEqual(expiryOf({ expires: "2026-12-01" }, T0, 72), {
    at: new Date("2026-12-01T23:59:59.999Z"),
    given: true,
  });
});

Deno.test("expiryOf() takes a Date as it is", () => {
  const at = new Date("2026-04-01T09:30:00Z");
  assert.deepEqual(expiryOf({ expires: at }, T0, 72), { at, given: true });
});

Deno.test("expiryOf() without 'expires' lasts the default hours from when it was first seen", () => {
  for (const frontMatter of [{}, { expires: null }, { expires: "" }]) {
    assert.deepEqual(expiryOf(frontMatter, T0, 72), {
      at: new Date(T0.getTime() + 72 * HOUR),
      given: false,
    });
  }
});

Deno.test("expiryOf() calls what is not a date invalid and shows how to write one", () => {
  for (
    const expires of ["next tuesday", "2026-12-01garbage", "2026-13-40", 2026, true, "12/01/2026"]
  ) {
    const expiry = expiryOf({ expires }, T0, 72);
    assert.ok("invalid" in expiry, `'${expires}' was taken as ${JSON.stringify(expiry)}`);
    assert.match(expiry.invalid, new RegExp(`expires: ${expires}`));
    assert.match(expiry.invalid, /2026-12-01T18:00:00Z/);
  }
});

Deno.test("expiryOf() calls a day that is not in the calendar invalid rather than moving it", () => {
  const expiry = expiryOf({ expires: "2026-02-30" }, T0, 72);
  assert.ok("invalid" in expiry, `'2026-02-30' was taken as ${JSON.stringify(expiry)}`);
});

// ---------------------------------------------------------------------------------------------
// approvalKeywordsIn()

Deno.test("approvalKeywordsIn() finds whole keywords in any case, in the body and the front matter", () => {
  const keywords = ["deploy", "delete", "wire transfer"];
  assert.deepEqual(
    approvalKeywordsIn({ frontMatter: {}, body: "Please DEPLOY it tonight." }, keywords),
    ["deploy"],
  );
  assert.deepEqual(
    approvalKeywordsIn({ frontMatter: { subject: "Delete old backups" }, body: "" }, keywords),
    ["delete"],
  );
  assert.deepEqual(
    approvalKeywordsIn(
      { frontMatter: {}, body: "Start a Wire Transfer.\n(then deploy)" },
      keywords,
    ),
    ["deploy", "wire transfer"],
  );
});

Deno.test("approvalKeywordsIn() does not match a keyword inside a longer word", () => {
  const note = {
    frontMatter: { subject: "redeployed", tags: ["undeleted"] },
    body: "The deployment is done; deploy_v2 and deploys were logged.",
  };
  assert.deepEqual(approvalKeywordsIn(note, ["deploy", "delete"]), []);
});

Deno.test("approvalKeywordsIn() ignores an empty keyword", () => {
  const note = { frontMatter: { id: "a" }, body: "Anything at all.\n" };
  assert.deepEqual(approvalKeywordsIn(note, ["", "   "]), []);
});

Deno.test("approvalKeywordsIn() finds a keyword that starts a line of a multi-line front matter value", () => {
  const note = parseNote(
    "---\nid: tidy-1\nsummary: |\n  Tidy the mailing list\n  delete every bounced address\n---\nRoutine.\n",
  );
  assert.deepEqual(approvalKeywordsIn(note, ["delete"]), ["delete"]);
  const tabbed = { frontMatter: { steps: "1.\tdelete the old list" }, body: "" };
  assert.deepEqual(approvalKeywordsIn(tabbed, ["delete"]), ["delete"]);
});

// ---------------------------------------------------------------------------------------------
// judgeApproved()

function record(hash: string, state: PendingRecord["state"] = "pending"): PendingRecord {
  return {
    id: "mail-1",
    hash,
    first_seen: T0.toISOString(),
    last_edited: T0.toISOString(),
    state,
  };
}

function facts(overrides: Partial<ApprovedFileFacts> = {}): ApprovedFileFacts {
  return {
    record: record("h1"),
    hash: "h1",
    expiry: { at: new Date(T0.getTime() + 72 * HOUR), given: false },
    historyRequired: true,
    keywords: [],
    now: new Date(T0.getTime() + HOUR),
    ...overrides,
  };
}

Deno.test("judgeApproved() performs a request that was pending with this content and has not expired", () => {
  assert.deepEqual(judgeApproved(facts()), { verdict: "perform", firstApproval: true });
});

Deno.test("judgeApproved() refuses a file that was never pending, whatever it says", () => {
  const cases: Partial<ApprovedFileFacts>[] = [
    { record: undefined },
    { record: undefined, expiry: { at: new Date("2099-01-01T00:00:00Z"), given: true } },
    { record: undefined, expiry: { invalid: "'expires: soon' is not a date" } },
    { record: undefined, keywords: ["deploy"] },
  ];
  for (const overrides of cases) {
    const verdict = judgeApproved(facts(overrides));
    assert.equal(verdict.verdict, "refuse");
    assert.ok(verdict.verdict === "refuse" && verdict.why === "never_pending");
    assert.match(verdict.reason, /never pending/);
    assert.match(verdict.reason, /Nothing was sent/);
    assert.match(
      verdict.reason,
      /put it in Pending_Approval\/, review it, then move it to Approved/,
    );
  }
  const withKeyword = judgeApproved(facts({ record: undefined, keywords: ["deploy"] }));
  assert.ok(withKeyword.verdict === "refuse" && withKeyword.reason.includes("'deploy'"));
});

Deno.test("judgeApproved() refuses a file whose content differs from what was pending", () => {
  const verdict = judgeApproved(facts({ hash: "h2" }));
  assert.equal(verdict.verdict, "refuse");
  assert.ok(verdict.verdict === "refuse" && verdict.why === "changed");
  assert.match(verdict.reason, /not what was pending/);
  assert.match(verdict.reason, /Nothing was sent/);
  // Even an approved-before record (a retry) does not let other content through.
  assert.equal(
    judgeApproved(facts({ record: record("h1", "approved"), hash: "h2" })).verdict,
    "refuse",
  );
});

Deno.test("judgeApproved() sends back a request whose time ran out, saying when", () => {
  const at = new Date(T0.getTime() + 72 * HOUR);
  const lapsed = judgeApproved(facts({ expiry: { at, given: false }, now: at }));
  assert.equal(lapsed.verdict, "expired");
  assert.ok(lapsed.verdict === "expired");
  assert.match(lapsed.reason, /expired at 2026-03-13T12:00:00.000Z/);
  assert.match(lapsed.reason, /default time/);
  assert.match(lapsed.reason, /nothing was sent/);

  const given = judgeApproved(facts({
    expiry: { at: new Date("2026-03-10T12:30:00Z"), given: true },
  }));
  assert.ok(given.verdict === "expired" && !given.reason.includes("default"));
  // A millisecond before the end it is still good.
  const justInTime = facts({ expiry: { at, given: false }, now: new Date(at.getTime() - 1) });
  assert.equal(judgeApproved(justInTime).verdict, "perform");
});

Deno.test("judgeApproved() treats an expiry it cannot read as expired, saying why", () => {
  const invalid = "'expires: someday' is not a date; write it like 2026-12-01T18:00:00Z";
  const verdict = judgeApproved(facts({ expiry: { invalid } }));
  assert.equal(verdict.verdict, "expired");
  assert.ok(verdict.verdict === "expired" && verdict.reason.includes(invalid));
});

Deno.test("judgeApproved() performs a local-only item without a pending history", () => {
  assert.deepEqual(
    judgeApproved(facts({ record: undefined, hash: "h9", historyRequired: false })),
    { verdict: "perform", firstApproval: true },
  );
});

Deno.test("judgeApproved() calls only the first performance of an approval its first approval", () => {
  assert.deepEqual(judgeApproved(facts({ record: record("h1", "pending") })), {
    verdict: "perform",
    firstApproval: true,
  });
  assert.deepEqual(judgeApproved(facts({ record: record("h1", "approved") })), {
    verdict: "perform",
    firstApproval: false,
  });
});

// ---------------------------------------------------------------------------------------------
// The registry, over a real vault

interface Fixture {
  layout: VaultLayout;
  registry: ApprovalRegistry;
  /** Every audit entry recorded, in order. */
  entries: AuditEntry[];
  /** The Dashboard's alerts now, by key. */
  alerts: Map<string, string>;
  /** Moves the clock on. */
  advance(ms: number): void;
  /** Writes a file into a vault folder and returns its path. */
  write(folder: VaultFolder, name: string, text: string): Promise<string>;
  /** Renames a file from one vault folder to another (a human dragging it in Obsidian). */
  move(from: VaultFolder, to: VaultFolder, name: string, newName?: string): Promise<string>;
  /** Does what the executor does with a file in Approved/: claims it and has it judged. */
  claimAndJudge(
    name: string,
    historyRequired?: boolean,
  ): ReturnType<ApprovalRegistry["judge"]>;
  /** The records in `.aiemp/approvals.json`. */
  records(): Promise<PendingRecords>;
  /** The audit entries of one event. */
  events(event: string): AuditEntry[];
}

interface FixtureOptions {
  keywords?: string[];
  defaultExpiryHours?: number;
  /** Where audit entries go besides `entries`. */
  record?: (layout: VaultLayout) => (entry: AuditEntry) => Promise<void>;
}

async function withRegistry(
  fn: (fixture: Fixture) => Promise<void>,
  options: FixtureOptions = {},
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "aiemp_approvals_test_" });
  try {
    const layout = vaultLayout(root);
    for (const folder of VAULT_FOLDERS) await Deno.mkdir(layout.folder(folder));
    await Deno.mkdir(layout.inflight, { recursive: true });
    let time = T0.getTime();
    const entries: AuditEntry[] = [];
    const alerts = new Map<string, string>();
    const also = options.record?.(layout);
    const registry = createApprovalRegistry({
      layout,
      defaultExpiryHours: options.defaultExpiryHours ?? 72,
      keywords: options.keywords ?? [],
      record: async (entry) => {
        entries.push(entry);
        await also?.(entry);
      },
      alert: (key, text) => text === "" ? alerts.delete(key) : alerts.set(key, text),
      now: () => new Date(time),
    });
    const inFolder = (folder: VaultFolder | "inflight", name: string) =>
      join(folder === "inflight" ? layout.inflight : layout.folder(folder), name);
    await fn({
      layout,
      registry,
      entries,
      alerts,
      advance: (ms) => void (time += ms),
      async write(folder, name, text) {
        await Deno.writeTextFile(inFolder(folder, name), text);
        return inFolder(folder, name);
      },
      async move(from, to, name, newName = name) {
        await Deno.rename(inFolder(from, name), inFolder(to, newName));
        return inFolder(to, newName);
      },
      async claimAndJudge(name, historyRequired = true) {
        const path = inFolder("inflight", name);
        await Deno.rename(inFolder("Approved", name), path);
        return registry.judge(name, await readRequest(path), historyRequired);
      },
      async records() {
        const text = await Deno.readTextFile(layout.approvals).catch(() => '{"requests":{}}');
        return JSON.parse(text).requests;
      },
      events: (event) => entries.filter((e) => e.event === event),
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

function requestText(
  id: string,
  body = "Dear Ana,\nthe invoice is attached.\n",
  extra = "",
): string {
  return `---\nid: ${id}\naction: webhook\nwebhook: mail\n${extra}---\n${body}`;
}

Deno.test("registry scan() records a request that appears in Pending_Approval/, and its edits", async () => {
  await withRegistry(async (v) => {
    const path = await v.write("Pending_Approval", "EMAIL_reply.md", requestText("mail-1"));
    await v.registry.scan();
    const first = (await readRequest(path)).hash;
    assert.deepEqual((await v.records())["EMAIL_reply.md"], {
      id: "mail-1",
      hash: first,
      first_seen: "2026-03-10T12:00:00.000Z",
      last_edited: "2026-03-10T12:00:00.000Z",
      state: "pending",
    });
    assert.equal(v.entries.length, 1);
    assert.deepEqual(
      { ...v.entries[0], why: undefined },
      {
        event: "pending",
        who: "unknown",
        id: "mail-1",
        file: "EMAIL_reply.md",
        to: "Pending_Approval",
        hash: first,
        why: undefined,
      },
    );

    v.advance(HOUR);
    await v.registry.scan();
    assert.equal(v.entries.length, 1, "a scan with nothing new recorded something");

    v.advance(HOUR);
    await v.write(
      "Pending_Approval",
      "EMAIL_reply.md",
      requestText("mail-1", "Dear Ana,\nsorry.\n"),
    );
    await v.registry.scan();
    const edited = (await readRequest(path)).hash;
    assert.notEqual(edited, first);
    assert.deepEqual((await v.records())["EMAIL_reply.md"], {
      id: "mail-1",
      hash: edited,
      first_seen: "2026-03-10T12:00:00.000Z",
      last_edited: "2026-03-10T14:00:00.000Z",
      state: "pending",
    });
    assert.deepEqual(v.entries.map((e) => `${e.event} ${e.hash}`), [
      `pending ${first}`,
      `edited ${edited}`,
    ]);
  });
});

Deno.test("registry judge() performs a request approved by moving it, once approved, and never replays it", async () => {
  await withRegistry(async (v) => {
    const text = requestText("mail-1");
    await v.write("Pending_Approval", "EMAIL_reply.md", text);
    await v.registry.scan();
    v.advance(HOUR);
    await v.move("Pending_Approval", "Approved", "EMAIL_reply.md");

    assert.deepEqual(await v.claimAndJudge("EMAIL_reply.md"), {
      verdict: "perform",
      firstApproval: true,
    });
    const approved = v.events("approved");
    assert.equal(approved.length, 1);
    assert.equal(approved[0].who, "human");
    assert.equal(approved[0].id, "mail-1");
    assert.equal(approved[0].file, "EMAIL_reply.md");

    // A retry: the file is still claimed; a scan in between keeps its record.
    await v.registry.scan();
    const path = join(v.layout.inflight, "EMAIL_reply.md");
    assert.deepEqual(await v.registry.judge("EMAIL_reply.md", await readRequest(path), true), {
      verdict: "perform",
      firstApproval: false,
    });
    assert.equal(v.events("approved").length, 1, "the retry was recorded as a second approval");

    await v.registry.concluded("EMAIL_reply.md");
    await Deno.remove(path); // gone to Done/
    assert.deepEqual(await v.records(), {});

    // The same request again, straight into Approved/: nobody approved it this time.
    await v.write("Approved", "EMAIL_reply.md", text);
    const replay = await v.claimAndJudge("EMAIL_reply.md");
    assert.equal(replay.verdict, "refuse");
    assert.ok(replay.verdict === "refuse" && replay.why === "never_pending");
  });
});

Deno.test("registry judge() refuses a request renamed on its way to Approved/: provenance is its name and its content", async () => {
  await withRegistry(async (v) => {
    await v.write("Pending_Approval", "EMAIL_reply.md", requestText("mail-1"));
    await v.registry.scan();
    await v.move("Pending_Approval", "Approved", "EMAIL_reply.md", "EMAIL_reply_final.md");
    const verdict = await v.claimAndJudge("EMAIL_reply_final.md");
    assert.ok(verdict.verdict === "refuse" && verdict.why === "never_pending");
    assert.match(verdict.reason, /renamed on the way/);
    assert.match(verdict.reason, /without renaming it/);
  });
});

Deno.test("registry judge() refuses a copy of a pending request written into Approved/ while the original still waits", async () => {
  await withRegistry(async (v) => {
    const text = requestText("mail-1");
    await v.write("Pending_Approval", "EMAIL_reply.md", text);
    await v.registry.scan();
    // The agent copies the request it drafted into Approved/ under another name.
    await v.write("Approved", "EMAIL_reply_copy.md", text);
    const verdict = await v.claimAndJudge("EMAIL_reply_copy.md");
    assert.deepEqual(
      { verdict: verdict.verdict, approvalsPutDownToTheHuman: v.events("approved").length },
      { verdict: "refuse", approvalsPutDownToTheHuman: 0 },
      "a request nobody approved was performed",
    );
  });
});

Deno.test("registry judge() refuses a file that was never pending and raises a Dashboard alert naming it", async () => {
  await withRegistry(async (v) => {
    await v.write("Approved", "WEBHOOK_deploy.md", requestText("hook-1", "Ship it.\n"));
    const verdict = await v.claimAndJudge("WEBHOOK_deploy.md");
    assert.equal(verdict.verdict, "refuse");
    assert.ok(verdict.verdict === "refuse" && verdict.why === "never_pending");
    assert.match(verdict.reason, /Nothing was sent/);

    const refused = v.events("refused");
    assert.equal(refused.length, 1);
    assert.equal(refused[0].who, "executor");
    assert.equal(refused[0].file, "WEBHOOK_deploy.md");
    assert.equal(refused[0].why, verdict.reason);
    assert.equal(v.alerts.size, 1);
    const [[key, text]] = [...v.alerts];
    assert.match(key, /WEBHOOK_deploy\.md/);
    assert.match(text, /WEBHOOK_deploy\.md/);
    assert.match(text, /never pending/);

    // The executor files it in Rejected/; the alert stays while it is there.
    await Deno.rename(
      join(v.layout.inflight, "WEBHOOK_deploy.md"),
      join(v.layout.folder("Rejected"), "WEBHOOK_deploy.md"),
    );
    await v.registry.scan();
    assert.equal(v.alerts.size, 1, "the alert went while the refused file was still in Rejected/");

    // The human deals with it.
    await Deno.remove(join(v.layout.folder("Rejected"), "WEBHOOK_deploy.md"));
    await v.registry.scan();
    assert.equal(v.alerts.size, 0);
  });
});

Deno.test("registry scan() keeps a refusal's alert while the refused file has not reached Rejected/ yet", async () => {
  await withRegistry(async (v) => {
    await v.write("Approved", "WEBHOOK_deploy.md", requestText("hook-1", "Ship it.\n"));
    assert.equal((await v.claimAndJudge("WEBHOOK_deploy.md")).verdict, "refuse");
    // The sweep runs before the executor has moved the file out of .aiemp/inflight/.
    await v.registry.scan();
    assert.equal(v.alerts.size, 1, "the alert went before the human could see it");
  });
});

Deno.test("registry judge() refuses a request changed after it left Pending_Approval/", async () => {
  await withRegistry(async (v) => {
    await v.write("Pending_Approval", "WEBHOOK_pay.md", requestText("pay-1", "Pay 120 EUR.\n"));
    await v.registry.scan();
    await v.move("Pending_Approval", "Approved", "WEBHOOK_pay.md");
    await v.write("Approved", "WEBHOOK_pay.md", requestText("pay-1", "Pay 12000 EUR.\n"));
    const verdict = await v.claimAndJudge("WEBHOOK_pay.md");
    assert.equal(verdict.verdict, "refuse");
    assert.ok(verdict.verdict === "refuse" && verdict.why === "changed");
    assert.match(verdict.reason, /not what was pending/);
    assert.equal(v.events("refused").length, 1);
    assert.equal(v.events("approved").length, 0);
    assert.match([...v.alerts.values()][0], /differs from what was pending/);
  });
});

Deno.test("registry judge() performs a request that aiemp only marked stale while it was pending", async () => {
  await withRegistry(async (v) => {
    await v.write("Pending_Approval", "WEBHOOK_pay.md", requestText("pay-1", "Pay 120 EUR.\n"));
    await v.registry.scan();
    await v.write(
      "Pending_Approval",
      "WEBHOOK_pay.md",
      requestText("pay-1", "Pay 120 EUR.\n", "stale: true\nstale_since: 2026-03-10T13:00:00Z\n"),
    );
    await v.move("Pending_Approval", "Approved", "WEBHOOK_pay.md");
    assert.equal((await v.claimAndJudge("WEBHOOK_pay.md")).verdict, "perform");
  });
});

Deno.test("registry judge() sends back an expired request and keeps its record", async () => {
  await withRegistry(async (v) => {
    await v.write("Pending_Approval", "EMAIL_reply.md", requestText("mail-1"));
    await v.registry.scan();
    const before = (await v.records())["EMAIL_reply.md"];
    v.advance(73 * HOUR);
    await v.move("Pending_Approval", "Approved", "EMAIL_reply.md");
    const verdict = await v.claimAndJudge("EMAIL_reply.md");
    assert.equal(verdict.verdict, "expired");
    assert.ok(verdict.verdict === "expired");
    assert.match(verdict.reason, /expired at 2026-03-13T12:00:00.000Z/);
    assert.deepEqual((await v.records())["EMAIL_reply.md"], before);
    assert.equal(v.events("expired").length, 1);
    assert.equal(v.events("approved").length, 0);
    assert.equal(v.alerts.size, 0);
  }, { defaultExpiryHours: 72 });
});

Deno.test("registry judge() sends back a request whose own 'expires' has passed", async () => {
  await withRegistry(async (v) => {
    const extra = "expires: 2026-03-10T12:30:00Z\n";
    await v.write("Pending_Approval", "EMAIL_reply.md", requestText("mail-1", "Hi\n", extra));
    await v.registry.scan();
    v.advance(HOUR);
    await v.move("Pending_Approval", "Approved", "EMAIL_reply.md");
    assert.equal((await v.claimAndJudge("EMAIL_reply.md")).verdict, "expired");
  });
});

Deno.test("registry judge() wants a pending history for any item mentioning an approval keyword", async () => {
  await withRegistry(async (v) => {
    await v.write("Approved", "TASK_cleanup.md", "---\nid: task-1\n---\nDelete the old backups.\n");
    const verdict = await v.claimAndJudge("TASK_cleanup.md", false);
    assert.equal(verdict.verdict, "refuse");
    assert.ok(verdict.verdict === "refuse" && verdict.why === "never_pending");
    assert.match(verdict.reason, /'delete'/);

    await v.write("Approved", "TASK_tidy.md", "---\nid: task-2\n---\nArchive the old backups.\n");
    assert.deepEqual(await v.claimAndJudge("TASK_tidy.md", false), {
      verdict: "perform",
      firstApproval: true,
    });
  }, { keywords: ["delete", "wire transfer"] });
});

Deno.test("registry approve() approves a pending request by id or file name, naming who did it", async () => {
  await withRegistry(async (v) => {
    await v.write("Pending_Approval", "EMAIL_reply.md", requestText("mail-42"));
    await v.write("Pending_Approval", "WEBHOOK_ping.md", requestText("hook-7", "Ping.\n"));
    await v.registry.scan();

    const byId = await v.registry.approve("mail-42", "ana");
    assert.equal(byId.ok, true);
    assert.match(byId.summary, /EMAIL_reply\.md/);
    const byName = await v.registry.approve("WEBHOOK_ping.md", "ana");
    assert.equal(byName.ok, true);
    assert.deepEqual(await listNames(v.layout.folder("Pending_Approval")), []);
    assert.deepEqual(await listNames(v.layout.folder("Approved")), [
      "EMAIL_reply.md",
      "WEBHOOK_ping.md",
    ]);

    const approved = v.events("approved");
    assert.deepEqual(
      approved.map((e) => [e.id, e.file, e.who, e.by, e.via, e.from, e.to]),
      [
        [
          "mail-42",
          "EMAIL_reply.md",
          "human",
          "ana",
          "aiemp approve",
          "Pending_Approval",
          "Approved",
        ],
        [
          "hook-7",
          "WEBHOOK_ping.md",
          "human",
          "ana",
          "aiemp approve",
          "Pending_Approval",
          "Approved",
        ],
      ],
    );
    assert.equal((await v.records())["EMAIL_reply.md"].approved_by, "ana");

    // Performed next, with no second approval put down to an unnamed human.
    assert.equal((await v.claimAndJudge("EMAIL_reply.md")).verdict, "perform");
    assert.equal(v.events("approved").length, 2);
  });
});

Deno.test("registry approve() says so when no pending request has that id", async () => {
  await withRegistry(async (v) => {
    await v.write("Pending_Approval", "EMAIL_reply.md", requestText("mail-42"));
    const decision = await v.registry.approve("mail-99", "ana");
    assert.equal(decision.ok, false);
    assert.match(decision.summary, /mail-99/);
    assert.match(decision.summary, /Pending_Approval/);
    assert.deepEqual(await listNames(v.layout.folder("Approved")), []);
    assert.deepEqual(v.events("approved"), []);
    assert.equal((await v.registry.reject("mail-99", "ana")).ok, false);
  });
});

Deno.test("registry reject() moves a pending request to Rejected/ with the human's reason", async () => {
  await withRegistry(async (v) => {
    await v.write("Pending_Approval", "EMAIL_reply.md", requestText("mail-42"));
    await v.registry.scan();
    const decision = await v.registry.reject("mail-42", "ana", "wrong tone");
    assert.equal(decision.ok, true);
    assert.deepEqual(await listNames(v.layout.folder("Pending_Approval")), []);
    assert.deepEqual(await listNames(v.layout.folder("Rejected")), ["EMAIL_reply.md"]);

    const text = await Deno.readTextFile(join(v.layout.folder("Rejected"), "EMAIL_reply.md"));
    const note = parseNote(text);
    assert.equal(note.frontMatter.rejected_reason, "wrong tone");
    assert.equal(note.frontMatter.status, "rejected");
    assert.equal(note.frontMatter.id, "mail-42");
    assert.match(note.body, /^Dear Ana,\nthe invoice is attached\.\n/);
    assert.match(note.body, /## Rejected/);
    assert.match(readSection(text, "rejected") ?? "", /ana.*wrong tone/);

    const rejected = v.events("rejected");
    assert.deepEqual(
      rejected.map((e) => [e.id, e.who, e.by, e.via, e.why, e.to]),
      [["mail-42", "human", "ana", "aiemp reject", "wrong tone", "Rejected"]],
    );
    assert.deepEqual(await v.records(), {});
    await v.registry.scan();
    assert.equal(v.events("rejected").length, 1, "the rejection was recorded twice");
    assert.deepEqual(v.events("withdrawn"), []);
  });
});

Deno.test("registry scan() records a pending request deleted by hand as withdrawn, and refuses it later", async () => {
  await withRegistry(async (v) => {
    const text = requestText("mail-1");
    await v.write("Pending_Approval", "EMAIL_reply.md", text);
    await v.registry.scan();
    await Deno.remove(join(v.layout.folder("Pending_Approval"), "EMAIL_reply.md"));
    await v.registry.scan();
    assert.deepEqual(await v.records(), {});
    const withdrawn = v.events("withdrawn");
    assert.equal(withdrawn.length, 1);
    assert.equal(withdrawn[0].id, "mail-1");
    assert.equal(withdrawn[0].from, "Pending_Approval");

    await v.write("Approved", "EMAIL_reply.md", text);
    const verdict = await v.claimAndJudge("EMAIL_reply.md");
    assert.ok(verdict.verdict === "refuse" && verdict.why === "never_pending");
  });
});

Deno.test("registry scan() records a request the human moved to Rejected/ by hand as rejected by the human", async () => {
  await withRegistry(async (v) => {
    await v.write("Pending_Approval", "EMAIL_reply.md", requestText("mail-1"));
    await v.registry.scan();
    await v.move("Pending_Approval", "Rejected", "EMAIL_reply.md");
    await v.registry.scan();
    assert.deepEqual(await v.records(), {});
    assert.deepEqual(v.events("rejected").map((e) => [e.id, e.who, e.to]), [
      ["mail-1", "human", "Rejected"],
    ]);
  });
});

Deno.test("registry scan() records a malformed request in Pending_Approval/ by its raw hash", async () => {
  await withRegistry(async (v) => {
    const text = "---\nid: broken\naction: webhook\nNo closing line, so no front matter.\n";
    await v.write("Pending_Approval", "WEBHOOK_broken.md", text);
    await v.registry.scan();
    const record = (await v.records())["WEBHOOK_broken.md"];
    assert.equal(record?.id, "WEBHOOK_broken");
    assert.equal(record?.hash, sha256Hex(text));
    assert.equal(v.events("pending")[0]?.file, "WEBHOOK_broken.md");
  });
});

Deno.test("registry entries chain into a real audit log that verifies and tells each request's story", async () => {
  await withRegistry(
    async (v) => {
      await v.write("Pending_Approval", "EMAIL_reply.md", requestText("mail-1"));
      await v.write("Pending_Approval", "WEBHOOK_ping.md", requestText("hook-7", "Ping.\n"));
      await v.registry.scan();
      v.advance(HOUR);
      await v.move("Pending_Approval", "Approved", "EMAIL_reply.md");
      assert.equal((await v.claimAndJudge("EMAIL_reply.md")).verdict, "perform");
      await v.registry.reject("hook-7", "ana", "not now");
      await v.write("Approved", "WEBHOOK_sneaky.md", requestText("hook-8", "Ship it.\n"));
      assert.equal((await v.claimAndJudge("WEBHOOK_sneaky.md")).verdict, "refuse");

      assert.deepEqual(await verifyAuditLog(v.layout.audit), {
        ok: true,
        entries: v.entries.length,
        unfinished: 0,
        headBehind: 0,
      });
      const stored = await readAuditLog(v.layout.audit);
      assert.deepEqual(historyOf(stored, "mail-1").map((e) => `${e.event} ${e.who}`), [
        "pending unknown",
        "approved human",
      ]);
      assert.deepEqual(historyOf(stored, "hook-7").map((e) => `${e.event} ${e.who}`), [
        "pending unknown",
        "rejected human",
      ]);
      assert.deepEqual(historyOf(stored, "hook-8").map((e) => `${e.event} ${e.who}`), [
        "refused executor",
      ]);
      assert.equal(stored[0].ts, "2026-03-10T12:00:00.000Z");
    },
    {
      record: (layout) => {
        const log = createAuditLog(layout.audit, { now: () => T0 });
        return (entry) => log.append(entry);
      },
    },
  );
});
