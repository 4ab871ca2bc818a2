/**
 * Dashboard.md: the sections aiemp manages (status, component health, queue counts, recent
 * activity) between marker comments; everything else in the file is the owner's.
 * @module
 */
export {
  type ActivityEntry,
  DASHBOARD_SECTIONS,
  type DashboardSnapshot,
  renderDashboard,
} from "./render.ts";
export { writeDashboard } from "./writer.ts";
