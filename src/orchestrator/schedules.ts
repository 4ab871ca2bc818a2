import { fileURLToPath } from "node:url";
import {
  loadSchedules,
  type ScheduledTask,
  ScheduleError,
  TASK_TRIGGERS,
} from "../scheduler/mod.ts";
import type { VaultLayout } from "../vault/mod.ts";

const DEFAULT_SCHEDULES = fileURLToPath(new URL("../../schedules.yaml", import.meta.url));

/**
 * The schedule registry of a vault: the default schedules.yaml overridden by the vault's own.
 * Throws a ScheduleError naming the file, task and fix when a task cannot run.
 */
export async function loadVaultSchedules(layout: VaultLayout): Promise<ScheduledTask[]> {
  const defaults = await Deno.readTextFile(DEFAULT_SCHEDULES);
  const own = await Deno.readTextFile(layout.schedules).catch(() => undefined);
  const tasks = loadSchedules(defaults, own);
  const unknown = tasks.find((task) => !(task.name in TASK_TRIGGERS));
  if (unknown) {
    throw new ScheduleError(
      `Cannot load schedules.yaml: task '${unknown.name}' is not a built-in task; use one of ${
        Object.keys(TASK_TRIGGERS).join(", ")
      }`,
    );
  }
  return tasks;
}
