/**
 * The wire and view types a node answers with: the RPC serves them, the CLI, the audit's RPC source
 * and the verification page read them. Types only (the pure layer), so every layer may import them.
 */
import type { Freshness } from "../chain/freshness.js";
import type { CertificateRecord, CertificateStatus, CommittedBlock, LocalizedText, Receipt, Transaction } from "../chain/types.js";

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
  /** The base URL of verification links and QR codes: the node's configured rpc.publicUrl, else its listen address. */
  publicUrl: string;
}

/** What a node reports for its readiness verdict (GET /readyz; judged by node/rpc/readiness.ts). */
export interface ReadinessFacts {
  /** Committed head height. */
  head: number;
  /** A catch-up is under way. */
  syncing: boolean;
  /** The highest head a connected peer reported; null when none has yet. */
  peersHead: number | null;
  /** Peers connected now (validators and followers). */
  connectedPeers: number;
  /** This node is a validator (else a follower). */
  validator: boolean;
  /** Validators in genesis. */
  validators: number;
  /** Other validators connected now. */
  connectedValidators: number;
  /** Transactions waiting in the mempool. */
  pendingTxs: number;
  /** Ms since the later of the last commit and the moment transactions began waiting (0 when none wait). */
  waitingMs: number;
  /** Genesis round timer: round r waits min(roundTimeoutMs * 2^r, maxRoundTimeoutMs). */
  roundTimeoutMs: number;
  maxRoundTimeoutMs: number;
}

/** GET /readyz: 200 when ready, 503 with a reason per failed check otherwise. */
export interface Readiness {
  ready: boolean;
  /** One line per failed check; empty when ready. */
  reasons: string[];
  checks: {
    /** Not behind the highest head a connected peer reported (by more than the tolerated lag). */
    synced: boolean;
    /** A validator: connected to a quorum of validators counting itself; a follower: to at least one. */
    connected: boolean;
    /** A block committed within the stall bound, or nothing waiting to be committed. */
    progressing: boolean;
  };
  facts: ReadinessFacts;
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
  /**
   * The automatic suspension (chain/suspension.ts): the revocation `txHash` (of another certificate)
   * suspended it, since its approval rested on `basis` under review rule `rule`.
   */
  suspended?: { height: number; time: number; txHash: string; rule: string; basis: string };
  /**
   * What its automatic review rested on (chain/basis.ts): the certificates that satisfied each
   * `requires-valid` rule of genesis at its issue, with their status now; absent when no such rule
   * reviewed its type. `basisRevoked`: one of them was revoked or suspended since ("basis revoked").
   */
  basis?: Array<{ rule: string; id: string; certificateType: string; status: CertificateStatus }>;
  basisRevoked?: boolean;
  /** The age of the newest block (checkedAtHeight) by the answering node's clock (chain/freshness.ts). */
  freshness?: Freshness;
  /** Set when that block is stale: the answer may miss later changes. */
  warning?: string;
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

/** What a reload did (SIGHUP to `certchain start`, or POST /admin/reload). */
export interface ReloadSummary {
  /** What now runs with the config's new setting, e.g. "p2p.peers: +1 -0 (4 configured)", "log.level: debug". */
  applied: string[];
  /** Options (by path, e.g. "rpc.port") that differ from what the node runs with; they take effect at the next start. */
  needsRestart: string[];
  /** How the peer set changed, by peer id. */
  peers: { added: string[]; removed: string[]; readdressed: string[] };
}

/** Position in a department's issuance index: the last item already served. */
export interface FeedPosition {
  height: number;
  index: number;
}

/** One certificate in a department's feed. */
export interface IssuedCertificate {
  id: string;
  certificateType: string;
  status: CertificateStatus;
  validFrom: number;
  validUntil: number;
  /** The issue transaction: block height, index in the block, block time and hash. */
  height: number;
  index: number;
  issuedAt: number;
  txHash: string;
}
