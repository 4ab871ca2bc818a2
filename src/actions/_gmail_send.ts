/**
 * The run of `send_email` and `reply_email`, inside the action's Worker: reads the original of a
 * reply when asked to, reads the attachments, builds the MIME message and sends it once. What
 * went wrong becomes a result that says whether the message may have gone out.
 * @module
 */
import {
  GMAIL_AUTH_COMMAND,
  GmailAuthError,
  type GmailClient,
  GmailError,
  GmailNetworkError,
  GmailRateLimit,
  GmailServerError,
  loadGmailClient,
  loadMailTools,
  type MailTools,
  type OutgoingAttachment,
  replyHeaders,
} from "../gmail/mod.ts";
import { readVaultFile, VaultPathError } from "../vault/mod.ts";
import type { EmailRequest } from "./gmail.ts";
import type { ActionResult } from "./types.ts";

/** How far the run got: a failure before `sending` cannot have sent anything. */
type Stage = "preparing" | "sending";

/**
 * Sends a prepared email. Resolves with `remoteId` (Gmail's id of the sent message) and `detail`
 * `thread <id>`; never rejects.
 */
export async function sendPrepared(
  request: EmailRequest,
  signal: AbortSignal,
): Promise<ActionResult> {
  let stage: Stage = "preparing";
  try {
    // Loaded here: Google's libraries read environment variables as they load (see gmail.ts).
    const [{ createGmailClient }, mail] = await Promise.all([loadGmailClient(), loadMailTools()]);
    const client = createGmailClient({
      ...request.credentials,
      apiRoot: request.endpoints.apiRoot,
      tokenUri: request.endpoints.tokenUri,
      ...(request.retry ? { retry: request.retry } : {}),
      signal,
    });
    const thread = await threadingOf(request, client, mail);
    if ("ok" in thread) return thread;
    const attachments = await readAttachments(request);
    if (!Array.isArray(attachments)) return attachments;
    const raw = await mail.buildMessage({
      to: request.to,
      cc: request.cc,
      bcc: request.bcc,
      subject: thread.subject,
      text: request.text,
      ...(request.html ? { html: request.html } : {}),
      ...(thread.inReplyTo ? { inReplyTo: thread.inReplyTo } : {}),
      ...(thread.references.length ? { references: thread.references } : {}),
      attachments,
    });
    stage = "sending";
    const sent = await client.sendRaw(raw, thread.threadId);
    return { ok: true, remoteId: sent.id, detail: `thread ${sent.threadId}` };
  } catch (error) {
    return failureOf(error, stage, request, signal);
  }
}

/** The subject, thread and reply headers the message goes out with. */
interface Threading {
  subject: string;
  threadId?: string;
  inReplyTo?: string;
  references: string[];
}

async function threadingOf(
  request: EmailRequest,
  client: GmailClient,
  mail: MailTools,
): Promise<Threading | ActionResult> {
  const { reply } = request;
  if (!reply) return { subject: request.subject ?? "", references: [] };
  if (!reply.gmailId) {
    const headers = replyHeaders({
      messageId: reply.inReplyTo ?? "",
      references: reply.references,
      subject: request.subject ?? "",
    });
    return { ...headers, threadId: reply.threadId };
  }
  const original = await client.getMessage(reply.gmailId, "full");
  if (reply.threadId && reply.threadId !== original.threadId) {
    return {
      ok: false,
      retryable: false,
      reason:
        `the Gmail message ${reply.gmailId} is in thread ${original.threadId}, not in thread ${reply.threadId} as 'thread_id' says; nothing was sent. Fix or remove 'thread_id' and approve it again`,
    };
  }
  const read = mail.readMail(original, { maxBodyChars: 1 });
  const headers = replyHeaders({
    messageId: read.messageId,
    references: read.references,
    subject: request.subject ?? read.subject,
  });
  return { ...headers, threadId: original.threadId };
}

async function readAttachments(
  request: EmailRequest,
): Promise<OutgoingAttachment[] | ActionResult> {
  const attachments: OutgoingAttachment[] = [];
  for (const { path, name } of request.attachments) {
    try {
      attachments.push({
        filename: name,
        content: await readVaultFile(path, { what: "attachment" }),
      });
    } catch (error) {
      if (!(error instanceof VaultPathError)) throw error;
      return {
        ok: false,
        retryable: false,
        reason: `${error.message}; nothing was sent`,
      };
    }
  }
  return attachments;
}

/** What a failure means for the owner: retry, fix something, or check whether it went out. */
function failureOf(
  error: unknown,
  stage: Stage,
  request: EmailRequest,
  signal: AbortSignal,
): ActionResult {
  const message = error instanceof Error ? error.message : String(error);
  const notSent = (retryable: boolean, reason = message): ActionResult => ({
    ok: false,
    retryable,
    reason: `${reason}; nothing was sent`,
  });
  const maybeSent = (reason = message): ActionResult => ({
    ok: false,
    retryable: false,
    mayHaveActed: true,
    reason: `${reason}; the message may have been sent: look for it in Gmail's Sent folder`,
  });
  // Sure that nothing left: not yet sending, the token refresh before the send failed, or the
  // connection was never made.
  const neverSent = stage === "preparing" || atTokenEndpoint(error, request) ||
    (error instanceof GmailNetworkError && error.beforeSending);
  if (signal.aborted) {
    const reason = `the run was cut off (${message})`;
    return neverSent ? notSent(true, reason) : maybeSent(reason);
  }
  if (error instanceof Deno.errors.NotCapable) {
    return notSent(
      false,
      `the Gmail run was refused something outside its permissions (${message}); check gmail.api_root and gmail.token_uri in aiemp.yaml`,
    );
  }
  if (error instanceof GmailAuthError) {
    return notSent(
      false,
      message.includes(GMAIL_AUTH_COMMAND) ? message : `${message}; run \`${GMAIL_AUTH_COMMAND}\``,
    );
  }
  // Google asked to slow down, so it did not take the message.
  if (error instanceof GmailRateLimit) return notSent(true);
  if (error instanceof GmailServerError || error instanceof GmailNetworkError) {
    return neverSent ? notSent(true) : maybeSent();
  }
  // Google refused the request (4xx), or the message could not be built: nothing went out.
  if (error instanceof GmailError || stage === "preparing") {
    return notSent(
      false,
      error instanceof GmailError ? message : `cannot send the email: ${message}`,
    );
  }
  return maybeSent(`the send failed unexpectedly (${message})`);
}

/** Whether a failure came from the token endpoint, so the send itself was never made. */
function atTokenEndpoint(error: unknown, request: EmailRequest): boolean {
  const url = ((error as { cause?: { config?: { url?: unknown } } })?.cause)?.config?.url;
  return url !== undefined && String(url) === new URL(request.endpoints.tokenUri).href;
}
