import { fileURLToPath } from "node:url";
import {
  loadSchedules,
  type ScheduledTask,
  ScheduleError,
  type ScheduleLoad,
  setTaskEnabled,
  TASK_TRIGGERS,
} from "../scheduler/mod.ts";
import { writeFileAtomic } from "../vault/mod.ts";
import type { VaultLayout } from "../vault/mod.ts";

const DEFAULT_SCHEDULES = fileURLToPath(new URL("../../schedules.yaml", import.meta.url));

function load(defaults: string, own: string | undefined): ScheduleLoad {
  return loadSchedules(defaults, own, { triggers: Object.keys(TASK_TRIGGERS) });
}

/**
 * The schedule registry of a vault: the default schedules.yaml overridden by the vault's own. Each
 * refused entry is listed in `errors` (naming the file, the task and the fix) and the others run;
 * a vault file that is not YAML at all throws a {@linkcode ScheduleError}.
 */
export async function loadVaultRegistry(layout: VaultLayout): Promise<ScheduleLoad> {
  const defaults = await Deno.readTextFile(DEFAULT_SCHEDULES);
  const own = await Deno.readTextFile(layout.schedules).catch(() => undefined);
  return load(defaults, own);
}

/** The valid tasks of a vault's registry (see {@linkcode loadVaultRegistry}). */
export async function loadVaultSchedules(layout: VaultLayout): Promise<ScheduledTask[]> {
  return (await loadVaultRegistry(layout)).tasks;
}

/**
 * The registry as the running scheduler sees it: the vault's schedules.yaml is read again on every
 * call and parsed again when its text changed, so enabling or disabling a task (by
 * `aiemp schedules enable|disable` or by hand) is picked up without a restart. Refused entries
 * are passed to `report` when they first appear; a file that stops being valid YAML is reported
 * and the last good registry stays in force.
 */
export function createScheduleSource(
  layout: VaultLayout,
  report: (errors: string[]) => void,
): () => Promise<ScheduledTask[]> {
  let defaults: string | undefined;
  let lastText: string | undefined | null = null; // null: never read
  let current: ScheduledTask[] = [];
  let shown = "";
  const tell = (errors: string[]) => {
    const key = errors.join("\n");
    if (key !== shown) report(errors);
    shown = key;
  };
  return async () => {
    defaults ??= await Deno.readTextFile(DEFAULT_SCHEDULES);
    const own = await Deno.readTextFile(layout.schedules).catch(() => undefined);
    if (own === lastText) return current;
    lastText = own;
    try {
      const loaded = load(defaults, own);
      current = loaded.tasks;
      tell(loaded.errors);
    } catch (error) {
      if (!(error instanceof ScheduleError)) throw error;
      tell([`${error.message}; the schedules stay as they were`]);
    }
    return current;
  };
}

/**
 * Turns a task on or off for this vault by editing the vault's schedules.yaml (comments and
 * everything else kept; the file is created when missing). A running orchestrator picks the change
 * up on its next look at the clock. Returns a line for the owner.
 */
export async function setScheduleEnabled(
  layout: VaultLayout,
  name: string,
  enabled: boolean,
): Promise<string> {
  const { tasks } = await loadVaultRegistry(layout);
  const own = await Deno.readTextFile(layout.schedules).catch(() => undefined);
  // A task refused for a bad setting can still be turned off by name.
  const known = tasks.some((t) => t.name === name) ||
    (/^[a-z0-9_]+$/.test(name) && own !== undefined &&
      new RegExp(`name:\\s*["']?${name}["']?\\s*(#.*)?$`, "m").test(own));
  if (!known) {
    throw new ScheduleError(
      `No schedule named '${name}'; 'aiemp schedules list' shows them: ${
        tasks.map((t) => t.name).join(", ")
      }`,
    );
  }
  await writeFileAtomic(layout.schedules, setTaskEnabled(own, name, enabled));
  return `${
    enabled ? "Enabled" : "Disabled"
  } ${name} in ${layout.schedules}; a running aiemp picks this up within scheduler.tick_s.`;
}
