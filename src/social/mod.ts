/**
 * Social posting: LinkedIn, X, Facebook and Instagram, each through its official API (`api/`,
 * with the token `aiemp auth <platform>` stored, renewed where the platform allows) or through
 * its site in the owner's browser profile (`browser/`, logged in with `aiemp login <platform>`),
 * each platform's limits checked before anything is sent.
 *
 * Nothing here loads a heavy library at import: playwright-core loads when a browser is opened,
 * twitter-text when an X post is measured, the OAuth library when a token is renewed or set up.
 * @module
 */
export {
  type ApiPostRequest,
  type BrowserPostRequest,
  SOCIAL_LABELS,
  SOCIAL_PLATFORMS,
  type SocialDriver,
  type SocialImage,
  type SocialPlatform,
  type SocialPost,
  type SocialPostRequest,
} from "./types.ts";
export {
  characters,
  imageTypeOf,
  type LengthOf,
  PLATFORM_RULES,
  type PlatformRules,
  postProblems,
} from "./rules.ts";
export { loadXLength } from "./x_length.ts";
export { type ApiDeps, apiHostsOf, postThroughApi } from "./api/mod.ts";
export {
  postThroughBrowser,
  SOCIAL_SELECTORS,
  SOCIAL_SITES,
  type SocialPart,
  type SocialSelectors,
  type SocialSessionCheck,
  type SocialSessionOptions,
  socialSessionState,
  type SocialSite,
} from "./browser/mod.ts";
export {
  freshSocialToken,
  type FreshTokenDeps,
  parseSocialToken,
  readSocialToken,
  rememberSocialToken,
  renderSocialToken,
  socialAuthCommand,
  type SocialToken,
  SocialTokenError,
  type SocialTokenHealth,
  socialTokenHealth,
  socialTokenSecret,
} from "./tokens.ts";
export { postsThroughBrowser, readSocialSetups, type SocialSetup } from "./setup.ts";
export { checkSocialToken, type TokenCheckOptions, type TokenOwner } from "./token_check.ts";

/**
 * The sign-in flow of `aiemp auth linkedin|x` (a consent page, a loopback redirect, the code
 * exchanged): loaded when a sign-in runs, with the OAuth library.
 */
export function loadSocialAuthFlow(): Promise<typeof import("./auth_flow.ts")> {
  return import("./auth_flow.ts");
}
