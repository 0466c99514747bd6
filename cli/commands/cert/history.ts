/** `certchain cert history`: every transaction that touched a certificate, with block heights and hashes. */
import type { CertificateHistory } from "../../../node/audit/history.js";
import { CERTIFICATE_ID } from "../../../node/chain/tx.js";
import { EXIT, LedgerError } from "../../../node/errors.js";
import { RPC_OPTION, parseCommandArgs, requiredFlag, rpcUrlFlag, rpcOptionHelp } from "../../args.js";
import type { Command } from "../../command.js";
import { UsageError } from "../../errors.js";
import { isoTime } from "../../format.js";
import { RpcClient } from "../../rpc-client.js";

const NAME = "cert history";

/** The human view of a history: one line per event, oldest first. */
export function formatHistory(h: CertificateHistory): string[] {
  const lines = [`${h.id}  ${h.certificateType}, ${h.department}, ${h.status} (at ${isoTime(h.checkedAt)})`];
  for (const e of h.events) {
    const reason = e.reason === undefined ? "" : `  reason: ${e.reason}`;
    lines.push(`  ${e.action.padEnd(9)} ${isoTime(e.time)}  block ${e.height} (${e.blockHash.slice(0, 16)}…) tx #${e.index} ${e.txHash}${reason}`);
  }
  return lines;
}

export const certHistoryCommand: Command = {
  name: NAME,
  summary: "list every transaction that touched a certificate",
  usage: `List every transaction that touched a certificate (issue, revoke, …), oldest first, each with
its block height, block hash, index in the block, block time, transaction hash and reason.

Usage: certchain cert history --id ID [--rpc URL] [--json]

Options:
  --id ID        the certificate (required)
${rpcOptionHelp(17)}
  --json         print the node's answer as JSON
  -h, --help     show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(NAME, argv, { id: { type: "string" }, json: { type: "boolean" }, ...RPC_OPTION });
    const id = requiredFlag(NAME, args, "id");
    if (!CERTIFICATE_ID.test(id)) throw new UsageError(`"${id}" is not a certificate id`, NAME);
    const client = new RpcClient(rpcUrlFlag(NAME, args, io.env));
    const history = await client.getOrNull<CertificateHistory>(`/certificates/${encodeURIComponent(id)}/history`);
    if (history === null) throw new LedgerError("NOT_FOUND", `unknown certificate ${id}`);
    if (args.values.json === true) io.out(JSON.stringify(history, null, 2));
    else for (const line of formatHistory(history)) io.out(line);
    return EXIT.OK;
  },
};
