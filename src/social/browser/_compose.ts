/**
 * The bodies of the posting flow's steps, each run inside `runStep` by `_flow.ts`: open the
 * composer, type the text, attach the image, get ready to post, and see the post published.
 * Nothing here clicks Post; everything here fails with an error naming what it looked for.
 * Private to src/social/browser.
 * @module
 */
import { poll } from "../../abort/mod.ts";
import { Buffer } from "node:buffer";
import type { Locator, Page } from "playwright-core";
import { type HumanPace, SelectorNotFound, typeHumanly } from "../../browser/mod.ts";
import type { SocialImage } from "../types.ts";
import { editorText, holdsText } from "./_editor.ts";
import { PostRefused } from "./_errors.ts";
import {
  findEither,
  findPart,
  noteFound,
  PART_NAMES,
  type PartContext,
  partNow,
  postLinks,
  shownMessages,
} from "./_page.ts";
import type { SocialSite } from "./sites.ts";

/** How many Next buttons an image may lead through before the text (Instagram: two). */
const MAX_NEXT_CLICKS = 4;

/** How long a Next button clicked may take to give way to the next view. */
const NEXT_SETTLE_MS = 1500;

/**
 * How long the confirmation may show before the link to the new post does: a site that shows
 * a toast first and the link a moment later still gives the id.
 */
const LINK_WAIT_MS = 2000;

/**
 * How long an error message must stay shown, with no confirmation, before the post counts as
 * refused: a message that passes (a "Posting…" announced as an alert) is not a refusal.
 */
const REFUSAL_SETTLE_MS = 400;

/**
 * Opens the composer, until what comes first in it shows: the editor, or for a site where the
 * image comes first (Instagram) the file input. A site whose composer address shows the
 * composer (X) gets half the time to show it before its "open" button is tried; the others
 * show the editor, or the button that opens the composer.
 */
export async function openComposer(
  page: Page,
  site: SocialSite,
  context: PartContext,
): Promise<void> {
  const deadline = Date.now() + context.timeoutMs;
  const left = () => Math.max(0, deadline - Date.now());
  if (site.imageFirst) {
    const opener = await findPart(page, "openComposer", context);
    await opener.click({ timeout: Math.max(1, left()) });
    await findPart(page, "fileInput", { ...context, timeoutMs: left() }, "attached");
    return;
  }
  if (site.composerAtAddress) {
    try {
      await findPart(page, "editor", { ...context, timeoutMs: Math.round(context.timeoutMs / 2) });
      return;
    } catch (error) {
      if (!(error instanceof SelectorNotFound)) throw error;
    }
  }
  const found = await findEither(page, ["editor", "openComposer"], {
    ...context,
    timeoutMs: left(),
  });
  if (found.part === "editor") return;
  await found.locator.click({ timeout: Math.max(1, left()) });
  await findPart(page, "editor", { ...context, timeoutMs: left() });
}

/** How {@linkcode typePost} types. */
export interface TypingOptions {
  /** Between keystrokes. */
  pace: HumanPace;
  /** The key a line break is typed with. */
  newline: "Enter" | "Shift+Enter";
}

/**
 * Types `text` into the composer's editor, once: a draft the site left in it is removed first
 * (so only the approved text is posted), and the editor must then hold exactly `text`.
 */
export async function typePost(
  page: Page,
  text: string,
  context: PartContext,
  options: TypingOptions,
): Promise<void> {
  const editor = await findPart(page, "editor", context);
  if ((await editorText(editor)).trim() !== "") {
    await editor.fill("");
    if ((await editorText(editor)).trim() !== "") {
      throw new Error("The post editor holds a draft that could not be removed");
    }
  }
  await typeHumanly(editor, text, {
    ...options.pace,
    newline: options.newline,
    signal: context.signal,
  });
  await expectEditorHolds(editor, text);
}

/**
 * Throws when the editor does not hold exactly `text`; a wrong text is removed first so that
 * nobody posts it.
 */
export async function expectEditorHolds(editor: Locator, text: string): Promise<void> {
  const held = await editorText(editor);
  if (holdsText(held, text)) return;
  await editor.fill("").catch(() => {});
  throw new Error(
    `The post editor holds ${preview(held)} instead of the approved text ${preview(text)}`,
  );
}

/**
 * Gives `image` (its bytes, name and type) to the composer's file input (added first by its
 * button where the site adds it on demand), then goes through the views the site shows for an
 * image (each Next button) until the editor shows with the image's preview.
 */
export async function attachImage(
  page: Page,
  image: SocialImage,
  context: PartContext,
): Promise<void> {
  const deadline = Date.now() + context.timeoutMs;
  const left = () => Math.max(0, deadline - Date.now());
  let input = await partNow(page, "fileInput", context, "attached");
  if (!input) {
    if (context.selectors.attachButton.length > 0) {
      const button = await findPart(page, "attachButton", { ...context, timeoutMs: left() });
      await button.click({ timeout: Math.max(1, left()) });
    }
    input = await findPart(page, "fileInput", { ...context, timeoutMs: left() }, "attached");
  }
  // Given as bytes, with the name and type checked when the post was approved: Playwright's
  // handling of a path asks Deno for more than reading the file (the user's id, to check access).
  const buffer = Buffer.from(await Deno.readFile(image.path));
  await input.setInputFiles(
    { name: image.name, mimeType: image.type, buffer },
    { timeout: Math.max(1, left()) },
  );

  const wantsPreview = context.selectors.attached.length > 0;
  let clicks = 0;
  const ready = await poll(async () => {
    // The preview counts once the editor is back (a view before it may show the image too).
    const editor = await partNow(page, "editor", context) !== undefined;
    if (editor && (!wantsPreview || await partNow(page, "attached", context))) return true;
    const next = clicks < MAX_NEXT_CLICKS && context.selectors.next.length > 0
      ? await partNow(page, "next", context)
      : undefined;
    if (next) {
      clicks++;
      const clicked = await next.elementHandle({ timeout: Math.max(1, left()) });
      await next.click({ timeout: Math.max(1, left()) });
      // The view changes: wait for the button clicked to go (or the editor to show), so the
      // same Next is not clicked twice.
      await poll(async () => {
        const gone = !clicked || !(await clicked.isVisible().catch(() => false));
        return gone || await partNow(page, "editor", context) ? true : undefined;
      }, { ...context, timeoutMs: Math.min(NEXT_SETTLE_MS, left()) });
      await clicked?.dispose().catch(() => {});
    }
    return undefined;
  }, { ...context, timeoutMs: left() });
  if (ready) return;
  const editorShown = await partNow(page, "editor", context) !== undefined;
  throw new Error(
    editorShown
      ? `${PART_NAMES.attached} did not show after the image ${image.name} was chosen; tried ${
        list(context.selectors.attached)
      }`
      : `after the image ${image.name} was chosen (${clicks} Next button(s) clicked), ${PART_NAMES.editor} did not show; tried ${
        list(context.selectors.editor)
      }`,
  );
}

/** What the page shows before Post is clicked, to tell what is new after. */
export interface BeforePost {
  /** The links to posts already on the page. */
  links: ReadonlySet<string>;
  /**
   * The start of the posted text, blank space folded: a new link counts as the owner's post only
   * after the site's confirmation, or when this text shows around it (a stranger's post that
   * appears in the feed meanwhile is not the owner's). Empty for a post without text.
   */
  probe: string;
  /** The messages the error selectors already match. */
  messages: ReadonlySet<string>;
}

/**
 * Checks, just before the point of no return, that the editor still holds exactly `text`, the
 * image is still attached, and the Post button can be clicked (a trial click, which clicks
 * nothing); returns the button and what the page shows now.
 */
export async function readyToPost(
  page: Page,
  text: string,
  image: SocialImage | undefined,
  context: PartContext,
): Promise<{ button: Locator; before: BeforePost }> {
  const deadline = Date.now() + context.timeoutMs;
  const left = () => Math.max(0, deadline - Date.now());
  const editor = await findPart(page, "editor", context);
  await expectEditorHolds(editor, text);
  if (image && context.selectors.attached.length > 0) {
    await findPart(page, "attached", { ...context, timeoutMs: left() });
  }
  const button = await findPart(page, "postButton", { ...context, timeoutMs: left() });
  const enabled = await poll(
    async () => await button.isEnabled() || undefined,
    { ...context, timeoutMs: left() },
  );
  if (!enabled) throw new Error(`${PART_NAMES.postButton} stays disabled`);
  await button.click({ trial: true, timeout: Math.max(1, left()) });
  return {
    button,
    before: {
      links: new Set((await postLinks(page, context.selectors.postLink)).map((link) => link.url)),
      probe: probeOf(text),
      messages: new Set(await shownMessages(page, context.selectors.failed)),
    },
  };
}

/** Below this many characters a text's start is too common to tell a post by. */
const MIN_PROBE = 8;

/**
 * The start of `text` a site shows as written: its first line up to 40 characters, stopping at
 * the first character a site may draw as something else (an emoji as a picture, a hashtag as a
 * link), blank space folded; empty when that leaves too little to tell the post by.
 */
export function probeOf(text: string): string {
  const plain = /^[\p{L}\p{N}\p{Zs}.,;:!?'"()\-–—]*/u.exec(text.split("\n")[0])?.[0] ?? "";
  const probe = plain.replace(/\s+/g, " ").trim().slice(0, 40).trim();
  return probe.length >= MIN_PROBE ? probe : "";
}

/** The new post as the page showed it. */
export interface SeenPublished {
  /** The new post's address, when the page showed a link to it. */
  url?: string;
}

/**
 * Waits, once Post was clicked, until the page shows the post published: a new link to a post
 * (its address returned), or the site's confirmation (then a moment more for the link). Throws
 * {@linkcode PostRefused} when the site shows a new error message instead (and keeps showing it
 * for {@linkcode REFUSAL_SETTLE_MS}), and an error saying
 * what was looked for when nothing shows within `context.timeoutMs`.
 */
export async function waitForPublished(
  page: Page,
  label: string,
  before: BeforePost,
  context: PartContext,
): Promise<SeenPublished> {
  const { selectors } = context;
  let confirmedAt: number | undefined;
  let refused: { shown: string; since: number } | undefined;
  const seen = await poll<SeenPublished>(async () => {
    // The messages first: a confirmation that shows meanwhile is then seen below, and wins
    // (a site's confirmation may match the error selectors too: both are alerts).
    const refusal = confirmedAt === undefined
      ? (await shownMessages(page, selectors.failed)).find((shown) => !before.messages.has(shown))
      : undefined;
    if (confirmedAt === undefined && await partNow(page, "published", context)) {
      confirmedAt = Date.now();
    }
    const fresh = (await postLinks(page, selectors.postLink, before.probe)).find((link) =>
      !before.links.has(link.url) && (confirmedAt !== undefined || link.nearProbe)
    );
    if (fresh) {
      // Asked again: the link may have shown between two selectors' queries, after the more
      // preferred one was asked. Which selector found it matters only for the detail.
      const again = (await postLinks(page, selectors.postLink)).find((link) =>
        link.url === fresh.url
      ) ?? fresh;
      noteFound(context, "postLink", again.index, selectors.postLink[again.index]);
      return { url: fresh.url };
    }
    if (confirmedAt !== undefined) return Date.now() - confirmedAt >= LINK_WAIT_MS ? {} : undefined;
    if (refusal === undefined || refused?.shown !== refusal) {
      refused = refusal === undefined ? undefined : { shown: refusal, since: Date.now() };
    } else if (Date.now() - refused.since >= REFUSAL_SETTLE_MS) {
      throw new PostRefused(label, refusal);
    }
    return undefined;
  }, context);
  if (seen) return seen;
  if (confirmedAt !== undefined) return {};
  const confirmation = selectors.published.length > 0
    ? `${PART_NAMES.published} (${list(selectors.published)}) nor `
    : "";
  throw new Error(
    `neither ${confirmation}a new link to a post (${
      list(selectors.postLink)
    }) showed within ${context.timeoutMs} ms of the click`,
  );
}

/** Selectors for an error message: quoted, comma-separated. */
function list(selectors: readonly string[]): string {
  return selectors.map((selector) => `'${selector}'`).join(", ");
}

/** A text for an error message: quoted, at most 80 characters. */
function preview(text: string): string {
  const characters = Array.from(text);
  return JSON.stringify(characters.length > 80 ? `${characters.slice(0, 77).join("")}…` : text);
}
