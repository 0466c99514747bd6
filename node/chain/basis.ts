/**
 * What a review decision rested on (issue 12 item 5), derived from chain state alone, so every node
 * answers alike: for each `requires-valid` rule of genesis that reviewed a certificate's type, the
 * certificates of the required type issued to the rule's subject (the holder, or a link) that were
 * valid at the certificate's issue — the certificates its approval relied on — and their status now.
 * Read side only: nothing here changes blocks, receipts or records.
 */
import type { ChainSpec } from "./genesis.js";
import type { StateReader } from "./state.js";
import { statusAt } from "./status.js";
import type { CertificateEvent, CertificateRecord, CertificateStatus } from "./types.js";

/** One certificate an approval relied on. */
export interface BasisEntry {
  /** The review rule it satisfied. */
  rule: string;
  id: string;
  certificateType: string;
  /** Its status now (at the head block). */
  status: CertificateStatus;
}

/** Whether event `a` came before event `b` on chain: by height, then position in the block. */
function before(a: Pick<CertificateEvent, "height" | "index">, b: Pick<CertificateEvent, "height" | "index">): boolean {
  return a.height < b.height || (a.height === b.height && a.index < b.index);
}

/** Whether `c` was valid when the transaction at `at` was executed: issued before it, not ended before it, in its period. */
function validAt(c: CertificateRecord, at: CertificateEvent): boolean {
  const issued = c.history.find((h) => h.action === "issue");
  if (issued === undefined || !before(issued, at)) return false;
  if (c.history.some((h) => (h.action === "revoke" || h.action === "supersede" || h.action === "suspend") && before(h, at))) return false;
  return c.validFrom <= at.time && at.time < c.validUntil;
}

/** The certificates `record`'s approval relied on, with their status at `now` (the head block's time); [] when no rule reviewed its type. */
export async function approvalBasis(
  spec: ChainSpec,
  record: CertificateRecord,
  reader: Pick<StateReader, "getCertificates" | "getHolderCertificates">,
  now: number,
): Promise<BasisEntry[]> {
  const issued = record.history.find((h) => h.action === "issue");
  if (issued === undefined) return [];
  const entries: BasisEntry[] = [];
  for (const rule of spec.reviewRules?.rules ?? []) {
    if (rule.kind !== "requires-valid" || rule.certificateType !== record.certificateType) continue;
    const commitment = rule.subject === "holder" ? record.holderCommitment : record.links?.[rule.subject.link];
    if (commitment === undefined) continue;
    const [ids = []] = await reader.getHolderCertificates([{ commitment, certificateType: rule.requiredType }]);
    const candidates = await reader.getCertificates(ids.filter((id) => id !== record.id));
    for (const c of candidates) {
      if (c !== null && validAt(c, issued)) entries.push({ rule: rule.id, id: c.id, certificateType: c.certificateType, status: statusAt(c, now) });
    }
  }
  return entries;
}

/** The basis entries that were revoked or suspended since: the approval's ground is gone ("basis revoked"). */
export function revokedBasis(basis: readonly BasisEntry[]): BasisEntry[] {
  return basis.filter((b) => b.status === "revoked" || b.status === "suspended");
}
