/**
 * Waiting for the owner's consent: the loopback listener for the redirect, addresses pasted from
 * a browser that could not reach it, and the timeout — whichever answers first.
 * @module
 */
import { delay } from "../abort/mod.ts";
import { closingPage, type RedirectHandler, type RedirectListener } from "./_loopback.ts";
import { checkRedirect, type ConsentAnswer, type RedirectCheck } from "./_redirect.ts";

/** Options of {@linkcode waitForConsent}. */
export interface ConsentWaitOptions<P extends string = never> {
  /** How the redirect is read (its `anyPath` is set here: false for the listener, true pasted). */
  check: Omit<RedirectCheck<P>, "anyPath">;
  /** Starts listening for the redirect with the handler given (e.g. with `listenOnLoopback`). */
  listen(handler: RedirectHandler): RedirectListener;
  /** Called once listening, with the redirect address (to show the consent address). */
  show(redirectUri: string): void;
  /**
   * Addresses the owner pastes (from a browser on another machine that could not reach the
   * loopback address); each line is read like the redirect, at any path. @default none
   */
  pasted?: AsyncIterable<string>;
  /** How long to wait for the redirect. */
  timeoutMs: number;
  /** The clock's wait, cancelled by the signal once an answer came. @default `delay` */
  sleep?: (ms: number, signal: AbortSignal) => Promise<unknown>;
}

/** How the wait ended: the answer and the redirect address, or `listen` threw. */
export type ConsentWait<P extends string = never> =
  | {
    ok: true;
    /** The first answer: the code, or why there is none (`timeout` when none came in time). */
    answer: Exclude<ConsentAnswer<P>, { kind: "not_redirect" }>;
    /** The redirect address the listener had, as the consent address must carry it. */
    redirectUri: string;
  }
  | { ok: false; listenError: unknown };

/**
 * Listens for the redirect, calls `show`, and waits (at most `timeoutMs`) for the first answer:
 * the owner's browser coming back, or an address pasted. The browser is answered with a page
 * saying the tab can be closed; requests that are not the redirect get 404 and the wait goes on.
 * The listener is closed before this returns.
 *
 * @example
 * ```ts
 * const waited = await waitForConsent({
 *   check: { state, path: "/callback", again, refused },
 *   listen: (handler) => listenOnLoopback(handler, { path: "/callback" }),
 *   show: (redirectUri) => console.log(consentAddressFor(redirectUri)),
 *   timeoutMs: 5 * 60_000,
 * });
 * ```
 */
export async function waitForConsent<P extends string = never>(
  options: ConsentWaitOptions<P>,
): Promise<ConsentWait<P>> {
  type Answer = Exclude<ConsentAnswer<P>, { kind: "not_redirect" }>;
  let settle!: (answer: Answer) => void;
  const answered = new Promise<Answer>((resolve) => settle = resolve);
  let settled = false;
  const take = (url: URL, anyPath: boolean): ConsentAnswer<P> => {
    if (settled) return { kind: "not_redirect" };
    const answer = checkRedirect(url, { ...options.check, anyPath });
    if (answer.kind !== "not_redirect") {
      settled = true;
      settle(answer);
    }
    return answer;
  };
  let listener: RedirectListener;
  try {
    listener = options.listen((url) => closingPage(take(url, false).kind));
  } catch (listenError) {
    return { ok: false, listenError };
  }
  const stop = new AbortController();
  let answer: Answer;
  try {
    options.show(listener.redirectUri);
    if (options.pasted) readPasted(options.pasted, (url) => take(url, true), stop.signal);
    const { timeoutMs } = options;
    const sleep = options.sleep ?? delay;
    const timedOut = sleep(timeoutMs, stop.signal).then((): Answer => ({
      kind: "failed",
      problem: "timeout",
      message: `No answer from the browser within ${
        Math.round(timeoutMs / 60_000)
      } minutes; ${options.check.again}, and approve within that time`,
    }));
    answer = await Promise.race([answered, timedOut]);
    settled = true;
  } finally {
    stop.abort();
    await listener.close();
  }
  return { ok: true, answer, redirectUri: listener.redirectUri };
}

/** Feeds each pasted line that is a URL to `take` until one is the answer or the signal stops. */
async function readPasted(
  lines: AsyncIterable<string>,
  take: (url: URL) => { kind: string },
  signal: AbortSignal,
): Promise<void> {
  try {
    for await (const line of lines) {
      if (signal.aborted) return;
      if (!URL.canParse(line.trim())) continue;
      if (take(new URL(line.trim())).kind !== "not_redirect") return;
    }
  } catch { /* the input closed: the loopback redirect can still come */ }
}
