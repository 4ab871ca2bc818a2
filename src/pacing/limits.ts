/** One hour in milliseconds: the window of every default limit and of `per_hour` settings. */
export const HOUR_MS = 3_600_000;

/**
 * A sliding-window limit: at most `count` sends in any `perMs` milliseconds. `label` and `noun`
 * only shape the words of a refusal ("LinkedIn allows 5 posts an hour").
 */
export interface RateLimit {
  /** The most sends the window holds; a whole number of 1 or more. */
  readonly count: number;
  /** The window's length in milliseconds. */
  readonly perMs: number;
  /** The platform's name for people. @default "This platform" */
  readonly label?: string;
  /** What one send is, singular ("post", "reply"). @default "send" */
  readonly noun?: string;
}

/**
 * The per-platform overrides aiemp.yaml may give, keyed by platform (`linkedin`, `x`, …), e.g.
 * under `pacing.rate_limits`:
 *
 * ```yaml
 * pacing:
 *   rate_limits:
 *     linkedin: { per_hour: 3 }
 *     whatsapp: { per_hour: 20 }
 * ```
 */
export type RateLimitSettings = Readonly<Record<string, { readonly per_hour: number }>>;

/**
 * The seeds' limits: LinkedIn 5 posts an hour, Facebook 5, Instagram 3, X 10, WhatsApp 30
 * replies. They apply to a platform's browser and API drivers alike.
 */
export const DEFAULT_RATE_LIMITS: Readonly<Record<string, RateLimit>> = Object.freeze({
  linkedin: Object.freeze({ count: 5, perMs: HOUR_MS, label: "LinkedIn", noun: "post" }),
  facebook: Object.freeze({ count: 5, perMs: HOUR_MS, label: "Facebook", noun: "post" }),
  instagram: Object.freeze({ count: 3, perMs: HOUR_MS, label: "Instagram", noun: "post" }),
  x: Object.freeze({ count: 10, perMs: HOUR_MS, label: "X", noun: "post" }),
  whatsapp: Object.freeze({ count: 30, perMs: HOUR_MS, label: "WhatsApp", noun: "reply" }),
});

/** A rate limit that cannot be used: a bad setting, or a platform nobody gave a limit. */
export class RateLimitError extends Error {
  /** Always `"RateLimitError"`, for logs and stack traces. */
  override readonly name = "RateLimitError";
}

/**
 * The limits to enforce: {@linkcode DEFAULT_RATE_LIMITS} with each platform named in `settings`
 * replaced by its `per_hour` (a platform the defaults lack is added, labelled by its key).
 * Throws {@linkcode RateLimitError} naming the setting when a `per_hour` is not a whole number of
 * 1 or more.
 *
 * @example
 * ```ts
 * const limits = rateLimitsFrom({ linkedin: { per_hour: 3 } });
 * limits.linkedin.count; // 3
 * limits.x.count; // 10 (the default)
 * ```
 */
export function rateLimitsFrom(
  settings: RateLimitSettings = {},
  base: Readonly<Record<string, RateLimit>> = DEFAULT_RATE_LIMITS,
): Readonly<Record<string, RateLimit>> {
  const limits: Record<string, RateLimit> = { ...base };
  for (const [platform, setting] of Object.entries(settings)) {
    const perHour = setting?.per_hour;
    if (typeof perHour !== "number" || !Number.isInteger(perHour) || perHour < 1) {
      throw new RateLimitError(
        `Cannot use rate_limits.${platform}.per_hour = ${
          JSON.stringify(perHour) ?? "nothing"
        }: it must be a whole number of 1 or more; give e.g. per_hour: 5`,
      );
    }
    const known = base[platform];
    limits[platform] = Object.freeze({
      count: perHour,
      perMs: HOUR_MS,
      label: known?.label ?? platform,
      noun: known?.noun ?? "post",
    });
  }
  return Object.freeze(limits);
}
