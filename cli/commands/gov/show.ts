/** `certchain gov list` and `certchain gov show ID`: proposals as the node holds them. */
import type { Proposal } from "../../../node/chain/gov-types.js";
import { EXIT } from "../../../node/errors.js";
import { RPC_OPTION, parseCommandArgs, rpcOptionHelp, rpcUrlFlag } from "../../args.js";
import type { Command } from "../../command.js";
import { UsageError } from "../../errors.js";
import { RpcClient } from "../../rpc-client.js";

/** One line of a proposal: id, status, action, votes. */
export function proposalLine(p: Proposal): string {
  const yes = p.votes.filter((v) => v.approve).length;
  const what =
    p.action.type +
    ("publicKey" in p.action ? ` ${p.action.publicKey.slice(0, 16)}…` : "card" in p.action ? ` ${p.action.card.name} (${p.action.card.department})` : "");
  const when = p.activatesAt !== undefined ? `, in force from ${p.activatesAt}` : p.status === "open" ? `, expires after ${p.expiresAt}` : "";
  return `#${p.id}  ${p.status.padEnd(8)} ${what}  ${yes}/${p.threshold} yes, ${p.votes.length - yes} no  (${p.department}, height ${p.height}${when})`;
}

export const govListCommand: Command = {
  name: "gov list",
  summary: "list proposals",
  usage: `List governance proposals, oldest first, with their status at the node's head.

Usage: certchain gov list [--json] [--rpc URL]

Options:
  --json        print the proposals as JSON
${rpcOptionHelp(14)}
  -h, --help    show this help`,
  async run(argv, io) {
    const args = parseCommandArgs("gov list", argv, { json: { type: "boolean" }, ...RPC_OPTION });
    const client = new RpcClient(rpcUrlFlag("gov list", args, io.env));
    const all: Proposal[] = [];
    let cursor: number | undefined;
    for (;;) {
      const page = await client.get<{ proposals: Proposal[]; next?: number }>(
        `/governance/proposals?limit=100${cursor === undefined ? "" : `&cursor=${cursor}`}`,
      );
      all.push(...page.proposals);
      if (page.next === undefined) break;
      cursor = page.next;
    }
    if (args.values.json === true) io.out(JSON.stringify(all, null, 2));
    else if (all.length === 0) io.out("no proposals");
    else for (const p of all) io.out(proposalLine(p));
    return EXIT.OK;
  },
};

export const govShowCommand: Command = {
  name: "gov show",
  summary: "show a proposal",
  usage: `Show one proposal: its action, status and every vote.

Usage: certchain gov show ID [--json] [--rpc URL]

Options:
  --json        print the proposal as JSON
${rpcOptionHelp(14)}
  -h, --help    show this help`,
  async run(argv, io) {
    const args = parseCommandArgs("gov show", argv, { json: { type: "boolean" }, ...RPC_OPTION }, 1);
    const id = Number(args.positionals[0]);
    if (!Number.isSafeInteger(id) || id < 1) throw new UsageError("ID must be a proposal id (1, 2, …)", "gov show");
    const p = await new RpcClient(rpcUrlFlag("gov show", args, io.env)).get<Proposal>(`/governance/proposals/${id}`);
    if (args.values.json === true) {
      io.out(JSON.stringify(p, null, 2));
      return EXIT.OK;
    }
    io.out(proposalLine(p));
    if (p.note !== undefined) io.out(`  note       ${p.note}`);
    io.out(`  action     ${JSON.stringify(p.action)}`);
    io.out(`  proposer   ${p.proposer}`);
    for (const v of p.votes) io.out(`  vote       ${v.approve ? "yes" : "no "} ${v.validator.slice(0, 16)}… at height ${v.height}`);
    if (p.failure !== undefined) io.out(`  failed     ${p.failure.code}: ${p.failure.message}`);
    return EXIT.OK;
  },
};
