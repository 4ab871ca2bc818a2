import type { Locator } from "playwright-core";
import { delay } from "../abort/mod.ts";

/** A range of human delays in milliseconds; each delay is drawn uniformly within it. */
export interface HumanPace {
  /** The shortest delay. */
  minMs: number;
  /** The longest delay; at least `minMs`. */
  maxMs: number;
}

/** Between two keystrokes, by default. */
export const DEFAULT_KEYSTROKE_PACE: HumanPace = Object.freeze({ minMs: 40, maxMs: 160 });

/** Between two actions (open a chat, click, send), by default. */
export const DEFAULT_ACTION_PACE: HumanPace = Object.freeze({ minMs: 600, maxMs: 2000 });

/** A source of numbers in [0, 1), like `Math.random`. */
export type RandomSource = () => number;

/** Waits `ms`; resolves true when `signal` cut the wait short (as `delay` of src/abort). */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<boolean>;

/** What the pacing helpers draw from and how they wait. */
export interface PacingDeps {
  /** Where delays are drawn from. @default Math.random */
  random?: RandomSource;
  /** How a delay is waited. @default `delay` of src/abort */
  sleep?: Sleep;
  /** A stop from outside: the wait ends by throwing the signal's reason. */
  signal?: AbortSignal;
}

/**
 * A repeatable {@linkcode RandomSource} (mulberry32): the same seed gives the same delays, for
 * tests and for reproducing a run.
 *
 * @example
 * ```ts
 * const random = seededRandom(42);
 * humanDelay({ minMs: 50, maxMs: 150 }, random); // the same number on every run
 * ```
 */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One delay within `pace`, drawn from `random`: a whole number of milliseconds from `minMs` to
 * `maxMs`. Throws a RangeError for a range that is not one (negative, reversed, not finite).
 */
export function humanDelay(pace: HumanPace, random: RandomSource = Math.random): number {
  const { minMs, maxMs } = pace;
  if (!Number.isFinite(minMs) || !Number.isFinite(maxMs) || minMs < 0 || maxMs < minMs) {
    throw new RangeError(
      `Cannot pace with min ${minMs} ms and max ${maxMs} ms; use 0 ≤ min ≤ max (milliseconds)`,
    );
  }
  const drawn = Math.min(Math.max(random(), 0), 1);
  return Math.min(maxMs, Math.round(minMs + drawn * (maxMs - minMs)));
}

/**
 * What a person types, key by key: the text's user-perceived characters (grapheme clusters), so
 * an emoji or a letter with an accent is one keystroke and is never split.
 */
export function keystrokes(text: string): string[] {
  const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });
  return Array.from(segmenter.segment(text), (part) => part.segment);
}

/** How {@linkcode typeHumanly} types. */
export interface TypeHumanlyOptions extends HumanPace, PacingDeps {
  /**
   * The key a line break is typed with: `Enter`, or `Shift+Enter` where Enter would send (a chat
   * composer). @default "Enter"
   */
  newline?: "Enter" | "Shift+Enter";
}

/**
 * Types `text` into `target` as a person would: focuses it, then one character at a time with a
 * delay within `minMs`–`maxMs` between keystrokes. The text arrives exactly, accents, scripts
 * and emoji included (characters a keyboard has no key for are inserted as text).
 *
 * @example
 * ```ts
 * await typeHumanly(composer, approved.body, { ...DEFAULT_KEYSTROKE_PACE, newline: "Shift+Enter" });
 * ```
 */
export async function typeHumanly(
  target: Locator,
  text: string,
  options: TypeHumanlyOptions,
): Promise<void> {
  const { random = Math.random, sleep = delay, signal, newline = "Enter" } = options;
  humanDelay(options, random); // checks the range before anything is typed
  const keyboard = target.page().keyboard;
  await target.focus();
  let first = true;
  for (const key of keystrokes(text)) {
    if (!first && await sleep(humanDelay(options, random), signal)) throw signal!.reason;
    first = false;
    if (signal?.aborted) throw signal.reason;
    if (key === "\n" || key === "\r\n") await keyboard.press(newline);
    else await keyboard.type(key);
  }
}

/**
 * Waits a human pause between two actions, drawn within `pace`. Throws the signal's reason when
 * `signal` stops it.
 */
export async function pauseHumanly(
  pace: HumanPace,
  { random = Math.random, sleep = delay, signal }: PacingDeps = {},
): Promise<void> {
  if (await sleep(humanDelay(pace, random), signal)) throw signal!.reason;
}
