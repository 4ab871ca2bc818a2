import assert from "node:assert/strict";
import {
  DASHBOARD_SECTIONS,
  type DashboardSnapshot,
  renderDashboard,
} from "../../src/dashboard/mod.ts";

const NOW = new Date("2026-03-10T12:00:00.000Z");
const pad = (n: number) => String(n).padStart(2, "0");
/** NOW's local date, as the supervisor records the day of its restart counter. */
const TODAY = `${NOW.getFullYear()}-${pad(NOW.getMonth() + 1)}-${pad(NOW.getDate())}`;

function snapshot(overrides: Partial<DashboardSnapshot> = {}): DashboardSnapshot {
  return {
    now: NOW,
    online: true,
    headline: "System Online: all components active",
    startedAt: new Date("2026-03-10T08:00:00.000Z"),
    pid: 4242,
    dryRun: false,
    components: [
      {
        id: "inbox",
        description: "Inbox watcher",
        state: "running",
        since: "2026-03-10T08:00:01.000Z",
        restarts: 0,
      },
      {
        id: "executor",
        description: "Approval executor",
        state: "failed",
        since: "2026-03-10T11:59:00.000Z",
        restarts: 3,
        restartsToday: 2,
        restartsDay: TODAY,
        lastError: "worker crashed: out of memory",
      },
    ],
    counts: { Needs_Action: 4, Pending_Approval: 2, Done: 17 },
    activity: [
      { when: "2026-03-10T11:58:00.000Z", text: "webhook WEBHOOK_b.md: sent" },
      { when: "2026-03-10T09:15:00.000Z", text: "new file task FILE_a" },
    ],
    alerts: [],
    ...overrides,
  };
}

/** The template's shape: owner prose around the four managed sections. */
const OWNER_DASHBOARD = [
  "# Dashboard  ",
  "",
  "Owner's intro, with **bold** and a trailing tab\t",
  "",
  "## Status",
  "<!-- aiemp:begin status -->",
  "_Filled in by aiemp when it starts._",
  "<!-- aiemp:end status -->",
  "",
  "Between sections: owner text | with a pipe",
  "## Health",
  "<!-- aiemp:begin health -->",
  "old",
  "<!-- aiemp:end health -->",
  "## Queue",
  "<!-- aiemp:begin queue -->",
  "old",
  "<!-- aiemp:end queue -->",
  "",
  "## Recent activity",
  "<!-- aiemp:begin activity -->",
  "old",
  "<!-- aiemp:end activity -->",
  "",
  "## My notes",
  "",
  "- call the accountant\r",
  "no final newline",
].join("\n");

/** The text outside every managed section. */
function ownerText(text: string): string {
  return text.replace(/(<!-- aiemp:begin (\w+) -->)[\s\S]*?(<!-- aiemp:end \2 -->)/g, "$1$3");
}

function section(text: string, name: string): string {
  const match = new RegExp(
    `<!-- aiemp:begin ${name} -->\\n([\\s\\S]*?)\\n<!-- aiemp:end ${name} -->`,
  )
    .exec(text);
  assert.ok(match, `section ${name} is present`);
  return match[1];
}

Deno.test("renderDashboard() keeps every character the owner wrote outside the markers", () => {
  const out = renderDashboard(OWNER_DASHBOARD, snapshot());
  assert.equal(ownerText(out), ownerText(OWNER_DASHBOARD));
  assert.notEqual(out, OWNER_DASHBOARD, "the managed sections were filled in");
});

Deno.test("renderDashboard() gives the same text when rendered twice with the same snapshot", () => {
  const once = renderDashboard(OWNER_DASHBOARD, snapshot());
  assert.equal(renderDashboard(once, snapshot()), once);
});

Deno.test("renderDashboard() adds missing sections under their headings", () => {
  const out = renderDashboard("# My dashboard\n\nMine.\n", snapshot());
  assert.ok(out.startsWith("# My dashboard\n\nMine.\n"));
  for (const [name, heading] of Object.entries(DASHBOARD_SECTIONS)) {
    assert.ok(out.includes(`${heading}\n<!-- aiemp:begin ${name} -->`), name);
  }
});

Deno.test("renderDashboard() shows a row for each component with its state, restarts today and last error", () => {
  const health = section(renderDashboard(OWNER_DASHBOARD, snapshot()), "health");
  const rows = health.split("\n").filter((line) =>
    line.startsWith("| ") && !line.startsWith("| Component")
  );
  assert.equal(rows.length, 2);
  assert.ok(rows[0].includes("Inbox watcher") && rows[0].includes("running"), rows[0]);
  assert.ok(rows[1].includes("Approval executor") && rows[1].includes("down"), rows[1]);
  assert.ok(rows[1].includes("| 2 |"), `two restarts today: ${rows[1]}`);
  assert.ok(rows[0].includes("| 0 |"), rows[0]);
  assert.ok(rows[1].includes("worker crashed: out of memory"), rows[1]);
});

Deno.test("renderDashboard() says so when no component runs", () => {
  const health = section(renderDashboard("", snapshot({ components: [] })), "health");
  assert.doesNotMatch(health, /\| Inbox/);
  assert.ok(health.trim().length > 0);
});

Deno.test("renderDashboard() shows the item count of each folder", () => {
  const queue = section(renderDashboard(OWNER_DASHBOARD, snapshot()), "queue");
  assert.match(queue, /\| Needs_Action\/ \| 4 \|/);
  assert.match(queue, /\| Pending_Approval\/ \| 2 \|/);
  assert.match(queue, /\| Done\/ \| 17 \|/);
});

Deno.test("renderDashboard() lists recent activity newest first", () => {
  const activity = section(renderDashboard(OWNER_DASHBOARD, snapshot()), "activity");
  const newer = activity.indexOf("WEBHOOK_b.md");
  const older = activity.indexOf("FILE_a");
  assert.ok(newer !== -1 && older !== -1, activity);
  assert.ok(newer < older, activity);
  assert.ok(activity.includes("2026-03-10 11:58:00"), activity);
});

Deno.test("renderDashboard() escapes pipes and newlines in activity so the table holds", () => {
  const activity = section(
    renderDashboard("", snapshot({ activity: [{ when: NOW.toISOString(), text: "a | b\nc" }] })),
    "activity",
  );
  const row = activity.split("\n").find((line) => line.includes("a \\| b"));
  assert.ok(row, activity);
  assert.ok(row.includes("a \\| b c"), row);
  assert.equal(row.split(/(?<!\\)\|/).length, 4, "two cells between three unescaped pipes");
});

Deno.test("renderDashboard() shows the online headline and the PID", () => {
  const status = section(renderDashboard(OWNER_DASHBOARD, snapshot()), "status");
  assert.ok(status.includes("System Online: all components active"), status);
  assert.ok(status.includes("4242"), status);
});

Deno.test("renderDashboard() shows the offline headline", () => {
  const status = section(
    renderDashboard(
      OWNER_DASHBOARD,
      snapshot({ online: false, headline: "System Offline: orchestrator stopped" }),
    ),
    "status",
  );
  assert.ok(status.includes("System Offline: orchestrator stopped"), status);
  assert.ok(!status.includes("System Online"), status);
});

Deno.test("renderDashboard() shows each alert and says when dry run is on", () => {
  const status = section(
    renderDashboard(
      OWNER_DASHBOARD,
      snapshot({ dryRun: true, alerts: ["2 approval request(s) waiting", "disk almost full"] }),
    ),
    "status",
  );
  assert.ok(status.includes("2 approval request(s) waiting"), status);
  assert.ok(status.includes("disk almost full"), status);
  assert.match(status, /Dry run: on/);
});

Deno.test("renderDashboard() removes an alert once it is gone", () => {
  const withAlert = renderDashboard(OWNER_DASHBOARD, snapshot({ alerts: ["disk almost full"] }));
  const cleared = renderDashboard(withAlert, snapshot({ alerts: [] }));
  assert.ok(!cleared.includes("disk almost full"));
});

Deno.test("renderDashboard() counts no restarts today when the count is from another day", () => {
  const [inbox, executor] = snapshot().components;
  const components = [inbox, { ...executor, restartsToday: 5, restartsDay: "2026-03-09" }];
  const health = section(renderDashboard("", snapshot({ components })), "health");
  const row = health.split("\n").find((line) => line.includes("Approval executor"))!;
  assert.ok(row.includes("| 0 |"), row);
});
