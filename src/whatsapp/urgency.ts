import type { WhatsAppMessage } from "./types.ts";

/** The words that make a message urgent when the settings name none. */
export const DEFAULT_URGENT_KEYWORDS: readonly string[] = Object.freeze([
  "urgent",
  "asap",
  "invoice",
  "payment",
  "help",
]);

/** What makes a message urgent. */
export interface UrgencyRules {
  /** Words or phrases, matched whole and in any case. @default DEFAULT_URGENT_KEYWORDS */
  keywords?: readonly string[];
  /**
   * Contacts whose every message is urgent: a name as WhatsApp shows it (any case) or a phone
   * number (compared by its digits). A group's name makes every message in it urgent. @default []
   */
  vipContacts?: readonly string[];
}

/** Whether a message is urgent, and why. */
export interface Urgency {
  /** True when at least one rule matched. */
  urgent: boolean;
  /** One short line per rule that matched: "keyword 'invoice'", "VIP contact 'Ana Lima'". */
  reasons: string[];
}

/**
 * Whether `message` is urgent: its text holds one of the `keywords` as a whole word or phrase
 * ("help" matches "Help!" but not "helpful"), or its sender or chat is one of the `vipContacts`.
 * Every rule that matched is named in `reasons`.
 *
 * @example
 * ```ts
 * isUrgent({ chat: "Ana Lima", sender: "Ana Lima", text: "Where is the invoice?" }, {
 *   vipContacts: ["ana lima"],
 * });
 * // { urgent: true, reasons: ["keyword 'invoice'", "VIP contact 'Ana Lima'"] }
 * ```
 */
export function isUrgent(
  message: Pick<WhatsAppMessage, "chat" | "sender" | "text">,
  rules: UrgencyRules = {},
): Urgency {
  const reasons: string[] = [];
  for (const keyword of rules.keywords ?? DEFAULT_URGENT_KEYWORDS) {
    const word = keyword.trim();
    if (word !== "" && containsWord(message.text, word)) reasons.push(`keyword '${word}'`);
  }
  const vips = rules.vipContacts ?? [];
  if (vips.some((vip) => sameContact(vip, message.sender))) {
    reasons.push(`VIP contact '${message.sender}'`);
  } else if (
    message.chat !== message.sender && vips.some((vip) => sameContact(vip, message.chat))
  ) {
    reasons.push(`VIP chat '${message.chat}'`);
  }
  return { urgent: reasons.length > 0, reasons };
}

/** True when `text` holds `word` whole: not inside a longer word; a phrase's spaces may vary. */
function containsWord(text: string, word: string): boolean {
  const pattern = word.normalize("NFC").split(/\s+/).map(escapeRegExp).join("\\s+");
  return new RegExp(`(?<![\\p{L}\\p{N}_])${pattern}(?![\\p{L}\\p{N}_])`, "iu")
    .test(text.normalize("NFC"));
}

/** A VIP entry against a name or number as WhatsApp shows it. */
function sameContact(entry: string, shown: string): boolean {
  const number = phoneDigits(entry);
  if (number !== undefined) return number === phoneDigits(shown);
  const name = comparable(entry);
  return name !== "" && name === comparable(shown);
}

/** The digits of a phone number (`+1 (555) 010-0100` → `15550100100`); undefined for a name. */
function phoneDigits(text: string): string | undefined {
  if (!/^\+?[\d\s().-]+$/.test(text.trim())) return undefined;
  const digits = text.replace(/\D/g, "");
  return digits.length >= 6 ? digits : undefined;
}

function comparable(name: string): string {
  return name.normalize("NFC").replace(/\s+/g, " ").trim().toLowerCase();
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
