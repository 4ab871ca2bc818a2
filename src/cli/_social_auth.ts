/**
 * `aiemp auth linkedin|x|facebook|instagram`: a token pasted from a file (or stdin), or, for
 * LinkedIn and X, the OAuth consent in the owner's browser with a loopback redirect. Either way
 * the token is checked with the platform before it is stored in `.aiemp/secrets/<platform>_token`
 * (0600), and nothing printed holds it. Also the social lines of `aiemp auth status`.
 * @module
 */
import { type Command, Option } from "commander";
import type { Config, Environment } from "../config/mod.ts";
import { createSecretStore, rememberSecret, SecretError, writeSecret } from "../secrets/mod.ts";
import {
  checkSocialToken,
  loadSocialAuthFlow,
  parseSocialToken,
  readSocialToken,
  rememberSocialToken,
  renderSocialToken,
  SOCIAL_LABELS,
  SOCIAL_PLATFORMS,
  type SocialPlatform,
  type SocialToken,
  SocialTokenError,
  type SocialTokenHealth,
  socialTokenHealth,
  socialTokenSecret,
} from "../social/mod.ts";
import type { VaultLayout } from "../vault/mod.ts";
import {
  AuthError,
  readConfig,
  readText,
  requireVault,
  showConsentAddress,
  stdinLines,
  stdinText,
} from "./_auth_io.ts";
import type { CommandContext } from "./_output.ts";

/** Where the README explains getting each platform's token. */
const README = `the README's "Social posting" section`;

/** The redirect port registered with the LinkedIn or X app. */
const DEFAULT_PORT = 8765;

/** How to find the Instagram account's id, for the error when `--account` is missing. */
const INSTAGRAM_ACCOUNT_HELP =
  "the id of the Instagram professional account linked to your Facebook Page: ask the Graph API for <page-id>?fields=instagram_business_account with the Page token (Graph API Explorer), or find it in Meta Business Suite under the account's settings";

/** The options of `aiemp auth <platform>`. */
interface SocialAuthOptions {
  tokenFile?: string;
  expiresInDays?: string;
  expires?: string;
  account?: string;
  clientId?: string;
  clientSecretFile?: string;
  port: string;
  browser: boolean;
}

/**
 * Adds `aiemp auth linkedin|x|facebook|instagram` to `auth`; `run` turns the expected errors into
 * one line and exit 1.
 */
export function registerSocialAuthCommands(
  auth: Command,
  context: CommandContext,
  run: (body: () => Promise<void>) => Promise<void>,
): void {
  for (const platform of SOCIAL_PLATFORMS) {
    const label = SOCIAL_LABELS[platform];
    const oauth = platform === "linkedin" || platform === "x";
    const command = auth.command(platform)
      .description(
        oauth
          ? `set up ${label}'s API: sign in through your browser (--client-id) or store a token you have (--token-file); README: Social posting`
          : `set up ${label}'s API with a long-lived Page token you got from Meta (--token-file); README: Social posting`,
      )
      .option("--token-file <file>", "store the access token in this file ('-' reads stdin)")
      .option("--expires-in-days <n>", "the pasted token expires in this many days")
      .option("--expires <date>", "the pasted token expires then (ISO date, e.g. 2026-03-01)")
      .option("--account <id>", accountHelp(platform));
    if (oauth) {
      command
        .option("--client-id <id>", `your ${label} app's client id: sign in through your browser`)
        .option(
          "--client-secret-file <file>",
          platform === "linkedin"
            ? "the file holding the app's client secret (required)"
            : "the file holding the app's client secret (a confidential client only)",
        )
        .option(
          "--port <n>",
          `the port of the redirect registered with the app (http://${
            platform === "linkedin" ? "localhost" : "127.0.0.1"
          }:PORT/callback)`,
          String(DEFAULT_PORT),
        )
        .option(
          "--no-browser",
          "your browser is on another machine: paste here the address it could not open",
        );
    } else {
      command.addOption(new Option("--client-id <id>").hideHelp());
    }
    if (platform === "x") command.alias("twitter");
    command.action((options: SocialAuthOptions) =>
      run(() => authSocial(platform, options, context))
    );
  }
}

function accountHelp(platform: SocialPlatform): string {
  switch (platform) {
    case "linkedin":
      return "post as this author URN (default: you, urn:li:person:…)";
    case "x":
      return "not used: X posts as the token's user";
    case "facebook":
      return "the Page's id (default: the Page the Page token belongs to)";
    case "instagram":
      return "the Instagram professional account's id (required)";
  }
}

async function authSocial(
  platform: SocialPlatform,
  options: SocialAuthOptions,
  context: CommandContext,
): Promise<void> {
  const layout = context.vault();
  await requireVault(layout);
  const config = await readConfig(layout, context.env);
  const label = SOCIAL_LABELS[platform];
  if (options.clientId !== undefined && (platform === "facebook" || platform === "instagram")) {
    throw new AuthError(
      `${label} has no browser sign-in in aiemp: Meta's needs an app review and a public redirect address. Get a long-lived Page access token (${README} says how) and run 'aiemp auth ${platform} --token-file FILE'`,
    );
  }
  if (options.tokenFile !== undefined && options.clientId !== undefined) {
    throw new AuthError("Give --token-file FILE or --client-id ID, not both");
  }
  checkAccount(platform, options.account);
  if (options.tokenFile !== undefined) {
    return await storePasted(platform, options.tokenFile, options, config, layout, context);
  }
  if (options.clientId !== undefined) {
    return await signIn(platform as "linkedin" | "x", options, config, layout, context);
  }
  throw new AuthError(
    platform === "linkedin" || platform === "x"
      ? `Give --client-id ID (sign in through your browser with your ${label} app) or --token-file FILE (a token you already have); ${README} explains both`
      : `Give --token-file FILE with a long-lived Page access token; ${README} says how to get one`,
  );
}

function checkAccount(platform: SocialPlatform, account: string | undefined): void {
  if (platform === "x" && account !== undefined) {
    throw new AuthError("X takes no --account: posts go out as the user the token belongs to");
  }
  if (platform === "instagram" && !account) {
    throw new AuthError(`Instagram needs --account ID: ${INSTAGRAM_ACCOUNT_HELP}`);
  }
  if (platform === "linkedin" && account !== undefined) {
    if (!/^urn:li:(person|organization):[A-Za-z0-9_-]+$/.test(account)) {
      throw new AuthError(
        `--account '${account}' is not a LinkedIn author: expected urn:li:person:ID or urn:li:organization:ID (leave it out to post as yourself)`,
      );
    }
  }
  if ((platform === "facebook" || platform === "instagram") && account !== undefined) {
    if (!/^\d+$/.test(account)) {
      throw new AuthError(`--account '${account}' is not a ${platform} id: expected digits only`);
    }
  }
}

async function storePasted(
  platform: SocialPlatform,
  file: string,
  options: SocialAuthOptions,
  config: Config,
  layout: VaultLayout,
  context: CommandContext,
): Promise<void> {
  const fromStdin = file === "-";
  const text = fromStdin ? await stdinText() : await readText(file);
  if (text === undefined) {
    throw new AuthError(`Cannot find ${file}; give the file that holds the access token`);
  }
  const where = fromStdin ? "stdin" : file;
  let pasted: SocialToken;
  try {
    pasted = parseSocialToken(text, platform);
  } catch (error) {
    if (!(error instanceof SocialTokenError)) throw error;
    throw new AuthError(
      `${where} holds no usable token: expected the access token alone on one line (or the JSON 'aiemp auth' writes)`,
    );
  }
  rememberSocialToken(pasted);
  const now = context.now?.() ?? new Date();
  const expiresAt = expiryOf(options, now) ?? pasted.expiresAt;
  const owner = await checkSocialToken(platform, pasted.accessToken, {
    apiBase: config[platform].api_base,
    account: options.account,
  });
  const token: SocialToken = {
    ...pasted,
    ...(expiresAt ? { expiresAt } : {}),
    ...withOwner(platform, owner, options.account),
  };
  await store(platform, token, layout, context);
  if (!fromStdin) context.out.out(`The token is stored: you may delete ${file} now.`);
}

/** The expiry `--expires-in-days` or `--expires` gives, if any. */
function expiryOf(options: SocialAuthOptions, now: Date): string | undefined {
  if (options.expiresInDays !== undefined && options.expires !== undefined) {
    throw new AuthError("Give --expires-in-days N or --expires DATE, not both");
  }
  if (options.expiresInDays !== undefined) {
    const days = Number(options.expiresInDays);
    if (!Number.isFinite(days) || days <= 0) {
      throw new AuthError(
        `--expires-in-days '${options.expiresInDays}' is not a number of days; give e.g. 60`,
      );
    }
    return new Date(now.getTime() + days * 86_400_000).toISOString();
  }
  if (options.expires !== undefined) {
    const at = Date.parse(options.expires);
    if (Number.isNaN(at)) {
      throw new AuthError(
        `--expires '${options.expires}' is not a date; give an ISO date such as 2026-03-01 or 2026-03-01T12:00:00Z`,
      );
    }
    if (at <= now.getTime()) {
      throw new AuthError(
        `--expires ${options.expires} is already past: the token has expired; get a new one`,
      );
    }
    return new Date(at).toISOString();
  }
  return undefined;
}

async function signIn(
  platform: "linkedin" | "x",
  options: SocialAuthOptions,
  config: Config,
  layout: VaultLayout,
  context: CommandContext,
): Promise<void> {
  if (options.expiresInDays !== undefined || options.expires !== undefined) {
    throw new AuthError(
      "--expires-in-days and --expires are for a pasted token; the sign-in learns the expiry itself",
    );
  }
  const label = SOCIAL_LABELS[platform];
  const clientId = options.clientId!.trim();
  if (!clientId) throw new AuthError("--client-id is empty; give your app's client id");
  const clientSecret = await clientSecretOf(platform, options.clientSecretFile);
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new AuthError(`--port '${options.port}' is not a port; give a number such as 8765`);
  }
  const settings = config[platform];
  const { runSocialConsent, SOCIAL_OAUTH, SOCIAL_CONSENT_TIMEOUT_MS } = await loadSocialAuthFlow();
  const scopes = [...SOCIAL_OAUTH[platform].scopes];
  // Posting as an organization needs LinkedIn's Community Management product and its scope.
  if (platform === "linkedin" && config.linkedin.organization) scopes.push("w_organization_social");
  const { out } = context;
  const outcome = await runSocialConsent(platform, {
    authUri: settings.auth_uri,
    tokenUri: settings.token_uri,
    client: { clientId, ...(clientSecret ? { clientSecret } : {}) },
    port,
    scopes,
    again: `aiemp auth ${platform} --client-id ${clientId}${
      clientSecret ? " --client-secret-file FILE" : ""
    }`,
    pasted: options.browser ? undefined : stdinLines(),
    show: (url, redirectUri) =>
      showConsentAddress(out, {
        provider: label,
        account: `the ${label} account aiemp should post as`,
        timeoutMs: SOCIAL_CONSENT_TIMEOUT_MS,
        waiting: " (that address must be registered with your app exactly)",
      }, { url, redirectUri, pasting: !options.browser }),
  });
  if (!outcome.ok) throw new AuthError(outcome.message);
  const { answer } = outcome;
  const now = context.now?.() ?? new Date();
  const owner = await checkSocialToken(platform, answer.accessToken, {
    apiBase: settings.api_base,
  });
  const token: SocialToken = {
    accessToken: answer.accessToken,
    ...(answer.expiresIn !== undefined
      ? { expiresAt: new Date(now.getTime() + answer.expiresIn * 1000).toISOString() }
      : {}),
    ...(answer.refreshToken ? { refreshToken: answer.refreshToken } : {}),
    clientId,
    ...(clientSecret ? { clientSecret } : {}),
    ...withOwner(platform, owner, options.account),
    scopes: answer.scopes ?? scopes,
  };
  rememberSocialToken(token);
  await store(platform, token, layout, context);
  if (platform === "x" && !token.refreshToken) {
    out.err(
      "aiemp: X gave no refresh token (offline.access was not granted), so the token ends in 2 hours; run this again and allow everything",
    );
  }
}

/** The client secret from its file, required for LinkedIn. */
async function clientSecretOf(
  platform: "linkedin" | "x",
  file: string | undefined,
): Promise<string | undefined> {
  if (file === undefined) {
    if (platform === "linkedin") {
      throw new AuthError(
        `LinkedIn's sign-in needs the app's client secret: put it in a file and give --client-secret-file FILE (${README})`,
      );
    }
    return undefined;
  }
  const text = await readText(file);
  if (text === undefined) {
    throw new AuthError(`Cannot find ${file}; give the file that holds the client secret`);
  }
  const secret = text.trim();
  if (!secret || /\s/.test(secret)) {
    throw new AuthError(`${file} should hold the client secret alone on one line`);
  }
  rememberSecret(secret);
  return secret;
}

/** The account and name to store: what the platform said, or LinkedIn's `--account`. */
function withOwner(
  platform: SocialPlatform,
  owner: { account?: string; name?: string },
  account: string | undefined,
): Pick<SocialToken, "account" | "name"> {
  const chosen = platform === "linkedin" ? account ?? owner.account : owner.account;
  return { ...(chosen ? { account: chosen } : {}), ...(owner.name ? { name: owner.name } : {}) };
}

async function store(
  platform: SocialPlatform,
  token: SocialToken,
  layout: VaultLayout,
  context: CommandContext,
): Promise<void> {
  const name = socialTokenSecret(platform);
  await writeSecret(layout.secrets, name, renderSocialToken(token));
  const label = SOCIAL_LABELS[platform];
  const { out } = context;
  out.out(`Stored the ${label} token in .aiemp/secrets/${name} (readable by you only).`);
  const who = [token.name, token.account].filter(Boolean).join(", ");
  if (who) out.out(`Account: ${who}`);
  const health = socialTokenHealth(platform, token, context.now?.() ?? new Date());
  out.out(
    token.expiresAt
      ? `Expiry: ${health.message}`
      : "Expiry: not known (give --expires-in-days N to be reminded before it ends)",
  );
  out.out(
    `Next: 'aiemp auth status' shows it; ${platform}.driver auto (the default) or api in aiemp.yaml posts through the API.`,
  );
}

/** One platform's line of `aiemp auth status`. */
export interface SocialAuthStatus {
  /** The platform. */
  platform: SocialPlatform;
  /** Its token's state; `unusable` when the secret cannot be read or is not a token. */
  state: SocialTokenHealth["state"] | "unusable";
  /** The access token's expiry, when known. */
  expiresAt?: string;
  /** Who posts. */
  account?: string;
  /** The account's name. */
  name?: string;
  /** What to tell the owner. */
  message: string;
  /** Whether this makes `aiemp auth status` fail: a token set up but expired or unusable. */
  failing: boolean;
}

/** How each platform's token stands, read from the vault's secrets (no network). */
export function socialAuthStatuses(
  layout: VaultLayout,
  env: Environment,
  now: Date,
): SocialAuthStatus[] {
  const secrets = createSecretStore({ dir: layout.secrets, env: env.secrets });
  return SOCIAL_PLATFORMS.map((platform): SocialAuthStatus => {
    let token: SocialToken | undefined;
    try {
      token = readSocialToken(platform, secrets);
    } catch (error) {
      if (!(error instanceof SocialTokenError || error instanceof SecretError)) throw error;
      return { platform, state: "unusable", message: error.message, failing: true };
    }
    const health = socialTokenHealth(platform, token, now);
    return {
      platform,
      state: health.state,
      ...(health.expiresAt ? { expiresAt: health.expiresAt } : {}),
      ...(token?.account ? { account: token.account } : {}),
      ...(token?.name ? { name: token.name } : {}),
      message: health.message,
      failing: health.state === "expired",
    };
  });
}

/** The lines `aiemp auth status` prints for the social platforms. */
export function socialStatusLines(statuses: SocialAuthStatus[]): string[] {
  return [
    "Social platforms (API tokens):",
    ...statuses.map((status) => {
      const who = [status.name, status.account].filter(Boolean).join(", ");
      return `  ${SOCIAL_LABELS[status.platform]}: ${status.message}${who ? ` [${who}]` : ""}`;
    }),
  ];
}
