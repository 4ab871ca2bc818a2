/**
 * What the posting flow and the session check share about a site's page: finding its parts by
 * their selectors (noting when only a fallback matched), reading the links to posts and the
 * messages shown. Private to src/social/browser.
 * @module
 */
import type { Locator, Page } from "playwright-core";
import { firstMatch, type SelectorScope } from "../../browser/mod.ts";
import type { SocialPart, SocialSelectors } from "../selectors.ts";
import { shownText } from "./_editor.ts";

/** What a wait inside a step works with. */
export interface PartContext {
  /** The site's selectors. */
  selectors: SocialSelectors;
  /** How long the wait may take at most (the step's own limit ends it sooner). */
  timeoutMs: number;
  /** The step's signal: aborted when the step runs out of time or is stopped. */
  signal: AbortSignal;
  /** Each part found (the last time it was looked for) only by a fallback, with its selector. */
  fallbacks: Map<SocialPart, string>;
}

/** Each part as named in errors and in the result's detail. */
export const PART_NAMES: Readonly<Record<SocialPart, string>> = Object.freeze({
  loggedIn: "the logged-in page",
  loggedOut: "the login form",
  openComposer: "the button that opens the composer",
  editor: "the post editor",
  attachButton: "the button that adds an image",
  fileInput: "the image file input",
  attached: "the image's preview",
  next: "the Next button",
  postButton: "the Post button",
  published: "the confirmation",
  postLink: "the link to the new post",
  failed: "the site's error message",
});

/**
 * How long a wait inside a step may take: a little less than the step, so that the wait's own
 * error (naming what it looked for and the selectors it tried) ends the step, not the bare
 * "timed out" of the step's clock.
 */
export function waitWithin(stepMs: number): number {
  return Math.max(0, stepMs - Math.min(1000, Math.max(250, Math.round(stepMs / 4))));
}

/** Notes how `part` was found last: by a fallback (kept), or by its first selector (forgotten). */
export function noteFound(
  context: PartContext,
  part: SocialPart,
  index: number,
  selector: string,
): void {
  if (index > 0) context.fallbacks.set(part, selector);
  else context.fallbacks.delete(part);
}

/** True when `selector` matches an element in `scope` now; a refused selector matches nothing. */
async function matchesNow(
  scope: SelectorScope,
  selector: string,
  state: "visible" | "attached",
): Promise<boolean> {
  const locator = scope.locator(selector).first();
  return await (state === "visible" ? locator.isVisible() : locator.count().then(Boolean))
    .catch((error: unknown) => {
      // A selector the browser refuses never matches; a closed page ends the flow.
      if (/has been closed|crashed/i.test(String(error))) throw error;
      return false;
    });
}

/**
 * Notes which of `part`'s selectors found it, after asking the ones before `index` once more:
 * the element may have shown after they were asked, and a fallback that only won that race is
 * no sign of a changed page. Returns the place of the selector noted.
 */
async function settleFound(
  scope: SelectorScope,
  part: SocialPart,
  index: number,
  context: PartContext,
  state: "visible" | "attached",
): Promise<number> {
  const selectors = context.selectors[part];
  let found = index;
  for (let earlier = 0; earlier < index; earlier++) {
    if (await matchesNow(scope, selectors[earlier], state)) {
      found = earlier;
      break;
    }
  }
  noteFound(context, part, found, selectors[found]);
  return found;
}

/**
 * Waits for `part` (visible, or only present with `state: "attached"`) and returns the element
 * of its most preferred selector that matches. Throws `SelectorNotFound` naming the selectors.
 */
export async function findPart(
  scope: SelectorScope,
  part: SocialPart,
  context: PartContext,
  state: "visible" | "attached" = "visible",
): Promise<Locator> {
  const selectors = context.selectors[part];
  if (selectors.length === 0) throw new Error(`No selectors are known for ${PART_NAMES[part]}`);
  const { timeoutMs, signal } = context;
  const match = await firstMatch(scope, selectors, {
    timeoutMs,
    signal,
    state,
    what: PART_NAMES[part],
  });
  const index = await settleFound(scope, part, match.index, context, state);
  return index === match.index ? match.locator : scope.locator(selectors[index]).first();
}

/**
 * Waits until one of `parts` shows and returns which one, with its element; the parts are
 * tried in the order given. Throws `SelectorNotFound` naming every selector tried.
 */
export async function findEither(
  scope: SelectorScope,
  parts: readonly SocialPart[],
  context: PartContext,
): Promise<{ part: SocialPart; locator: Locator }> {
  const owners = parts.flatMap((part) =>
    context.selectors[part].map((selector, index) => ({ part, selector, index }))
  );
  const match = await firstMatch(scope, owners.map((owner) => owner.selector), {
    timeoutMs: context.timeoutMs,
    signal: context.signal,
    what: parts.map((part) => PART_NAMES[part]).join(" or "),
  });
  const { part, index } = owners[match.index];
  const settled = await settleFound(scope, part, index, context, "visible");
  const locator = settled === index
    ? match.locator
    : scope.locator(context.selectors[part][settled]).first();
  return { part, locator };
}

/**
 * The element of `part`'s most preferred selector that matches now (visible, or present with
 * `state: "attached"`), without waiting; undefined when none does.
 */
export async function partNow(
  scope: SelectorScope,
  part: SocialPart,
  context: PartContext,
  state: "visible" | "attached" = "visible",
): Promise<Locator | undefined> {
  const selectors = context.selectors[part];
  for (const [index, selector] of selectors.entries()) {
    if (!await matchesNow(scope, selector, state)) continue;
    const settled = await settleFound(scope, part, index, context, state);
    return scope.locator(selectors[settled]).first();
  }
  return undefined;
}

/** What the functions run in the page use of an element (Deno's types have no DOM). */
interface PageElement {
  readonly innerText?: string;
  readonly textContent: string | null;
  readonly href?: string;
  readonly parentElement?: PageElement | null;
  closest?(selector: string): PageElement | null;
  checkVisibility?(): boolean;
}

/**
 * A link to a post: its address (absolute), the place of the selector that found it, and whether
 * the post around it (its enclosing post element, else its two nearest parents) shows the text
 * given as `probe`.
 */
export interface PostLink {
  url: string;
  index: number;
  nearProbe: boolean;
}

/** What the sites draw a post in. */
const POST_ELEMENTS = 'article, [role="article"], [role="listitem"], li';

/**
 * The links to posts on the page, by the order of the selectors and then of the page; each
 * address once. With a `probe` (the start of a post's text, blank space folded), each says
 * whether that text shows around it.
 */
export async function postLinks(
  page: Page,
  selectors: readonly string[],
  probe = "",
): Promise<PostLink[]> {
  const found: PostLink[] = [];
  for (const [index, selector] of selectors.entries()) {
    const links = await page.locator(selector).evaluateAll(
      (elements, [probe, posts]) =>
        elements.map((element) => {
          const link = element as PageElement;
          // The post the link belongs to: its enclosing post element, else its two parents.
          const post = link.closest?.(posts);
          const places = post ? [post] : [link.parentElement, link.parentElement?.parentElement];
          const nearProbe = probe !== "" &&
            places.some((place) => (place?.textContent ?? "").replace(/\s+/g, " ").includes(probe));
          return { url: link.href ?? "", nearProbe };
        }),
      [probe, POST_ELEMENTS] as const,
    ).catch((error: unknown) => {
      if (/has been closed|crashed/i.test(String(error))) throw error;
      return [] as { url: string; nearProbe: boolean }[];
    });
    for (const { url, nearProbe } of links) {
      if (url && !found.some((link) => link.url === url)) found.push({ url, index, nearProbe });
    }
  }
  return found;
}

/** The texts of the visible elements that `selectors` match, trimmed, each once. */
export async function shownMessages(page: Page, selectors: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const selector of selectors) {
    const texts = await page.locator(selector).evaluateAll(
      (elements) =>
        elements
          .filter((element) => (element as PageElement).checkVisibility?.() ?? true)
          .map((element) => {
            const shown = element as PageElement;
            return shown.innerText ?? shown.textContent ?? "";
          }),
    ).catch((error: unknown) => {
      if (/has been closed|crashed/i.test(String(error))) throw error;
      return [] as string[];
    });
    for (const text of texts) {
      const trimmed = shownText(text).replace(/\s+/g, " ").trim();
      if (trimmed && !found.includes(trimmed)) found.push(trimmed);
    }
  }
  return found;
}
