/**
 * Watchers: components that turn what arrives on a channel into task notes. Each runs as a Worker
 * whose entry module is listed here.
 * @module
 */
export { createInboxWatcher, type InboxWatcher, type InboxWatcherOptions } from "./inbox/inbox.ts";
export { fileTaskId, safeFileName } from "./inbox/names.ts";
export {
  droppedFileNote,
  type DroppedFileNoteInput,
  updateDroppedFileNote,
} from "./inbox/task_note.ts";
export {
  type DroppedFile,
  type DroppedKind,
  inspectDroppedFile,
  type InspectLimits,
} from "./inbox/inspect.ts";
export type { InboxWorkerInit } from "./inbox/worker_init.ts";
// The Gmail watcher's core runs only in its Worker, which loads it (and the mail libraries) itself.
export type { GmailWatcherSettings } from "./gmail/gmail_watcher.ts";
export type { GmailWorkerInit } from "./gmail/worker_init.ts";
// So is the WhatsApp watcher's (and the browser layer, which loads playwright-core when used).
export type { WhatsAppWatcherSettings } from "./whatsapp/whatsapp_watcher.ts";
export type { WhatsAppWorkerInit } from "./whatsapp/worker_init.ts";

/** Entry module of the inbox watcher's Worker. */
export const INBOX_WORKER = new URL("./inbox/worker.ts", import.meta.url);
/** Entry module of the Gmail watcher's Worker. */
export const GMAIL_WORKER = new URL("./gmail/worker.ts", import.meta.url);
/** Entry module of the WhatsApp watcher's Worker. */
export const WHATSAPP_WORKER = new URL("./whatsapp/worker.ts", import.meta.url);
