/** `certchain gov propose | vote | list | show`: on-chain governance (README, Governance). */
import { type Command, commandGroup } from "../command.js";

export const govCommand: Command = commandGroup(
  "gov",
  "propose and vote on governance actions; list and show proposals",
  "Governance: a validator proposes an action under its department and the validators vote with their consensus keys; it passes at the genesis threshold (default a quorum Q) before it expires and is in force two heights after the block that passes it.",
  [
    {
      name: "propose",
      summary: "propose an action (signed with a validator's consensus key)",
      load: async () => (await import("./gov/propose.js")).govProposeCommand,
    },
    { name: "vote", summary: "vote on a proposal (yes, or --no)", load: async () => (await import("./gov/vote.js")).govVoteCommand },
    { name: "list", summary: "list proposals with their status", load: async () => (await import("./gov/show.js")).govListCommand },
    { name: "show", summary: "show one proposal and its votes", load: async () => (await import("./gov/show.js")).govShowCommand },
  ],
);
