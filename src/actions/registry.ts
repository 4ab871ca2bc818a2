import type { ActionType } from "./types.ts";
import { confirmTaskAction } from "./confirm_task.ts";
import { isEmailReply, replyEmailAction, sendEmailAction } from "./gmail.ts";
import { webhookAction } from "./webhook.ts";
import { SOCIAL_POST_ACTIONS } from "./social.ts";
import { whatsappReplyAction } from "./whatsapp.ts";

/**
 * The Worker entry of each action's run (`runs/`), so a run loads only its own action: a webhook
 * run does not load the mail libraries. Keyed by the action's name, or by the `run` a prepared
 * action names (a post through the API or the browser). Checked against {@linkcode ACTION_TYPES}
 * by a test.
 */
export const ACTION_RUNS: Readonly<Record<string, URL>> = {
  webhook: new URL("./runs/webhook.ts", import.meta.url),
  send_email: new URL("./runs/gmail.ts", import.meta.url),
  reply_email: new URL("./runs/gmail.ts", import.meta.url),
  confirm_task: new URL("./runs/confirm_task.ts", import.meta.url),
  whatsapp_reply: new URL("./runs/whatsapp.ts", import.meta.url),
  social_api: new URL("./runs/social_api.ts", import.meta.url),
  social_browser: new URL("./runs/social_browser.ts", import.meta.url),
};

/** Every action this build can perform. Channels add theirs here. */
export const ACTION_TYPES: readonly ActionType[] = [
  webhookAction,
  confirmTaskAction,
  sendEmailAction,
  replyEmailAction,
  whatsappReplyAction,
  ...SOCIAL_POST_ACTIONS,
];

/** Action names of file-name prefixes (DESIGN.md), for files without an `action:` field. */
const PREFIX_ACTIONS: Record<string, string> = {
  EMAIL_: "send_email",
  GMAIL_: "send_email",
  LINKEDIN_: "linkedin_post",
  FACEBOOK_: "facebook_post",
  INSTAGRAM_: "instagram_post",
  TWITTER_: "x_post",
  WHATSAPP_: "whatsapp_reply",
  WEBHOOK_: "webhook",
  CONFIRM_: "confirm_task",
  QUESTION_: "confirm_task",
};

/**
 * The action an approved file asks for: its `action:` field, else its file-name prefix. A mail
 * prefix (`EMAIL_`, `GMAIL_`) on a file that names the thread or message it answers
 * (`thread_id`, `in_reply_to`, `references` or `gmail_id`) asks for `reply_email`.
 *
 * @example
 * ```ts
 * actionOf("WEBHOOK_deploy.md", {}); // "webhook"
 * actionOf("note.md", { action: "send_email" }); // "send_email"
 * actionOf("EMAIL_re.md", { thread_id: "18e2f0a9c4b1d3e7" }); // "reply_email"
 * actionOf("note.md", {}); // undefined
 * ```
 */
export function actionOf(
  fileName: string,
  frontMatter: Record<string, unknown>,
): string | undefined {
  const declared = frontMatter.action;
  if (typeof declared === "string" && declared.trim() !== "") return declared.trim().toLowerCase();
  const upper = fileName.toUpperCase();
  const prefix = Object.keys(PREFIX_ACTIONS).find((p) => upper.startsWith(p));
  if (!prefix) return undefined;
  const action = PREFIX_ACTIONS[prefix];
  return action === "send_email" && isEmailReply(frontMatter) ? "reply_email" : action;
}

/** The action type of that name or alias, if this build has it. */
export function findActionType(name: string): ActionType | undefined {
  return ACTION_TYPES.find((type) => type.name === name || type.aliases?.includes(name));
}
