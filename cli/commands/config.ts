/** `certchain config show | check`: a node's effective settings, resolved as `certchain start` resolves them. */
import type { EffectiveOption, NodeSettings } from "../../node/config-resolve.js";
import { EXIT } from "../../node/errors.js";
import { type ParsedArgs, listFlag, parseCommandArgs, requiredFlag } from "../args.js";
import { type Command, commandGroup } from "../command.js";
import type { CliIo } from "../io.js";

const SHOW = "config show";
const CHECK = "config check";

const LAYERS_HELP = `Layers, later ones winning: each option's default, DIR/config.toml, the environment
(CERTCHAIN_ + the option's path in SCREAMING_SNAKE_CASE, levels joined by "__":
CERTCHAIN_RPC__PORT, CERTCHAIN_MEMPOOL__MAX_TXS, CERTCHAIN_NETWORK__PENALTIES__THRESHOLD), then
--set OPTION=VALUE. Values are read by the option's type; arrays as JSON.`;

const OPTIONS_HELP = `  --home DIR           the node's home (required)
  --set OPTION=VALUE   an override as certchain start takes it (repeatable)`;

/** The settings of --home with the environment and --set laid over them, exactly as `start` gets them. */
async function resolveFromArgs(command: string, args: ParsedArgs, io: CliIo): Promise<NodeSettings> {
  const home = requiredFlag(command, args, "home");
  const { resolveNodeSettings } = await import("../../node/config-resolve.js");
  return resolveNodeSettings(home, { env: io.env, overrides: listFlag(args, "set") });
}

/** The table `config show` prints: option, source, effective value (JSON; "-" when unset). */
export function formatEffectiveOptions(rows: readonly EffectiveOption[]): string[] {
  const all = [["OPTION", "SOURCE", "VALUE"], ...rows.map((r) => [r.path, r.source, r.value === undefined ? "-" : JSON.stringify(r.value)])];
  const width = (i: number): number => Math.max(...all.map((cells) => (cells[i] as string).length));
  const [pathWidth, sourceWidth] = [width(0), width(1)];
  return all.map(([path, source, value]) => `${(path as string).padEnd(pathWidth)}  ${(source as string).padEnd(sourceWidth)}  ${value}`);
}

export const configShowCommand: Command = {
  name: SHOW,
  summary: "print every option's effective value and where it came from",
  usage: `Print every option of the node at DIR, where its effective value came from (default,
config.toml, env CERTCHAIN_…, flag --set, or unset) and the value (JSON).

${LAYERS_HELP}

Usage: certchain config show --home DIR [--set OPTION=VALUE]... [--json]

Options:
${OPTIONS_HELP}
  --json               print {"<option>": {"value", "source", "env"}} as JSON
  -h, --help           show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(SHOW, argv, { home: { type: "string" }, set: { type: "string", multiple: true }, json: { type: "boolean" } });
    const settings = await resolveFromArgs(SHOW, args, io);
    const { effectiveOptions } = await import("../../node/config-resolve.js");
    const rows = effectiveOptions(settings);
    if (args.values.json === true) {
      io.out(JSON.stringify(Object.fromEntries(rows.map((r) => [r.path, { value: r.value ?? null, source: r.source, env: r.env }])), null, 2));
    } else {
      for (const line of formatEffectiveOptions(rows)) io.out(line);
    }
    return EXIT.OK;
  },
};

export const configCheckCommand: Command = {
  name: CHECK,
  summary: "check a node's config.toml, environment and --set without starting it",
  usage: `Check the settings of the node at DIR as certchain start would (config.toml, the CERTCHAIN_*
environment, --set) and print "ok" with the file; a problem is one line naming it, exit 1
(exit 2 for a bad --set).

Usage: certchain config check --home DIR [--set OPTION=VALUE]...

Options:
${OPTIONS_HELP}
  -h, --help           show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(CHECK, argv, { home: { type: "string" }, set: { type: "string", multiple: true } });
    const settings = await resolveFromArgs(CHECK, args, io);
    io.out(`ok: ${settings.file}`);
    return EXIT.OK;
  },
};

export const configCommand: Command = commandGroup("config", "show and check a node's settings", "A node's settings: config.toml, the environment and --set.", [
  { name: "show", summary: configShowCommand.summary, load: async () => configShowCommand },
  { name: "check", summary: configCheckCommand.summary, load: async () => configCheckCommand },
]);
