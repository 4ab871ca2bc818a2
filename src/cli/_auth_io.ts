/**
 * What the `aiemp auth` commands share: their expected error, reading the vault, its settings,
 * files and stdin, and showing the owner where to consent.
 * @module
 */
import { type Config, type Environment, loadConfig } from "../config/mod.ts";
import type { VaultLayout } from "../vault/mod.ts";

/** An expected failure of an auth command: its message is the whole story. */
export class AuthError extends Error {
  /** Always `"AuthError"`. */
  override name = "AuthError";
}

/** Throws {@linkcode AuthError} with the fix when the vault's folder is not there. */
export async function requireVault(layout: VaultLayout): Promise<void> {
  const info = await Deno.stat(layout.root).catch(() => undefined);
  if (!info?.isDirectory) {
    throw new AuthError(
      `Cannot find the vault ${layout.root}; create it with 'aiemp vault init' or give --vault DIR`,
    );
  }
}

/** The vault's settings (aiemp.yaml, defaults when it is missing). */
export async function readConfig(layout: VaultLayout, env: Environment): Promise<Config> {
  const text = await readText(layout.config);
  return loadConfig(text, env, {}, layout.config);
}

/** A file's text, or undefined when there is no such file. */
export async function readText(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new AuthError(`Cannot read ${path}: ${error instanceof Error ? error.message : error}`);
  }
}

/** Whether anything is at `path` (a broken link counts). */
export async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

/** The lines typed or pasted on stdin. */
export async function* stdinLines(): AsyncIterable<string> {
  let buffer = "";
  for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    for (let end = buffer.indexOf("\n"); end >= 0; end = buffer.indexOf("\n")) {
      yield buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
    }
  }
  if (buffer) yield buffer;
}

/** Everything on stdin, as text. */
export async function stdinText(): Promise<string> {
  return await new Response(Deno.stdin.readable).text();
}

/** How {@linkcode showConsentAddress} words one provider's consent. */
export interface ConsentWording {
  /** The provider, as the owner knows it: "Google", "LinkedIn". */
  provider: string;
  /** Whose account to sign in to: "the Google account aiemp should use". */
  account: string;
  /** How long aiemp waits for the consent, in milliseconds. */
  timeoutMs: number;
  /** Said after the address the browser comes back to, when it is there to receive it. */
  waiting?: string;
}

/**
 * Prints the consent address and what happens next: the browser comes back to `redirectUri`,
 * where aiemp waits, or (`pasting`, the browser on another machine) the owner pastes the address
 * it could not open.
 */
export function showConsentAddress(
  out: { out(line: string): void },
  wording: ConsentWording,
  where: { url: string; redirectUri: string; pasting: boolean },
): void {
  const { provider, account, timeoutMs } = wording;
  out.out(
    `Open this address in a browser, sign in to ${account} and approve (waiting ${
      timeoutMs / 60_000
    } minutes):`,
  );
  out.out("");
  out.out(where.url);
  out.out("");
  const back = where.redirectUri.endsWith("/") || new URL(where.redirectUri).pathname !== "/"
    ? where.redirectUri
    : `${where.redirectUri}/`;
  out.out(
    where.pasting
      ? `${provider} then sends your browser to ${back}?…, which it cannot open on another machine: copy that whole address from its address bar and paste it here.`
      : `${provider} then sends your browser back to ${where.redirectUri}, where aiemp is waiting${
        wording.waiting ?? ""
      }.`,
  );
}
