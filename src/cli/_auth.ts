import type { Command } from "commander";
import { join } from "node:path";
import type { Config, Environment } from "../config/mod.ts";
import {
  checkGmail,
  clientOf,
  GMAIL_SECRETS,
  GmailAuthError,
  type GmailCredentials,
  loadAuthFlow,
  readGmailCredentials,
  refreshTokenOf,
  type ScopeNeed,
} from "../gmail/mod.ts";
import {
  createSecretStore,
  redactSecrets,
  rememberSecret,
  SecretError,
  writeSecret,
} from "../secrets/mod.ts";
import { SocialTokenError } from "../social/mod.ts";
import type { VaultLayout } from "../vault/mod.ts";
import {
  AuthError,
  exists,
  readConfig,
  readText,
  requireVault,
  showConsentAddress,
  stdinLines,
} from "./_auth_io.ts";
import type { CommandContext } from "./_output.ts";
import {
  registerSocialAuthCommands,
  type SocialAuthStatus,
  socialAuthStatuses,
  socialStatusLines,
} from "./_social_auth.ts";

/** Where the README explains how to get an OAuth client. */
const README_SECTION = `the README's "Gmail" section`;

/**
 * Adds `aiemp auth gmail [--client FILE] [--import DIR] [--refresh-token-file FILE]
 * [--no-browser]`, `aiemp auth linkedin|x|facebook|instagram` (src/cli/_social_auth.ts) and
 * `aiemp auth status [--json]` to the program.
 */
export function registerAuthCommands(program: Command, context: CommandContext): void {
  const { out, setExit } = context;
  // Nothing these commands print holds a secret; masking is the second line of defence.
  const masked = {
    ...context,
    out: {
      out: (line: string) => out.out(redactSecrets(line)),
      err: (line: string) => out.err(redactSecrets(line)),
    },
  };
  const run = async (body: () => Promise<void>) => {
    try {
      await body();
    } catch (error) {
      const expected = [AuthError, SecretError, GmailAuthError, SocialTokenError].some((kind) =>
        error instanceof kind
      );
      if (!expected) throw error;
      masked.out.err(`aiemp: ${(error as Error).message}`);
      setExit(1);
    }
  };

  const auth = program.command("auth").description("sign aiemp in to outside services");
  auth.command("gmail")
    .description(
      "sign in to Gmail (OAuth in your browser) and keep the grant in .aiemp/secrets/ (README: Gmail)",
    )
    .option("--client <file>", "Google's credentials.json of your OAuth client (Desktop app)")
    .option("--import <dir>", "take credentials.json and token.json from this folder instead")
    .option(
      "--refresh-token-file <file>",
      "store this refresh token as it is (a proxy set-up without a consent screen)",
    )
    .option(
      "--no-browser",
      "your browser is on another machine: paste here the address it could not open",
    )
    .action((options) => run(() => authGmail(options, masked)));

  registerSocialAuthCommands(auth, masked, run);

  auth.command("status")
    .description(
      "whether Gmail's credentials work and each social platform's token is valid (exit 1 when one set up is not)",
    )
    .option("--json", "print JSON")
    .action((options) => run(() => authStatus(options.json === true, masked)));
}

interface GmailAuthOptions {
  client?: string;
  import?: string;
  refreshTokenFile?: string;
  browser: boolean;
}

async function authGmail(options: GmailAuthOptions, context: CommandContext) {
  const { out, env, setExit } = context;
  const layout = context.vault();
  await requireVault(layout);
  const config = await readConfig(layout, env);
  if (options.import !== undefined && options.refreshTokenFile !== undefined) {
    throw new AuthError("Give --import DIR or --refresh-token-file FILE, not both");
  }
  if (options.import !== undefined) return await importFrom(options.import, options, context);

  const client = await clientFor(
    layout,
    env,
    options.client,
    options.refreshTokenFile === undefined,
  );
  if (options.refreshTokenFile !== undefined) {
    return await storePlainToken(options.refreshTokenFile, layout, context);
  }

  const { CONSENT_TIMEOUT_MS, gmailScopeNeeds, grantFile, runConsentFlow } = await loadAuthFlow();
  const outcome = await runConsentFlow({
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    authUri: config.gmail.auth_uri,
    tokenUri: config.gmail.token_uri,
    pasted: options.browser ? undefined : stdinLines(),
    show: (url, redirectUri) =>
      showConsentAddress(out, {
        provider: "Google",
        account: "the Google account aiemp should use",
        timeoutMs: CONSENT_TIMEOUT_MS,
      }, { url, redirectUri, pasting: !options.browser }),
  });
  if (!outcome.ok) throw new AuthError(outcome.message);
  const { grant } = outcome;
  rememberSecret(grant.refreshToken);
  const tokenUri = config.gmail.token_uri;
  await writeSecret(layout.secrets, GMAIL_SECRETS.token, grantFile({ ...grant, tokenUri }));
  out.out(
    `Signed in. The grant is in .aiemp/secrets/${GMAIL_SECRETS.token} (readable by you only).`,
  );
  out.out(`Scopes granted: ${grant.scopes.join(" ")}`);
  const missing = grant.scopesFromAnswer
    ? gmailScopeNeeds(grant.scopes, { changesLabels: changesLabels(config) }).filter((n) => !n.ok)
    : [];
  for (const need of missing) {
    out.err(
      `aiemp: the grant does not allow aiemp to ${need.use} (${need.by}); run 'aiemp auth gmail' again and tick every box on Google's consent page`,
    );
  }
  if (missing.length === 0) nextSteps(context);
  setExit(missing.length ? 1 : 0);
}

async function importFrom(dir: string, options: GmailAuthOptions, context: CommandContext) {
  const layout = context.vault();
  const config = await readConfig(layout, context.env);
  const token = await readText(join(dir, "token.json"));
  if (token === undefined) {
    throw new AuthError(
      `Cannot find ${
        join(dir, "token.json")
      }: --import expects the folder that holds token.json and credentials.json`,
    );
  }
  const credentials = options.client !== undefined
    ? await readText(options.client)
    : await readText(join(dir, "credentials.json"));
  if (options.client !== undefined && credentials === undefined) {
    throw new AuthError(
      `Cannot find ${options.client}; give the path of Google's credentials.json`,
    );
  }
  const { importSeeds } = await loadAuthFlow();
  const imported = importSeeds({ credentials, token }, config.gmail.token_uri);
  if (!imported.ok) throw new AuthError(`Cannot import from ${dir}: ${imported.message}`);
  rememberSecret(token);
  rememberSecret(imported.secrets.token);
  if (credentials) rememberSecret(credentials);
  await writeSecret(layout.secrets, GMAIL_SECRETS.client, imported.secrets.client);
  await writeSecret(layout.secrets, GMAIL_SECRETS.token, imported.secrets.token);
  const { out } = context;
  out.out(
    `Imported ${dir}: the OAuth client into .aiemp/secrets/${GMAIL_SECRETS.client}, the grant into .aiemp/secrets/${GMAIL_SECRETS.token} (both readable by you only; the old access token was left out).`,
  );
  if (imported.secrets.scopes.length) {
    out.out(`Scopes token.json lists: ${imported.secrets.scopes.join(" ")}`);
  }
  nextSteps(context);
}

async function storePlainToken(file: string, layout: VaultLayout, context: CommandContext) {
  const text = await readText(file);
  if (text === undefined) {
    throw new AuthError(`Cannot find ${file}; give the file that holds the refresh token`);
  }
  const token = refreshTokenOf(text);
  if (!token) {
    throw new AuthError(
      `${file} holds no refresh token: expected the token alone on one line, or JSON with refresh_token`,
    );
  }
  rememberSecret(token);
  await writeSecret(layout.secrets, GMAIL_SECRETS.refreshToken, `${token}\n`);
  const { out } = context;
  out.out(
    `Stored the refresh token in .aiemp/secrets/${GMAIL_SECRETS.refreshToken} (readable by you only).`,
  );
  // A gmail_token.json would be used before it: keep the old grant under another name.
  const grant = join(layout.secrets, GMAIL_SECRETS.token);
  if (await exists(grant)) {
    const stamp = (context.now?.() ?? new Date()).toISOString().replace(/[-:]/g, "").slice(0, 15);
    const kept = `${GMAIL_SECRETS.token}.replaced-${stamp}`;
    await Deno.rename(grant, join(layout.secrets, kept));
    out.out(`The previous grant, which would have been used first, is now .aiemp/secrets/${kept}.`);
  }
  nextSteps(context);
}

/** The OAuth client: copied from `file` into the secrets, or the one stored there. */
async function clientFor(
  layout: VaultLayout,
  env: Environment,
  file: string | undefined,
  forConsent: boolean,
): Promise<{ clientId: string; clientSecret?: string }> {
  if (file === undefined) {
    let text: string;
    try {
      text = createSecretStore({ dir: layout.secrets, env: env.secrets }).read(
        GMAIL_SECRETS.client,
      );
    } catch (error) {
      if (!(error instanceof SecretError) || !/Cannot find the secret/.test(error.message)) {
        throw error;
      }
      throw new AuthError(
        `No OAuth client yet: run 'aiemp auth gmail --client credentials.json' with the file Google Cloud gives for an OAuth client ID of type "Desktop app" (${README_SECTION} says how)`,
      );
    }
    const client = clientOf(text);
    if (!client) {
      throw new AuthError(
        `.aiemp/secrets/${GMAIL_SECRETS.client} is not an OAuth client file; run 'aiemp auth gmail --client credentials.json' (${README_SECTION})`,
      );
    }
    return client;
  }
  const text = await readText(file);
  if (text === undefined) {
    throw new AuthError(
      `Cannot find ${file}; give the path of the credentials.json Google Cloud let you download`,
    );
  }
  const client = clientOf(text);
  if (!client) {
    throw new AuthError(
      `${file} is not an OAuth client file: expected the credentials.json of an OAuth client ID from Google Cloud (${README_SECTION})`,
    );
  }
  if (forConsent && isWebClient(text)) {
    throw new AuthError(
      `${file} is a "Web application" client, which cannot use aiemp's loopback address; create an OAuth client ID of type "Desktop app" and download its credentials.json (${README_SECTION})`,
    );
  }
  rememberSecret(text);
  if (client.clientSecret) rememberSecret(client.clientSecret);
  await writeSecret(layout.secrets, GMAIL_SECRETS.client, text);
  return client;
}

function isWebClient(text: string): boolean {
  try {
    const data = JSON.parse(text);
    return Boolean(data?.web) && !data?.installed;
  } catch {
    return false;
  }
}

function nextSteps(context: CommandContext) {
  context.out.out(
    "Next: check it with 'aiemp auth status', set gmail.enabled: true in aiemp.yaml and run 'aiemp start' (if aiemp is already running: 'aiemp restart gmail').",
  );
}

/** What `aiemp auth status --json` prints. */
interface AuthStatus {
  usable: boolean;
  credentials: boolean;
  works?: boolean;
  account?: string;
  scopes?: string[];
  needs?: { use: ScopeNeed["use"]; by: ScopeNeed["by"]; ok: boolean }[];
  problem?: string;
}

async function authStatus(json: boolean, context: CommandContext) {
  const { out, env, setExit } = context;
  const layout = context.vault();
  const config = await readConfig(layout, env);
  const status = await gmailStatus(layout, config, env);
  // Gmail counts once it is turned on or any of its secrets is there; a vault that posts to
  // social platforms only is not failing for want of Gmail.
  const gmailSetUp = config.gmail.enabled || status.credentials || gmailSecretsPresent(layout, env);
  const social = socialAuthStatuses(layout, env, context.now?.() ?? new Date());
  const ok = (!gmailSetUp || status.usable) && !social.some((platform) => platform.failing);
  setExit(ok ? 0 : 1);
  if (json) {
    const report = { ...status, ok, gmailSetUp, social: socialReport(social) };
    return out.out(JSON.stringify(report, null, 2));
  }
  if (gmailSetUp) {
    out.out(`Gmail credentials: ${status.credentials ? "present in .aiemp/secrets/" : "missing"}`);
    if (status.works !== undefined) {
      out.out(
        status.works
          ? `Sign-in: works (the account is ${status.account})`
          : "Sign-in: does not work",
      );
    }
    if (status.scopes) out.out(`Scopes: ${status.scopes.join(" ") || "(none)"}`);
    for (const need of status.needs ?? []) {
      out.out(`  ${need.use} (${need.by}): ${need.ok ? "yes" : "NO"}`);
    }
    out.out(status.usable ? "Gmail is usable." : `Gmail is not usable: ${status.problem}`);
  } else {
    out.out("Gmail: not set up (gmail.enabled is false; 'aiemp auth gmail' sets it up)");
  }
  for (const line of socialStatusLines(social)) out.out(line);
}

/** Whether any of Gmail's secrets is there (readable or not). */
function gmailSecretsPresent(layout: VaultLayout, env: Environment): boolean {
  const secrets = createSecretStore({ dir: layout.secrets, env: env.secrets });
  return Object.values(GMAIL_SECRETS).some((name) => {
    try {
      secrets.read(name);
      return true;
    } catch (error) {
      return !(error instanceof SecretError && error.missing);
    }
  });
}

/** The social platforms in `aiemp auth status --json`, by platform. */
function socialReport(statuses: SocialAuthStatus[]) {
  return Object.fromEntries(
    statuses.map(({ platform, failing: _failing, ...rest }) => [platform, rest]),
  );
}

async function gmailStatus(
  layout: VaultLayout,
  config: Config,
  env: Environment,
): Promise<AuthStatus> {
  let credentials: GmailCredentials;
  try {
    credentials = readGmailCredentials(
      createSecretStore({ dir: layout.secrets, env: env.secrets }),
    );
  } catch (error) {
    if (!(error instanceof GmailAuthError || error instanceof SecretError)) throw error;
    return { usable: false, credentials: false, problem: error.message };
  }
  const check = await checkGmail({
    ...credentials,
    apiRoot: config.gmail.api_root,
    tokenUri: config.gmail.token_uri,
  });
  if (!check.ok) {
    const fix = check.name === "GmailAuthError"
      ? ""
      : `; check the network and gmail.api_root / gmail.token_uri, or run 'aiemp auth gmail'`;
    return { usable: false, credentials: true, works: false, problem: `${check.message}${fix}` };
  }
  const { gmailScopeNeeds } = await loadAuthFlow();
  const needs = gmailScopeNeeds(check.token.scopes, { changesLabels: changesLabels(config) });
  const lacking = needs.filter((need) => !need.ok);
  return {
    usable: lacking.length === 0,
    credentials: true,
    works: true,
    account: check.profile.emailAddress,
    scopes: check.token.scopes,
    needs: needs.map(({ use, by, ok }) => ({ use, by, ok })),
    ...(lacking.length
      ? {
        problem: `the token does not let aiemp ${
          lacking.map((n) => `${n.use} (${n.by})`).join(" or ")
        }; run 'aiemp auth gmail' and allow everything on Google's consent page`,
      }
      : {}),
  };
}

/** Whether the watcher changes a message's labels after writing its note. */
function changesLabels(config: Config): boolean {
  return config.gmail.after_note !== "nothing";
}
