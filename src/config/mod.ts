/**
 * Settings: aiemp.yaml, the environment and command-line flags become one frozen, typed Config.
 * Nothing outside this folder reads `Deno.env`.
 * @module
 */
export {
  type Config,
  configSchema,
  type ExternalWatcherConfig,
  type RestartSettings,
  type SupervisorSettings,
} from "./schema.ts";
export { ConfigError, type ConfigOverrides, loadConfig } from "./load.ts";
export { type Environment, readEnvironment, resolveVaultPath } from "./environment.ts";
