/**
 * Gmail: the client over Google's libraries, its error outcomes, retry policy, endpoints, the
 * stored credentials, the sign-in flow, the mail tools, and the permissions of a Worker that runs
 * them.
 *
 * Only the light, library-free modules are exported here as values. The client, the sign-in flow
 * and the mail tools are loaded when used, through {@linkcode loadGmailClient},
 * {@linkcode loadAuthFlow} and {@linkcode loadMailTools}: Google's libraries, nodemailer,
 * postal-mime and html-to-text take long to load, and Google's read environment variables as they
 * load, which a Worker without those permissions may not do. Their types are exported here.
 *
 * @example
 * ```ts
 * const { createGmailClient } = await loadGmailClient();
 * const client = createGmailClient({ clientId, refreshToken, apiRoot, tokenUri });
 * ```
 * @module
 */
export * from "./check.ts";
export * from "./credentials.ts";
export * from "./endpoints.ts";
export * from "./errors.ts";
export * from "./reply_headers.ts";
export * from "./retry.ts";
export * from "./types.ts";
export type { GmailClient, GmailClientOptions, GmailRetry } from "./client.ts";
export type {
  HtmlToTextOptions,
  MailAddress,
  MailAddresses,
  MailAttachment,
  MailContent,
  MailHeader,
  MailMessage,
  MailNoteOptions,
  MailPart,
  NoteAttachment,
  OutgoingAttachment,
  OutgoingMessage,
  ReadMailOptions,
} from "./mail_tools.ts";
export type {
  CodeExchange,
  ConsentFlowOptions,
  ConsentGrant,
  ConsentOutcome,
  ConsentProblem,
  ConsentRequest,
  ImportedSecrets,
  RedirectHandler,
  RedirectListener,
  RedirectResult,
  ScopeNeed,
  TokenAnswer,
} from "./auth_flow.ts";

/** The client module (`createGmailClient`, `decodeBase64Url`). */
export type GmailClientModule = typeof import("./client.ts");
/** The mail tools module (`readMail`, `mailNote`, `buildMessage`, `htmlToText`…). */
export type MailTools = typeof import("./mail_tools.ts");
/** The sign-in flow module (`runConsentFlow`, `gmailScopeNeeds`, `importSeeds`…). */
export type AuthFlow = typeof import("./auth_flow.ts");

/** Loads the client when used: Google's libraries are heavy and read env variables at import. */
export function loadGmailClient(): Promise<GmailClientModule> {
  return import("./client.ts");
}

/** Loads the mail tools when used: postal-mime, html-to-text and nodemailer are heavy to load. */
export function loadMailTools(): Promise<MailTools> {
  return import("./mail_tools.ts");
}

/** Loads the sign-in flow when used: google-auth-library is heavy, reads env variables at import. */
export function loadAuthFlow(): Promise<AuthFlow> {
  return import("./auth_flow.ts");
}
