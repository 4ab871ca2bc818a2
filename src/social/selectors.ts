/**
 * Every selector the `browser` drivers of social posting use, for the four sites, in this one
 * file.
 *
 * Each list is in order of preference. The first selector is written after the attributes the
 * real site is known to carry (`data-testid` on X, `aria-label` and roles on Instagram and
 * Facebook, LinkedIn's class names); the rest are fallbacks built on what a redesign tends to
 * keep: roles, labels, the visible text of a button, the shape of a link to a post. They are
 * exercised against the local imitations in `tests/fixtures/pages/social/`, whose markup is
 * invented for aiemp's tests; the real sites change often and must be checked (and this file
 * updated) before relying on a driver. When only a fallback matches, the post still goes out
 * and its result says which parts were found by a fallback; when none matches, the step fails
 * naming every selector tried, with a screenshot and the page's HTML in `Logs/browser/`.
 *
 * Playwright's CSS extensions are used where a button is known only by its text:
 * `:text-is("Post")` is an element whose whole text is "Post", `:has-text("…")` one containing
 * it (any case).
 * @module
 */
import type { SelectorSet } from "../browser/mod.ts";
import type { SocialPlatform } from "./types.ts";

/** The parts of a site the posting flow touches. */
export type SocialPart =
  /** Shown only to a logged-in owner: the account menu, the main navigation. */
  | "loggedIn"
  /** The login form: the session is logged out. */
  | "loggedOut"
  /** What opens the composer ("Start a post", "What's on your mind", "New post"). */
  | "openComposer"
  /** The text box of the post (the caption on Instagram). */
  | "editor"
  /** What makes the file input appear, for a site that adds it on demand. Empty: not needed. */
  | "attachButton"
  /** The file input an image is given to (present, usually hidden). */
  | "fileInput"
  /** What shows that the image was taken: its preview. */
  | "attached"
  /** The button that goes on from an image step (crop, filters, editor) back to the text. */
  | "next"
  /** The button that publishes: the point of no return. */
  | "postButton"
  /** What the site shows once the post is out ("Your post was sent"). Empty: none known. */
  | "published"
  /** A link to a post; a new one after posting is the new post (its id and address). */
  | "postLink"
  /** A message the site shows when it refuses the post (an alert, a toast). */
  | "failed";

/** One site's selectors, by part, each in order of preference. */
export type SocialSelectors = Readonly<Record<SocialPart, readonly string[]>>;

/** The selectors of every site the drivers post to. */
export const SOCIAL_SELECTORS: Readonly<Record<SocialPlatform, SocialSelectors>> = Object.freeze({
  x: Object.freeze(
    {
      loggedIn: [
        '[data-testid="SideNav_AccountSwitcher_Button"]',
        '[data-testid="AppTabBar_Home_Link"]',
        'nav[aria-label="Primary"] a[aria-label="Home"]',
      ],
      loggedOut: [
        'input[autocomplete="username"]',
        'a[href*="/i/flow/login"]',
        'input[name="session[username_or_email]"]',
      ],
      openComposer: ['[data-testid="SideNav_NewTweet_Button"]', 'nav a[href$="/compose/post"]'],
      editor: [
        '[data-testid="tweetTextarea_0"]',
        '[role="dialog"] [role="textbox"][contenteditable="true"]',
        '[contenteditable="true"][aria-label="Post text"]',
      ],
      attachButton: [],
      fileInput: ['input[data-testid="fileInput"]', '[role="dialog"] input[type="file"]'],
      attached: ['[data-testid="attachments"] img', '[role="dialog"] img[src^="blob:"]'],
      next: [],
      postButton: [
        '[data-testid="tweetButton"]',
        '[role="dialog"] button:text-is("Post")',
        '[role="dialog"] [role="button"]:text-is("Post")',
      ],
      published: [
        '[data-testid="toast"]:has-text("Your post was sent")',
        '[role="alert"]:has-text("Your post was sent")',
      ],
      postLink: [
        '[data-testid="toast"] a[href*="/status/"]',
        '[role="alert"] a[href*="/status/"]',
        'a[href*="/status/"]',
      ],
      failed: ['[data-testid="toast"]', '[role="alert"]'],
    } satisfies SelectorSet,
  ),
  linkedin: Object.freeze(
    {
      loggedIn: ["#global-nav", 'nav[aria-label="Primary Navigation"]'],
      loggedOut: [
        'input#username[name="session_key"]',
        'input[name="session_key"]',
        'form[action*="login-submit"]',
      ],
      openComposer: [
        "button.share-box-feed-entry__trigger",
        'button:has-text("Start a post")',
        '[role="button"]:has-text("Start a post")',
      ],
      editor: [
        '.ql-editor[contenteditable="true"]',
        '[role="dialog"] [role="textbox"][contenteditable="true"]',
      ],
      attachButton: [
        'button[aria-label="Add media"]',
        '[role="dialog"] button[aria-label*="photo" i]',
        '[role="dialog"] button[aria-label*="media" i]',
      ],
      fileInput: [
        "input#media-editor-file-selector__file-input",
        'input[type="file"][accept*="image"]',
        'input[type="file"]',
      ],
      attached: [".share-creation-state__media-preview img", '[role="dialog"] img[src^="blob:"]'],
      next: [
        "button.share-box-footer__primary-btn",
        '[role="dialog"] button:text-is("Next")',
        '[role="dialog"] [role="button"]:text-is("Next")',
      ],
      postButton: [
        "button.share-actions__primary-action",
        '[role="dialog"] button:text-is("Post")',
      ],
      published: [
        '.artdeco-toast-item:has-text("Post successful")',
        '[role="alert"]:has-text("Post successful")',
      ],
      postLink: [
        '.artdeco-toast-item a[href*="/feed/update/urn:li:"]',
        '[role="alert"] a[href*="/feed/update/"]',
        'a[href*="/feed/update/urn:li:"]',
      ],
      failed: [".artdeco-toast-item--error", '[role="dialog"] [role="alert"]', '[role="alert"]'],
    } satisfies SelectorSet,
  ),
  facebook: Object.freeze(
    {
      loggedIn: [
        '[aria-label="Your profile"]',
        '[role="navigation"][aria-label="Account Controls and Settings"]',
      ],
      loggedOut: [
        'form[data-testid="royal_login_form"]',
        'input[name="email"]',
        'button[name="login"]',
      ],
      openComposer: [
        '[aria-label="Create a post"] [role="button"]',
        '[role="button"]:has-text("on your mind")',
      ],
      editor: [
        '[role="dialog"] [contenteditable="true"][data-lexical-editor="true"]',
        '[role="dialog"] [contenteditable="true"][role="textbox"]',
        '[role="dialog"] [contenteditable="true"]',
      ],
      attachButton: [],
      fileInput: [
        '[role="dialog"] input[type="file"][accept*="image"]',
        '[role="dialog"] input[type="file"]',
        'input[type="file"]',
      ],
      attached: [
        '[role="dialog"] [aria-label="Remove photo"]',
        '[role="dialog"] img[src^="blob:"]',
      ],
      next: [],
      postButton: [
        '[role="dialog"] [aria-label="Post"][role="button"]',
        '[role="dialog"] [role="button"]:text-is("Post")',
      ],
      // Facebook shows the new post at the top of the feed rather than a message: the new link
      // to it is the confirmation.
      published: [],
      postLink: [
        '[role="feed"] [role="article"] a[href*="/posts/"]',
        '[role="article"] a[href*="/posts/"]',
        'a[href*="story_fbid="]',
        'a[href*="/permalink/"]',
      ],
      failed: ['[role="dialog"] [role="alert"]', '[role="alert"]'],
    } satisfies SelectorSet,
  ),
  instagram: Object.freeze(
    {
      loggedIn: ['svg[aria-label="Home"]', 'a[href$="/direct/inbox/"]'],
      loggedOut: ["form#loginForm", 'input[name="username"]'],
      openComposer: [
        'svg[aria-label="New post"]',
        'a:has(svg[aria-label="New post"])',
        '[role="link"]:has-text("Create")',
      ],
      editor: [
        '[aria-label="Write a caption..."]',
        '[role="dialog"] [aria-label^="Write a caption"]',
        '[role="dialog"] [role="textbox"][contenteditable="true"]',
      ],
      attachButton: [],
      fileInput: [
        'form[enctype="multipart/form-data"] input[type="file"]',
        '[role="dialog"] input[type="file"]',
      ],
      attached: ['[role="dialog"] img[src^="blob:"]'],
      next: [
        '[role="dialog"] div[role="button"]:text-is("Next")',
        '[role="dialog"] button:text-is("Next")',
      ],
      postButton: [
        '[role="dialog"] div[role="button"]:text-is("Share")',
        '[role="dialog"] button:text-is("Share")',
      ],
      published: [
        '[role="dialog"]:has-text("Your post has been shared")',
        'img[alt="Animated checkmark"]',
      ],
      postLink: ['[role="dialog"] a[href*="/p/"]', 'a[href*="/p/"]', 'a[href*="/reel/"]'],
      failed: ['[role="dialog"] [role="alert"]', '[role="alert"]'],
    } satisfies SelectorSet,
  ),
});
