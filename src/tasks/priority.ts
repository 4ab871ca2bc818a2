import type { Config } from "../config/mod.ts";

/** The settings the priority score reads. */
export type PrioritySettings = Pick<
  Config["tasks"],
  "priority_weights" | "urgent_keywords" | "vip_senders" | "known_contacts"
>;

/** An item's priority: the weighted score, its three parts and why each part has its value. */
export interface PriorityScore {
  /** urgency·w_u + deadline·w_d + sender·w_s, rounded to 3 decimals. */
  score: number;
  /** Each part in [0, 1], rounded to 3 decimals. */
  parts: { urgency: number; deadline: number; sender: number };
  /** Short sentences, one per part that has something to say, e.g. "sender 1: VIP ana@x.com". */
  reasons: string[];
}

const HOUR_MS = 3_600_000;
const WEEK_HOURS = 7 * 24;

/**
 * Scores a task note for the queue: how urgent it is (its `priority`, else an urgent keyword in its
 * subject or body), how close its `due` is, and who sent it (`from` against the VIPs and the known
 * contacts). A `due` without a time zone is read as UTC; a date alone means the end of that day.
 *
 * @example
 * ```ts
 * scoreItem(
 *   { priority: "urgent", from: "Ana Lima <ana@x.com>" },
 *   "Call me",
 *   { ...settings, vip_senders: ["ana@x.com"] },
 *   new Date("2026-11-21T09:00:00Z"),
 * );
 * // { score: 0.7, parts: { urgency: 1, deadline: 0, sender: 1 },
 * //   reasons: ["urgency 1: marked urgent", "sender 1: VIP ana@x.com"] }  (weights 0.4/0.3/0.3)
 * ```
 */
export function scoreItem(
  frontMatter: Record<string, unknown>,
  body: string,
  settings: PrioritySettings,
  now: Date,
): PriorityScore {
  const reasons: string[] = [];
  const say = (reason: string | undefined) => {
    if (reason !== undefined) reasons.push(reason);
  };
  const urgency = urgencyOf(frontMatter, body, settings.urgent_keywords);
  say(urgency.reason);
  const deadline = deadlineOf(frontMatter.due, now);
  say(deadline.reason);
  const sender = senderOf(frontMatter.from, settings);
  say(sender.reason);
  const weights = settings.priority_weights;
  const score = round3(
    urgency.value * weights.urgency + deadline.value * weights.deadline +
      sender.value * weights.sender,
  );
  return {
    score,
    parts: { urgency: urgency.value, deadline: deadline.value, sender: sender.value },
    reasons,
  };
}

/** One item in the queue, as {@linkcode orderByPriority} sorts it. */
export interface RankedItem {
  /** The item's id, the last tie-breaker. */
  id: string;
  /** Its priority score, highest first. */
  score: number;
  /** When the item arrived: an ISO date-time or a Date. */
  received: string | Date;
}

/**
 * The items in the order the loop takes them: highest score first; on a tie the oldest `received`
 * first (an unreadable one counts as newest), then by id. Returns a new array.
 *
 * @example
 * ```ts
 * orderByPriority([
 *   { id: "b", score: 0.5, received: "2026-11-21T10:00:00Z" },
 *   { id: "a", score: 0.5, received: "2026-11-20T10:00:00Z" },
 *   { id: "c", score: 0.9, received: "2026-11-21T12:00:00Z" },
 * ]).map((item) => item.id); // ["c", "a", "b"]
 * ```
 */
export function orderByPriority<T extends RankedItem>(items: readonly T[]): T[] {
  const keyed = items.map((item) => ({ item, received: timeOf(item.received) }));
  keyed.sort((a, b) =>
    b.item.score - a.item.score ||
    a.received - b.received ||
    (a.item.id < b.item.id ? -1 : a.item.id > b.item.id ? 1 : 0)
  );
  return keyed.map(({ item }) => item);
}

interface Part {
  value: number;
  reason?: string;
}

const MARKED: Record<string, number> = { urgent: 1, high: 0.75, low: 0 };

function urgencyOf(
  frontMatter: Record<string, unknown>,
  body: string,
  keywords: readonly string[],
): Part {
  const marked = typeof frontMatter.priority === "string"
    ? frontMatter.priority.trim().toLowerCase()
    : "";
  const value = MARKED[marked];
  if (value !== undefined) return { value, reason: `urgency ${value}: marked ${marked}` };
  const subject = typeof frontMatter.subject === "string" ? frontMatter.subject : "";
  const keyword = firstWholeWord(`${subject}\n${body}`, keywords);
  if (keyword !== undefined) return { value: 1, reason: `urgency 1: keyword '${keyword}'` };
  return { value: 0.25, reason: "urgency 0.25: normal" };
}

function deadlineOf(due: unknown, now: Date): Part {
  if (due === undefined || due === null || due === "") return { value: 0 };
  const at = dueTime(due);
  if (at === undefined) return { value: 0, reason: `deadline 0: unreadable due '${String(due)}'` };
  const hoursLeft = (at - now.getTime()) / HOUR_MS;
  const when = isoSeconds(at);
  if (hoursLeft <= 0) return { value: 1, reason: `deadline 1: overdue since ${when}` };
  const value = round3(Math.min(1, Math.max(0.05, 1 - hoursLeft / WEEK_HOURS)));
  const left = hoursLeft < 48
    ? `${Math.round(hoursLeft)} hours`
    : `${Math.round(hoursLeft / 24)} days`;
  return { value, reason: `deadline ${value}: due in ${left} (${when})` };
}

/** The time of a `due` value in milliseconds; undefined when it is not a date or date-time. */
function dueTime(due: unknown): number | undefined {
  if (due instanceof Date) return Number.isNaN(due.getTime()) ? undefined : due.getTime();
  if (typeof due !== "string") return undefined;
  const text = due.trim();
  const dateOnly = /^(\d{4}-\d{2}-\d{2})$/.exec(text);
  if (dateOnly) {
    const start = Date.parse(`${dateOnly[1]}T00:00:00Z`);
    return Number.isNaN(start) ? undefined : start + 24 * HOUR_MS;
  }
  const dateTime =
    /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?$/i
      .exec(text);
  if (!dateTime) return undefined;
  const zone = dateTime[3] ?? "Z";
  const at = Date.parse(`${dateTime[1]}T${dateTime[2]}${zone.toUpperCase()}`);
  return Number.isNaN(at) ? undefined : at;
}

function senderOf(from: unknown, settings: PrioritySettings): Part {
  if (typeof from !== "string" || from.trim() === "") return { value: 0 };
  const sender = parseSender(from);
  const shown = sender.address ?? from.trim();
  if (settings.vip_senders.some((entry) => sameSender(parseSender(entry), sender))) {
    return { value: 1, reason: `sender 1: VIP ${shown}` };
  }
  if (settings.known_contacts.some((entry) => sameSender(parseSender(entry), sender))) {
    return { value: 0.5, reason: `sender 0.5: known contact ${shown}` };
  }
  return { value: 0 };
}

interface Sender {
  /** The address, lower case. */
  address?: string;
  /** The display name, lower case, spaces collapsed, quotes removed. */
  name?: string;
}

/** Reads `Ana Lima <ana@x.com>`, `"Lima, Ana" <ana@x.com>`, `ana@x.com` or `Ana Lima`. */
function parseSender(text: string): Sender {
  const trimmed = text.trim();
  const angled = /^(.*?)<([^<>]+)>\s*$/.exec(trimmed);
  if (angled) {
    const name = normalName(angled[1]);
    return { address: angled[2].trim().toLowerCase(), name: name === "" ? undefined : name };
  }
  if (/^[^\s@]+@[^\s@]+$/.test(trimmed)) return { address: trimmed.toLowerCase() };
  const name = normalName(trimmed);
  return name === "" ? {} : { name };
}

function normalName(text: string): string {
  return text.trim().replace(/^"(.*)"$/, "$1").trim().replace(/\s+/g, " ").toLowerCase();
}

function sameSender(entry: Sender, sender: Sender): boolean {
  if (entry.address !== undefined && entry.address === sender.address) return true;
  return entry.name !== undefined && entry.name === sender.name;
}

/**
 * The first of `words` that `text` contains as a whole word (or phrase), any case; a word is
 * bounded by anything but a letter, digit or underscore. Private to this module; if another part
 * of src/tasks needs it, move it to `_words.ts`.
 */
function firstWholeWord(text: string, words: readonly string[]): string | undefined {
  for (const word of words) {
    const trimmed = word.trim();
    if (trimmed === "") continue;
    const pattern = trimmed.split(/\s+/).map(escapeRegExp).join("\\s+");
    const regex = new RegExp(`(?<![\\p{L}\\p{N}_])${pattern}(?![\\p{L}\\p{N}_])`, "iu");
    if (regex.test(text)) return trimmed;
  }
  return undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function timeOf(value: string | Date): number {
  const at = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(at) ? Number.POSITIVE_INFINITY : at;
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, "Z");
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
