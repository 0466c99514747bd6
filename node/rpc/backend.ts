/**
 * What the RPC server needs from a node. The server (server.ts) owns HTTP concerns — routing,
 * schemas, body limits, error mapping — and calls only this interface, so it can be tested against
 * an in-memory backend.
 */
import type {
  BlockView,
  CertificateView,
  FeedPosition,
  IssuedCertificate,
  NetworkAdminState,
  NodeStatus,
  ReadinessFacts,
  ReloadSummary,
  SubmitResult,
  TxView,
  VerificationResult,
} from "../api/views.js";
import type { Evidence } from "../chain/evidence.js";
import type { ProofBundle } from "../chain/proof/bundle.js";
import type { GovernanceState, IssuerKeyGrant } from "../chain/gov-types.js";
import type { Department, Genesis } from "../chain/types.js";
import type { ValidatorSet } from "../chain/validator-set.js";
import type { LedgerError } from "../errors.js";

/** GET /status as the backend knows it; the server adds where it is reached (`publicUrl`). */
export type BackendStatus = Omit<NodeStatus, "publicUrl">;

/** The node's answers behind every route. */
export interface RpcBackend {
  status(): Promise<BackendStatus>;
  /** Facts for GET /readyz (judged by readiness.ts). Optional: without it the server has no /readyz. */
  readiness?(): Promise<ReadinessFacts>;
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
  /** The certificate's proof bundle (ledger/proof-build.ts); for an unknown id a proof of absence (no events); null before the first block. */
  proofBundle?(id: string): Promise<ProofBundle | null>;
  /** Up to `limit` certificates a department issued after `after`, oldest first, with their status now. */
  issuedCertificates?(department: string, limit: number, after?: FeedPosition): Promise<{ items: IssuedCertificate[]; checkedAt: number }>;
  /** A department's Status List Token (status-list.ts) whose `sub` is `uri`; absent on a follower (no key of genesis to sign with). */
  statusListToken?(department: string, uri: string): Promise<string>;
  /** The governance state after the head (chain/governance.ts), and the head's height. */
  governance?(): Promise<{ head: number; state: GovernanceState }>;
  /** The validator set in force at `height` and the first height of it; null beyond what the chain fixes yet (head + 2). */
  validatorsAt?(height: number): { from: number; set: ValidatorSet } | null;
  /** Departments in force at the next height (and those governance scheduled), with every issuer key's valid heights. */
  departments?(): Array<Department & { keys: IssuerKeyGrant[]; keysInForce: number }>;
  /** Admin (fault injection): cut the node off from all peers, or reconnect it. Served only with --enable-admin. */
  setNetworkIsolated?(isolated: boolean): Promise<NetworkAdminState>;
  networkAdminState?(): Promise<NetworkAdminState>;
  /** Admin (authenticated, POST /admin/reload): re-read the config and apply what can change live; a bad config throws CONFIG and changes nothing. */
  reload?(): Promise<ReloadSummary>;
}
