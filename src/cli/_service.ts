import { join } from "node:path";
import { type Command, Option } from "commander";
import { readStatus } from "../orchestrator/mod.ts";
import {
  installService,
  runCommand,
  ServiceError,
  type ServiceHost,
  serviceLogs,
  type ServiceSpec,
  serviceSpec,
  serviceStatus,
  serviceStatusLines,
  shellLine,
  streamCommand,
  uninstallService,
} from "../service/mod.ts";
import { isVault, vaultLayout } from "../vault/mod.ts";
import { type CommandContext, duration, table } from "./_output.ts";

/** What the service commands take from outside, passed in so tests may replace it. */
export interface ServiceCommandDeps {
  /** Replaces parts of the real machine (the command runner, the user, the uid…). */
  host?: Partial<ServiceHost>;
  /** Whether this is the compiled binary (not `deno run`). @default Deno.build.standalone */
  standalone?: boolean;
  /** The running program's path, the binary when compiled. @default Deno.execPath */
  execPath?: () => string;
  /** The accounts file read for a system unit's home when `getent` is missing. @default "/etc/passwd" */
  passwdFile?: string;
}

/** The options every service command shares. */
interface WhereOptions {
  platform?: string;
  unitDir?: string;
  system?: boolean;
}

interface InstallFlags extends WhereOptions {
  binary?: string;
  user?: string;
  start: boolean;
  restart?: boolean;
  dryRun?: boolean;
}

/**
 * Adds `aiemp service install|uninstall|status|logs` to the program: aiemp as a systemd unit
 * (Linux) or a launchd agent (macOS), defined once in src/service/.
 */
export function registerServiceCommands(
  program: Command,
  context: CommandContext,
  deps: ServiceCommandDeps = {},
): void {
  const { out, setExit } = context;
  const run = async (body: () => Promise<void>) => {
    try {
      await body();
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      out.err(`aiemp: ${error.message}`);
      setExit(1);
    }
  };
  const where = (command: Command) =>
    command
      .addOption(
        new Option(
          "--platform <os>",
          "the service manager's system: linux (systemd) or darwin (launchd) (default: this machine's; for tests and --dry-run)",
        ).choices(["linux", "darwin"]),
      )
      .option(
        "--unit-dir <dir>",
        "the folder of the unit or plist (default: ~/.config/systemd/user, /etc/systemd/system with --system, ~/Library/LaunchAgents)",
      );

  const service = program.command("service")
    .description(
      "run aiemp as a service that starts at boot or login and restarts after a crash: systemd (Linux) or launchd (macOS)",
    );

  where(
    service.command("install")
      .description(
        "write the unit (Linux) or plist (macOS) for the vault, enable and start it; again with the same options: nothing changes",
      )
      .option(
        "--binary <path>",
        "the aiemp program the service starts (default: this binary; required when run from source)",
      )
      .option("--system", "a system unit (Linux, as root) that runs as --user, not a user unit")
      .option(
        "--user <name>",
        "with --system: the account aiemp runs as (default: $USER); without --vault it runs on that account's ~/AI_Employee_Vault",
      )
      .option("--no-start", "write and enable the service without starting it now")
      .option("--restart", "restart the service even when its unit is unchanged (a new binary)")
      .option(
        "--dry-run",
        "print each step (the file and its content, each command); change nothing",
      ),
  ).action((options: InstallFlags) =>
    run(async () => {
      const host = await hostFor(context, options, deps);
      const spec = await specFor(options, host, context, {
        ...deps,
        vaultGiven: Boolean(program.opts().vault || context.env.AIEMP_VAULT),
      });
      if (options.dryRun) {
        if (!await isExecutable(spec.binary)) {
          out.out(`(The binary ${spec.binary} does not exist yet.)`);
        }
        if (!await isVault(spec.vault)) {
          out.out(
            `(The vault ${spec.vault} does not exist yet: '${vaultInit(spec)}' creates it.)`,
          );
        }
      } else {
        if (!await isExecutable(spec.binary)) {
          throw new ServiceError(
            `Cannot install the service: ${spec.binary} is not an executable file; give the installed aiemp binary with --binary PATH`,
          );
        }
        if (!await isVault(spec.vault)) {
          throw new ServiceError(
            `Cannot install the service: there is no vault at ${spec.vault}; create it with '${
              vaultInit(spec)
            }' (or give --vault DIR)`,
          );
        }
      }
      await installService(spec, {
        start: options.start,
        restart: options.restart,
        dryRun: options.dryRun,
      }, host);
    })
  );

  where(
    service.command("uninstall")
      .description(
        "stop and disable the service and remove the file install wrote; the vault stays as it is",
      )
      .option("--system", "the system unit (Linux, as root), not the user unit")
      .option("--dry-run", "print each step; change nothing"),
  ).action((options: WhereOptions & { dryRun?: boolean }) =>
    run(async () => {
      const host = await hostFor(context, options, deps);
      await uninstallService({ system: options.system, dryRun: options.dryRun }, host);
    })
  );

  where(
    service.command("status")
      .description(
        "the service manager's view of the service next to aiemp's own (the vault: --vault, else the installed service's)",
      )
      .option("--system", "the system unit (default: the installed one, the user's first)")
      .option("--json", "print JSON: { service, aiemp }"),
  ).action((options: WhereOptions & { json?: boolean }) =>
    run(async () => {
      const host = await hostFor(context, options, deps);
      const view = await serviceStatus({ system: options.system || undefined }, host);
      const root = program.opts().vault || !view.vault ? context.vault().root : view.vault;
      const own = await readStatus(vaultLayout(root));
      if (options.json) {
        out.out(JSON.stringify({ service: view, aiemp: own }, null, 2));
        return;
      }
      for (const line of serviceStatusLines(view)) out.out(line);
      out.out(
        own.running
          ? `aiemp: running on ${own.vault} (PID ${own.pid}, up ${duration(own.uptime_s ?? 0)})`
          : `aiemp: not running on ${own.vault}`,
      );
      if (own.components.length) {
        table(own.components.map((c) => [`  ${c.description}`, c.state, `restarts ${c.restarts}`]))
          .forEach((line) => out.out(line));
      }
    })
  );

  where(
    service.command("logs")
      .description(
        "the service's logs: systemd's journal, or on macOS the files launchd writes in the vault's Logs/",
      )
      .option("-n, --lines <n>", "how many of the last lines (default 50)")
      .option("-f, --follow", "keep showing new lines until Ctrl-C")
      .option("--system", "the system unit (default: the installed one, the user's first)"),
  ).action((options: WhereOptions & { lines?: string; follow?: boolean }) =>
    run(async () => {
      const lines = options.lines === undefined ? 50 : Number(options.lines);
      if (!Number.isInteger(lines) || lines < 1) {
        throw new ServiceError(
          `Cannot show '${options.lines}' lines: -n expects a whole number, 1 or more`,
        );
      }
      const host = await hostFor(context, options, deps);
      setExit(
        await serviceLogs({
          system: options.system || undefined,
          lines,
          follow: options.follow,
          vault: context.vault().root,
        }, host),
      );
    })
  );
}

/** The real machine, with what tests replace. */
async function hostFor(
  context: CommandContext,
  options: WhereOptions,
  deps: ServiceCommandDeps,
): Promise<ServiceHost> {
  const home = deps.host?.home ?? context.env.HOME ?? context.env.USERPROFILE;
  if (!home) {
    throw new ServiceError("Cannot find your home folder: HOME is not set; set it and run again");
  }
  const run = deps.host?.run ?? runCommand;
  let user = deps.host?.user ?? context.env.USER;
  if (!user) {
    const id = await run("id", ["-un"]);
    user = id.code === 0 ? id.stdout.trim() : "";
  }
  if (!user) {
    throw new ServiceError("Cannot tell who you are: USER is not set; set it and run again");
  }
  return {
    run,
    stream: streamCommand,
    home,
    os: options.platform ?? Deno.build.os,
    user,
    uid: Deno.uid() ?? 0,
    print: context.out.out,
    ...(options.unitDir ? { unitDir: options.unitDir } : {}),
    ...deps.host,
  };
}

/**
 * The spec of `aiemp service install`: the binary, the vault, the account, the stop window. A
 * system unit without `--vault` (or `AIEMP_VAULT`) runs on its account's `~/AI_Employee_Vault`,
 * not the one of whoever runs the command (root, under sudo); the vault chosen is printed.
 */
async function specFor(
  options: InstallFlags,
  host: ServiceHost,
  context: CommandContext,
  deps: ServiceCommandDeps & { vaultGiven: boolean },
) {
  if (options.user !== undefined && !options.system) {
    throw new ServiceError(
      "Cannot use --user without --system: a user unit runs as you; add --system for a system unit that runs as that account",
    );
  }
  let systemUser: string | undefined;
  if (options.system) {
    systemUser = options.user ?? host.user;
    if (systemUser === "root" && options.user === undefined) {
      throw new ServiceError(
        "Cannot install a system unit for root by default: give --user NAME, the account aiemp runs as (aiemp is not meant to run as root; give --user root to insist)",
      );
    }
  }
  const standalone = deps.standalone ?? Deno.build.standalone;
  const binary = options.binary ?? (standalone ? (deps.execPath ?? Deno.execPath)() : undefined);
  if (binary === undefined) {
    throw new ServiceError(
      "Cannot install the service from source: it must start a program, not 'deno task'; build the binary (deno task compile) and give it with --binary PATH (e.g. --binary dist/aiemp)",
    );
  }
  const home = systemUser === undefined
    ? host.home
    : await homeOf(systemUser, host, deps.passwdFile ?? "/etc/passwd");
  const ownVault = systemUser !== undefined && !deps.vaultGiven;
  const vault = ownVault ? join(home, "AI_Employee_Vault") : context.vault().root;
  if (ownVault) {
    host.print(
      `No --vault given: the system unit runs as ${systemUser}, so it runs on ${systemUser}'s vault ${vault} (give --vault DIR for another).`,
    );
  }
  return await serviceSpec({
    binary,
    vault,
    home,
    os: host.os,
    ...(systemUser === undefined ? {} : { systemUser }),
  });
}

/** The command that creates the spec's vault, as the account the service runs as. */
function vaultInit(spec: ServiceSpec): string {
  const init = ["aiemp", "vault", "init", "--path", spec.vault];
  return spec.systemUser === undefined || spec.systemUser === "root"
    ? shellLine(init[0], init.slice(1))
    : shellLine("sudo", ["-u", spec.systemUser, ...init]);
}

/**
 * The home folder of `user`: `getent passwd`, else (no getent) the accounts file. An account that
 * does not exist is an error.
 */
async function homeOf(user: string, host: ServiceHost, passwdFile: string): Promise<string> {
  const missing = (where: string) =>
    new ServiceError(
      `Cannot install a system unit for '${user}': there is no such account here (${where}); give --user NAME of an existing account, or create it first (sudo useradd -m ${user})`,
    );
  const found = await host.run("getent", ["passwd", user]);
  if (found.code === 0) return homeField(found.stdout, user) || `/home/${user}`;
  if (found.code !== 127) throw missing(`getent passwd ${user}`);
  let accounts: string;
  try {
    accounts = await Deno.readTextFile(passwdFile);
  } catch {
    return `/home/${user}`; // Neither getent nor the file: the usual place.
  }
  const home = homeField(accounts, user);
  if (home === undefined) throw missing(`not in ${passwdFile}`);
  return home || `/home/${user}`;
}

/** The home field of `user`'s line in passwd text, "" when empty, undefined when not listed. */
function homeField(text: string, user: string): string | undefined {
  const fields = text.split("\n").map((line) => line.split(":")).find((f) => f[0] === user);
  return fields === undefined ? undefined : fields[5] ?? "";
}

async function isExecutable(path: string): Promise<boolean> {
  const info = await Deno.stat(path).catch(() => undefined);
  return info !== undefined && info.isFile && ((info.mode ?? 0o755) & 0o111) !== 0;
}
