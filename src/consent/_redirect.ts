/**
 * Reading the address the owner's browser comes back to after a consent page: the `state` first,
 * then the provider's `error`, then the code.
 * @module
 */

/** Why an answer gave no code, as far as the consent itself can tell. */
export type RedirectProblem = "state_mismatch" | "no_code" | "timeout";

/**
 * What came back to the redirect address. `P` adds the problems the caller words from the
 * provider's `error` (see {@linkcode RedirectCheck.refused}).
 */
export type ConsentAnswer<P extends string = never> =
  /** The authorization code, with the whole query (a library may check it again). */
  | { kind: "code"; code: string; query: URLSearchParams }
  /** An answer not to use, with one line saying what happened and what to do. */
  | { kind: "failed"; problem: RedirectProblem | P; message: string }
  /** Not the redirect (the browser asking for `/favicon.ico`, say): answer 404 and keep waiting. */
  | { kind: "not_redirect" };

/** How {@linkcode checkRedirect} reads an address. */
export interface RedirectCheck<P extends string = never> {
  /** The `state` the consent address carried; the redirect must bring it back unchanged. */
  state: string;
  /** The redirect's path: `/`, or `/callback` where the app registered it so. */
  path: string;
  /** Whether an address at another path counts too (one the owner pasted). @default false */
  anyPath?: boolean;
  /** What to do next, ending each message: "run 'aiemp auth x' again and open the address…". */
  again: string;
  /**
   * Words the provider's `error`: `said` is the error and its description, at most 200
   * characters.
   */
  refused(error: string, said: string): { problem: P; message: string };
}

/**
 * Reads a request to the redirect address. The `state` is checked first, so that an answer that
 * does not belong to this run is never acted on, not even an error; then the provider's `error`
 * (worded by `check.refused`), then the `code`.
 *
 * @example
 * ```ts
 * const answer = checkRedirect(new URL("http://127.0.0.1:8080/callback?state=s1&code=c"), {
 *   state: "s1",
 *   path: "/callback",
 *   again: "run 'aiemp auth x' again",
 *   refused: (error, said) => ({ problem: "refused", message: `Refused (${said})` }),
 * });
 * // answer.kind === "code"
 * ```
 */
export function checkRedirect<P extends string = never>(
  url: URL,
  check: RedirectCheck<P>,
): ConsentAnswer<P> {
  const query = url.searchParams;
  if (!check.anyPath && url.pathname !== check.path) return { kind: "not_redirect" };
  if (!query.has("state") && !query.has("code") && !query.has("error")) {
    return { kind: "not_redirect" };
  }
  if (query.get("state") !== check.state) {
    return {
      kind: "failed",
      problem: "state_mismatch",
      message:
        `The answer to the sign-in does not belong to this run (its state does not match), so it was not used; ${check.again}`,
    };
  }
  const error = query.get("error");
  if (error) {
    const said = [error, query.get("error_description")].filter(Boolean).join(": ").slice(0, 200);
    return { kind: "failed", ...check.refused(error, said) };
  }
  const code = query.get("code");
  if (!code) {
    return {
      kind: "failed",
      problem: "no_code",
      message: `The answer to the sign-in carries no authorization code; ${check.again}`,
    };
  }
  return { kind: "code", code, query: new URLSearchParams(query) };
}
