import type { Page } from "playwright-core";
import { join } from "node:path";
import { onAbort } from "../abort/mod.ts";

/** One step of a browser flow: what it is called, for which item, how long it may take. */
export interface StepOptions {
  /** The step's name, e.g. `open_chat`; it names the evidence files and the error. */
  name: string;
  /** How long the step may take in all. */
  timeoutMs: number;
  /** Where the evidence of a failure goes: the vault's `Logs/browser/`. Created when missing. */
  evidenceDir: string;
  /** The item the step works for (an approval's id, or the channel's name for a watch pass). */
  itemId: string;
  /** A stop from outside: the step ends with the signal's reason, and no evidence is taken. */
  signal?: AbortSignal;
  /** The clock that stamps the evidence files. @default () => new Date() */
  now?: () => Date;
  /** How long taking the screenshot and the HTML may take, each. @default 5000 */
  evidenceTimeoutMs?: number;
}

/** The files a failed step left, and why any is missing. */
export interface StepEvidence {
  /** The page as it looked: `<evidenceDir>/<itemId>-<step>-<time>.png`. */
  screenshot?: string;
  /** The page's HTML at the time: `<evidenceDir>/<itemId>-<step>-<time>.html`. */
  html?: string;
  /** Why a file could not be taken (a closed page, a full disk). */
  problems: string[];
}

/**
 * A browser step failed or ran out of time. The message names the step, the item and the
 * evidence files; the original error is the `cause`.
 */
export class BrowserStepError extends Error {
  /** Always `"BrowserStepError"`, for logs and stack traces. */
  override readonly name = "BrowserStepError";
  /** The step that failed. */
  readonly step: string;
  /** The item it worked for. */
  readonly itemId: string;
  /** True when the step ran out of time, false when it failed by itself. */
  readonly timedOut: boolean;
  /** The screenshot and HTML saved for it. */
  readonly evidence: StepEvidence;

  /** A failure of step `details.step`; `options.cause` is the error it failed with. */
  constructor(
    details: { step: string; itemId: string; timedOut: boolean; evidence: StepEvidence },
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.step = details.step;
    this.itemId = details.itemId;
    this.timedOut = details.timedOut;
    this.evidence = details.evidence;
  }
}

/** The reason a step's signal carries when the step ran out of time. */
class StepTimeout extends Error {
  override readonly name = "StepTimeout";
}

/**
 * Runs `fn` as the step `options.name` of `options.itemId`, within `options.timeoutMs`. `fn` gets
 * a signal that aborts when time is up, for the waits it makes. When `fn` fails or time runs out,
 * a screenshot and the page's HTML are saved to `evidenceDir` and a {@linkcode BrowserStepError}
 * naming the step, the item and the two files is thrown. An error that is already a
 * `BrowserStepError` (a step inside a step) passes through unchanged.
 *
 * @example
 * ```ts
 * await runStep(page, { name: "open_chat", timeoutMs: 15_000, evidenceDir, itemId: id }, () =>
 *   page.getByTitle(chat).click());
 * ```
 */
export async function runStep<T>(
  page: Page,
  options: StepOptions,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const { name, itemId, timeoutMs } = options;
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const forget = options.signal
    ? onAbort(options.signal, () => controller.abort(options.signal!.reason))
    : () => {};
  const timeUp = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const reason = new StepTimeout(`timed out after ${timeoutMs} ms`);
      controller.abort(reason);
      reject(reason);
    }, timeoutMs);
  });
  const stopped = new Promise<never>((_, reject) => {
    controller.signal.addEventListener("abort", () => reject(controller.signal.reason), {
      once: true,
    });
  });
  stopped.catch(() => {});
  try {
    const work = Promise.resolve().then(() => fn(controller.signal));
    // The work may still fail after the step has given up on it; that is not news.
    work.catch(() => {});
    return await Promise.race([work, timeUp, stopped]);
  } catch (error) {
    if (error instanceof BrowserStepError) throw error;
    if (options.signal?.aborted && error === options.signal.reason) throw error;
    const timedOut = error instanceof StepTimeout;
    const evidence = await saveEvidence(page, options);
    const files = [evidence.screenshot, evidence.html].filter((file) => file !== undefined);
    const saved = files.length > 0 ? `evidence: ${files.join(", ")}` : "no evidence";
    const missing = evidence.problems.length > 0 ? ` (${evidence.problems.join("; ")})` : "";
    throw new BrowserStepError(
      { step: name, itemId, timedOut, evidence },
      `Browser step '${name}' for ${itemId} failed: ${firstLine(error)}; ${saved}${missing}`,
      { cause: error },
    );
  } finally {
    clearTimeout(timer);
    forget();
  }
}

/**
 * Saves what `page` shows now to `options.evidenceDir`: a screenshot (`.png`) and its HTML
 * (`.html`), named `<itemId>-<step>-<time>`. Never throws: what cannot be saved is in `problems`.
 */
export async function saveEvidence(
  page: Page,
  options: Pick<StepOptions, "name" | "itemId" | "evidenceDir" | "now" | "evidenceTimeoutMs">,
): Promise<StepEvidence> {
  const now = options.now ?? (() => new Date());
  const limit = options.evidenceTimeoutMs ?? 5000;
  const stamp = now().toISOString().replace(/[:.]/g, "-");
  const base = join(
    options.evidenceDir,
    `${fileSafe(options.itemId)}-${fileSafe(options.name)}-${stamp}`,
  );
  const evidence: StepEvidence = { problems: [] };
  try {
    await Deno.mkdir(options.evidenceDir, { recursive: true });
  } catch (error) {
    evidence.problems.push(`cannot create ${options.evidenceDir}: ${firstLine(error)}`);
    return evidence;
  }
  try {
    await page.screenshot({ path: `${base}.png`, timeout: limit });
    evidence.screenshot = `${base}.png`;
  } catch (error) {
    evidence.problems.push(`no screenshot: ${firstLine(error)}`);
  }
  try {
    const html = await withTimeout(page.content(), limit, "reading the page's HTML");
    await Deno.writeTextFile(`${base}.html`, html);
    evidence.html = `${base}.html`;
  } catch (error) {
    evidence.problems.push(`no HTML: ${firstLine(error)}`);
  }
  return evidence;
}

/** A name part safe in a file name on every system: letters, digits, `.`, `_`, `-`; 80 at most. */
function fileSafe(text: string): string {
  return (text.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[.]+/, "_") || "_").slice(0, 80);
}

/** The first line of an error's message (Playwright's go on with a call log). */
function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0].trim();
}

/** `promise`, or a rejection naming `what` after `ms`. */
async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  promise.catch(() => {});
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
