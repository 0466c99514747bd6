/** `certchain status`: a node's chain, head, consensus position, peers and mempool. */
import type { NodeStatus } from "../../node/api/views.js";
import { EXIT } from "../../node/errors.js";
import { RPC_OPTION, parseCommandArgs, rpcUrlFlag, rpcOptionHelp } from "../args.js";
import type { Command } from "../command.js";
import { isoTime } from "../format.js";
import { RpcClient } from "../rpc-client.js";

const NAME = "status";

/** The human summary of a node's status, one fact per line. */
export function formatStatus(s: NodeStatus, rpcUrl: string): string[] {
  const role = s.validator === null ? "follower" : `validator #${s.validator.index} (${s.validator.department})`;
  return [
    `chain      ${s.chainId}`,
    `node       ${s.node.name}, ${role}, version ${s.version}`,
    `rpc        ${rpcUrl}${s.publicUrl !== undefined && s.publicUrl !== rpcUrl ? ` (public ${s.publicUrl})` : ""}`,
    `peer id    ${s.node.peerId}`,
    `head       height ${s.head.height}, hash ${s.head.hash.slice(0, 16)}…, ${s.head.height === 0 ? "genesis" : isoTime(s.head.time)}`,
    `consensus  height ${s.consensus.height}, round ${s.consensus.round}, ${s.consensus.active ? "active" : "idle"}${s.syncing ? ", syncing" : ""}`,
    `peers      ${s.peers.connected}/${s.peers.configured} connected`,
    `mempool    ${s.mempool.size} pending`,
  ];
}

export const statusCommand: Command = {
  name: NAME,
  summary: "show a node's chain, head, peers and mempool",
  usage: `Show a node's chain id, head, consensus position, peers and mempool.

Usage: certchain status [--rpc URL] [--json]

Options:
${rpcOptionHelp(17)}
  --json         print the node's status as JSON
  -h, --help     show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(NAME, argv, { ...RPC_OPTION, json: { type: "boolean" } });
    const rpc = rpcUrlFlag(NAME, args, io.env);
    const status = await new RpcClient(rpc).get<NodeStatus>("/status");
    if (args.values.json === true) io.out(JSON.stringify(status, null, 2));
    else for (const line of formatStatus(status, rpc)) io.out(line);
    return EXIT.OK;
  },
};
