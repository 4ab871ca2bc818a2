import { fileURLToPath } from "node:url";
import { writeFileAtomic } from "../vault/mod.ts";
import { type DashboardSnapshot, renderDashboard } from "./render.ts";

const TEMPLATE = fileURLToPath(new URL("../../vault-template/Dashboard.md", import.meta.url));

/**
 * Rewrites Dashboard.md from a snapshot, atomically, and only when its text changes. A Dashboard
 * the owner deleted is recreated from the template.
 */
export async function writeDashboard(path: string, snapshot: DashboardSnapshot): Promise<void> {
  const current = await Deno.readTextFile(path).catch(() => undefined);
  const base = current ?? await Deno.readTextFile(TEMPLATE).catch(() => "# Dashboard\n");
  const next = renderDashboard(base, snapshot);
  if (next !== current) await writeFileAtomic(path, next);
}
