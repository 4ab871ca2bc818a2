import { createHash } from "node:crypto";

/** The SHA-256 of `data` in hex: the audit chain's link and an item's content hash. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
