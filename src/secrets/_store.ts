import { join } from "node:path";
import { rememberSecret } from "./_redact.ts";

/**
 * The form of a secret's name: a plain file name in `.aiemp/secrets/` — letters, digits, `.`, `_`
 * and `-`, not starting with a dot, never `..` (so no name reaches outside the folder).
 */
export const SECRET_NAME: RegExp = /^(?!.*\.\.)[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** Larger secret files are refused: a token, a password or a URL fits easily. */
const MAX_SECRET_BYTES = 64 * 1024;

/** A secret that cannot be used; the message names the file or variable and the fix. */
export class SecretError extends Error {
  /** Always `"SecretError"`, for logs and stack traces. */
  override name = "SecretError";
  /**
   * True when the secret is in neither place (not set up yet), false when it is there but cannot
   * be used (permissions, owner, size): callers treat the first as "not configured".
   */
  readonly missing: boolean;

  /** `options.missing` marks a secret that is not there at all. @default false */
  constructor(message: string, options: ErrorOptions & { missing?: boolean } = {}) {
    super(message, options);
    this.missing = options.missing ?? false;
  }
}

/** Where a {@linkcode SecretStore} looks. */
export interface SecretStoreOptions {
  /** The secrets folder, `<vault>/.aiemp/secrets` (mode 0700). */
  dir: string;
  /**
   * The `AIEMP_SECRET_*` environment variables, by full name, as config/environment.ts read them.
   * @default {} (files only)
   */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Reads named secrets; see {@linkcode createSecretStore}. */
export interface SecretStore {
  /**
   * The secret `name`: the file `<dir>/<name>` without its trailing newline, else the variable
   * {@linkcode secretVariableOf}(name). Synchronous, because an action's `prepare` is: secret files
   * are small. Throws {@linkcode SecretError} when the name, the file's permissions or owner are
   * not acceptable, or when the secret is in neither place.
   */
  read(name: string): string;
}

/**
 * The environment variable that holds the secret `name` when no file does:
 * `AIEMP_SECRET_` and the name upper-cased, anything but letters and digits turned into `_`.
 *
 * @example
 * ```ts
 * secretVariableOf("slack-url"); // "AIEMP_SECRET_SLACK_URL"
 * ```
 */
export function secretVariableOf(name: string): string {
  return `AIEMP_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/**
 * Makes a reader of named secrets: files in `dir` first, then `AIEMP_SECRET_*` variables.
 *
 * A file is read only when the folder has no group or other permission bits (0700), the file has
 * none either (0600), both belong to the user aiemp runs as, and the file is a regular file, not
 * a symbolic link; otherwise the error gives the command that fixes it. Every value handed out is
 * remembered for redaction (values from the environment as soon as the store is made); values
 * shorter than 6 characters are not, see {@linkcode rememberSecret}.
 *
 * @example
 * ```ts
 * const secrets = createSecretStore({ dir: layout.secrets, env: environment.secrets });
 * const token = secrets.read("ci_token");
 * ```
 */
export function createSecretStore(options: SecretStoreOptions): SecretStore {
  const env = options.env ?? {};
  for (const [variable, value] of Object.entries(env)) {
    if (variable.startsWith("AIEMP_SECRET_") && value) rememberSecret(value);
  }
  return {
    read(name) {
      checkName(name);
      const file = join(options.dir, name);
      const fromFile = readSecretFile(options.dir, file);
      const variable = secretVariableOf(name);
      const value = fromFile ?? env[variable];
      if (value === undefined || value === "") {
        throw new SecretError(
          `Cannot find the secret '${name}': there is no file ${file} and no environment variable ${variable}; put the secret in that file (chmod 600) or set the variable`,
          { missing: true },
        );
      }
      rememberSecret(value);
      return value;
    },
  };
}

/** Throws {@linkcode SecretError} unless `name` is a plain file name in the secrets folder. */
export function checkName(name: string): void {
  if (!SECRET_NAME.test(name)) {
    throw new SecretError(
      `Cannot use '${name}' as a secret name: it must be a plain file name in .aiemp/secrets/ (letters, digits, '.', '_' and '-', not starting with '.', no '/' or '..')`,
    );
  }
}

/** The secret in `file`, undefined when there is no such file; throws when it is unsafe to use. */
function readSecretFile(dir: string, file: string): string | undefined {
  const fileInfo = lstatOrUndefined(file);
  if (!fileInfo) return undefined;
  const dirInfo = lstatOrUndefined(dir);
  if (!dirInfo?.isDirectory) {
    throw new SecretError(
      `Cannot read the secret ${file}: ${dir} is not a folder (a symbolic link is not accepted); make it a real folder: mkdir -m 700 ${
        quote(dir)
      }`,
    );
  }
  if (fileInfo.isSymlink) {
    throw new SecretError(
      `Cannot read the secret ${file}: it is a symbolic link, which aiemp does not follow for secrets; replace it with a regular file that holds the secret, then: chmod 600 ${
        quote(file)
      }`,
    );
  }
  if (!fileInfo.isFile) {
    throw new SecretError(
      `Cannot read the secret ${file}: it is not a regular file; put the secret in a plain file there, then: chmod 600 ${
        quote(file)
      }`,
    );
  }
  checkOwner(dir, dirInfo, file);
  checkOwner(file, fileInfo, file);
  if (tooOpen(dirInfo) || tooOpen(fileInfo)) {
    const modes = [dirInfo, fileInfo].map((info) =>
      `0${((info.mode ?? 0) & 0o777).toString(8).padStart(3, "0")}`
    );
    throw new SecretError(
      `Cannot read the secret ${file}: the folder is mode ${modes[0]} and the file ${
        modes[1]
      }, so other users may read it; secrets must be private (folder 700, file 600): chmod 700 ${
        quote(dir)
      } && chmod 600 ${quote(file)}`,
    );
  }
  if (fileInfo.size > MAX_SECRET_BYTES) {
    throw new SecretError(
      `Cannot read the secret ${file}: it is ${fileInfo.size} bytes, more than a secret needs (at most ${MAX_SECRET_BYTES}); check that the right file is there`,
    );
  }
  return readSameFile(file, fileInfo);
}

/** Reads `file`, making sure it is still the file that was checked (not swapped meanwhile). */
function readSameFile(file: string, checked: Deno.FileInfo): string {
  using handle = Deno.openSync(file, { read: true });
  const opened = handle.statSync();
  if (!opened.isFile || opened.ino !== checked.ino || opened.dev !== checked.dev) {
    throw new SecretError(
      `Cannot read the secret ${file}: it was replaced while it was being read; try again`,
    );
  }
  const bytes = new Uint8Array(Math.min(opened.size, MAX_SECRET_BYTES));
  let read = 0;
  while (read < bytes.length) {
    const n = handle.readSync(bytes.subarray(read));
    if (n === null) break;
    read += n;
  }
  return new TextDecoder().decode(bytes.subarray(0, read)).replace(/\r?\n$/, "");
}

function lstatOrUndefined(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new SecretError(
      `Cannot check the secret ${path}: ${
        error instanceof Error ? error.message : error
      }; check that aiemp may read it`,
    );
  }
}

/** True when group or others have any permission (no mode, as on Windows, passes). */
function tooOpen(info: Deno.FileInfo): boolean {
  return info.mode !== null && (info.mode & 0o077) !== 0;
}

function checkOwner(path: string, info: Deno.FileInfo, file: string): void {
  const me = Deno.uid();
  if (me === null || info.uid === null || info.uid === me) return;
  throw new SecretError(
    `Cannot read the secret ${file}: ${path} belongs to user ${info.uid}, not to the user aiemp runs as (${me}); give it to that user: chown ${me} ${
      quote(path)
    }`,
  );
}

/** `path` as a shell word: as it is when that is safe, else in single quotes. */
function quote(path: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`;
}
