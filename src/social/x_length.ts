/**
 * X's own count of a post's length (twitter-text, X's published rules: most characters outside
 * Latin scripts and every emoji count 2, a link counts 23 whatever its length). Loaded when an X
 * post is checked, not at start-up.
 * @module
 */
import process from "node:process";
import type { LengthOf } from "./rules.ts";

let loaded: Promise<LengthOf> | undefined;

/**
 * X's weighted length counter. twitter-text loads an old `punycode` that Node-compatible
 * runtimes flag as deprecated; the warning is held back while it loads, since the owner can do
 * nothing about it.
 */
export function loadXLength(): Promise<LengthOf> {
  loaded ??= (async () => {
    // Node's switch, missing from the types Deno ships for node:process.
    const node = process as { noDeprecation?: boolean };
    const quiet = node.noDeprecation;
    node.noDeprecation = true;
    try {
      const { default: twitterText } = await import("twitter-text");
      return (text: string) => twitterText.parseTweet(text).weightedLength;
    } finally {
      node.noDeprecation = quiet;
    }
  })();
  return loaded;
}
