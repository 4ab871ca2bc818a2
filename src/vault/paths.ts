import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";

/** Why a path or a file was refused; the error's message says it in words, with the fix. */
export type PathRefusal =
  | "empty"
  | "nul"
  | "backslash"
  | "absolute"
  | "parent"
  | "not_a_name"
  | "hidden"
  | "too_long"
  | "outside"
  | "missing"
  | "symlink"
  | "hard_link"
  | "folder"
  | "special"
  | "changed";

/**
 * A path, name or file aiemp will not read or write, because it is (or may lead) outside the
 * vault. The message names it, says why and says what to do instead.
 */
export class VaultPathError extends Error {
  /** Always `"VaultPathError"`, for logs and stack traces. */
  override name = "VaultPathError";
  /** The reason, for code that acts on it. */
  readonly refusal: PathRefusal;

  /** A refusal for `refusal`; `message` names the path, says why and gives the fix. */
  constructor(refusal: PathRefusal, message: string) {
    super(message);
    this.refusal = refusal;
  }
}

/** How a refused reference is named in the error message. */
export interface PathOptions {
  /** What the value is, e.g. `"attachment"` or `"approval id"`. @default "path" (or "file") */
  what?: string;
}

/** Options of {@linkcode openVaultFile}. */
export interface OpenOptions extends PathOptions {
  /**
   * The file's `Deno.lstat` information when the caller has just taken it, to save a second
   * look-up; it is checked all the same. @default looked up
   */
  checked?: Deno.FileInfo;
}

/** The longest file name most file systems allow, in bytes. */
const MAX_NAME_BYTES = 255;

/** A path that names a place through a URL or a Windows drive, never a path inside the vault. */
const ROOTED = /^(?:[A-Za-z]:|[A-Za-z][A-Za-z0-9+.-]*:\/\/)/;

/**
 * The absolute path of `reference` (a path written in a note: an attachment, a file name),
 * relative to the vault's top folder, checked without touching the disk. Throws
 * {@linkcode VaultPathError} for an empty reference, a NUL byte, a backslash, an absolute path,
 * a URL or drive letter, any `..` segment, and any hidden one (`.aiemp/secrets/…`). Decode
 * `%20`-style escapes before calling it.
 * {@linkcode resolveInVault} adds the check of symbolic links on the way.
 *
 * @example
 * ```ts
 * vaultPathOf("/v", "Needs_Action/attachments/a.pdf"); // "/v/Needs_Action/attachments/a.pdf"
 * vaultPathOf("/v", "../secret.txt"); // throws VaultPathError (refusal "parent")
 * ```
 */
export function vaultPathOf(vault: string, reference: string, options: PathOptions = {}): string {
  const refuse = (refusal: PathRefusal, why: string) =>
    new VaultPathError(
      refusal,
      `Cannot use the ${options.what ?? "path"} ${shown(reference)}: ${why}`,
    );
  const example = "such as Needs_Action/attachments/report.pdf";
  if (reference.trim() === "") {
    throw refuse("empty", `it is empty; give the path of a file in the vault, ${example}`);
  }
  if (reference.includes("\0")) {
    throw refuse("nul", "it contains a NUL byte, which no file name can hold; remove it");
  }
  if (reference.includes("\\")) {
    throw refuse("backslash", `it contains a backslash; separate folders with '/', ${example}`);
  }
  if (isAbsolute(reference) || ROOTED.test(reference)) {
    throw refuse(
      "absolute",
      `it is an absolute path or URL, and aiemp reads and writes only inside the vault; give the path from the vault's top folder, ${example}`,
    );
  }
  if (reference.split("/").some((segment) => /^\.\.+ *$/.test(segment))) {
    throw refuse(
      "parent",
      `'..' climbs out of a folder, and aiemp reads and writes only inside the vault; give the path from the vault's top folder without '..', ${example}`,
    );
  }
  if (reference.split("/").some((segment) => segment.startsWith(".") && segment !== ".")) {
    throw refuse(
      "hidden",
      `it goes into a hidden file or folder (.aiemp/ holds aiemp's own state and secrets); give a file from the vault's visible folders, ${example}`,
    );
  }
  const root = resolve(vault);
  const path = join(root, reference);
  if (!isInside(root, path)) {
    throw refuse("not_a_name", `it names the vault itself, not a file in it; ${example}`);
  }
  return path;
}

/**
 * Like {@linkcode vaultPathOf}, and also follows the symbolic links on the way: the deepest part
 * of the path that exists (the file, else its folder, else that folder's folder…) must really be
 * inside the vault, so a linked folder in the vault that points elsewhere is refused (`outside`).
 * Returns the path inside the vault (not the resolved one). Before reading the file itself, check
 * it with {@linkcode checkVaultFile} or read it with {@linkcode readVaultFile}.
 */
export async function resolveInVault(
  vault: string,
  reference: string,
  options: PathOptions = {},
): Promise<string> {
  const path = vaultPathOf(vault, reference, options);
  const root = await Deno.realPath(vault);
  const refuse = (why: string) =>
    new VaultPathError(
      "outside",
      `Cannot use the ${options.what ?? "path"} ${
        shown(reference)
      }: ${why}, and aiemp reads and writes only inside the vault; copy the file into the vault and refer to the copy`,
    );
  const rest: string[] = [];
  for (let probe = path;; probe = dirname(probe)) {
    let exists = true;
    try {
      await Deno.lstat(probe);
    } catch (error) {
      if (!isMissing(error)) throw error;
      exists = false;
    }
    if (!exists) {
      rest.unshift(basename(probe));
      continue;
    }
    let real: string;
    try {
      real = await Deno.realPath(probe);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound || error instanceof Deno.errors.FilesystemLoop)) {
        throw error;
      }
      throw refuse("it goes through a symbolic link that leads nowhere (or in a loop)");
    }
    const target = join(real, ...rest);
    if (target !== root && !isInside(root, target)) {
      throw refuse(`it leads to ${shown(target)}, outside the vault, through a symbolic link`);
    }
    return path;
  }
}

/**
 * Why aiemp will not read a file it found with `Deno.lstat` (never `Deno.stat`, which follows
 * links), or undefined when it may: a symbolic link, a hard link (`nlink > 1`: another name of
 * the same file may live outside the vault and change it there), a folder, or a pipe, socket or
 * device. Pure, so a caller can word its own note from `reason` and `fix`.
 */
export function fileRefusal(
  info: Deno.FileInfo,
): { refusal: PathRefusal; reason: string; fix: string } | undefined {
  if (info.isSymlink) {
    return {
      refusal: "symlink",
      reason:
        "it is a symbolic link, and aiemp never reads through links (one can lead out of the vault or into aiemp's own secrets)",
      fix: "copy the file itself into the vault instead of linking it",
    };
  }
  if (info.isDirectory) {
    return { refusal: "folder", reason: "it is a folder, not a file", fix: "give a file instead" };
  }
  if (!info.isFile) {
    return {
      refusal: "special",
      reason: "it is not a regular file (a pipe, socket or device)",
      fix: "give a regular file instead",
    };
  }
  const names = info.nlink ?? 1;
  if (names > 1) {
    return {
      refusal: "hard_link",
      reason:
        `it is a hard link (${names} names): another name for the same file may live outside the vault`,
      fix: "aiemp reads only files that live in the vault alone: copy it in instead (cp, not ln)",
    };
  }
  return undefined;
}

/**
 * Checks a file in the vault that aiemp is about to read or act on (see {@linkcode fileRefusal});
 * returns its `lstat` information, or throws {@linkcode VaultPathError} saying why not.
 */
export async function checkVaultFile(
  path: string,
  options: PathOptions = {},
): Promise<Deno.FileInfo> {
  const what = options.what ?? "file";
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (error) {
    if (!isMissing(error)) throw error;
    throw new VaultPathError(
      "missing",
      `Cannot use the ${what} ${shown(path)}: it does not exist; check the name`,
    );
  }
  const refused = fileRefusal(info);
  if (refused) {
    throw new VaultPathError(
      refused.refusal,
      `Cannot use the ${what} ${shown(path)}: ${refused.reason}; ${refused.fix}`,
    );
  }
  return info;
}

/**
 * Opens a file of the vault for reading after {@linkcode checkVaultFile}, then checks that what
 * was opened is the very file checked (same device and inode, still one name): a file swapped for
 * a link between the check and the open is refused too. The caller closes it.
 */
export async function openVaultFile(path: string, options: OpenOptions = {}): Promise<Deno.FsFile> {
  const checked = options.checked ?? await checkVaultFile(path, options);
  const refusedBefore = fileRefusal(checked);
  if (refusedBefore) {
    throw new VaultPathError(
      refusedBefore.refusal,
      `Cannot use the ${options.what ?? "file"} ${
        shown(path)
      }: ${refusedBefore.reason}; ${refusedBefore.fix}`,
    );
  }
  const file = await Deno.open(path, { read: true });
  try {
    // Synchronous: the status of an open file waits on nothing, and costs a fraction of an op.
    const opened = file.statSync();
    const refused = fileRefusal(opened);
    if (refused || opened.ino !== checked.ino || opened.dev !== checked.dev) {
      throw new VaultPathError(
        refused?.refusal ?? "changed",
        `Cannot use the ${options.what ?? "file"} ${
          shown(path)
        }: it changed while aiemp opened it (${
          refused?.reason ?? "it was replaced"
        }); put the file back as a plain file and try again`,
      );
    }
    return file;
  } catch (error) {
    file.close();
    throw error;
  }
}

/** Reads a whole file of the vault through {@linkcode openVaultFile}. */
export async function readVaultFile(path: string, options: PathOptions = {}): Promise<Uint8Array> {
  using file = await openVaultFile(path, options);
  return new Uint8Array(await new Response(file.readable).arrayBuffer());
}

/**
 * Checks a value used as one file name inside a vault folder (an id given to `aiemp approve`, a
 * name taken from front matter): a single, visible name. Returns it unchanged, or throws
 * {@linkcode VaultPathError}: empty, with a `/` or `\`, `.`/`..`, hidden (a leading dot),
 * with a control character, or over 255 bytes.
 *
 * @example
 * ```ts
 * pathSegmentOf("EMAIL_reply.md", { what: "approval id" }); // "EMAIL_reply.md"
 * pathSegmentOf("../aiemp.yaml", { what: "approval id" }); // throws VaultPathError
 * ```
 */
export function pathSegmentOf(value: string, options: PathOptions = {}): string {
  const refuse = (refusal: PathRefusal, why: string) =>
    new VaultPathError(
      refusal,
      `Cannot use the ${options.what ?? "name"} ${
        shown(value)
      }: ${why}; give just the name, as 'aiemp queue' lists it (e.g. EMAIL_reply.md)`,
    );
  if (value.trim() === "") throw refuse("empty", "it is empty");
  if (value.includes("\0")) throw refuse("nul", "it contains a NUL byte");
  if (value.includes("/") || value.includes("\\")) {
    throw refuse("not_a_name", "it is a path ('/' or '\\'), not one name");
  }
  if (/^\.+ *$/.test(value)) throw refuse("parent", "'.' and '..' name folders, not files");
  if (value.startsWith(".")) throw refuse("hidden", "a name starting with '.' is hidden");
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw refuse("not_a_name", "it contains a control character (a newline, tab…)");
  }
  if (new TextEncoder().encode(value).length > MAX_NAME_BYTES) {
    throw refuse("too_long", `it is over ${MAX_NAME_BYTES} bytes, longer than file systems allow`);
  }
  return value;
}

/** True for the error of a path that is not there (or runs through a file as if a folder). */
function isMissing(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory;
}

/** True when `path` is strictly inside the folder `root` (both absolute and normalised). */
function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== "" && rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** A value as shown in a message: quoted (control characters visible) and at most 120 chars. */
function shown(value: string): string {
  const short = value.length > 120 ? `${value.slice(0, 120)}…` : value;
  return JSON.stringify(short);
}
