/** `certchain gov vote ID [--no]`: a validator's vote on a proposal. */
import { RPC_OPTION, parseCommandArgs, rpcOptionHelp } from "../../args.js";
import type { Command } from "../../command.js";
import { UsageError } from "../../errors.js";
import { KEY_PROTECTION_OPTIONS } from "../../passphrase.js";
import { SIGN_HELP, signAndSubmit } from "./sign.js";

const NAME = "gov vote";

export const govVoteCommand: Command = {
  name: NAME,
  summary: "vote on a proposal",
  usage: `Vote on a proposal with a validator's consensus key: yes, or no with --no. One vote per
validator; the proposal passes at its threshold and is in force two heights after that block.

Usage: certchain gov vote ID --key FILE [--no] [--rpc URL]

Options:
  --no              vote against
${SIGN_HELP}
${rpcOptionHelp(20)}
  -h, --help        show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(
      NAME,
      argv,
      {
        key: { type: "string" },
        no: { type: "boolean" },
        ...KEY_PROTECTION_OPTIONS,
        "no-wait": { type: "boolean" },
        timeout: { type: "string" },
        ...RPC_OPTION,
      },
      1,
    );
    const id = Number(args.positionals[0]);
    if (!Number.isSafeInteger(id) || id < 1) throw new UsageError("ID must be a proposal id (1, 2, …)", NAME);
    return signAndSubmit(NAME, io, args, "gov-vote", { proposal: id, approve: args.values.no !== true });
  },
};
