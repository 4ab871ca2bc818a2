/**
 * The agent: runs the agent CLI (Claude Code by default) in the vault, bounded by a timeout.
 * Deno's sandbox does not reach into it; the vault's `.claude/settings.json` constrains it.
 * @module
 */
export { type AgentOptions, type AgentRun, runAgent } from "./run_agent.ts";
