/**
 * What an audit reports: the checks, the first inconsistency, progress and totals; and how a check
 * stops the audit at its finding.
 */

/** Which check found an inconsistency. */
export type AuditCheck =
  | "block" // missing, malformed, mislinked, bad tx root or a bad transaction (checkBlock)
  | "commit" // the commit certificate does not prove the block final (checkCommitCertificate)
  | "block-hash" // the stored hash is not the header's hash
  | "receipts" // stored receipts differ from the replay's
  | "stored-block" // another stored member of the block differs from what applyBlock stores
  | "tx-index" // a transaction's stored location differs from the replay's
  | "record" // a stored certificate record differs from the replay's, is missing, or has no transaction behind it
  | "issuance-index" // a department's issuance index differs from the replay's
  | "holder-index" // the certificates stored under a holder commitment and type differ from the replay's
  | "head"; // the stored head is not the last block

/** The first inconsistency: where it is and what is wrong. */
export interface AuditFinding {
  height: number;
  check: AuditCheck;
  message: string;
}

export interface AuditProgress {
  /** Blocks are checked and replayed first, then the stored records compared with the replay's. */
  phase: "blocks" | "records";
  /** Last block checked and replayed. */
  height: number;
  total: number;
  txs: number;
  /** Records compared (or skipped) so far, of the replay's. */
  records: number;
  recordsTotal: number;
  elapsedMs: number;
}

export interface AuditReport {
  chainId: string;
  /** The head the source claimed: blocks 1..height were audited (up to the finding, if any). */
  height: number;
  blocks: number;
  txs: number;
  certificates: number;
  /** Automatic suspensions the replayed receipts name (chain/suspension.ts): the stored receipts agree with them. */
  suspensions: number;
  /** Records left out because a live node changed them after the audited head. */
  skippedRecords: number;
  /** Checks the source could not serve (e.g. the transaction index over RPC). */
  notChecked: string[];
  elapsedMs: number;
  finding: AuditFinding | null;
}

/** Thrown inside the audit to stop at the first finding. */
export class Inconsistency extends Error {
  constructor(readonly finding: AuditFinding) {
    super(finding.message);
  }
}

export const stop = (height: number, check: AuditCheck, message: string): never => {
  throw new Inconsistency({ height, check, message });
};

export const short = (hash: unknown): string => (typeof hash === "string" ? `${hash.slice(0, 16)}…` : String(hash));
