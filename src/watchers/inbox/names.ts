/**
 * A version of a file name that is safe on every file system and in an Obsidian link: no path
 * separators, control characters (newlines included) or characters Windows forbids; at most
 * 120 bytes, keeping the extension. The original name is kept in the task note.
 *
 * @example
 * ```ts
 * safeFileName("a/b:\nc.pdf"); // "a_b__c.pdf"
 * ```
 */
export function safeFileName(name: string): string {
  // deno-lint-ignore no-control-regex
  let safe = name.normalize("NFC").replace(/[\u0000-\u001f\u007f/\\:*?"<>|#^[\]]/g, "_")
    .replace(/^[ .]+|[ .]+$/g, "");
  if (safe === "") safe = "file";
  const encoder = new TextEncoder();
  if (encoder.encode(safe).length <= 120) return safe;
  const dot = safe.lastIndexOf(".");
  const ext = dot > 0 && safe.length - dot <= 12 ? safe.slice(dot) : "";
  let stem = safe.slice(0, safe.length - ext.length);
  while (encoder.encode(stem + ext).length > 120) stem = [...stem].slice(0, -1).join("");
  return stem.replace(/[ .]+$/, "") + ext;
}

/**
 * The id of a dropped file's task note: `FILE_<UTC time>_<slug of the name>_<random>`; readable
 * in a file list and unique even for two drops of one name in one second.
 *
 * @example
 * ```ts
 * fileTaskId("Quarterly report.pdf", new Date("2026-11-21T05:41:00Z"), "3fa9c2");
 * // "FILE_20261121-054100_quarterly-report-pdf_3fa9c2"
 * ```
 */
export function fileTaskId(name: string, now: Date, random: string): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const slug = name.normalize("NFKD").toLowerCase().replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "").slice(0, 40).replace(/-+$/, "") || "file";
  return `FILE_${stamp}_${slug}_${random}`;
}

/** The task id at the start of a kept original's name (`<id>__<name>`), if it has one. */
export function taskIdOfAttachment(name: string): string | undefined {
  const cut = name.indexOf("__");
  return name.startsWith("FILE_") && cut > 0 ? name.slice(0, cut) : undefined;
}
