/** `certchain cert show`: a certificate's on-chain record and status. */
import { CERTIFICATE_ID } from "../../../node/chain/tx.js";
import { EXIT, LedgerError } from "../../../node/errors.js";
import type { CertificateView } from "../../../node/api/views.js";
import { RPC_OPTION, parseCommandArgs, requiredFlag, rpcUrlFlag, rpcOptionHelp } from "../../args.js";
import type { Command } from "../../command.js";
import { UsageError } from "../../errors.js";
import { isoDate, isoTime } from "../../format.js";
import { RpcClient } from "../../rpc-client.js";

const NAME = "cert show";

/** The human view of a certificate record, one fact per line. */
export function formatCertificate(c: CertificateView): string[] {
  const r = c.record;
  const lines = [
    `${r.id}  ${c.type.name.en} / ${c.type.name.zh} (${r.certificateType})`,
    `  status             ${c.status} (at block ${c.checkedAtHeight}, ${isoTime(c.checkedAt)})`,
    `  issued by          ${c.department.name.en} / ${c.department.name.zh} (${r.department})`,
    `  valid              ${isoDate(r.validFrom)} to ${isoDate(r.validUntil)}`,
    `  issued             block ${c.issued.height}, ${isoTime(c.issued.time)}, tx ${c.issued.txHash}`,
  ];
  if (c.revoked !== undefined)
    lines.push(`  revoked            block ${c.revoked.height}, ${isoTime(c.revoked.time)}, tx ${c.revoked.txHash}: ${c.revoked.reason}`);
  if (r.supersedes !== undefined) lines.push(`  renews             ${r.supersedes}`);
  if (c.superseded !== undefined)
    lines.push(`  superseded         by ${c.superseded.by}, block ${c.superseded.height}, ${isoTime(c.superseded.time)}, tx ${c.superseded.txHash}`);
  const fields = Object.entries(r.publicFields);
  if (fields.length > 0) {
    lines.push("  public fields");
    const width = Math.max(...fields.map(([k]) => k.length));
    for (const [k, v] of fields) lines.push(`    ${k.padEnd(width)}  ${String(v)}`);
  }
  lines.push(`  holder commitment  ${r.holderCommitment}`, `  document digest    ${r.documentDigest}`);
  for (const [name, commitment] of Object.entries(r.links ?? {})) lines.push(`  link ${name.padEnd(13)} ${commitment}`);
  return lines;
}

export const certShowCommand: Command = {
  name: NAME,
  summary: "show a certificate's on-chain record",
  usage: `Show a certificate's on-chain record: type, issuer, validity, status, public fields and history.
Personal data is never on chain; only a salted commitment to the holder and the document's digest.

Usage: certchain cert show --id ID [--rpc URL] [--json]

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
    const certificate = await client.getOrNull<CertificateView>(`/certificates/${encodeURIComponent(id)}`);
    if (certificate === null) throw new LedgerError("NOT_FOUND", `unknown certificate ${id}`);
    if (args.values.json === true) io.out(JSON.stringify(certificate, null, 2));
    else for (const line of formatCertificate(certificate)) io.out(line);
    return EXIT.OK;
  },
};
