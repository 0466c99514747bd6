/** `certchain genesis build`: the genesis of a new chain from the validators' node cards. */
import { EXIT } from "../../node/errors.js";
import { listFlag, parseCommandArgs, requiredFlag, stringFlag } from "../args.js";
import { type Command, commandGroup } from "../command.js";
import { UsageError } from "../errors.js";

const BUILD = "genesis build";
const CHAIN_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** More card files than any chain has validators. */
const MAX_CARDS = 256;

/** --genesis-time: Unix milliseconds or an ISO 8601 time; now when absent. */
export function parseGenesisTime(command: string, value: string | undefined, now: number): number {
  if (value === undefined) return now;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isSafeInteger(ms)) throw new UsageError(`--genesis-time must be Unix milliseconds or an ISO 8601 time, not "${value}"`, command);
  return ms;
}

export const genesisBuildCommand: Command = {
  name: BUILD,
  summary: "build genesis from a template and the validators' node cards",
  usage: `Check every card (shape and signature) and write the genesis: validators from the cards in a
fixed order (the template's department order, then name), each card's issuer keys in its department,
everything else from the template (chain name, departments, certificate types, review rules, consensus
parameters). The same cards, template and --genesis-time give the same genesis in any order, so any
department can rebuild it and compare hashes. One line names the card for a tampered card, a follower
card, a department not in the template, or a key, peer id, address or name on two cards; nothing is
written then.

Usage: certchain genesis build --cards A.json B.json … --out FILE [--template FILE] [--chain-name N]
                               [--genesis-time MS|ISO] [--force]

Options:
  --cards FILE …         the validators' card files (required; --cards may also repeat)
  --out FILE             where to write the genesis (required; an existing file only with --force)
  --template FILE        genesis template (default: templates/default.json, the mission's four departments)
  --chain-name N         [a-z0-9-], part of the chain id (default: the template's)
  --genesis-time T       Unix ms or ISO 8601 (default: now)
  --force                replace --out if it exists
  -h, --help             show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(
      BUILD,
      argv,
      {
        cards: { type: "string", multiple: true },
        out: { type: "string" },
        template: { type: "string" },
        "chain-name": { type: "string" },
        "genesis-time": { type: "string" },
        force: { type: "boolean" },
      },
      MAX_CARDS,
    );
    const cardFiles = [...listFlag(args, "cards"), ...args.positionals];
    if (listFlag(args, "cards").length === 0) throw new UsageError("--cards is required", BUILD);
    const out = requiredFlag(BUILD, args, "out");
    const chainName = stringFlag(BUILD, args, "chain-name");
    if (chainName !== undefined && !CHAIN_NAME.test(chainName)) throw new UsageError("--chain-name must be 1-64 characters of a-z 0-9 -", BUILD);
    const genesisTime = parseGenesisTime(BUILD, stringFlag(BUILD, args, "genesis-time"), Date.now());
    const { loadTemplate } = await import("../../node/ledger/template-file.js");
    const { buildGenesisFile } = await import("../../node/ceremony/genesis-build.js");
    const template = await loadTemplate(stringFlag(BUILD, args, "template"));
    const r = await buildGenesisFile({
      cardFiles,
      template,
      genesisTime,
      out,
      force: args.values.force === true,
      ...(chainName === undefined ? {} : { chainName }),
    });
    io.out(`chain id      ${r.spec.chainId}`);
    io.out(`genesis hash  ${r.spec.genesisHash}`);
    io.out(`genesis       ${r.genesisFile}`);
    io.out("validators (proposer order)");
    for (const v of r.spec.validators) io.out(`  ${v.name.padEnd(16)} ${v.department.padEnd(20)} ${v.address}/p2p/${v.peerId}`);
    for (const d of r.departmentsWithoutIssuers) io.out(`note: no card brought an issuer key for department ${d}; it cannot issue on this chain`);
    io.out("");
    io.out("send the genesis to every department; each runs: certchain node join --home DIR --genesis FILE");
    return EXIT.OK;
  },
};

export const genesisCommand: Command = commandGroup(
  "genesis",
  "build a chain's genesis from node cards",
  "The genesis of a new chain, built from node cards.",
  [{ name: "build", summary: genesisBuildCommand.summary, load: async () => genesisBuildCommand }],
);
