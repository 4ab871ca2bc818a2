import { createHash } from "node:crypto";
import { isAbsolute, relative } from "node:path";

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
}

/** Limits on what is read from a dropped file. */
export interface InspectLimits {
  /** Files larger than this many bytes are neither read nor hashed (`too_large`). */
  maxBytes: number;
  /** Characters of a text file kept as its preview. */
  previewChars: number;
  /** The vault: links pointing outside it are never followed. */
  vault: string;
}

const SNIFF_BYTES = 8192;

/**
 * Looks at a dropped file: its size, SHA-256 and a text preview when it is text. Never follows a
 * link out of the vault, never reads a file over the size limit or a device or pipe, and turns a
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
  let readFrom = path;
  if (info.isSymlink) {
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
    try {
      info = await Deno.stat(real);
    } catch (error) {
      return { kind: "unreadable", size: 0, target, error: reason(error) };
    }
    readFrom = real;
  }
  if (info.isDirectory) return { kind: "folder", size: 0 };
  if (!info.isFile) return { kind: "special", size: 0 };
  if (info.size === 0) return { kind: "empty", size: 0 };
  if (info.size > limits.maxBytes) return { kind: "too_large", size: info.size };
  try {
    return await readContent(readFrom, info.size, limits.previewChars);
  } catch (error) {
    return { kind: "unreadable", size: info.size, error: reason(error) };
  }
}

/** Files up to this size are read in one call; larger ones are streamed through the hash. */
const WHOLE_READ_BYTES = 4 * 1024 * 1024;

async function readContent(path: string, size: number, previewChars: number): Promise<DroppedFile> {
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
  if (size <= WHOLE_READ_BYTES) {
    // Most drops are small: one read is several times cheaper than a stream.
    take(await Deno.readFile(path));
  } else {
    using file = await Deno.open(path, { read: true });
    for await (const chunk of file.readable) take(chunk);
  }
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

function reason(error: unknown): string {
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.NotCapable) return "outside what aiemp may read";
  if (error instanceof Deno.errors.NotFound) return "it points to a file that does not exist";
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}
