import { join } from "node:path";
import { checkName, SecretError } from "./_store.ts";

/**
 * Writes the secret `name` into the secrets folder `dir` atomically: a temporary file (mode 0600)
 * in the same folder, flushed to disk, then a rename over the old one, so a reader sees the old
 * value or the new, never half of one, even after a crash. Creates `dir` with mode 0700 when it is missing. Throws
 * {@linkcode SecretError} naming the file and the fix when the name is not a plain file name or
 * the write fails.
 *
 * @example
 * ```ts
 * await writeSecret(layout.secrets, "x_token", renderSocialToken(token));
 * ```
 */
export async function writeSecret(dir: string, name: string, value: string): Promise<void> {
  checkName(name);
  const posix = Deno.build.os !== "windows";
  const file = join(dir, name);
  const temp = join(dir, `.${name}.${crypto.randomUUID()}.tmp`);
  try {
    if (!(await exists(dir))) {
      await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
      if (posix) await Deno.chmod(dir, 0o700);
    }
    await Deno.writeTextFile(temp, value, { mode: 0o600, createNew: true });
    if (posix) await Deno.chmod(temp, 0o600);
    // On disk before it replaces the old value: a renewed token may be the only one that works.
    using written = await Deno.open(temp);
    await written.sync();
    await Deno.rename(temp, file);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw new SecretError(
      `Cannot write ${file}: ${
        error instanceof Error ? error.message : error
      }; check that aiemp may write to ${dir}`,
      { cause: error },
    );
  }
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}
