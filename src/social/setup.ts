/**
 * How each social platform is set up in a vault: its driver, its stored token, its browser
 * profile. Read by `aiemp doctor` and the Dashboard's Social accounts section alike.
 * @module
 */
import { browserPaths } from "../browser/mod.ts";
import type { Config, SocialPlatformSettings } from "../config/mod.ts";
import { SecretError, type SecretStore } from "../secrets/mod.ts";
import type { VaultLayout } from "../vault/mod.ts";
import {
  readSocialToken,
  socialAuthCommand,
  type SocialToken,
  SocialTokenError,
} from "./tokens.ts";
import { SOCIAL_PLATFORMS, type SocialPlatform } from "./types.ts";

/** How one social platform is set up in a vault. */
export interface SocialSetup {
  /** The platform. */
  platform: SocialPlatform;
  /** Its `driver` setting. */
  driver: SocialPlatformSettings["driver"];
  /** Its stored token, when one is set up and readable. */
  token?: SocialToken;
  /** Why the stored token cannot be used, and the fix, when it is there but broken. */
  tokenProblem?: { message: string; fix: string };
  /** Whether its browser profile (`.aiemp/browser/<platform>/`) exists. */
  profile: boolean;
}

/** Whether a platform posts through the browser: `browser`, or `auto` with no token but a profile. */
export function postsThroughBrowser(setup: SocialSetup): boolean {
  return setup.driver === "browser" ||
    (setup.driver === "auto" && !setup.token && !setup.tokenProblem && setup.profile);
}

/** Reads how each social platform is set up: its driver, its token, its browser profile. */
export async function readSocialSetups(
  layout: VaultLayout,
  config: Config,
  secrets: SecretStore,
): Promise<SocialSetup[]> {
  const setups: SocialSetup[] = [];
  for (const platform of SOCIAL_PLATFORMS) {
    const setup: SocialSetup = {
      platform,
      driver: config[platform].driver,
      profile: await isFolder(browserPaths(layout.internal, platform).profileDir),
    };
    try {
      setup.token = readSocialToken(platform, secrets);
    } catch (error) {
      if (!(error instanceof SocialTokenError || error instanceof SecretError)) throw error;
      setup.tokenProblem = {
        message: error.message,
        fix: error instanceof SecretError
          ? "make the secret usable as the message says (see the Secrets folder check)"
          : `store it again: ${socialAuthCommand(platform)}`,
      };
    }
    setups.push(setup);
  }
  return setups;
}

async function isFolder(path: string): Promise<boolean> {
  return await Deno.stat(path).then((info) => info.isDirectory, () => false);
}
