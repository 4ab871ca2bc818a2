import { isMap, isSeq, parseDocument } from "yaml";
import { ScheduleError } from "./registry.ts";

const NEW_FILE =
  `# This vault's schedules: each entry overrides the default task of the same name (or adds a
# task). 'aiemp schedules list' shows the result; 'aiemp schedules enable|disable NAME' edits this.
tasks: []
`;

/**
 * Sets `enabled` of the task `name` in the text of a vault's schedules.yaml, keeping everything
 * else (comments, order, other fields): an entry for the task gets `enabled: …`, otherwise an
 * entry `{ name, enabled }` is added. `text` undefined means the file does not exist yet.
 *
 * @example
 * ```ts
 * setTaskEnabled("tasks:\n  - name: linkedin_post # Mon/Wed/Fri\n", "linkedin_post", false);
 * // "tasks:\n  - name: linkedin_post # Mon/Wed/Fri\n    enabled: false\n"
 * ```
 */
export function setTaskEnabled(text: string | undefined, name: string, enabled: boolean): string {
  const doc = parseDocument(text?.trim() ? text : NEW_FILE);
  if (doc.errors.length > 0) {
    throw new ScheduleError(
      `Cannot edit schedules.yaml: ${doc.errors[0].message.split("\n")[0]}; fix the YAML first`,
    );
  }
  if (isMap(doc.contents) && !doc.has("tasks")) doc.set("tasks", doc.createNode([]));
  const tasks = isMap(doc.contents) ? doc.get("tasks", true) : undefined;
  if (!isSeq(tasks)) {
    throw new ScheduleError(
      "Cannot edit schedules.yaml: 'tasks' must be a list of tasks, each with a name",
    );
  }
  const entry = tasks.items.find((item) => isMap(item) && item.get("name") === name);
  if (isMap(entry)) entry.set("enabled", enabled);
  else {
    tasks.flow = false;
    tasks.add(doc.createNode({ name, enabled }));
  }
  return doc.toString();
}
