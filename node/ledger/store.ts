/**
 * The chain store: a thin typed interface (style.md §8) with a LevelDB implementation for the node
 * (level-store.ts) and an in-memory twin for unit tests (memory-store.ts). A decided block and
 * everything it changes is written in one atomic, synced batch (design.md §5).
 */
import type { ChainTip } from "../chain/block.js";
import type { BlockEffects, StateReader } from "../chain/state.js";
import type { MerkleStep } from "../chain/merkle.js";
import type { BlockHeader, CertificateRecord, CommitCertificate, CommittedBlock, Receipt, Transaction } from "../chain/types.js";
import type { Evidence } from "../chain/evidence.js";

/** A block as stored: with its hash and its transactions' receipts. */
export interface StoredBlock extends CommittedBlock {
  hash: string;
  receipts: Receipt[];
}

/** A stored block's hash, header and commit certificate, read without its transactions. */
export interface StoredBlockHead {
  hash: string;
  header: BlockHeader;
  commit: CommitCertificate;
  /** How many transactions (and receipts) the block holds. */
  txCount: number;
}

/** One committed transaction with its receipt, read without the rest of its block. */
export interface StoredTx {
  tx: Transaction;
  receipt: Receipt;
}

/** The inclusion proofs of one transaction and its receipt in their block's two Merkle trees. */
export interface InclusionProofs {
  txProof: MerkleStep[];
  receiptProof: MerkleStep[];
}

/** One entry of a department's issuance feed. */
export interface IssuanceEntry {
  certificateId: string;
  height: number;
  index: number;
}

/** How a block is written: `durable: false` skips the fsync (a later synced write carries it to disk). */
export interface CommitOptions {
  durable?: boolean;
}

export interface ChainStore extends StateReader {
  /** The last committed block's tip, or null before the first block. */
  head(): ChainTip | null;
  getBlock(height: number): Promise<StoredBlock | null>;
  getHeightOfBlock(hash: string): Promise<number | null>;
  /** A block's hash, header and commit certificate without reading its transactions. */
  getBlockHead(height: number): Promise<StoredBlockHead | null>;
  /** Transaction `index` of block `height` with its receipt, without reading the rest of the block. */
  getStoredTx(height: number, index: number): Promise<StoredTx | null>;
  /** Inclusion proofs of transaction `index` of block `height` and of its receipt, without hashing the block. */
  getInclusionProofs(height: number, index: number): Promise<InclusionProofs | null>;
  /** Write a block and its effects atomically, fsynced unless `durable` is false; the head moves to it. */
  commitBlock(block: StoredBlock, effects: BlockEffects, opts?: CommitOptions): Promise<void>;
  /** Per-department issuance, oldest first, from `afterHeight` exclusive. */
  issuedBy(department: string, limit: number, after?: { height: number; index: number }): Promise<IssuanceEntry[]>;
  /** Keep equivocation evidence (one per height, round, kind and validator; a second is ignored). */
  putEvidence(evidence: Evidence): Promise<void>;
  /** Evidence oldest first, optionally of one validator, after the key `after` (exclusive). */
  listEvidence(query: { validator?: number; limit: number; after?: string }): Promise<Evidence[]>;
  /** Consensus signing state (design.md §3 "Never equivocate"); written with sync. */
  getSigningState(): Promise<unknown | null>;
  putSigningState(state: unknown): Promise<void>;
  close(): Promise<void>;
  /** Blocks `from`..`to` (inclusive) in one range read; null where a height is missing. For audits. */
  getBlocks(from: number, to: number): Promise<Array<StoredBlock | null>>;
  /** Up to `limit` certificate records in id order after `after` (exclusive): every record, for audits. */
  listCertificates(limit: number, after?: string): Promise<CertificateRecord[]>;
}
