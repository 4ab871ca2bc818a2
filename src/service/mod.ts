/**
 * aiemp as a service: the one definition of its systemd unit and launchd plist (pure functions of
 * a {@linkcode ServiceSpec}), and their install, uninstall, status and logs through the service
 * manager, every side effect passed in as a {@linkcode ServiceHost}. `aiemp service …` and
 * `scripts/install.sh` (which runs the installed `aiemp service install`) both go through here,
 * so they cannot drift apart.
 *
 * @example
 * ```ts
 * import { installService, runCommand, serviceSpec } from "./mod.ts";
 *
 * const spec = await serviceSpec({
 *   binary: "/home/ana/.local/bin/aiemp",
 *   vault: "/home/ana/AI_Employee_Vault",
 *   home: "/home/ana",
 *   os: "linux",
 * });
 * await installService(spec, { dryRun: true }, {
 *   run: runCommand,
 *   home: "/home/ana",
 *   os: "linux",
 *   user: "ana",
 *   uid: 1000,
 *   print: console.log,
 * });
 * ```
 * @module
 */
export {
  LAUNCHD_LABEL,
  LAUNCHD_LOGS,
  RESTART_DELAY_S,
  ServiceError,
  servicePath,
  type ServiceSpec,
  serviceSpec,
  type SpecInput,
  START_LIMIT_BURST,
  START_LIMIT_INTERVAL_S,
  STOP_MARGIN_S,
  UNIT_NAME,
  WRITTEN_BY,
} from "./spec.ts";
export { systemdUnit, vaultOfUnit } from "./unit.ts";
export { launchdPlist, vaultOfPlist, xmlEscape } from "./plist.ts";
export {
  type CommandResult,
  type CommandRunner,
  locateService,
  runCommand,
  saysNoSession,
  type ServiceHost,
  type ServiceLocation,
  type ServiceLocator,
  shellLine,
  streamCommand,
  SYSTEM_UNIT_DIR,
} from "./host.ts";
export {
  type InstallOptions,
  type InstallOutcome,
  type InstallReport,
  installService,
  type UninstallOptions,
  type UninstallReport,
  uninstallService,
} from "./manager.ts";
export {
  findService,
  type InspectOptions,
  type InstalledService,
  type LogsOptions,
  serviceLogs,
  serviceStatus,
  serviceStatusLines,
  type ServiceView,
  UNIT_PROPERTIES,
} from "./inspect.ts";
