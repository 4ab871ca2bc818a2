/**
 * Social posts through the browser driver, run by the real `aiemp start` and `aiemp login` with
 * the system's Chromium (headless) against the local imitations of the composers
 * (tests/fixtures/pages/social): `aiemp login linkedin` sees the session; an approved LINKEDIN_
 * file is typed, posted exactly once and lands in Done/ with the post's address; a post that
 * never confirms goes back to the owner as "may have been published" and is not posted again.
 */
import assert from "node:assert/strict";
import { parseNote } from "../../src/vault/mod.ts";
import { browserTest } from "../fixtures/chromium.ts";
import {
  type FakeSocialSites,
  startFakeSocialSites,
} from "../fixtures/pages/social/fake_social_sites.ts";
import { aiemp, approve, makeVault, startAiemp, type TestVault, waitFor } from "./_harness.ts";

/** LinkedIn through the browser, pointed at the imitation, with quick pacing. */
function settings(sites: FakeSocialSites): string {
  return [
    "linkedin:",
    "  driver: browser",
    `  url: ${sites.urlOf("linkedin")}`,
    "browser:",
    "  headless: true",
    "  keystroke_ms: { min: 0, max: 2 }",
    "  action_ms: { min: 0, max: 10 }",
    "  step_timeout_s: 10",
    "approvals:",
    "  retry_delay_s: 1",
    "",
  ].join("\n");
}

function postRequest(id: string, text: string): string {
  return `---\nid: ${id}\ntype: approval_request\naction: linkedin_post\nplatform: linkedin\n` +
    `created: 2026-11-21T05:00:00Z\nexpires: 2099-01-01T00:00:00Z\nhashtags: [smallbusiness]\n` +
    `---\n\n## Why\nA tip.\n\n## Content\n${text}\n`;
}

async function landed(vault: TestVault, folder: string, name: string) {
  const path = vault.file(folder, name);
  await waitFor(
    () => Deno.stat(path).then(() => true, () => false),
    `${name} in ${folder}/`,
    60_000,
  );
  return parseNote(await Deno.readTextFile(path));
}

browserTest(
  "aiemp login linkedin sees the session, and an approved post goes out once through it",
  async () => {
    const sites = startFakeSocialSites();
    const vault = await makeVault(settings(sites));
    try {
      const login = await aiemp([
        "login",
        "linkedin",
        "--vault",
        vault.path,
        "--headless",
        "--timeout-s",
        "30",
      ]);
      assert.equal(login.code, 0, login.stdout + login.stderr);
      assert.match(login.stdout, /Logged in to LinkedIn/);
      assert.match(login.stdout, /linkedin_post requests now go out through this session/);

      const run = await startAiemp(vault.path);
      try {
        await approve(
          vault,
          "LINKEDIN_tip.md",
          postRequest("LINKEDIN_tip", "Three small changes.\n\nTry one 🙂"),
        );
        const done = await landed(vault, "Done", "LINKEDIN_tip.md");
        const published = sites.published();
        assert.equal(published.length, 1, "posted exactly once");
        assert.equal(published[0].text, "Three small changes.\n\nTry one 🙂 #smallbusiness");
        assert.equal(done.frontMatter.outcome, "sent");
        assert.equal(done.frontMatter.remote_url, published[0].url);
        assert.equal(done.frontMatter.remote_id, published[0].id);

        sites.setModes({ outcome: "never" });
        await approve(vault, "LINKEDIN_maybe.md", postRequest("LINKEDIN_maybe", "Another tip."));
        const back = await landed(vault, "Pending_Approval", "LINKEDIN_maybe.md");
        assert.match(back.body, /may have been published/);
        assert.equal(sites.published().length, 2, "the second post was clicked once");
      } finally {
        await run.stop();
      }
      assert.equal(sites.published().length, 2, "never posted again by aiemp");
    } finally {
      await sites.close();
      await vault.cleanup();
    }
  },
);
