import fs from "node:fs";

/** The playwright-core module, loaded when a browser is first opened. */
export type Playwright = typeof import("playwright-core");

/** Marks the wrapped `existsSync`, so it is wrapped once per isolate. */
const WRAPPED = Symbol.for("aiemp.browser.existsSync");

/**
 * Loads playwright-core. It is loaded when used, not at import: it is heavy, and as it loads it
 * asks `fs.existsSync` about `/proc/sys/fs/binfmt_misc/WSLInterop` (its WSL check). Node's
 * `existsSync` never throws, but Deno's throws when the permissions refuse the path — and Deno
 * refuses that `/proc/sys` path to anything short of `--allow-all`. So `existsSync` is first made
 * to answer `false` on a refusal as well, as it does in Node for every other error; everything
 * else about it is unchanged.
 */
export async function loadPlaywright(): Promise<Playwright> {
  answerRefusalsWithFalse();
  return await import("playwright-core");
}

function answerRefusalsWithFalse(): void {
  const original = fs.existsSync as typeof fs.existsSync & { [WRAPPED]?: true };
  if (original[WRAPPED]) return;
  const wrapped = Object.assign((path: fs.PathLike) => {
    try {
      return original(path);
    } catch {
      return false;
    }
  }, { [WRAPPED]: true as const });
  (fs as { existsSync: typeof fs.existsSync }).existsSync = wrapped;
}
