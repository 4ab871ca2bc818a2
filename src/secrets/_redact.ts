/**
 * Values shorter than this are not remembered: masking every "admin" or "12345" in a log would
 * hide ordinary words without protecting anything worth the name of a secret.
 */
export const MIN_SECRET_LENGTH = 6;

const MASK = "[redacted]";

/**
 * The secret values this process has read, longest first (so a secret that contains another is
 * masked whole).
 *
 * Module state, on purpose and kept to this one list: redaction must work in every log sink, and
 * the sinks are configured once at start while secrets are read later, item by item, so the
 * values cannot be handed to them as a parameter. It only ever grows, and holds nothing but
 * strings to hide. Each Worker has its own (empty) copy: only the main thread reads secrets, and
 * Workers log through it.
 */
const known: string[] = [];

/** A key that names a credential: `token`, `access_token`, `password`, `client_secret`, `api_key`… */
const CREDENTIAL_KEY = "[A-Za-z0-9_-]*(?:token|password|passwd|secret|api[_-]?key|apikey)";

/**
 * Token shapes masked wherever they appear, known or not. Each replacement keeps what names the
 * thing (the scheme, the key, the host) and drops the value.
 */
const TOKEN_SHAPES: [RegExp, string][] = [
  // Authorization header values. "Basic" is also an ordinary word: what follows it is masked only
  // when it looks like base64 (a digit, `+`, `/`, `=` or an inner capital letter).
  [/\b([Bb]earer)\s+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${MASK}`],
  [
    /\bBasic\s+(?=[A-Za-z0-9+/]*(?:[0-9+/=]|[A-Za-z0-9+/][A-Z]))[A-Za-z0-9+/]{8,}={0,2}/g,
    `Basic ${MASK}`,
  ],
  // Credentials in a URL: scheme://user:password@host.
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s:@"']+:[^/\s@"']+@/gi, `$1${MASK}@`],
  // Incoming-webhook URLs, whose path is the credential.
  [/\b(hooks\.slack\.com\/)[A-Za-z0-9/_-]+/g, `$1${MASK}`],
  [/\b((?:discord|discordapp)\.com\/api\/webhooks\/)[^\s"'<>]+/g, `$1${MASK}`],
  // The usual names of credentials as "key": "value" (quoted, as in JSON), and as key=value or
  // key: value (not after a quoted name, which would be prose like "the secret 'x': …").
  [
    new RegExp(`\\b(${CREDENTIAL_KEY})(["']\\s*[:=]\\s*["'])[^"'\\n]+`, "gi"),
    `$1$2${MASK}`,
  ],
  [
    new RegExp(`\\b(${CREDENTIAL_KEY})(\\s*[:=]\\s*["']?)[^\\s"'&,;}]+`, "gi"),
    `$1$2${MASK}`,
  ],
  // Google OAuth access and refresh tokens.
  [/\bya29\.[A-Za-z0-9._-]+/g, MASK],
  [/(?<![A-Za-z0-9])1\/\/[A-Za-z0-9_-]{20,}/g, MASK],
  // JSON Web Tokens: base64url header (always `{"…` → `eyJ`), payload, signature.
  [/\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, MASK],
  // GitHub personal, OAuth, user-to-server, server-to-server and refresh tokens.
  [/\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g, MASK],
  // API keys in the `sk-…` form (OpenAI, Anthropic and others).
  [/\bsk-[A-Za-z0-9_-]{16,}/g, MASK],
  // Slack bot, user, app-level and refresh tokens.
  [/\bxox[abpr]-[A-Za-z0-9-]{10,}/g, MASK],
  // AWS access key ids.
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, MASK],
];

/**
 * Remembers a secret value so that {@linkcode redactSecrets} masks it wherever it appears. Values
 * shorter than 6 characters are not remembered (they would mask ordinary words); neither are
 * values already known. A value that is an http(s) URL with a path is remembered with its path
 * and query too, since a remote may echo those alone. Its URL-encoded and JSON-escaped forms are
 * remembered as well.
 *
 * @returns whether the value is (now) known
 */
export function rememberSecret(value: string): boolean {
  if (value.length < MIN_SECRET_LENGTH) return false;
  for (const form of formsOf(value)) {
    if (form.length < MIN_SECRET_LENGTH || known.includes(form)) continue;
    known.push(form);
  }
  known.sort((a, b) => b.length - a.length);
  return true;
}

function formsOf(value: string): string[] {
  const forms = [value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)];
  if (/^https?:\/\//i.test(value)) {
    try {
      const url = new URL(value);
      const tail = url.pathname + url.search;
      if (tail !== "/") forms.push(tail);
    } catch { /* not a URL after all */ }
  }
  return forms;
}

/**
 * Masks in `text` every secret value this process has read (see {@linkcode rememberSecret}) and
 * every common token shape: Bearer/Basic credentials, `user:password@` in URLs, `key=value` for
 * tokens, passwords, API keys and client secrets, Slack and Discord webhook URLs, Google access
 * (`ya29.`) and refresh (`1//`) tokens, JWTs, GitHub tokens, `sk-` API keys, Slack `xox?-` tokens
 * and AWS access key ids.
 *
 * It cannot know a secret it was never told of that has no recognisable shape.
 *
 * @example
 * ```ts
 * redactSecrets("GET https://api.example.com/?access_token=abc123"); // "…?access_token=[redacted]"
 * ```
 */
export function redactSecrets(text: string): string {
  let out = text;
  for (const value of known) {
    if (out.includes(value)) out = out.split(value).join(MASK);
  }
  for (const [shape, replacement] of TOKEN_SHAPES) {
    out = out.replace(shape, replacement);
  }
  return out;
}

/**
 * Redacts every string inside a JSON-like value (plain objects and arrays, keys included) with
 * {@linkcode redactSecrets}, returning a copy; other values come back as they are. For what is
 * recorded outside the process: audit entries, results, outcomes.
 */
export function redactValue<T>(value: T): T {
  return redactAny(value) as T;
}

function redactAny(value: unknown): unknown {
  if (typeof value === "string") return redactSecrets(value);
  if (Array.isArray(value)) return value.map(redactAny);
  if (value !== null && typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [redactSecrets(key), redactAny(inner)]),
    );
  }
  return value;
}
