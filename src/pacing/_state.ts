/**
 * The limiter's file: each platform's counted send times, and the note left when a corrupt file
 * was replaced.
 *
 * ```json
 * { "version": 1,
 *   "sent": { "linkedin": ["2025-03-01T09:12:00.000Z", "2025-03-01T09:40:00.000Z"] },
 *   "recovered": { "at": "2025-03-01T09:00:00.000Z", "reason": "…" } }
 * ```
 */
export interface PacingState {
  /** Each platform's send times (epoch ms), oldest first. */
  sent: Record<string, number[]>;
  /** When and why a corrupt file was replaced by "every platform full for one window". */
  recovered?: { at: number; reason: string };
}

const VERSION = 1;

/** An ISO time in the file as epoch ms, or undefined when it is not one. */
function timeOf(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The file's state, or what is wrong with it (for the warning). */
export function parseState(
  text: string,
): { ok: true; state: PacingState } | { ok: false; problem: string } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `not JSON: ${(error as Error).message}` };
  }
  if (!isObject(data)) return { ok: false, problem: "not a JSON object" };
  if (data.version !== VERSION) {
    return { ok: false, problem: `version ${JSON.stringify(data.version)}, expected ${VERSION}` };
  }
  if (!isObject(data.sent)) return { ok: false, problem: "'sent' is not an object" };
  const sent: Record<string, number[]> = {};
  for (const [platform, times] of Object.entries(data.sent)) {
    if (!Array.isArray(times)) return { ok: false, problem: `'sent.${platform}' is not a list` };
    const parsed = times.map(timeOf);
    const bad = parsed.indexOf(undefined);
    if (bad >= 0) {
      return { ok: false, problem: `'sent.${platform}[${bad}]' is not an ISO time` };
    }
    sent[platform] = (parsed as number[]).sort((a, b) => a - b);
  }
  const state: PacingState = { sent };
  if (data.recovered !== undefined) {
    const at = isObject(data.recovered) ? timeOf(data.recovered.at) : undefined;
    const reason = isObject(data.recovered) ? data.recovered.reason : undefined;
    if (at === undefined || typeof reason !== "string") {
      return { ok: false, problem: "'recovered' is not { at, reason }" };
    }
    state.recovered = { at, reason };
  }
  return { ok: true, state };
}

/** The file's text for `state`. */
export function renderState(state: PacingState): string {
  const sent = Object.fromEntries(
    Object.entries(state.sent)
      .filter(([, times]) => times.length > 0)
      .map(([platform, times]) => [platform, times.map((ms) => new Date(ms).toISOString())]),
  );
  const recovered = state.recovered && {
    at: new Date(state.recovered.at).toISOString(),
    reason: state.recovered.reason,
  };
  return `${JSON.stringify({ version: VERSION, sent, recovered }, null, 2)}\n`;
}
