/**
 * A certificate's status at a time. Callers pass a block's time (the block being executed, or the
 * latest committed block when answering a query), never a node's wall clock, so every node gives
 * the same answer at the same height.
 */
import type { CertificateRecord, CertificateStatus } from "./types.js";

/**
 * A certificate's status at time `at` (ms): revoked, superseded and suspended are stored (in that
 * order of precedence), the rest follows from the validity period.
 */
export function statusAt(record: CertificateRecord, at: number): CertificateStatus {
  if (record.revoked) return "revoked";
  if (record.supersededBy !== undefined) return "superseded";
  if (record.suspended === true) return "suspended";
  if (at < record.validFrom) return "not-yet-valid";
  if (at >= record.validUntil) return "expired";
  return "valid";
}
