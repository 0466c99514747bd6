/** `certchain gov vote ID [--no]`: a validator's vote on a proposal. */
import { parseCommandArgs, rpcOptionHelp } from "../../args.js";
import type { Command } from "../../command.js";
import { UsageError } from "../../errors.js";
import { SIGN_HELP, SIGN_OPTIONS, signAndSubmit } from "./sign.js";

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
        no: { type: "boolean" },
        ...SIGN_OPTIONS,
      },
      1,
    );
    const id = Number(args.positionals[0]);
    if (!Number.isSafeInteger(id) || id < 1) throw new UsageError("ID must be a proposal id (1, 2, …)", NAME);
    return signAndSubmit(NAME, io, args, "gov-vote", { proposal: id, approve: args.values.no !== true });
  },
};
