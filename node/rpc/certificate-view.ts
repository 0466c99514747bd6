/**
 * How a certificate record is shown to a verifier: its status at a time, department and type names,
 * where it was issued and revoked, and the one-line verdict. Shared by the node's backend, the HTML
 * verification page and tests.
 */
import type { ChainSpec } from "../chain/genesis.js";
import { statusAt } from "../chain/state.js";
import { freshnessOf, staleWarning } from "../chain/freshness.js";
import { isoDay } from "../chain/time.js";
import type { CertificateRecord } from "../chain/types.js";
import type { CertificateView, VerificationResult } from "../api/views.js";
import { approvalBasis, revokedBasis } from "../chain/basis.js";
import type { StateReader } from "../chain/state.js";

/** `view` with what its approval rested on (chain/basis.ts), when a requires-valid rule reviewed its type. */
export async function withBasis(
  spec: ChainSpec,
  view: CertificateView,
  reader: Pick<StateReader, "getCertificates" | "getHolderCertificates">,
): Promise<CertificateView> {
  const reviewed = (spec.reviewRules?.rules ?? []).some((r) => r.kind === "requires-valid" && r.certificateType === view.record.certificateType);
  if (!reviewed) return view;
  const basis = await approvalBasis(spec, view.record, reader, view.checkedAt);
  return { ...view, basis, basisRevoked: revokedBasis(basis).length > 0 };
}

/**
 * The view of a record at `at`: the time and height of the latest committed block (state.ts headTime);
 * with `now` (the node's clock), how old that block is, and a warning when it is stale.
 */
export function certificateView(spec: ChainSpec, record: CertificateRecord, at: { time: number; height: number }, now?: number): CertificateView {
  const dept = spec.department(record.department);
  const type = spec.certificateType(record.certificateType);
  const issue = record.history.find((e) => e.action === "issue");
  const revoke = record.history.find((e) => e.action === "revoke");
  const supersede = record.history.find((e) => e.action === "supersede");
  const suspend = record.history.find((e) => e.action === "suspend");
  const view: CertificateView = {
    record,
    status: statusAt(record, at.time),
    checkedAt: at.time,
    checkedAtHeight: at.height,
    department: { id: record.department, name: dept?.name ?? { en: record.department, zh: record.department } },
    type: { id: record.certificateType, name: type?.name ?? { en: record.certificateType, zh: record.certificateType } },
    issued: { height: issue?.height ?? 0, time: issue?.time ?? 0, txHash: issue?.txHash ?? "" },
  };
  if (revoke !== undefined) view.revoked = { height: revoke.height, time: revoke.time, txHash: revoke.txHash, reason: revoke.reason ?? "" };
  if (supersede !== undefined) view.superseded = { height: supersede.height, time: supersede.time, txHash: supersede.txHash, by: supersede.by ?? "" };
  if (suspend !== undefined) {
    view.suspended = { height: suspend.height, time: suspend.time, txHash: suspend.txHash, rule: suspend.rule ?? "", basis: suspend.basis ?? "" };
  }
  if (now !== undefined) {
    view.freshness = freshnessOf(spec.consensus, at, now);
    const warning = staleWarning(view.freshness);
    if (warning !== null) view.warning = warning;
  }
  return view;
}

/** The verdict on a certificate view: valid only when its status is "valid". */
export function verdictOf(certificate: CertificateView): VerificationResult {
  const reasons: Record<CertificateView["status"], string> = {
    valid: `issued by ${certificate.department.name.en}, valid until ${isoDay(certificate.record.validUntil)}`,
    revoked: `revoked: ${certificate.record.revocationReason ?? "no reason given"}`,
    superseded: `superseded by ${certificate.record.supersededBy ?? "a renewal"}`,
    suspended: `suspended automatically: ${certificate.suspended?.basis ?? "a certificate"} its approval rested on (rule ${certificate.suspended?.rule ?? "?"}) was revoked`,
    expired: `expired on ${isoDay(certificate.record.validUntil)}`,
    "not-yet-valid": `valid from ${isoDay(certificate.record.validFrom)}`,
  };
  const gone = revokedBasis(certificate.basis ?? []);
  const basisNote = gone.length === 0 ? "" : `; basis revoked: ${gone.map((b) => `${b.id} (${b.certificateType})`).join(", ")}`;
  return { valid: certificate.status === "valid", status: certificate.status, reason: `${reasons[certificate.status]}${basisNote}`, certificate };
}
