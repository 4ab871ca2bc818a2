/**
 * The expected failures of a post's steps, thrown inside a step (so the step leaves its
 * screenshot and HTML) and read back from the step error's `cause`. Private to the drivers.
 * @module
 */

/** The site shows its login form: the owner logs in with `aiemp login <platform>`. */
export class SocialLoggedOut extends Error {
  /** Always `"SocialLoggedOut"`, for logs and stack traces. */
  override readonly name = "SocialLoggedOut";
  /** The platform, as in `aiemp login <platform>`. */
  readonly platform: string;

  /** `label`'s session (platform `platform`) is logged out. */
  constructor(platform: string, label: string) {
    super(
      `${label} shows its login form: the session in aiemp's browser profile is logged out; run aiemp login ${platform}`,
    );
    this.platform = platform;
  }
}

/** The site showed an error once the post was sent (its Post button clicked), instead of the post. */
export class PostRefused extends Error {
  /** Always `"PostRefused"`, for logs and stack traces. */
  override readonly name = "PostRefused";
  /** What the site said, as shown. */
  readonly shown: string;

  /** `label` showed `shown` once the post was sent. */
  constructor(label: string, shown: string) {
    super(`${label} showed an error once the post was sent: ${JSON.stringify(shown)}`);
    this.shown = shown;
  }
}

/** The first error of type `type` in `error`'s `cause` chain, or undefined. */
export function causeOf<T extends Error>(
  error: unknown,
  type: abstract new (...args: never[]) => T,
): T | undefined {
  let at: unknown = error;
  for (let depth = 0; at instanceof Error && depth < 10; depth++) {
    if (at instanceof type) return at;
    at = at.cause;
  }
  return undefined;
}
