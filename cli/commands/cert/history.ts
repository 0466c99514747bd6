/** `certchain cert history`: every transaction that touched a certificate, with block heights and hashes. */
import type { CertificateHistory } from "../../../node/audit/history.js";
import type { Command } from "../../command.js";
import { isoTime } from "../../format.js";
import { certificateReadCommand } from "./read-command.js";

/** The human view of a history: one line per event, oldest first. */
export function formatHistory(h: CertificateHistory): string[] {
  const lines = [`${h.id}  ${h.certificateType}, ${h.department}, ${h.status} (at ${isoTime(h.checkedAt)})`];
  for (const e of h.events) {
    const reason = e.action === "suspend" ? `  basis ${e.basis ?? "?"} revoked (rule ${e.rule ?? "?"})` : e.reason === undefined ? "" : `  reason: ${e.reason}`;
    lines.push(`  ${e.action.padEnd(9)} ${isoTime(e.time)}  block ${e.height} (${e.blockHash.slice(0, 16)}…) tx #${e.index} ${e.txHash}${reason}`);
  }
  return lines;
}

export const certHistoryCommand: Command = certificateReadCommand<CertificateHistory>({
  name: "cert history",
  summary: "list every transaction that touched a certificate",
  description: `List every transaction that touched a certificate (issue, revoke, …), oldest first, each with
its block height, block hash, index in the block, block time, transaction hash and reason.`,
  path: (id) => `/certificates/${id}/history`,
  format: formatHistory,
});
