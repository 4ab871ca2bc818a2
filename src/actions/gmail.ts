/**
 * `send_email` and `reply_email`: a message sent through the owner's Gmail account, new or as a
 * reply in its thread, with plain text, an optional HTML version and attachments from the vault.
 *
 * Only the light, library-free part of the Gmail module is loaded here: this module is loaded by
 * the executor's Worker (through the registry), which may not read the environment variables that
 * Google's libraries read as they load. The run loads the client and the mail tools itself, in a
 * Worker allowed exactly those variables (`GMAIL_LIBRARY_ENV`) and Google's hosts.
 * @module
 */
import {
  GMAIL_AUTH_COMMAND,
  GMAIL_LIBRARY_ENV,
  GmailAuthError,
  type GmailCredentials,
  type GmailEndpoints,
  gmailHosts,
  GOOGLE_GMAIL_API_ROOT,
  GOOGLE_TOKEN_URI,
  type MailAddress,
  readGmailCredentials,
  replySubject,
  type RetryPolicy,
} from "../gmail/mod.ts";
import { rememberSecret } from "../secrets/mod.ts";
import {
  attachmentReferences,
  checkAttachment,
  emailText,
  gmailIdField,
  MAX_ATTACHMENT_BYTES,
  messageIdsField,
  recipientsOf,
  shownMailbox,
  textField,
} from "./_email_input.ts";
import { sendPrepared } from "./_gmail_send.ts";
import {
  ActionInputError,
  type ActionSettings,
  type ActionType,
  type ApprovedItem,
  type PreparedAction,
} from "./types.ts";

/** What a run is handed: everything it needs, since its Worker reaches only Google's hosts. */
export interface EmailRequest {
  /** The owner's OAuth client and refresh token. */
  credentials: GmailCredentials;
  /** Where the client connects. */
  endpoints: GmailEndpoints;
  /** How the client retries a rate limit or a connection never made. @default the client's */
  retry?: Partial<RetryPolicy>;
  /** The recipients. */
  to: MailAddress[];
  /** The copy recipients. */
  cc: MailAddress[];
  /** The blind copy recipients. */
  bcc: MailAddress[];
  /** The subject as it goes out; absent for a reply that takes its original's. */
  subject?: string;
  /** The plain text. */
  text: string;
  /** The HTML version, when there is one. */
  html?: string;
  /** Checked paths in the vault, read in the run. */
  attachments: { path: string; name: string }[];
  /** For a reply: the thread and the headers, or the Gmail id of the original to take them from. */
  reply?: { threadId?: string; inReplyTo?: string; references: string[]; gmailId?: string };
}

/** Fields of a reply; a new message with any of them asks for `reply_email` instead. */
const REPLY_FIELDS = ["thread_id", "in_reply_to", "references", "gmail_id"];

/**
 * `send_email`: a new message. Front matter: `to`, `cc`, `bcc` (an address, several separated by
 * commas, or a list), `subject`, optionally `text` (else the note's `## Content` section, else its
 * body), `html`, and `attachments` (paths in the vault). Not idempotent: Gmail has no idempotency
 * key, so an attempt cut off mid-send goes back to the owner instead of being repeated.
 */
export const sendEmailAction: ActionType<PreparedAction> = {
  name: "send_email",
  prefixes: ["EMAIL_", "GMAIL_"],
  idempotent: () => false,
  prepare: (item, settings) => prepareEmail(item, settings, false),
  perform: (request, signal) => sendPrepared(request as EmailRequest, signal),
};

/**
 * `reply_email`: a reply in a thread, with the fields of `send_email` plus either `thread_id` and
 * `in_reply_to` (the original's Message-ID; `references` optional), or `gmail_id` of the original,
 * whose thread and headers the run then reads from Gmail. The subject gets `Re: ` once; a reply to
 * `gmail_id` may leave it out and take the original's.
 */
export const replyEmailAction: ActionType<PreparedAction> = {
  name: "reply_email",
  prefixes: [],
  idempotent: () => false,
  prepare: (item, settings) => prepareEmail(item, settings, true),
  perform: (request, signal) => sendPrepared(request as EmailRequest, signal),
};

/**
 * Whether an item without an `action:` field that a mail prefix selected (`EMAIL_`, `GMAIL_`) is a
 * reply: it names the thread or the message it answers.
 */
export function isEmailReply(frontMatter: Record<string, unknown>): boolean {
  return REPLY_FIELDS.some((field) => {
    const value = frontMatter[field];
    return value !== undefined && value !== null && value !== "";
  });
}

function prepareEmail(
  item: ApprovedItem,
  settings: ActionSettings,
  isReply: boolean,
): PreparedAction {
  const fields = item.frontMatter;
  const to = recipientsOf(fields, "to");
  const cc = recipientsOf(fields, "cc");
  const bcc = recipientsOf(fields, "bcc");
  if (to.length + cc.length + bcc.length === 0) {
    throw new ActionInputError(
      "an email needs a recipient: add 'to: name@example.com' (or cc/bcc) to its front matter",
    );
  }
  const reply = isReply ? replyFields(fields) : refuseReplyFields(fields);
  const written = textField(fields, "subject");
  if (written === undefined && !reply?.gmailId) {
    throw new ActionInputError(
      isReply
        ? "a reply needs 'subject: Re: …' in its front matter, or 'gmail_id:' of the original to take its subject from"
        : "an email needs 'subject: …' in its front matter",
    );
  }
  const subject = written === undefined ? undefined : isReply ? replySubject(written) : written;
  const text = emailText(fields, item.body);
  const html = fields.html === undefined || fields.html === null ? undefined : fields.html;
  if (html !== undefined && typeof html !== "string") {
    throw new ActionInputError("'html' must be the HTML version of the text, as text");
  }
  if (text === "" && !html) {
    throw new ActionInputError(
      "the email has no text: write it under '## Content' in the note, or in 'text:'",
    );
  }
  const attachments = attachmentsOf(fields, settings);
  const credentials = credentialsOf(settings);
  const endpoints = settings.gmail ??
    { apiRoot: GOOGLE_GMAIL_API_ROOT, tokenUri: GOOGLE_TOKEN_URI };
  const request: EmailRequest = {
    credentials,
    endpoints: { apiRoot: endpoints.apiRoot, tokenUri: endpoints.tokenUri },
    to,
    cc,
    bcc,
    ...(subject !== undefined ? { subject } : {}),
    text,
    ...(html ? { html } : {}),
    attachments: attachments.map(({ path, name }) => ({ path, name })),
    ...(reply ? { reply } : {}),
  };
  return {
    hosts: gmailHosts(endpoints),
    readable: [...new Set(attachments.map((attachment) => attachment.path))],
    env: GMAIL_LIBRARY_ENV,
    summary: summaryOf(request),
    request,
  };
}

/** The threading fields of a reply: `gmail_id`, or `thread_id` with `in_reply_to`. */
function replyFields(fields: Record<string, unknown>): NonNullable<EmailRequest["reply"]> {
  const threadId = gmailIdField(fields, "thread_id");
  const gmailId = gmailIdField(fields, "gmail_id");
  const inReplyTo = textField(fields, "in_reply_to");
  const references = messageIdsField(fields, "references");
  // The original's own headers are used, so `in_reply_to` and `references` are not needed.
  if (gmailId) return { gmailId, ...(threadId ? { threadId } : {}), references: [] };
  if (!threadId || !inReplyTo) {
    throw new ActionInputError(
      `a reply needs ${
        threadId
          ? "'in_reply_to:' (the original's Message-ID, the task note's message_id)"
          : inReplyTo
          ? "'thread_id:' (the task note's thread_id)"
          : "'thread_id:' and 'in_reply_to:' (the task note's thread_id and message_id)"
      }, or 'gmail_id:' of the original message`,
    );
  }
  if (/\s/.test(inReplyTo)) {
    throw new ActionInputError(
      `'in_reply_to' must be one Message-ID like "<abc@mail.example.com>"; put the others in 'references'`,
    );
  }
  return { threadId, inReplyTo, references };
}

function refuseReplyFields(fields: Record<string, unknown>): undefined {
  const given = REPLY_FIELDS.filter((field) => isEmailReply({ [field]: fields[field] }));
  if (given.length > 0) {
    throw new ActionInputError(
      `send_email sends a new message, but this item has ${
        given.map((field) => `'${field}'`).join(", ")
      }: for a reply write 'action: reply_email'; for a new message remove ${
        given.length > 1 ? "them" : "it"
      }`,
    );
  }
  return undefined;
}

function attachmentsOf(fields: Record<string, unknown>, settings: ActionSettings) {
  const references = attachmentReferences(fields);
  if (references.length === 0) return [];
  if (!settings.vault) {
    throw new ActionInputError(
      "this email names attachments, but no vault is known to find them in; run it through 'aiemp start'",
    );
  }
  const vault = settings.vault;
  const attachments = references.map((reference) => checkAttachment(vault, reference));
  const total = attachments.reduce((sum, attachment) => sum + attachment.size, 0);
  if (total > MAX_ATTACHMENT_BYTES) {
    throw new ActionInputError(
      `the attachments come to ${megabytes(total)}, and Gmail takes at most ${
        megabytes(MAX_ATTACHMENT_BYTES)
      } per message; attach fewer files, or share big ones by link`,
    );
  }
  return attachments;
}

/**
 * The owner's Gmail credentials from the secrets. The secret files are JSON, so beside the files'
 * whole text (which the store remembers) the values inside are remembered for redaction too.
 */
function credentialsOf(settings: ActionSettings): GmailCredentials {
  try {
    const credentials = readGmailCredentials({ read: (name) => settings.secret(name) });
    rememberSecret(credentials.refreshToken);
    if (credentials.clientSecret) rememberSecret(credentials.clientSecret);
    return credentials;
  } catch (error) {
    if (error instanceof GmailAuthError) throw new ActionInputError(error.message);
    if (error instanceof ActionInputError && !error.message.includes(GMAIL_AUTH_COMMAND)) {
      throw new ActionInputError(
        `${error.message} (the Gmail credentials; '${GMAIL_AUTH_COMMAND}' stores them)`,
      );
    }
    throw error;
  }
}

/** What is recorded of a request: no credentials. */
function summaryOf(request: EmailRequest): Record<string, unknown> {
  const { reply } = request;
  return {
    via: "gmail",
    to: request.to.map(shownMailbox),
    ...(request.cc.length ? { cc: request.cc.map(shownMailbox) } : {}),
    ...(request.bcc.length ? { bcc: request.bcc.map(shownMailbox) } : {}),
    subject: request.subject ?? "Re: (the subject of the original message)",
    ...(request.attachments.length
      ? { attachments: request.attachments.map((attachment) => attachment.name) }
      : {}),
    ...(reply?.gmailId
      ? { reply_to_gmail_id: reply.gmailId, ...(reply.threadId ? { thread: reply.threadId } : {}) }
      : reply
      ? { thread: reply.threadId, in_reply_to: reply.inReplyTo }
      : {}),
    text: request.text,
    ...(request.html ? { html: request.html } : {}),
  };
}

function megabytes(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
}
