import { createHash } from "node:crypto";
import { isAbsolute, relative } from "node:path";
import { fileRefusal, openVaultFile } from "../../vault/mod.ts";

/** What kind of thing was dropped, as far as the task note is concerned. */
export type DroppedKind =
  | "text"
  | "binary"
  | "empty"
  | "too_large"
  | "unreadable"
  | "folder"
  | "link_outside_vault"
  | "special";

/** What aiemp learned about a dropped file, without changing it. */
export interface DroppedFile {
  /** What it turned out to be; anything but `text` and `binary` is a problem the note explains. */
  kind: DroppedKind;
  /** Size in bytes; 0 when it is not a regular file aiemp could look at. */
  size: number;
  /** SHA-256 of the content, in hex; only when the content was read. */
  sha256?: string;
  /** The start of a text file, at most `previewChars` characters. */
  preview?: string;
  /** For a link: where it points. */
  target?: string;
  /** For an unreadable file: the operating system's reason. */
  error?: string;
  /**
   * Set when aiemp could read the file but will not (`kind` is then `special`): a symbolic link,
   * a hard link, or a name it cannot open. `kind` is written as the note's `content`, `short` as
   * its `problem`, and `long` in its Problem section (why, and what to do instead).
   */
  refusal?: { kind: "link" | "hard_link" | "bad_name"; short: string; long: string };
}

/** Limits on what is read from a dropped file. */
export interface InspectLimits {
  /** Files larger than this many bytes are neither read nor hashed (`too_large`). */
  maxBytes: number;
  /** Characters of a text file kept as its preview. */
  previewChars: number;
  /** The vault: no link is followed, and one leading out of it is reported as such. */
  vault: string;
}

const SNIFF_BYTES = 8192;

/**
 * Looks at a dropped file: its size, SHA-256 and a text preview when it is text. Never reads
 * through a symbolic link (inside the vault or out), never reads a hard link (another name of the
 * file may live outside the vault), a file over the size limit or a device or pipe, and turns a
 * read error into `unreadable` with the reason instead of throwing.
 */
export async function inspectDroppedFile(
  path: string,
  limits: InspectLimits,
): Promise<DroppedFile> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (error) {
    return { kind: "unreadable", size: 0, error: reason(error) };
  }
  if (info.isSymlink) return await inspectLink(path, limits);
  if (info.isDirectory) return { kind: "folder", size: 0 };
  if (!info.isFile) return { kind: "special", size: 0 };
  const refused = fileRefusal(info);
  if (refused) {
    return {
      kind: "special",
      size: info.size,
      refusal: {
        kind: "hard_link",
        short: `a hard link (${info.nlink} names); not read`,
        long:
          `${capital(refused.reason)}, where it can change after aiemp read it. So it was not ` +
          `read; ${refused.fix}.`,
      },
    };
  }
  if (info.size === 0) return { kind: "empty", size: 0 };
  if (info.size > limits.maxBytes) return { kind: "too_large", size: info.size };
  try {
    return await readContent(path, info, limits.previewChars);
  } catch (error) {
    return { kind: "unreadable", size: info.size, error: reason(error) };
  }
}

/**
 * A dropped symbolic link is kept but never read through: one that leaves the vault says so,
 * one that points nowhere is unreadable, and one that stays inside is refused all the same (it
 * could lead into `.aiemp/secrets/`, and the note's preview would show the secret to the agent).
 */
async function inspectLink(path: string, limits: InspectLimits): Promise<DroppedFile> {
  const target = await Deno.readLink(path).catch(() => "");
  // The whole chain of links is resolved: a link to a link that leaves the vault is outside too.
  let real: string;
  try {
    real = await Deno.realPath(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { kind: "unreadable", size: 0, target, error: reason(error) };
    }
    return { kind: "link_outside_vault", size: 0, target };
  }
  const vault = await Deno.realPath(limits.vault).catch(() => limits.vault);
  const inside = relative(vault, real);
  if (inside.startsWith("..") || isAbsolute(inside)) {
    return { kind: "link_outside_vault", size: 0, target };
  }
  return {
    kind: "special",
    size: 0,
    target,
    refusal: {
      kind: "link",
      short: "a symbolic link; not followed",
      long:
        `This is a symbolic link to ${
          JSON.stringify(target)
        }. aiemp never reads through links, even ` +
        "within the vault: one can lead out of it or into aiemp's own secrets. Copy the file " +
        "itself into Inbox/ instead.",
    },
  };
}

/** Files up to this size are read in one call; larger ones are streamed through the hash. */
const WHOLE_READ_BYTES = 4 * 1024 * 1024;

async function readContent(
  path: string,
  checked: Deno.FileInfo,
  previewChars: number,
): Promise<DroppedFile> {
  const { size } = checked;
  // Opened only after checking that the open file is the one looked at (not a link put in its
  // place meanwhile).
  using file = await openVaultFile(path, { what: "dropped file", checked });
  const hash = createHash("sha256");
  let head: Uint8Array | undefined;
  let total = 0;
  const take = (chunk: Uint8Array) => {
    if (!head) head = chunk.slice(0, SNIFF_BYTES);
    else if (head.length < SNIFF_BYTES) {
      head = concat(head, chunk.slice(0, SNIFF_BYTES - head.length));
    }
    hash.update(chunk);
    total += chunk.length;
  };
  let rest = true;
  if (size <= WHOLE_READ_BYTES) {
    // Most drops are small: reading them whole, synchronously (an open regular file of at most
    // 4 MiB), is several times cheaper than a stream or async reads. One byte more than the size
    // tells whether the file grew since (then the rest is streamed: all of it is hashed).
    const whole = new Uint8Array(size + 1);
    let filled = 0;
    for (let n: number | null = 0; n !== null && filled <= size;) {
      n = file.readSync(whole.subarray(filled));
      filled += n ?? 0;
    }
    take(whole.subarray(0, filled));
    rest = filled > size;
  }
  if (rest) { for await (const chunk of file.readable) take(chunk); }
  const sha256 = hash.digest("hex");
  const text = head ? asText(head, total > head.length) : undefined;
  if (text === undefined) return { kind: "binary", size: total || size, sha256 };
  return { kind: "text", size: total, sha256, preview: [...text].slice(0, previewChars).join("") };
}

/** Decodes the first bytes as UTF-8 text, or undefined when they look binary. */
function asText(head: Uint8Array, truncated: boolean): string | undefined {
  if (head.includes(0)) return undefined;
  try {
    // A multi-byte character cut at the end of the sample is not a reason to call it binary.
    return new TextDecoder("utf-8", { fatal: true }).decode(head, { stream: truncated });
  } catch {
    return undefined;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function reason(error: unknown): string {
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.NotCapable) return "outside what aiemp may read";
  if (error instanceof Deno.errors.NotFound) return "it points to a file that does not exist";
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}
