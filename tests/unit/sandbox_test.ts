/**
 * Least privilege: each component is started with exactly the permissions the orchestrator gives
 * it (src/sandbox/, through `workerOf` and `prepare`), and tries what it must not do.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { webhookAction } from "../../src/actions/webhook.ts";
import { whatsappReplyAction } from "../../src/actions/whatsapp.ts";
import { loadConfig } from "../../src/config/mod.ts";
import { workerOf } from "../../src/orchestrator/components.ts";
import {
  actionRunPermissions,
  browserActionRunPermissions,
  gmailWatcherPermissions,
} from "../../src/sandbox/mod.ts";
import { VAULT_FOLDERS, vaultLayout } from "../../src/vault/mod.ts";
import type { Probe } from "../fixtures/probe_worker.ts";

const PROBE = new URL("../fixtures/probe_worker.ts", import.meta.url);

/** Runs the probes in a Worker with `permissions` and returns how each ended. */
async function probe(
  permissions: Deno.PermissionOptionsObject,
  probes: Probe[],
): Promise<string[]> {
  const worker = new Worker(PROBE, { type: "module", deno: { permissions } });
  try {
    return await new Promise<string[]>((resolve, reject) => {
      worker.onmessage = (event) => resolve(event.data);
      worker.onerror = (event) => {
        event.preventDefault();
        reject(new Error(event.message));
      };
      worker.postMessage(probes);
    });
  } finally {
    worker.terminate();
  }
}

/** A vault with every folder, a file in each, and a file outside it. */
async function fixture() {
  const dir = await Deno.makeTempDir({ prefix: "aiemp-sandbox-" });
  const layout = vaultLayout(join(dir, "vault"));
  for (const folder of VAULT_FOLDERS) {
    await Deno.mkdir(layout.folder(folder), { recursive: true });
    await Deno.writeTextFile(join(layout.folder(folder), "note.md"), "x");
  }
  for (const internal of [layout.inflight, layout.inboxClaims, layout.secrets]) {
    await Deno.mkdir(internal, { recursive: true });
  }
  await Deno.writeTextFile(join(layout.secrets, "token"), "s3cret-token");
  await Deno.writeTextFile(layout.audit, "");
  const outside = join(dir, "outside.txt");
  await Deno.writeTextFile(outside, "not the vault's");
  // A listener nobody may reach: accepting a connection would prove a hole.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let connections = 0;
  (async () => {
    for await (const conn of listener) {
      connections++;
      conn.close();
    }
  })();
  return {
    layout,
    outside,
    port: listener.addr.port,
    connections: () => connections,
    async cleanup() {
      listener.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** What no vault component may do: leave the vault, reach the network, run, read the env. */
function forbiddenEverywhere(f: Awaited<ReturnType<typeof fixture>>): [string, Probe][] {
  return [
    ["read a file outside the vault", { op: "read", path: f.outside }],
    ["write a file outside the vault", { op: "write", path: `${f.outside}.new` }],
    ["read a secret", { op: "read", path: join(f.layout.secrets, "token") }],
    ["write the audit log", { op: "write", path: f.layout.audit }],
    ["write the approval records", { op: "write", path: f.layout.approvals }],
    ["write aiemp.yaml", { op: "write", path: f.layout.config }],
    ["write Dashboard.md", { op: "write", path: f.layout.dashboard }],
    ["write the agent's settings", {
      op: "write",
      path: join(f.layout.root, ".claude", "settings.json"),
    }],
    ["open a connection", { op: "connect", port: f.port }],
    ["fetch a URL", { op: "fetch", url: `http://127.0.0.1:${f.port}/` }],
    ["run a program", { op: "run", program: "true" }],
    ["read the environment", { op: "env", name: "HOME" }],
    ["ask the system its host name", { op: "sys" }],
  ];
}

async function assertOnly(
  permissions: Deno.PermissionOptionsObject,
  allowed: [string, Probe][],
  forbidden: [string, Probe][],
) {
  const results = await probe(permissions, [...allowed, ...forbidden].map(([, p]) => p));
  const got = [...allowed, ...forbidden].map(([what], i) => `${what}: ${results[i]}`);
  const want = [
    ...allowed.map(([what]) => `${what}: ok`),
    ...forbidden.map(([what]) => `${what}: NotCapable`),
  ];
  assert.deepEqual(got, want);
}

const config = loadConfig(undefined, {}, {});

Deno.test("the inbox watcher works in Inbox/ and Needs_Action/ only: no approvals, no network, no programs, no environment", async () => {
  const f = await fixture();
  try {
    const { permissions } = workerOf("inbox", { layout: f.layout, config, once: false });
    const folder = (name: (typeof VAULT_FOLDERS)[number]) => f.layout.folder(name);
    await assertOnly(permissions, [
      ["read Inbox/", { op: "read", path: join(folder("Inbox"), "note.md") }],
      ["write Needs_Action/", { op: "write", path: join(folder("Needs_Action"), "t.md") }],
      ["write its claims", { op: "write", path: join(f.layout.inboxClaims, "c") }],
    ], [
      ...forbiddenEverywhere(f),
      ["write Approved/", { op: "write", path: join(folder("Approved"), "WEBHOOK_x.md") }],
      ["write Pending_Approval/", {
        op: "write",
        path: join(folder("Pending_Approval"), "WEBHOOK_x.md"),
      }],
      ["read Approved/", { op: "read", path: join(folder("Approved"), "note.md") }],
      ["write Done/", { op: "write", path: join(folder("Done"), "x.md") }],
      ["write .aiemp/inflight/", { op: "write", path: join(f.layout.inflight, "x.md") }],
    ]);
    assert.equal(f.connections(), 0);
  } finally {
    await f.cleanup();
  }
});

Deno.test("the approval executor works in the approval folders only: no inbox, no audit log, no network, no programs, no environment", async () => {
  const f = await fixture();
  try {
    const { permissions } = workerOf("executor", { layout: f.layout, config, once: false });
    const folder = (name: (typeof VAULT_FOLDERS)[number]) => f.layout.folder(name);
    await assertOnly(permissions, [
      ["read Approved/", { op: "read", path: join(folder("Approved"), "note.md") }],
      ["write .aiemp/inflight/", { op: "write", path: join(f.layout.inflight, "x.md") }],
      ["write Done/", { op: "write", path: join(folder("Done"), "x.md") }],
      ["write Rejected/", { op: "write", path: join(folder("Rejected"), "x.md") }],
    ], [
      ...forbiddenEverywhere(f),
      ["read Inbox/", { op: "read", path: join(folder("Inbox"), "note.md") }],
      ["write Needs_Action/", { op: "write", path: join(folder("Needs_Action"), "t.md") }],
      ["write Plans/", { op: "write", path: join(folder("Plans"), "p.md") }],
      ["read the vault's root", { op: "readDir", path: f.layout.root }],
    ]);
    assert.equal(f.connections(), 0);
  } finally {
    await f.cleanup();
  }
});

Deno.test("the Gmail watcher reaches only Google's hosts from the settings and writes only its notes: no approvals, no secrets, no programs", async () => {
  const f = await fixture();
  const google = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("{}"),
  );
  try {
    const api = `http://127.0.0.1:${google.addr.port}`;
    const permissions = gmailWatcherPermissions(f.layout, {
      apiRoot: `${api}/`,
      tokenUri: `${api}/token`,
    });
    const folder = (name: (typeof VAULT_FOLDERS)[number]) => f.layout.folder(name);
    await assertOnly(permissions, [
      ["reach the Gmail API it was given", {
        op: "fetch",
        url: `${api}/gmail/v1/users/me/profile`,
      }],
      ["write Needs_Action/", { op: "write", path: join(folder("Needs_Action"), "EMAIL_1.md") }],
    ], [
      ["read a file outside the vault", { op: "read", path: f.outside }],
      ["read a secret", { op: "read", path: join(f.layout.secrets, "token") }],
      ["write the audit log", { op: "write", path: f.layout.audit }],
      ["write Approved/", { op: "write", path: join(folder("Approved"), "EMAIL_x.md") }],
      ["write Pending_Approval/", {
        op: "write",
        path: join(folder("Pending_Approval"), "EMAIL_x.md"),
      }],
      ["connect to another port", { op: "connect", port: f.port }],
      ["run a program", { op: "run", program: "true" }],
      ["read the environment beyond what Google's libraries read", { op: "env", name: "HOME" }],
    ]);
    assert.equal(f.connections(), 0);
  } finally {
    await google.shutdown();
    await f.cleanup();
  }
});

Deno.test("one action run reaches only its item's host:port, and reads and writes nothing", async () => {
  const f = await fixture();
  const allowed = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("ok"),
  );
  try {
    const webhook = webhookAction;
    const prepared = webhook.prepare({
      id: "probe-1",
      action: "webhook",
      fileName: "WEBHOOK_probe.md",
      frontMatter: { url: `http://127.0.0.1:${allowed.addr.port}/hook` },
      body: "",
    }, { webhooks: {}, userAgent: "aiemp-test", secret: () => "" } as never);
    const permissions = actionRunPermissions(prepared.hosts, prepared.readable);
    await assertOnly(permissions, [
      ["POST to its own host:port", {
        op: "fetch",
        url: `http://127.0.0.1:${allowed.addr.port}/hook`,
      }],
    ], [
      ["POST to another port of the same host", {
        op: "fetch",
        url: `http://127.0.0.1:${f.port}/`,
      }],
      ["connect to another port", { op: "connect", port: f.port }],
      ["read the approved item's folder", {
        op: "read",
        path: join(f.layout.folder("Approved"), "note.md"),
      }],
      ["read a secret", { op: "read", path: join(f.layout.secrets, "token") }],
      ["write into the vault", { op: "write", path: join(f.layout.folder("Done"), "x.md") }],
      ["run a program", { op: "run", program: "true" }],
      ["read the environment", { op: "env", name: "HOME" }],
    ]);
    assert.equal(f.connections(), 0);
  } finally {
    await allowed.shutdown();
    await f.cleanup();
  }
});

Deno.test("the WhatsApp watcher works in its notes, its seen ids, its browser profile and Logs/browser/: no approvals, no secrets, no network", async () => {
  const f = await fixture();
  try {
    const executable = "/usr/bin/true";
    const { permissions } = workerOf("whatsapp", {
      layout: f.layout,
      config,
      once: false,
      browser: { executable },
    });
    const folder = (name: (typeof VAULT_FOLDERS)[number]) => f.layout.folder(name);
    const profile = join(f.layout.internal, "browser", "whatsapp");
    await Deno.mkdir(profile, { recursive: true });
    await Deno.mkdir(join(f.layout.internal, "whatsapp"), { recursive: true });
    await Deno.mkdir(join(folder("Logs"), "browser"), { recursive: true });
    await assertOnly(permissions, [
      ["write Needs_Action/", { op: "write", path: join(folder("Needs_Action"), "WHATSAPP_1.md") }],
      ["write its seen ids", { op: "write", path: join(f.layout.internal, "whatsapp", "s.json") }],
      ["write its profile", { op: "write", path: join(profile, "x") }],
      ["write its PID file", {
        op: "write",
        path: join(f.layout.internal, "browser", "whatsapp.pid"),
      }],
      ["write Logs/browser/", { op: "write", path: join(folder("Logs"), "browser", "x.png") }],
      ["run the browser", { op: "run", program: executable }],
    ], [
      ["read a file outside the vault", { op: "read", path: f.outside }],
      ["read a secret", { op: "read", path: join(f.layout.secrets, "token") }],
      ["write the audit log", { op: "write", path: f.layout.audit }],
      ["write the rate limits", { op: "write", path: join(f.layout.internal, "pacing.json") }],
      ["write Approved/", { op: "write", path: join(folder("Approved"), "WHATSAPP_x.md") }],
      ["write Pending_Approval/", {
        op: "write",
        path: join(folder("Pending_Approval"), "WHATSAPP_x.md"),
      }],
      ["write another platform's profile", {
        op: "write",
        path: join(f.layout.internal, "browser", "linkedin", "x"),
      }],
      ["open a connection", { op: "connect", port: f.port }],
      ["fetch a URL", { op: "fetch", url: `http://127.0.0.1:${f.port}/` }],
      ["run another program", { op: "run", program: "sh" }],
    ]);
    assert.equal(f.connections(), 0);
  } finally {
    await f.cleanup();
  }
});

Deno.test("a WhatsApp reply's run drives the profile's browser and reads nothing of the vault: not the rate limits, no network", async () => {
  const f = await fixture();
  try {
    const reply = whatsappReplyAction;
    const prepared = reply.prepare({
      id: "WHATSAPP_reply_1",
      action: "whatsapp_reply",
      fileName: "WHATSAPP_reply_1.md",
      frontMatter: { chat: "Ana Lima" },
      body: "## Content\nOn my way.\n",
    }, {
      webhooks: {},
      userAgent: "aiemp-test",
      secret: () => "",
      vault: f.layout.root,
      whatsapp: { url: "http://127.0.0.1:1/" },
      browser: {
        executable: "/usr/bin/true",
        headless: true,
        keystroke: { minMs: 0, maxMs: 1 },
        action: { minMs: 0, maxMs: 1 },
        stepTimeoutMs: 1000,
      },
    });
    assert.ok(prepared.browser);
    const permissions = browserActionRunPermissions(prepared.browser, prepared.readable);
    const profile = join(f.layout.internal, "browser", "whatsapp");
    await Deno.mkdir(profile, { recursive: true });
    await Deno.mkdir(join(f.layout.folder("Logs"), "browser"), { recursive: true });
    await Deno.writeTextFile(join(f.layout.internal, "pacing.json"), "{}");
    await assertOnly(permissions, [
      ["write its profile", { op: "write", path: join(profile, "x") }],
      ["write Logs/browser/", {
        op: "write",
        path: join(f.layout.folder("Logs"), "browser", "x.png"),
      }],
      ["run the browser", { op: "run", program: "/usr/bin/true" }],
    ], [
      ["read the approved item's folder", {
        op: "read",
        path: join(f.layout.folder("Approved"), "note.md"),
      }],
      ["read the rate limits", { op: "read", path: join(f.layout.internal, "pacing.json") }],
      ["write the rate limits", { op: "write", path: join(f.layout.internal, "pacing.json") }],
      ["read a secret", { op: "read", path: join(f.layout.secrets, "token") }],
      ["write into the vault", { op: "write", path: join(f.layout.folder("Done"), "x.md") }],
      ["write Needs_Action/", { op: "write", path: join(f.layout.folder("Needs_Action"), "x") }],
      ["open a connection", { op: "connect", port: f.port }],
      ["run another program", { op: "run", program: "sh" }],
    ]);
    assert.equal(f.connections(), 0);
  } finally {
    await f.cleanup();
  }
});
