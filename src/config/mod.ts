/**
 * Settings: aiemp.yaml, the environment and command-line flags become one frozen, typed Config.
 * Nothing outside this folder reads `Deno.env`.
 * @module
 */
export {
  type Config,
  configSchema,
  type ExternalWatcherConfig,
  type MsRange,
  type RestartSettings,
  type SocialPlatformSettings,
  type SupervisorSettings,
} from "./schema.ts";
export { ConfigError, type ConfigOverrides, loadConfig } from "./load.ts";
export { type Environment, readEnvironment, resolveVaultPath } from "./environment.ts";

/** The variables that tell whether a graphical display is reachable (Linux and other Unixes). */
export interface DisplayEnvironment {
  /** The X11 display, e.g. `:0`; empty or missing when there is none. */
  DISPLAY?: string;
  /** The Wayland display, e.g. `wayland-0`; empty or missing when there is none. */
  WAYLAND_DISPLAY?: string;
}

/**
 * Reads `DISPLAY` and `WAYLAND_DISPLAY`, for the commands that open a browser window
 * (`aiemp login`). Kept apart from {@linkcode readEnvironment}: only those commands need them.
 */
export function readDisplayEnvironment(): DisplayEnvironment {
  return { DISPLAY: Deno.env.get("DISPLAY"), WAYLAND_DISPLAY: Deno.env.get("WAYLAND_DISPLAY") };
}
