/**
 * The mail tools over postal-mime, html-to-text and nodemailer: a Gmail message read into a task
 * note, and an outgoing message built as RFC 822 bytes. Loaded on first use through
 * `loadMailTools` in `mod.ts`, since those libraries are slow to load.
 * @module
 */
export * from "./html_text.ts";
export * from "./mail_note.ts";
export * from "./mime.ts";
