/**
 * The owner's consent in a browser, for the OAuth 2 sign-ins (`aiemp auth gmail|linkedin|x`): a
 * loopback listener for the redirect, the page shown after it, addresses pasted from a browser
 * that could not reach this machine, and the `state` check that keeps an answer that does not
 * belong to this run from being used. What the provider's consent address and token endpoint
 * want stays with each flow.
 *
 * @example
 * ```ts
 * import { listenOnLoopback, waitForConsent } from "./mod.ts";
 *
 * const again = "run 'aiemp auth x' again and open the address it prints then";
 * const waited = await waitForConsent({
 *   check: {
 *     state,
 *     path: "/callback",
 *     again,
 *     refused: (_error, said) => ({ problem: "refused", message: `Refused (${said}); ${again}` }),
 *   },
 *   listen: (handler) => listenOnLoopback(handler, { path: "/callback" }),
 *   show: (redirectUri) => console.log(consentAddress(redirectUri)),
 *   timeoutMs: 5 * 60_000,
 * });
 * if (waited.ok && waited.answer.kind === "code") exchange(waited.answer.code, waited.redirectUri);
 * ```
 * @module
 */
export {
  listenOnLoopback,
  type LoopbackOptions,
  type RedirectHandler,
  type RedirectListener,
} from "./_loopback.ts";
export {
  checkRedirect,
  type ConsentAnswer,
  type RedirectCheck,
  type RedirectProblem,
} from "./_redirect.ts";
export { type ConsentWait, type ConsentWaitOptions, waitForConsent } from "./_wait.ts";
