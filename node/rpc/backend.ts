/**
 * What the RPC server needs from a node. The server (server.ts) owns HTTP concerns — routing,
 * schemas, body limits, error mapping — and calls only this interface, so it can be tested against
 * an in-memory backend.
 */
import type { Evidence } from "../consensus/evidence.js";
import type { FeedPosition, IssuedCertificate } from "../audit/feed.js";
import type { LedgerError } from "../errors.js";
import type { ProofBundle } from "../proof/bundle.js";
import type { CertificateRecord, CertificateStatus, CommittedBlock, Genesis, LocalizedText, Receipt, Transaction } from "../chain/types.js";

export interface NodeStatus {
  chainId: string;
  genesisHash: string;
  node: { name: string; peerId: string };
  /** This node's place in the validator set, or null for a follower. */
  validator: { index: number; name: string; department: string } | null;
  head: { height: number; hash: string; time: number };
  consensus: { height: number; round: number; active: boolean };
  peers: { connected: number; configured: number };
  mempool: { size: number };
  syncing: boolean;
  version: string;
}

export interface SubmitResult {
  hash: string;
  /** "accepted" when new; "known" when this node already had it (pending or committed). */
  status: "accepted" | "known";
}

export interface TxView {
  hash: string;
  status: "pending" | "committed";
  tx: Transaction;
  /** Present once committed. */
  height?: number;
  index?: number;
  time?: number;
  receipt?: Receipt;
}

export interface BlockView extends CommittedBlock {
  hash: string;
  receipts: Receipt[];
}

/**
 * A certificate as a verifier sees it: the record, its status at `checkedAt` (the time of the latest
 * committed block, `checkedAtHeight`: every node at that height gives the same answer), and who issued it.
 */
export interface CertificateView {
  record: CertificateRecord;
  status: CertificateStatus;
  checkedAt: number;
  checkedAtHeight: number;
  department: { id: string; name: LocalizedText };
  type: { id: string; name: LocalizedText };
  issued: { height: number; time: number; txHash: string };
  revoked?: { height: number; time: number; txHash: string; reason: string };
  /** The renewal that replaced it. */
  superseded?: { height: number; time: number; txHash: string; by: string };
}

export interface VerificationResult {
  /** True only when the certificate exists, matches (for a document) and its status is "valid". */
  valid: boolean;
  status: CertificateStatus | "unknown" | "mismatch";
  /** One line a person can read. */
  reason: string;
  certificate?: CertificateView;
}

/** The admin view of the node's network (GET/POST /admin/network). */
export interface NetworkAdminState {
  /** Cut off from every peer by the admin route. */
  isolated: boolean;
  /** Configured peers connected now. */
  connected: number;
}

export interface RpcBackend {
  status(): Promise<NodeStatus>;
  /** The chain's genesis document (clients derive the chain id and type schemas from it). */
  genesis(): Genesis;
  /** Admit an untrusted transaction to the mempool; throws LedgerError (TX_*) when it is not admissible. */
  submitTransaction(tx: unknown): Promise<SubmitResult>;
  /** Admit a batch in order, each item on its own (a LedgerError for a refused one). Optional: the server falls back to one by one. */
  submitTransactions?(txs: unknown[]): Promise<Array<SubmitResult | LedgerError>>;
  getTransaction(hash: string): Promise<TxView | null>;
  getBlock(height: number | "latest"): Promise<BlockView | null>;
  getCertificate(id: string): Promise<CertificateView | null>;
  /** Check a presented document: throws DOC_MALFORMED for a non-document, answers otherwise. */
  verifyDocument(doc: unknown): Promise<VerificationResult>;
  verifyById(id: string): Promise<VerificationResult>;
  /** Prometheus text. */
  metrics?(): Promise<string>;
  /** Equivocation evidence, oldest first (consensus/evidence.ts). */
  listEvidence?(query: { validator?: number; limit: number; after?: string }): Promise<Evidence[]>;
  /** The certificate's proof bundle (proof/build.ts), or null for an unknown certificate. */
  proofBundle?(id: string): Promise<ProofBundle | null>;
  /** Up to `limit` certificates a department issued after `after`, oldest first, with their status now. */
  issuedCertificates?(department: string, limit: number, after?: FeedPosition): Promise<{ items: IssuedCertificate[]; checkedAt: number }>;
  /** Admin (fault injection): cut the node off from all peers, or reconnect it. Served only with --enable-admin. */
  setNetworkIsolated?(isolated: boolean): Promise<NetworkAdminState>;
  networkAdminState?(): Promise<NetworkAdminState>;
}
