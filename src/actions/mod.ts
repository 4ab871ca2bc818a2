/**
 * Outward actions: one module per action type, a registry, detection of an approved file's action,
 * and the sandboxed run of one action in a fresh Worker.
 * @module
 */
export {
  ActionInputError,
  type ActionResult,
  type ActionSettings,
  type ActionType,
  type ApprovedItem,
  type BrowserActionSettings,
  type PreparedAction,
  type SocialAccountToken,
  type SocialPlatformActionSettings,
} from "./types.ts";
export { ACTION_TYPES, actionOf, findActionType } from "./registry.ts";
export { runActionSandboxed } from "./run.ts";
