/** `certchain gov propose ACTION …`: propose a governance action. */
import { readFile } from "node:fs/promises";
import { checkCard } from "../../../node/chain/card.js";
import type { GovAction } from "../../../node/chain/gov-types.js";
import { isPublicKeyHex } from "../../../node/crypto/keys.js";
import { parseCommandArgs, requiredFlag, rpcOptionHelp, stringFlag } from "../../args.js";
import type { Command } from "../../command.js";
import { UsageError } from "../../errors.js";
import { SIGN_HELP, SIGN_OPTIONS, signAndSubmit } from "./sign.js";

const NAME = "gov propose";
const ACTIONS = [
  "add-validator",
  "remove-validator",
  "add-department",
  "add-issuer-key",
  "revoke-issuer-key",
  "set-certificate-type",
  "adopt-review-rules",
  "set-consensus-params",
] as const;

async function jsonFile(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as unknown;
  } catch (err) {
    throw new UsageError(`cannot read JSON from ${path}: ${(err as Error).message}`, NAME);
  }
}

function publicKeyFlag(args: Parameters<typeof requiredFlag>[1]): string {
  const key = requiredFlag(NAME, args, "public-key");
  if (!isPublicKeyHex(key)) throw new UsageError("--public-key must be an Ed25519 public key (64 hex digits)", NAME);
  return key;
}

export const govProposeCommand: Command = {
  name: NAME,
  summary: "propose a governance action",
  usage: `Propose a governance action, signed with a validator's consensus key under its department.
The proposer's own vote counts as yes.

Usage: certchain gov propose ACTION --key FILE [action options] [--note TEXT] [--rpc URL]

Actions and their options:
  add-validator         --card FILE           a validator's node card (certchain node init / card)
  remove-validator      --public-key HEX      its consensus key (never below 4 validators)
  add-department        --file FILE           {id, name: {en, zh}, issuerKeys: [], certificateTypes: []}
  add-issuer-key        --department D --public-key HEX
  revoke-issuer-key     --department D --public-key HEX   (certificates it signed before stay valid)
  set-certificate-type  --file FILE           a certificate type (added, or replacing the one with its id)
  adopt-review-rules    --file FILE           a review rule set {version, rules}
  set-consensus-params  --file FILE           the whole consensus parameters (genesis "consensus")

Options:
${SIGN_HELP}
  --note TEXT       why (shown to voters, at most 500 characters)
${rpcOptionHelp(20)}
  -h, --help        show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(
      NAME,
      argv,
      {
        card: { type: "string" },
        "public-key": { type: "string" },
        department: { type: "string" },
        file: { type: "string" },
        note: { type: "string" },
        ...SIGN_OPTIONS,
      },
      1,
    );
    const type = args.positionals[0] as (typeof ACTIONS)[number] | undefined;
    if (type === undefined || !ACTIONS.includes(type)) throw new UsageError(`ACTION must be one of ${ACTIONS.join(", ")}`, NAME);
    let action: GovAction;
    switch (type) {
      case "add-validator": {
        const file = requiredFlag(NAME, args, "card");
        action = { type, card: checkCard(await jsonFile(file), file) };
        break;
      }
      case "remove-validator":
        action = { type, publicKey: publicKeyFlag(args) };
        break;
      case "add-issuer-key":
      case "revoke-issuer-key":
        action = { type, department: requiredFlag(NAME, args, "department"), publicKey: publicKeyFlag(args) };
        break;
      case "add-department":
        action = { type, department: (await jsonFile(requiredFlag(NAME, args, "file"))) as never };
        break;
      case "set-certificate-type":
        action = { type, certificateType: (await jsonFile(requiredFlag(NAME, args, "file"))) as never };
        break;
      case "adopt-review-rules":
        action = { type, reviewRules: (await jsonFile(requiredFlag(NAME, args, "file"))) as never };
        break;
      case "set-consensus-params":
        action = { type, consensus: (await jsonFile(requiredFlag(NAME, args, "file"))) as never };
        break;
    }
    const note = stringFlag(NAME, args, "note");
    return signAndSubmit(NAME, io, args, "gov-propose", note === undefined ? { action } : { action, note });
  },
};
