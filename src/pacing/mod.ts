/**
 * Pacing: per-platform rate limits for everything that sends on the owner's behalf (browser and
 * API drivers alike). The decision is a plain function of (history, limit, now); the limiter is
 * the thin shell that keeps the history in a file and serializes reservations.
 * @module
 */
export {
  DEFAULT_RATE_LIMITS,
  HOUR_MS,
  type RateLimit,
  RateLimitError,
  type RateLimitSettings,
  rateLimitsFrom,
} from "./limits.ts";
export { decide, type DecideOptions, type Decision, record, trim } from "./decide.ts";
export {
  createRateLimiter,
  type RateLimiter,
  type RateLimiterOptions,
  type Reservation,
} from "./limiter.ts";
