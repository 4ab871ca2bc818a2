/**
 * Reading an email request's front matter and body: recipients, text fields, Gmail ids, the text
 * to send and the attachments. Each throws {@linkcode ActionInputError} saying which field is
 * wrong and how to write it.
 * @module
 */
import { basename, dirname, isAbsolute, relative, sep } from "node:path";
import type { MailAddress } from "../gmail/mod.ts";
import { fileRefusal, VaultPathError, vaultPathOf } from "../vault/mod.ts";
import { ActionInputError } from "./types.ts";

/** Gmail takes messages whose attachments total at most 25 MB. */
export const MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;

/** Characters never part of an address (outside quotes, which plain addresses do not need). */
const ADDRESS = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:".]+(?:\.[^\s@<>()[\]\\,;:".]+)+$/u;
const ADDRESS_HELP = "write it as name@example.com or 'Name <name@example.com>'";

/**
 * The mailboxes in `to`, `cc` or `bcc`: one address, several separated by commas, a list of
 * them, or `{name, address}` maps. Missing or empty gives `[]`.
 *
 * @example
 * ```ts
 * recipientsOf({ to: "Zoë <zoe@example.com>, bob@example.com" }, "to");
 * // [{ name: "Zoë", address: "zoe@example.com" }, { address: "bob@example.com" }]
 * ```
 */
export function recipientsOf(frontMatter: Record<string, unknown>, field: string): MailAddress[] {
  const value = frontMatter[field];
  if (value === undefined || value === null || value === "") return [];
  const entries = Array.isArray(value) ? value : [value];
  return entries.flatMap((entry) => {
    if (typeof entry === "string") return splitMailboxes(entry).map((m) => mailboxOf(m, field));
    if (entry && typeof entry === "object" && typeof entry.address === "string") {
      const name = typeof entry.name === "string" && entry.name.trim() ? entry.name.trim() : "";
      return [checked({ ...(name ? { name } : {}), address: entry.address.trim() }, field)];
    }
    throw new ActionInputError(
      `'${field}' must be an address or a list of addresses, not ${
        describe(entry)
      }; ${ADDRESS_HELP}`,
    );
  });
}

/** A mailbox as a header shows it: `Name <address>` or the bare address. */
export function shownMailbox(mailbox: MailAddress): string {
  return mailbox.name ? `${mailbox.name} <${mailbox.address}>` : mailbox.address;
}

/** Splits at commas outside double quotes and angle brackets. */
function splitMailboxes(text: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  let angled = false;
  for (const char of text) {
    if (char === '"') quoted = !quoted;
    else if (char === "<" && !quoted) angled = true;
    else if (char === ">" && !quoted) angled = false;
    if ((char === "," || char === ";") && !quoted && !angled) {
      parts.push(current);
      current = "";
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts.map((part) => part.trim()).filter((part) => part !== "");
}

function mailboxOf(text: string, field: string): MailAddress {
  const named = /^(.*?)\s*<([^<>]*)>$/s.exec(text);
  if (!named) return checked({ address: text }, field, text);
  const name = named[1].trim().replace(/^"(.*)"$/s, "$1").trim();
  return checked({ ...(name ? { name } : {}), address: named[2].trim() }, field, text);
}

function checked(mailbox: MailAddress, field: string, written = mailbox.address): MailAddress {
  if (!ADDRESS.test(mailbox.address)) {
    throw new ActionInputError(
      `'${field}' has ${JSON.stringify(written)}, which is not an email address; ${ADDRESS_HELP}`,
    );
  }
  // deno-lint-ignore no-control-regex
  if (mailbox.name !== undefined && /[\u0000-\u001f\u007f]/.test(mailbox.name)) {
    throw new ActionInputError(
      `'${field}' has a name with a line break or control character in ${
        JSON.stringify(written)
      }; write the name on one line`,
    );
  }
  return mailbox;
}

/** A one-line text field (a subject, a Message-ID); numbers are taken as written. */
export function textField(
  frontMatter: Record<string, unknown>,
  field: string,
): string | undefined {
  const value = frontMatter[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value !== "string") {
    throw new ActionInputError(`'${field}' must be text, not ${describe(value)}`);
  }
  return value.trim() === "" ? undefined : value.trim();
}

/**
 * A Gmail id (`thread_id`, `gmail_id`): hex text. YAML reads an id of digits only as a number,
 * and one like `18e20…` as a float, losing digits: such a value is refused unless it is a whole
 * number that survived intact.
 */
export function gmailIdField(
  frontMatter: Record<string, unknown>,
  field: string,
): string | undefined {
  const value = frontMatter[field];
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return String(value);
  if (typeof value !== "string") {
    throw new ActionInputError(
      `'${field}' must be Gmail's id as text; YAML read it as ${
        describe(value)
      }, so put it in quotes: ${field}: "18e2f0a9c4b1d3e7"`,
    );
  }
  const id = value.trim();
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) {
    throw new ActionInputError(
      `'${field}' has ${
        JSON.stringify(id.slice(0, 80))
      }, which is not a Gmail id (letters and digits, as the task note's ${field} shows it)`,
    );
  }
  return id;
}

/** A list of Message-IDs: one string (space-separated) or a list of strings. */
export function messageIdsField(
  frontMatter: Record<string, unknown>,
  field: string,
): string[] {
  const value = frontMatter[field];
  if (value === undefined || value === null || value === "") return [];
  const list = Array.isArray(value) ? value : [value];
  return list.flatMap((entry) => {
    if (typeof entry !== "string") {
      throw new ActionInputError(
        `'${field}' must be Message-IDs like "<abc@mail.example.com>", not ${describe(entry)}`,
      );
    }
    return entry.split(/\s+/).filter(Boolean);
  });
}

/**
 * The text to send: the item's `text:` when given, else the note's `## Content` section (what
 * the approval-request skill writes, below its `## Why`), else the whole body. Sections aiemp
 * wrote itself (`## Interrupted`, `## Result`, between `<!-- aiemp:… -->` markers) are left out,
 * so a request approved again after an interruption does not mail the notice.
 */
export function emailText(frontMatter: Record<string, unknown>, body: string): string {
  const given = frontMatter.text;
  if (given !== undefined && given !== null) {
    if (typeof given !== "string") {
      throw new ActionInputError(`'text' must be the email's text, not ${describe(given)}`);
    }
    return trimBlankLines(given);
  }
  const own = withoutAiempSections(body);
  return trimBlankLines(contentSection(own) ?? own);
}

/**
 * The text under a note's `## Content` heading (up to the next `#` or `##` heading), without the
 * sections aiemp adds (a result, an interruption notice); undefined when there is none.
 */
export function contentSection(body: string): string | undefined {
  const own = withoutAiempSections(body);
  return /^##[ \t]+Content[ \t]*\n([\s\S]*?)(?=^##?[ \t]|(?![\s\S]))/im.exec(own)?.[1];
}

/**
 * The exact text of a message that goes out as written (a chat reply, a post): `text:`, else the
 * note's `## Content` section, blank space at both ends dropped. `what` names it in the errors,
 * e.g. "WhatsApp reply". An empty text is refused unless `mayBeEmpty`.
 */
export function exactText(
  frontMatter: Record<string, unknown>,
  body: string,
  what: string,
  mayBeEmpty = false,
): string {
  const given = frontMatter.text;
  let text: string | undefined;
  if (given !== undefined && given !== null) {
    if (typeof given !== "string") {
      throw new ActionInputError(`'text' must be the ${what}'s text, as text`);
    }
    text = given;
  } else {
    text = contentSection(body);
  }
  if (text === undefined) {
    if (mayBeEmpty) return "";
    throw new ActionInputError(
      `a ${what} needs its exact text: write it under '## Content' in the note, or in 'text:'`,
    );
  }
  const trimmed = text.trim();
  if (trimmed === "" && !mayBeEmpty) {
    throw new ActionInputError(
      `the ${what} is empty: write its text under '## Content' in the note, or in 'text:'`,
    );
  }
  return trimmed;
}

/** `body` without the sections aiemp writes into a note (with their headings). */
function withoutAiempSections(body: string): string {
  return body.replace(
    /(?:^#{1,6} [^\n]*\n)?<!-- aiemp:begin ([\w-]+) -->[\s\S]*?<!-- aiemp:end \1 -->\n?/gm,
    "",
  );
}

function trimBlankLines(text: string): string {
  const trimmed = text.replace(/^(?:[ \t]*\r?\n)+/, "").trimEnd();
  return trimmed === "" ? "" : `${trimmed}\n`;
}

/** An attachment checked in the main thread: where it is, its name and size. */
export interface CheckedAttachment {
  /** Its absolute path inside the vault. */
  path: string;
  /** The name the recipient sees. */
  name: string;
  /** Its size in bytes when checked. */
  size: number;
}

/** The `attachments:` references: one path or a list; `[[path|label]]` links are accepted. */
export function attachmentReferences(frontMatter: Record<string, unknown>): string[] {
  const value = frontMatter.attachments;
  if (value === undefined || value === null || value === "") return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((entry) => {
    if (typeof entry !== "string") {
      throw new ActionInputError(
        `'attachments' must list paths in the vault, such as Needs_Action/attachments/report.pdf, not ${
          describe(entry)
        }`,
      );
    }
    const link = /^\[\[([^|\]]+)(?:\|[^\]]*)?\]\]$/.exec(entry.trim());
    return link ? link[1].trim() : entry.trim();
  });
}

/**
 * Checks an attachment named in an item (synchronously, as `prepare` is): a path inside the vault
 * (no `..`, nothing absolute or hidden), a plain file that is neither a link nor a hard link, and
 * no linked folder on the way that leads out of the vault. The run reads it again through
 * `readVaultFile`, which repeats the file's checks right before reading.
 */
export function checkAttachment(vault: string, reference: string): CheckedAttachment {
  let path: string;
  try {
    path = vaultPathOf(vault, reference, { what: "attachment" });
  } catch (error) {
    if (error instanceof VaultPathError) throw new ActionInputError(error.message);
    throw error;
  }
  const refuse = (why: string) =>
    new ActionInputError(`Cannot use the attachment ${JSON.stringify(reference)}: ${why}`);
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      throw refuse(
        "there is no such file in the vault; give its path from the vault's top folder, such as Needs_Action/attachments/report.pdf",
      );
    }
    throw error;
  }
  const refused = fileRefusal(info);
  if (refused) throw refuse(`${refused.reason}; ${refused.fix}`);
  const root = Deno.realPathSync(vault);
  const folder = Deno.realPathSync(dirname(path));
  const rel = relative(root, folder);
  if (rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw refuse(
      `its folder leads to ${
        JSON.stringify(folder)
      }, outside the vault, through a symbolic link; copy the file into the vault and attach the copy`,
    );
  }
  return { path, name: basename(path), size: info.size };
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value === null) return "empty";
  if (typeof value === "object") return "a map";
  return `${typeof value} ${JSON.stringify(value)}`;
}
