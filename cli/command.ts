/**
 * Commands and command groups. A group (`certchain`, `keys`, `cert`) lists its subcommands with a
 * one-line summary and loads a subcommand's module only when it runs, so `--help` and light
 * commands do not pay for libp2p and LevelDB.
 */
import { EXIT } from "../node/errors.js";
import { wantsHelp } from "./args.js";
import { UsageError } from "./errors.js";
import type { CliIo } from "./io.js";

export interface Command {
  /** Full name after `certchain`, e.g. "cert issue"; "" for the root. */
  name: string;
  summary: string;
  /** The text --help prints. */
  usage: string;
  /** Run with the arguments after the command name; returns the exit code. */
  run(argv: string[], io: CliIo): Promise<number>;
  /** Set for a group: it passes --help on to the subcommand named after it. */
  subcommands?: readonly CommandEntry[];
}

/** A subcommand as its group knows it before loading it. */
export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

/** Run a command: --help anywhere (before `--`) prints its usage and exits 0. */
export async function runCommand(command: Command, argv: string[], io: CliIo): Promise<number> {
  if (command.subcommands === undefined && wantsHelp(argv)) {
    io.out(command.usage);
    return EXIT.OK;
  }
  return command.run(argv, io);
}

/** A command made of subcommands: `certchain <name> <sub> [options]`. */
export function commandGroup(name: string, summary: string, intro: string, entries: CommandEntry[], footer = ""): Command {
  const prefix = name === "" ? "certchain" : `certchain ${name}`;
  const width = Math.max(...entries.map((e) => e.name.length));
  const usage = [
    intro,
    "",
    `Usage: ${prefix} <command> [options]`,
    "",
    "Commands:",
    ...entries.map((e) => `  ${e.name.padEnd(width)}  ${e.summary}`),
    "",
    `Run "${prefix} <command> --help" for its options.`,
    ...(footer === "" ? [] : ["", footer]),
  ].join("\n");
  return {
    name,
    summary,
    usage,
    subcommands: entries,
    async run(argv, io) {
      const [first, ...rest] = argv;
      if (first === undefined) throw new UsageError("missing command", name);
      if (first === "--help" || first === "-h" || first === "help") {
        io.out(usage);
        return EXIT.OK;
      }
      if (first.startsWith("-")) throw new UsageError(`unknown option ${first}`, name);
      const entry = entries.find((e) => e.name === first);
      if (entry === undefined) throw new UsageError(`unknown command "${name === "" ? first : `${name} ${first}`}"`, name);
      return runCommand(await entry.load(), rest, io);
    },
  };
}
