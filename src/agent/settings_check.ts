/**
 * The agent is a program of its own, outside Deno's sandbox: what keeps it from approving its own
 * requests, touching finished work or reading secrets is the deny list in the vault's
 * `.claude/settings.json`. Claude Code silently ignores a settings file it cannot read in print
 * mode, so aiemp checks the file before every run and does not run the agent without it.
 * @module
 */
import { join } from "node:path";

/** Where the agent's settings live, relative to the vault. */
export const AGENT_SETTINGS_FILE = ".claude/settings.json";

/**
 * The deny rules the vault's `.claude/settings.json` must hold before aiemp runs the agent, in
 * Claude Code's rule syntax (checked against Claude Code 2.1.197). `Edit(path)` rules cover every
 * tool that writes or edits files (Write included); `./` anchors a path at the agent's working
 * directory, which is the vault. `Bash` is denied as a whole: a shell could `mv` a request into
 * Approved/ or read anything.
 */
export const REQUIRED_AGENT_DENY_RULES: readonly string[] = Object.freeze([
  "Edit(./Approved/**)",
  "Edit(./Done/**)",
  "Edit(./Rejected/**)",
  "Edit(./.aiemp/**)",
  "Read(./.aiemp/secrets/**)",
  "Edit(./.claude/**)",
  "Bash",
]);

/** Folders an `allow` rule must not name, by the kind of rule. */
const PROTECTED = {
  edit: /(^|\/)(Approved|Done|Rejected|\.aiemp|\.claude)(\/|$)/,
  read: /(^|\/)\.aiemp\/secrets(\/|$)/,
};

/** Tools whose rules are file-editing rules. */
const EDIT_TOOLS = new Set(["Edit", "Write", "MultiEdit", "NotebookEdit"]);

/** A rule split into its tool and its content, with a leading `./` dropped from a path. */
function parseRule(rule: string): { tool: string; content?: string } {
  const match = /^\s*([A-Za-z_][\w-]*)\s*(?:\((.*)\))?\s*$/s.exec(rule);
  if (!match) return { tool: rule.trim() };
  const content = match[2]?.trim().replace(/^\.\//, "");
  return { tool: match[1], content: content === "" ? undefined : content };
}

/** Whether `rule` is among `rules`: the same rule, or its tool denied as a whole. */
function covered(rule: string, rules: readonly string[]): boolean {
  const wanted = parseRule(rule);
  return rules.map(parseRule).some((r) =>
    r.tool === wanted.tool && (r.content === undefined || r.content === wanted.content)
  );
}

/**
 * Whether an `allow` rule would re-open what the required rules close: it names a protected
 * folder for editing (or the secrets folder for reading), or it allows a tool denied as a whole.
 * Claude Code checks deny before allow, so such a rule changes nothing today; it is refused all
 * the same because it says someone meant to open that path, and one edit of the deny list away
 * it would. Broad rules (`Edit`, `Edit(**)`) are not refused: the deny rules win over them.
 */
function reopens(rule: string): boolean {
  const { tool, content } = parseRule(rule);
  if (REQUIRED_AGENT_DENY_RULES.includes(tool)) return true;
  if (content === undefined) return false;
  const path = content.replace(/^\/+/, "");
  if (EDIT_TOOLS.has(tool)) return PROTECTED.edit.test(path);
  return tool === "Read" && PROTECTED.read.test(path);
}

/** What is wrong with a settings file's content, for {@linkcode agentSettingsProblem}. */
export interface AgentSettingsFindings {
  /** Why the content is not usable at all (not JSON, not an object, `deny` not a list). */
  invalid?: string;
  /** Required deny rules it lacks. */
  missing: string[];
  /** Its `allow` rules that re-open a protected path or tool. */
  reopening: string[];
}

/**
 * Checks the text of an agent settings file: it parses as a JSON object, `permissions.deny`
 * holds every rule of {@linkcode REQUIRED_AGENT_DENY_RULES} (a rule denying a tool as a whole
 * also counts), and no `permissions.allow` rule re-opens a protected path. Pure.
 */
export function checkAgentSettingsText(text: string): AgentSettingsFindings {
  const missing = [...REQUIRED_AGENT_DENY_RULES];
  let settings: unknown;
  try {
    settings = JSON.parse(text);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { invalid: `it is not valid JSON (${why})`, missing, reopening: [] };
  }
  if (typeof settings !== "object" || settings === null || Array.isArray(settings)) {
    return { invalid: "it is not a JSON object", missing, reopening: [] };
  }
  const permissions = (settings as Record<string, unknown>).permissions;
  const perms = typeof permissions === "object" && permissions !== null
    ? permissions as Record<string, unknown>
    : {};
  const list = (key: string) => {
    const value = perms[key];
    return Array.isArray(value) && value.every((v) => typeof v === "string") ? value : undefined;
  };
  const deny = list("deny");
  const allow = list("allow");
  if (perms.deny !== undefined && !deny) {
    return { invalid: '"permissions.deny" is not a list of strings', missing, reopening: [] };
  }
  if (perms.allow !== undefined && !allow) {
    return { invalid: '"permissions.allow" is not a list of strings', missing, reopening: [] };
  }
  return {
    missing: REQUIRED_AGENT_DENY_RULES.filter((rule) => !covered(rule, deny ?? [])),
    reopening: (allow ?? []).filter(reopens),
  };
}

/**
 * Checks the agent settings file of the vault at `vault` (or the file `settingsFile`) and returns
 * why the agent must not run, in one line with the fix; undefined when the file is fine.
 *
 * @example
 * ```ts
 * const problem = await agentSettingsProblem("/home/me/AI_Employee_Vault");
 * if (problem) throw new Error(problem);
 * ```
 */
export async function agentSettingsProblem(
  vault: string,
  settingsFile = join(vault, AGENT_SETTINGS_FILE),
): Promise<string | undefined> {
  const restore = `delete it and run 'aiemp vault init --path ${vault}' to restore the template's`;
  let text: string;
  try {
    text = await Deno.readTextFile(settingsFile);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "does not exist"
      : `cannot be read (${error instanceof Error ? error.message : error})`;
    return `the agent was not run: ${settingsFile} ${why}; it is what keeps the agent out of ` +
      `Approved/, Done/, Rejected/ and .aiemp/. Run 'aiemp vault init --path ${vault}' to restore it`;
  }
  const found = checkAgentSettingsText(text);
  if (found.invalid) {
    return `the agent was not run: ${settingsFile} cannot be used: ${found.invalid}, and Claude ` +
      `Code would silently ignore it. Fix it, or ${restore}`;
  }
  const wrong: string[] = [];
  if (found.missing.length > 0) {
    wrong.push(
      `"permissions.deny" lacks ${found.missing.join(", ")}; add them (without them the agent ` +
        `could approve its own requests, change finished work or read secrets)`,
    );
  }
  if (found.reopening.length > 0) {
    wrong.push(
      `"permissions.allow" re-opens what must stay denied: ${
        found.reopening.join(", ")
      }; remove them`,
    );
  }
  if (wrong.length === 0) return undefined;
  return `the agent was not run: in ${settingsFile}, ${wrong.join("; and ")}. Or ${restore}`;
}
