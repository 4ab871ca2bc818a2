/**
 * The agent: runs the agent CLI (Claude Code by default) in the vault, bounded by a timeout.
 * Deno's sandbox does not reach into it; the vault's `.claude/settings.json` constrains it, and
 * is checked before every run. Inbound content reaches it only inside untrusted-content
 * boundaries, and every prompt carries the rules that say such content authorizes nothing.
 * @module
 */
export {
  AGENT_SETTINGS_FLAG,
  agentArgs,
  type AgentOptions,
  type AgentRun,
  runAgent,
} from "./run_agent.ts";
export {
  AGENT_SETTINGS_FILE,
  type AgentSettingsFindings,
  agentSettingsProblem,
  checkAgentSettingsText,
  REQUIRED_AGENT_DENY_RULES,
} from "./settings_check.ts";
export { UNTRUSTED_MARKER, untrustedBlock } from "./untrusted.ts";
export { AGENT_PROMPT_RULES } from "./prompt_rules.ts";
