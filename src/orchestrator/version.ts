import denoConfig from "../../deno.json" with { type: "json" };

/** aiemp's version, from deno.json (the one place it is set). */
export const VERSION: string = denoConfig.version;

/** What a build records about itself (`deno task compile` writes it next to this module). */
export interface BuildInfo {
  /** The release tag (`v0.2.0`), or `git describe` of an untagged build. */
  tag: string | null;
  /** The commit built, abbreviated. */
  commit: string | null;
}

/** The build's tag and commit, for a compiled binary; undefined when run from source. */
function buildInfo(): BuildInfo | undefined {
  try {
    return JSON.parse(Deno.readTextFileSync(new URL("./build_info.json", import.meta.url)));
  } catch {
    return undefined;
  }
}

/**
 * What `aiemp --version` prints: the version, and the release tag and commit the binary was built
 * from (`aiemp 0.1.0 (v0.1.0, commit 3f2a9c1e0b7d)`), or that it runs from source.
 */
export function versionText(info: BuildInfo | undefined = buildInfo()): string {
  if (!info) return `aiemp ${VERSION} (from source)`;
  return `aiemp ${VERSION} (${info.tag ?? "untagged"}, commit ${info.commit ?? "unknown"})`;
}
