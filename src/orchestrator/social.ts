/**
 * The social platforms as the orchestrator serves them: their settings for the post actions,
 * their tokens handed to a post (renewed and saved first when they can be), and how each account
 * stands for the Dashboard, with an alert before a token that cannot be renewed expires.
 * @module
 */
import { ActionInputError, type ActionSettings } from "../actions/mod.ts";
import type { Config } from "../config/mod.ts";
import { SecretError, type SecretStore, writeSecret } from "../secrets/mod.ts";
import {
  freshSocialToken,
  PLATFORM_RULES,
  readSocialSetups,
  readSocialToken,
  type SocialPlatform,
  SocialTokenError,
  socialTokenHealth,
} from "../social/mod.ts";
import type { VaultLayout } from "../vault/mod.ts";

/** Each platform's settings, as the post actions take them. */
export function socialActionSettings(config: Config): NonNullable<ActionSettings["social"]> {
  return {
    linkedin: {
      driver: config.linkedin.driver,
      apiBase: config.linkedin.api_base,
      url: config.linkedin.url,
      apiVersion: config.linkedin.api_version,
      organization: config.linkedin.organization || undefined,
    },
    x: { driver: config.x.driver, apiBase: config.x.api_base, url: config.x.url },
    facebook: {
      driver: config.facebook.driver,
      apiBase: config.facebook.api_base,
      url: config.facebook.url,
    },
    instagram: {
      driver: config.instagram.driver,
      apiBase: config.instagram.api_base,
      url: config.instagram.url,
    },
  };
}

/** Where renewals of each platform's token go; Meta's Page tokens are not renewed. */
function tokenUriOf(config: Config, platform: SocialPlatform): string {
  if (platform === "linkedin") return config.linkedin.token_uri;
  if (platform === "x") return config.x.token_uri;
  return "";
}

/**
 * The token source of the post actions: the platform's stored token, renewed and saved first
 * when it is about to expire and can be (never in a dry run, which contacts nothing). A token
 * that expired and cannot be renewed, or whose renewal was refused, refuses the post with the fix;
 * a token endpoint that did not answer makes the post wait and try again.
 */
export function socialTokenSource(
  options: { layout: VaultLayout; config: Config; secrets: SecretStore; dryRun: boolean },
): NonNullable<ActionSettings["socialToken"]> {
  const { layout, config, secrets } = options;
  return async (platform) => {
    try {
      if (options.dryRun) return readSocialToken(platform, secrets);
      return await freshSocialToken(platform, {
        secrets,
        save: (name, value) => writeSecret(layout.secrets, name, value),
        tokenUri: tokenUriOf(config, platform),
      });
    } catch (error) {
      // A token file that may not be used (its mode, its owner) is the owner's to fix, too.
      if (!(error instanceof SocialTokenError || error instanceof SecretError)) throw error;
      const retryable = error instanceof SocialTokenError && error.retryable;
      const then = retryable ? "it is tried again later" : "then approve it again";
      throw new ActionInputError(`${error.message}; nothing was posted, ${then}`, { retryable });
    }
  };
}

/** How one platform's account stands, for the Dashboard and `aiemp status`. */
export interface SocialAccount {
  /** The platform. */
  platform: SocialPlatform;
  /** How its posts go out now. */
  driver: "api" | "browser";
  /** `valid`, `renews`, `expiring`, `expired`, `unreadable`, or `browser` (no token). */
  state: string;
  /** One line for the owner, with the fix when one is needed. */
  message: string;
}

/**
 * Each platform that is set up (a token stored, or a browser profile from `aiemp login`), as it
 * stands at `now`. A platform with neither is left out: the owner does not use it.
 */
export async function socialAccountsOf(
  layout: VaultLayout,
  config: Config,
  secrets: SecretStore,
  now: Date,
): Promise<SocialAccount[]> {
  const accounts: SocialAccount[] = [];
  for (const setup of await readSocialSetups(layout, config, secrets)) {
    const { platform, driver, token, tokenProblem, profile } = setup;
    if (driver !== "browser" && tokenProblem) {
      accounts.push({
        platform,
        driver: "api",
        state: "unreadable",
        message: tokenProblem.message,
      });
    } else if (driver !== "browser" && token) {
      const health = socialTokenHealth(platform, token, now);
      accounts.push({ platform, driver: "api", state: health.state, message: health.message });
    } else if (profile || driver !== "auto") {
      accounts.push({
        platform,
        driver: "browser",
        state: "browser",
        message: profile
          ? `through the browser (the session from 'aiemp login ${platform}', checked at each post)`
          : `through the browser, but not logged in: run 'aiemp login ${platform}'`,
      });
    }
  }
  return accounts;
}

/** The Dashboard's "Social accounts" section: one line per platform set up. */
export function renderSocialAccounts(accounts: readonly SocialAccount[]): string {
  return accounts.map((account) =>
    `- ${PLATFORM_RULES[account.platform].label} (${
      account.driver === "api" ? "API" : "browser"
    }): ${account.message}`
  ).join("\n");
}

/**
 * The alert an account raises on the Dashboard, or "" for none: a token that expires within a
 * week and cannot be renewed, one that has expired, one that cannot be read.
 */
export function socialAccountAlert(account: SocialAccount): string {
  if (!["expiring", "expired", "unreadable"].includes(account.state)) return "";
  return `${PLATFORM_RULES[account.platform].label} API token: ${account.message}`;
}
