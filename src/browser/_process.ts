/** What `ps` says of one process. */
export interface ProcessLine {
  /** The process is a zombie: it ended and waits for its parent to collect it. */
  zombie: boolean;
  /** Its command line as `ps` shows it (program, then arguments, space-separated). */
  command: string;
}

/**
 * What `ps` says of `pid`: undefined when there is no such process, `"unknown"` when there is no
 * `ps` to run (`/proc` is not readable under Deno's permissions; `ps` exists on Linux and macOS
 * alike). Throws when the permissions do not let it run `ps`.
 */
export async function processLine(pid: number): Promise<ProcessLine | undefined | "unknown"> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("ps", {
      args: ["-ww", "-o", "stat=", "-o", "command=", "-p", String(pid)],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
  } catch (error) {
    // Missing permissions are a mistake to see, not a reason to act on a PID unchecked.
    if (error instanceof Deno.errors.NotCapable) throw error;
    return "unknown";
  }
  const text = new TextDecoder().decode(output.stdout).trim();
  if (!output.success || text === "") return undefined;
  const space = text.search(/\s/);
  const stat = space === -1 ? text : text.slice(0, space);
  const command = space === -1 ? "" : text.slice(space).trim();
  return { zombie: stat.startsWith("Z"), command };
}
