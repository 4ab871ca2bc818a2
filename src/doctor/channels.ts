/**
 * The channels' checks: the browser the browser channels drive, Gmail's credentials (asked of
 * Google), each social platform's token and each browser channel's logged-in profile.
 * @module
 */
import { browserPaths } from "../browser/mod.ts";
import type { Config } from "../config/mod.ts";
import { GmailAuthError, loadAuthFlow, readGmailCredentials } from "../gmail/mod.ts";
import { createSecretStore, SecretError } from "../secrets/mod.ts";
import {
  postsThroughBrowser,
  SOCIAL_LABELS,
  socialAuthCommand,
  type SocialSetup,
  socialTokenHealth,
} from "../social/mod.ts";
import type { VaultLayout } from "../vault/mod.ts";
import { messageOf } from "./_shell.ts";
import type {
  DoctorCheck,
  DoctorEnvironment,
  GmailProbeAnswer,
  GmailProbeRequest,
} from "./types.ts";

/**
 * Each social platform's token (expired fails, expiring within a week warns) and, for a platform
 * that posts through the browser, its profile. Pure: `setups` from {@linkcode readSocialSetups}.
 * A token is required unless the platform's driver is `browser`; a profile is required when the
 * driver is `browser`. One passing line when no platform is set up at all.
 */
export function socialChecks(setups: readonly SocialSetup[], now: Date): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  for (const setup of setups) {
    const { platform, driver } = setup;
    const label = SOCIAL_LABELS[platform];
    const tokenBase = {
      id: `token_${platform}`,
      title: `${label} token`,
      required: driver !== "browser",
    };
    const auth = socialAuthCommand(platform);
    if (setup.tokenProblem) {
      const { message, fix } = setup.tokenProblem;
      checks.push({ ...tokenBase, ok: false, detail: message, fix });
    } else if (setup.token) {
      const health = socialTokenHealth(platform, setup.token, now);
      const ok = health.state === "expired" ? false : health.state === "expiring" ? "warn" : true;
      checks.push({
        ...tokenBase,
        ok,
        // The fix is given as `fix`, not twice.
        detail: health.message.replace(/; run '.*$/, ""),
        ...(ok === true ? {} : { fix: `run '${auth}' to store a new token` }),
      });
    } else if (driver === "api") {
      checks.push({
        ...tokenBase,
        ok: false,
        detail: `${platform}.driver is api, but no token is set up`,
        fix: `run '${auth}', or set ${platform}.driver: auto in aiemp.yaml`,
      });
    }
    const profileBase = {
      id: `profile_${platform}`,
      title: `${label} browser profile`,
      required: driver === "browser",
    };
    if (postsThroughBrowser(setup)) {
      checks.push(
        setup.profile
          ? { ...profileBase, ok: true, detail: `posts through the browser profile` }
          : {
            ...profileBase,
            ok: false,
            detail: `${platform}.driver is browser, but no one has logged in (no profile)`,
            fix: `run 'aiemp login ${platform}'`,
          },
      );
    }
  }
  if (checks.length === 0) {
    checks.push({
      id: "social",
      title: "Social platforms",
      required: false,
      ok: true,
      detail: "none set up ('aiemp auth <platform>' or 'aiemp login <platform>' sets one up)",
    });
  }
  return checks;
}

/**
 * The WhatsApp channel has a browser profile to watch with, when `whatsapp.enabled`. Required
 * then; a passing line when it is off.
 */
export async function whatsappCheck(layout: VaultLayout, config: Config): Promise<DoctorCheck> {
  const base = { id: "whatsapp", title: "WhatsApp", required: config.whatsapp.enabled };
  if (!config.whatsapp.enabled) {
    return { ...base, ok: true, detail: "off (whatsapp.enabled is false)" };
  }
  const { profileDir } = browserPaths(layout.internal, "whatsapp");
  if (await isFolder(profileDir)) {
    return { ...base, ok: true, detail: `on, with the browser profile ${profileDir}` };
  }
  return {
    ...base,
    ok: false,
    detail: `whatsapp.enabled is true, but no one has logged in (no ${profileDir})`,
    fix: "run 'aiemp login whatsapp' and scan the QR code with your phone",
  };
}

/**
 * The system's Chromium or Chrome is found (as every browser channel finds it). Required when
 * `users` is not empty (WhatsApp on, a platform posting through the browser); else a missing
 * browser is only a warning.
 */
export async function chromiumCheck(
  config: Config,
  users: readonly string[],
  findBrowser: (configured: string) => Promise<string>,
): Promise<DoctorCheck> {
  const required = users.length > 0;
  const base = { id: "chromium", title: "Chromium", required };
  const why = required
    ? `needed by ${users.join(", ")}`
    : "not needed now: WhatsApp is off and no platform posts through the browser";
  try {
    const path = await findBrowser(config.browser.executable);
    return { ...base, ok: true, detail: `${path}; ${why}` };
  } catch (error) {
    // The message is "what; the fix", as findBrowser words it.
    const message = messageOf(error);
    const cut = message.indexOf("; ");
    const [what, fix] = cut < 0
      ? [message, "install Chromium, or set browser.executable in aiemp.yaml to its path"]
      : [message.slice(0, cut), message.slice(cut + 2)];
    return { ...base, ok: required ? false : "warn", detail: `${what}; ${why}`, fix };
  }
}

/**
 * Gmail's stored credentials work: they are there, Google accepts them (asked at
 * `gmail.token_uri` and `gmail.api_root`, as `aiemp auth status` asks), and the grant allows what
 * aiemp does with Gmail. Required when `gmail.enabled`; a passing line when it is off.
 */
export async function gmailCheck(
  layout: VaultLayout,
  config: Config,
  options: {
    env: DoctorEnvironment;
    checkGmail: (request: GmailProbeRequest) => Promise<GmailProbeAnswer>;
  },
): Promise<DoctorCheck> {
  const base = { id: "gmail", title: "Gmail", required: config.gmail.enabled };
  if (!config.gmail.enabled) {
    return { ...base, ok: true, detail: "off (gmail.enabled is false)" };
  }
  const signIn = "run 'aiemp auth gmail' (the README's Gmail section), or set gmail.enabled: false";
  let credentials;
  try {
    credentials = readGmailCredentials(
      createSecretStore({ dir: layout.secrets, env: options.env.secrets }),
    );
  } catch (error) {
    if (!(error instanceof GmailAuthError || error instanceof SecretError)) throw error;
    return { ...base, ok: false, detail: error.message, fix: signIn };
  }
  const check = await options.checkGmail({
    ...credentials,
    apiRoot: config.gmail.api_root,
    tokenUri: config.gmail.token_uri,
    timeoutMs: 15_000,
    retry: { maxAttempts: 2, maxDelayMs: 2_000 },
  });
  if (!check.ok) {
    return {
      ...base,
      ok: false,
      detail: `Google does not accept the credentials: ${check.message}`,
      fix: check.name === "GmailAuthError"
        ? "run 'aiemp auth gmail' to sign in again"
        : "check the network and gmail.api_root / gmail.token_uri, or run 'aiemp auth gmail'",
    };
  }
  const { gmailScopeNeeds } = await loadAuthFlow();
  const needs = gmailScopeNeeds(check.token.scopes, {
    changesLabels: config.gmail.after_note !== "nothing",
  });
  const lacking = needs.filter((need) => !need.ok);
  const account = `signed in as ${check.profile.emailAddress}`;
  if (lacking.length > 0) {
    return {
      ...base,
      ok: false,
      detail: `${account}, but the grant does not let aiemp ${
        lacking.map((need) => `${need.use} (${need.by})`).join(" or ")
      }`,
      fix: "run 'aiemp auth gmail' and allow everything on Google's consent page",
    };
  }
  return { ...base, ok: true, detail: `${account}; may ${needs.map((n) => n.use).join(", ")}` };
}

async function isFolder(path: string): Promise<boolean> {
  return (await Deno.stat(path).catch(() => undefined))?.isDirectory ?? false;
}
