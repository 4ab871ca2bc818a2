/**
 * The state of a browser channel's session: `logged_in` works; `logged_out` needs the owner to
 * run `aiemp login <platform>` (the channel pauses, it does not restart); `broken` means the page
 * is not what the channel expects (a changed page, a crash), see the evidence in `Logs/browser/`.
 */
export type SessionState = "logged_in" | "logged_out" | "broken";

/** What a browser channel reports about its session, for the Dashboard and `aiemp status`. */
export interface SessionHealth {
  /** The platform, as in `aiemp login <platform>`: `whatsapp`, `linkedin`… */
  readonly platform: string;
  /** The session's state. */
  readonly state: SessionState;
  /** When the state was seen (ISO 8601). */
  readonly checkedAt: string;
  /** Why, in a few words, when not logged in: "the QR code is shown", "no chat list". */
  readonly detail?: string;
  /** What the owner does about it; set for `logged_out`. */
  readonly fix?: string;
}

/**
 * A {@linkcode SessionHealth} seen at `at`; a logged-out one carries its fix
 * (`run aiemp login <platform>`).
 *
 * @example
 * ```ts
 * sessionHealth("whatsapp", "logged_out", new Date(), "the QR code is shown");
 * // { platform: "whatsapp", state: "logged_out", …, fix: "run aiemp login whatsapp" }
 * ```
 */
export function sessionHealth(
  platform: string,
  state: SessionState,
  at: Date,
  detail?: string,
): SessionHealth {
  return Object.freeze({
    platform,
    state,
    checkedAt: at.toISOString(),
    ...(detail ? { detail } : {}),
    ...(state === "logged_out" ? { fix: `run aiemp login ${platform}` } : {}),
  });
}

/** One line for the Dashboard and `aiemp status`: "whatsapp: logged out (…); run aiemp login whatsapp". */
export function describeSession(health: SessionHealth): string {
  const state = health.state.replace("_", " ");
  const detail = health.detail ? ` (${health.detail})` : "";
  const fix = health.fix ? `; ${health.fix}` : "";
  return `${health.platform}: ${state}${detail}${fix}`;
}
