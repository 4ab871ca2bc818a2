/**
 * Messages as the Gmail client hands them out: the fields of Gmail's REST API v1 that aiemp
 * uses, with the library's `null`s replaced by defaults.
 * @module
 */

/** One header of a message part, as written in the message (encoded words not decoded). */
export interface GmailHeader {
  /** As written, e.g. `Subject`. */
  name: string;
  /** Unfolded, still MIME-encoded (`=?UTF-8?B?…?=`). */
  value: string;
}

/** A node of a message's MIME tree (`format=full`). */
export interface GmailMessagePart {
  /** `""` for the root, then `"0"`, `"1"`, `"1.0"` … */
  partId: string;
  /** Lower case, e.g. `text/plain`, `multipart/alternative`. */
  mimeType: string;
  /** The attachment's file name; `""` for a body part. */
  filename: string;
  /** The part's own headers (the message's, for the root). */
  headers: GmailHeader[];
  /** The part's content, or where to fetch it. */
  body: {
    /** Bytes of the decoded content. */
    size: number;
    /** The decoded content, base64url-encoded; absent for attachments and multiparts. */
    data?: string;
    /** Set on attachments: fetch the bytes with `getAttachment`. */
    attachmentId?: string;
  };
  /** The children of a `multipart/*` part. */
  parts?: GmailMessagePart[];
}

/** What every format of a message carries. */
export interface GmailMessageSummary {
  /** Gmail's message id. */
  id: string;
  /** The id of its conversation; pass it to `sendRaw` to reply in the thread. */
  threadId: string;
  /** System labels (`INBOX`, `UNREAD`, `IMPORTANT`, …) and user label ids (`Label_7`). */
  labelIds: string[];
  /** The start of the text, as Gmail shows it in lists. */
  snippet: string;
  /** When Gmail received it, in milliseconds since the epoch (a string, as Gmail sends it). */
  internalDate: string;
}

/** A message fetched with `format=full`. */
export interface GmailMessage extends GmailMessageSummary {
  /** The root of the MIME tree. */
  payload: GmailMessagePart;
}

/** A message fetched with `format=raw`: its RFC 822 bytes, decoded from base64url. */
export interface GmailRawMessage extends GmailMessageSummary {
  /** The whole message as received. */
  raw: Uint8Array;
}

/** One page of `listMessageIds`. */
export interface GmailIdPage {
  /** Message ids, newest first. */
  ids: string[];
  /** Pass to the next call to get the next page; absent on the last page. */
  nextPageToken?: string;
}

/** The account the token belongs to (`users.getProfile`). */
export interface GmailProfile {
  /** The account's address. */
  emailAddress: string;
  /** Messages in the mailbox. */
  messagesTotal: number;
  /** Threads in the mailbox. */
  threadsTotal: number;
  /** The mailbox's current history id. */
  historyId: string;
}

/** What the access token may do, for `aiemp doctor`. */
export interface GmailTokenInfo {
  /** Granted scopes, e.g. `https://www.googleapis.com/auth/gmail.modify`. */
  scopes: string[];
  /** When the current access token expires, in milliseconds since the epoch. */
  expiresAt?: number;
  /** `"token_response"`: the `scope` field of the token endpoint's answer; else tokeninfo's. */
  source: "token_response" | "tokeninfo";
}
