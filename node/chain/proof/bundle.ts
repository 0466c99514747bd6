/**
 * The proof bundle format (docs/proof-format.md): everything an offline verifier needs to check a
 * certificate's status with nothing but a trusted genesis. Plain JSON; types only, so it is shared
 * by the node (proof/build.ts), the CLI and the browser.
 */
import type { MerkleStep } from "../merkle.js";
import type { StateProof } from "../state-tree.js";
import type { BlockHeader, CommitCertificate, Genesis, GovTransaction, Receipt, Transaction } from "../types.js";

export const PROOF_FORMAT = "certchain-proof/2";

/** A block header with the commit certificate that proves it final. */
export interface ProvenHeader {
  header: BlockHeader;
  commit: CommitCertificate;
}

/** One transaction that touched the certificate, proven included and applied. */
export interface ProofEvent extends ProvenHeader {
  /** Position of the transaction in its block. */
  index: number;
  tx: Transaction;
  receipt: Receipt;
  /** Inclusion of the transaction hash under header.txRoot. */
  txProof: MerkleStep[];
  /** Inclusion of the receipt hash under header.resultsRoot. */
  receiptProof: MerkleStep[];
}

/** One governance transaction (a proposal or the vote that decided it), proven included and applied. */
export interface GovernanceStep extends ProvenHeader {
  index: number;
  tx: GovTransaction;
  /** Applied, with `governance`: the proposal's id and, for the deciding step, status "passed" and activatesAt. */
  receipt: Receipt;
  txProof: MerkleStep[];
  receiptProof: MerkleStep[];
}

/**
 * A passed governance change: the proposal (its action) and the yes vote that decided it; no
 * `decision` when the proposal decided itself (its own receipt says passed). docs/proof-format.md §6a.
 */
export interface GovernanceChange {
  proposal: GovernanceStep;
  decision?: GovernanceStep;
}

export interface ProofBundle {
  format: typeof PROOF_FORMAT;
  chainId: string;
  genesisHash: string;
  /** The genesis the bundle was made against; a verifier should bring its own trusted copy. */
  genesis: Genesis;
  certificateId: string;
  /**
   * Every governance change in force by `latest`, in the order decided: what a verifier holding genesis
   * alone needs to follow the validator sets and issuer keys to the bundle's blocks. Absent when
   * nothing changed (the bundle is then the same as before governance existed).
   */
  governance?: GovernanceChange[];
  /** Every transaction that touched the certificate, in chain order; none in a proof of absence. */
  events: ProofEvent[];
  /** The newest block when the bundle was made: the "as of" point for expiry by block time. */
  latest: ProvenHeader;
  /**
   * The certificate's state (or its absence) under `latest.header.stateRoot` (docs/proof-format.md §7):
   * the events must replay into exactly that state, so none can be left out.
   */
  state: StateProof;
}
