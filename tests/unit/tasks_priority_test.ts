import assert from "node:assert/strict";
import { orderByPriority, type PrioritySettings, scoreItem } from "../../src/tasks/mod.ts";

const NOW = new Date("2026-11-21T09:00:00Z");

const SETTINGS: PrioritySettings = {
  priority_weights: { urgency: 0.4, deadline: 0.3, sender: 0.3 },
  urgent_keywords: ["urgent", "asap", "immediately", "emergency", "deadline", "right away"],
  vip_senders: ["ana@x.com"],
  known_contacts: ["bob@y.com"],
};

const score = (
  frontMatter: Record<string, unknown>,
  body = "",
  settings: Partial<PrioritySettings> = {},
) => scoreItem(frontMatter, body, { ...SETTINGS, ...settings }, NOW);

// --- urgency ---

Deno.test("scoreItem() urgency follows a marked priority: urgent 1, high 0.75, low 0", () => {
  assert.deepEqual(
    [score({ priority: "urgent" }), score({ priority: "high" }), score({ priority: "low" })]
      .map((s) => [s.parts.urgency, s.reasons[0]]),
    [
      [1, "urgency 1: marked urgent"],
      [0.75, "urgency 0.75: marked high"],
      [0, "urgency 0: marked low"],
    ],
  );
});

Deno.test("scoreItem() reads a marked priority in any case and with spaces around it", () => {
  assert.equal(score({ priority: " High " }).parts.urgency, 0.75);
});

Deno.test("scoreItem() urgency is 1 for an urgent keyword in the subject or the body, any case", () => {
  const inSubject = score({ subject: "URGENT: invoice" });
  assert.equal(inSubject.parts.urgency, 1);
  assert.deepEqual(inSubject.reasons, ["urgency 1: keyword 'urgent'"]);
  assert.equal(score({}, "Please reply Asap, thanks.").parts.urgency, 1);
  assert.equal(score({}, "Send it right\naway please").parts.urgency, 1);
});

Deno.test("scoreItem() matches urgent keywords only as whole words", () => {
  const part = score({ subject: "Deadlines for Q3" }, "Non-urgently, the asap_list").parts.urgency;
  assert.equal(part, 0.25);
});

Deno.test("scoreItem() urgency is 0.25 (normal) without a marked priority or a keyword", () => {
  const result = score({ priority: "normal", subject: "Lunch" }, "See you");
  assert.equal(result.parts.urgency, 0.25);
  assert.deepEqual(result.reasons, ["urgency 0.25: normal"]);
});

Deno.test("scoreItem() a marked priority wins over keywords (low stays low)", () => {
  assert.equal(score({ priority: "low" }, "urgent!").parts.urgency, 0);
});

// --- deadline ---

Deno.test("scoreItem() deadline is 1 when overdue, with the time it was due", () => {
  const result = score({ due: "2026-11-20T10:00:00Z" });
  assert.equal(result.parts.deadline, 1);
  assert.ok(result.reasons.includes("deadline 1: overdue since 2026-11-20T10:00:00Z"));
});

Deno.test("scoreItem() deadline is 1 − hours_left / 168 before it is due", () => {
  // 24 hours left: 1 − 24/168 = 0.857142… → 0.857
  const result = score({ due: "2026-11-22T09:00:00Z" });
  assert.equal(result.parts.deadline, 0.857);
  assert.ok(result.reasons.includes("deadline 0.857: due in 24 hours (2026-11-22T09:00:00Z)"));
});

Deno.test("scoreItem() deadline is 0.05 when due in a week or more", () => {
  assert.equal(score({ due: "2026-11-28T09:00:00Z" }).parts.deadline, 0.05);
  const far = score({ due: "2026-12-31T09:00:00Z" });
  assert.equal(far.parts.deadline, 0.05);
  assert.ok(far.reasons.includes("deadline 0.05: due in 40 days (2026-12-31T09:00:00Z)"));
});

Deno.test("scoreItem() reads a date alone as the end of that day, UTC", () => {
  // due by 2026-11-22T00:00Z: 15 hours left → 1 − 15/168 = 0.91071… → 0.911
  assert.equal(score({ due: "2026-11-21" }).parts.deadline, 0.911);
  assert.equal(score({ due: "2026-11-20" }).parts.deadline, 1);
});

Deno.test("scoreItem() reads a date-time without a zone as UTC, and honours an offset", () => {
  assert.equal(score({ due: "2026-11-22T09:00" }).parts.deadline, 0.857);
  assert.equal(score({ due: "2026-11-22 10:00:00+01:00" }).parts.deadline, 0.857);
  assert.equal(score({ due: new Date("2026-11-22T09:00:00Z") }).parts.deadline, 0.857);
});

Deno.test("scoreItem() deadline is 0 without a due, and says so when the due is unreadable", () => {
  const none = score({});
  assert.equal(none.parts.deadline, 0);
  assert.ok(!none.reasons.some((reason) => reason.startsWith("deadline")));
  const unreadable = score({ due: "next friday" });
  assert.equal(unreadable.parts.deadline, 0);
  assert.ok(unreadable.reasons.includes("deadline 0: unreadable due 'next friday'"));
  assert.equal(score({ due: "2026-13-45" }).parts.deadline, 0);
});

// --- sender ---

Deno.test("scoreItem() sender is 1 for a VIP matched by address, any case", () => {
  const result = score({ from: "Ana Lima <Ana@X.com>" }, "", { vip_senders: ["ANA@x.COM"] });
  assert.equal(result.parts.sender, 1);
  assert.ok(result.reasons.includes("sender 1: VIP ana@x.com"));
  assert.equal(score({ from: "ana@x.com" }).parts.sender, 1);
});

Deno.test("scoreItem() sender is 1 for a VIP matched by display name, trimmed and any case", () => {
  const settings = { vip_senders: ["  ana   LIMA "] };
  assert.equal(score({ from: "Ana Lima <other@z.com>" }, "", settings).parts.sender, 1);
  assert.equal(score({ from: '"Ana Lima" <other@z.com>' }, "", settings).parts.sender, 1);
  const byName = score({ from: "Ana Lima" }, "", settings);
  assert.equal(byName.parts.sender, 1);
  assert.ok(byName.reasons.includes("sender 1: VIP Ana Lima"));
});

Deno.test("scoreItem() a name entry does not match a bare address, nor an address a name", () => {
  assert.equal(score({ from: "ana@x.com" }, "", { vip_senders: ["Ana Lima"] }).parts.sender, 0);
  assert.equal(score({ from: "Ana Lima" }, "", { vip_senders: ["ana@x.com"] }).parts.sender, 0);
});

Deno.test("scoreItem() sender is 0.5 for a known contact, and a VIP wins over a contact", () => {
  const known = score({ from: "Bob <bob@y.com>" });
  assert.equal(known.parts.sender, 0.5);
  assert.ok(known.reasons.includes("sender 0.5: known contact bob@y.com"));
  const both = score({ from: "ana@x.com" }, "", { known_contacts: ["ana@x.com"] });
  assert.equal(both.parts.sender, 1);
});

Deno.test("scoreItem() sender is 0 for a stranger or no sender, with no reason", () => {
  for (const from of ["Eve <eve@z.com>", undefined, 42]) {
    const result = score({ from });
    assert.equal(result.parts.sender, 0);
    assert.ok(!result.reasons.some((reason) => reason.startsWith("sender")));
  }
});

// --- the score ---

Deno.test("scoreItem() weighs the parts and rounds the score to 3 decimals", () => {
  const result = score(
    { priority: "high", due: "2026-11-22T09:00:00Z", from: "Bob <bob@y.com>" },
  );
  // 0.75·0.4 + 0.857·0.3 + 0.5·0.3 = 0.3 + 0.2571 + 0.15 = 0.7071 → 0.707
  assert.deepEqual(result, {
    score: 0.707,
    parts: { urgency: 0.75, deadline: 0.857, sender: 0.5 },
    reasons: [
      "urgency 0.75: marked high",
      "deadline 0.857: due in 24 hours (2026-11-22T09:00:00Z)",
      "sender 0.5: known contact bob@y.com",
    ],
  });
});

// --- the order ---

/**
 * Eight items at NOW = 2026-11-21T09:00Z, VIP ana@x.com, contact bob@y.com, weights 0.4/0.3/0.3.
 *
 * | id            | what                      | urgency | deadline | sender | score                    | received         |
 * |---------------|---------------------------|---------|----------|--------|--------------------------|------------------|
 * | urgent_vip    | marked urgent, from Ana   | 1       | 0        | 1      | 0.4 + 0 + 0.3 = 0.7      | 11-20 08:00      |
 * | overdue       | due 11-20 10:00           | 0.25    | 1        | 0      | 0.1 + 0.3 = 0.4          | 11-19 08:00      |
 * | keyword_body  | "ASAP" in the body        | 1       | 0        | 0      | 0.4                      | 11-21 07:00      |
 * | due_tomorrow  | due 11-22 09:00 (24 h)    | 0.25    | 0.857    | 0      | 0.1 + 0.2571 = 0.357     | 11-20 20:00      |
 * | known_contact | from Bob                  | 0.25    | 0        | 0.5    | 0.1 + 0.15 = 0.25        | 11-20 12:00      |
 * | plain_old     | nothing special           | 0.25    | 0        | 0      | 0.1                      | 11-01 08:00      |
 * | plain_new     | nothing special           | 0.25    | 0        | 0      | 0.1                      | 11-21 08:00      |
 * | low           | marked low, from Eve      | 0       | 0        | 0      | 0                        | 11-15 08:00      |
 *
 * Order: urgent_vip 0.7; overdue and keyword_body tie at 0.4, overdue is older; due_tomorrow
 * 0.357; known_contact 0.25; plain_old and plain_new tie at 0.1, plain_old is older; low 0.
 */
const ITEMS: { id: string; frontMatter: Record<string, unknown>; body: string }[] = [
  {
    id: "plain_new",
    frontMatter: { received: "2026-11-21T08:00:00Z", subject: "Lunch?" },
    body: "Are you free?",
  },
  {
    id: "low",
    frontMatter: { received: "2026-11-15T08:00:00Z", priority: "low", from: "Eve <eve@z.com>" },
    body: "Newsletter",
  },
  {
    id: "known_contact",
    frontMatter: { received: "2026-11-20T12:00:00Z", from: "Bob <bob@y.com>" },
    body: "Quick question",
  },
  {
    id: "keyword_body",
    frontMatter: { received: "2026-11-21T07:00:00Z", subject: "Contract" },
    body: "Please sign ASAP.",
  },
  {
    id: "due_tomorrow",
    frontMatter: { received: "2026-11-20T20:00:00Z", due: "2026-11-22T09:00:00Z" },
    body: "Report",
  },
  {
    id: "urgent_vip",
    frontMatter: {
      received: "2026-11-20T08:00:00Z",
      priority: "urgent",
      from: "Ana Lima <ana@x.com>",
    },
    body: "Call me",
  },
  {
    id: "plain_old",
    frontMatter: { received: "2026-11-01T08:00:00Z" },
    body: "Old note",
  },
  {
    id: "overdue",
    frontMatter: { received: "2026-11-19T08:00:00Z", due: "2026-11-20T10:00:00Z" },
    body: "Tax form",
  },
];

function ranked(settings: PrioritySettings = SETTINGS) {
  return ITEMS.map(({ id, frontMatter, body }) => ({
    id,
    score: scoreItem(frontMatter, body, settings, NOW).score,
    received: String(frontMatter.received),
  }));
}

Deno.test("scoreItem() gives the eight sample items the scores worked out by hand", () => {
  assert.deepEqual(Object.fromEntries(ranked().map((item) => [item.id, item.score])), {
    urgent_vip: 0.7,
    overdue: 0.4,
    keyword_body: 0.4,
    due_tomorrow: 0.357,
    known_contact: 0.25,
    plain_old: 0.1,
    plain_new: 0.1,
    low: 0,
  });
});

Deno.test("orderByPriority() puts the sample items in the order worked out by hand", () => {
  assert.deepEqual(orderByPriority(ranked()).map((item) => item.id), [
    "urgent_vip",
    "overdue",
    "keyword_body",
    "due_tomorrow",
    "known_contact",
    "plain_old",
    "plain_new",
    "low",
  ]);
});

Deno.test("orderByPriority() follows the weights: deadline only", () => {
  // Weights 0/1/0: overdue 1, due_tomorrow 0.857, every other 0 (ordered by received).
  const settings = { ...SETTINGS, priority_weights: { urgency: 0, deadline: 1, sender: 0 } };
  assert.deepEqual(orderByPriority(ranked(settings)).map((item) => item.id), [
    "overdue",
    "due_tomorrow",
    "plain_old",
    "low",
    "urgent_vip",
    "known_contact",
    "keyword_body",
    "plain_new",
  ]);
});

Deno.test("orderByPriority() follows the weights: sender heavy lifts a known contact", () => {
  // Weights 0.1/0.1/0.8: urgent_vip 0.1 + 0.8 = 0.9; known_contact 0.025 + 0.4 = 0.425;
  // overdue 0.025 + 0.1 = 0.125; due_tomorrow 0.025 + 0.0857 = 0.111; keyword_body 0.1;
  // plain_old, plain_new 0.025 (older first); low 0.
  const settings = { ...SETTINGS, priority_weights: { urgency: 0.1, deadline: 0.1, sender: 0.8 } };
  const items = ranked(settings);
  assert.equal(items.find((item) => item.id === "due_tomorrow")?.score, 0.111);
  assert.deepEqual(orderByPriority(items).map((item) => item.id), [
    "urgent_vip",
    "known_contact",
    "overdue",
    "due_tomorrow",
    "keyword_body",
    "plain_old",
    "plain_new",
    "low",
  ]);
});

Deno.test("orderByPriority() breaks a tie of score and received by id", () => {
  const at = "2026-11-21T08:00:00Z";
  const order = orderByPriority([
    { id: "b", score: 0.5, received: at },
    { id: "c", score: 0.5, received: new Date(at) },
    { id: "a", score: 0.5, received: at },
  ]);
  assert.deepEqual(order.map((item) => item.id), ["a", "b", "c"]);
});

Deno.test("orderByPriority() takes Date or ISO received, puts unreadable ones last among equals", () => {
  const order = orderByPriority([
    { id: "unreadable", score: 0.5, received: "yesterday" },
    { id: "newer", score: 0.5, received: "2026-11-21T08:00:00Z" },
    { id: "older", score: 0.5, received: new Date("2026-11-20T08:00:00Z") },
    { id: "top", score: 0.9, received: "yesterday" },
  ]);
  assert.deepEqual(order.map((item) => item.id), ["top", "older", "newer", "unreadable"]);
});

Deno.test("orderByPriority() returns a new array and leaves its input alone", () => {
  const items = [{ id: "a", score: 0.1, received: "2026-11-21T08:00:00Z" }, {
    id: "b",
    score: 0.9,
    received: "2026-11-21T08:00:00Z",
  }];
  const order = orderByPriority(items);
  assert.deepEqual(items.map((item) => item.id), ["a", "b"]);
  assert.deepEqual(order.map((item) => item.id), ["b", "a"]);
});
