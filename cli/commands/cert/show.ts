/** `certchain cert show`: a certificate's on-chain record and status. */
import type { CertificateView } from "../../../node/api/views.js";
import type { Command } from "../../command.js";
import { isoDate, isoTime } from "../../format.js";
import { certificateReadCommand } from "./read-command.js";

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
  if (c.suspended !== undefined)
    lines.push(
      `  suspended          block ${c.suspended.height}, ${isoTime(c.suspended.time)}, tx ${c.suspended.txHash}: basis ${c.suspended.basis} revoked (rule ${c.suspended.rule})`,
    );
  for (const b of c.basis ?? []) lines.push(`  approved on        ${b.id} (${b.certificateType}, rule ${b.rule}): ${b.status}`);
  if (c.basisRevoked === true) lines.push("  note               basis revoked: a certificate this approval rested on was revoked or suspended");
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

export const certShowCommand: Command = certificateReadCommand<CertificateView>({
  name: "cert show",
  summary: "show a certificate's on-chain record",
  description: `Show a certificate's on-chain record: type, issuer, validity, status, public fields and history.
Personal data is never on chain; only a salted commitment to the holder and the document's digest.`,
  path: (id) => `/certificates/${id}`,
  format: formatCertificate,
});
