/**
 * The ledger's data model (design.md §2). Everything here is plain JSON so that it canonicalises
 * (RFC 8785) and can be re-checked by a third-party verifier in any language. Times are Unix
 * milliseconds; hashes and keys are lower-case hex.
 */

/** Bilingual display text: the verification page shows both. */
export interface LocalizedText {
  en: string;
  zh: string;
}

export type FieldKind = "string" | "date" | "integer" | "boolean";

/** One field of a certificate type's schema. */
export interface FieldSchema {
  name: string;
  label: LocalizedText;
  kind: FieldKind;
  required: boolean;
  /** Public fields go on chain; the rest stay in the holder's document only. */
  public: boolean;
  /** For strings: the longest allowed value. */
  maxLength?: number;
  /** For strings: a regular expression the value must match in full. */
  pattern?: string;
}

/** A kind of certificate, fixed in genesis. */
export interface CertificateType {
  id: string;
  name: LocalizedText;
  fields: FieldSchema[];
  /** Validity used when the issuer does not give one. */
  defaultValidityDays: number;
}

/** An issuing authority and the keys it signs transactions with. */
export interface Department {
  id: string;
  name: LocalizedText;
  /** Ed25519 public keys (hex) allowed to sign this department's transactions. */
  issuerKeys: string[];
  /** Ids of the certificate types this department may issue. */
  certificateTypes: string[];
}

/** A member of the fixed validator set. Order in genesis is the proposer rotation. */
export interface ValidatorInfo {
  name: string;
  department: string;
  /** Ed25519 consensus key (hex). */
  publicKey: string;
  /** libp2p peer id of the validator's node. */
  peerId: string;
  /** libp2p multiaddr the node listens on. */
  address: string;
}

/** Consensus and block limits, fixed in genesis. */
export interface ConsensusParams {
  maxBlockTxs: number;
  maxBlockBytes: number;
  /** Round 0 timer; round r waits min(base * 2^r, max). */
  roundTimeoutMs: number;
  maxRoundTimeoutMs: number;
}

/** The genesis document: its hash is part of the chain id. */
export interface Genesis {
  chainName: string;
  genesisTime: number;
  validators: ValidatorInfo[];
  departments: Department[];
  certificateTypes: CertificateType[];
  consensus: ConsensusParams;
}

export type PublicFieldValue = string | number | boolean;

/** Issue a certificate: only its commitments and public fields go on chain. */
export interface IssuePayload {
  certificateId: string;
  certificateType: string;
  /** Salted hash of the holder's identity (never the identity itself). */
  holderCommitment: string;
  /** Hash of the holder's certificate document (canonical JSON). */
  documentDigest: string;
  publicFields: Record<string, PublicFieldValue>;
  validFrom: number;
  validUntil: number;
}

/** Revoke a certificate the same department issued. */
export interface RevokePayload {
  certificateId: string;
  reason: string;
}

export type TxKind = "issue" | "revoke";

interface TxBodyBase {
  /** Binds the signature to one chain: no replay across chains. */
  chainId: string;
  department: string;
  /** The department issuer key that signs this body. */
  signer: string;
  /** 16 random bytes (hex): two otherwise equal transactions differ. */
  nonce: string;
  createdAt: number;
}

export interface IssueTxBody extends TxBodyBase {
  kind: "issue";
  payload: IssuePayload;
}

export interface RevokeTxBody extends TxBodyBase {
  kind: "revoke";
  payload: RevokePayload;
}

export type TxBody = IssueTxBody | RevokeTxBody;

/** A signed transaction. Its hash is H(TX, canonical(body)); unique within the chain. */
export interface Transaction {
  body: TxBody;
  signature: string;
}

/** Block header; the block hash is H(BLOCK, canonical(header)). */
export interface BlockHeader {
  chainId: string;
  height: number;
  /** Hash of block height-1; for height 1 the genesis hash. */
  previousHash: string;
  /** Index of the proposer in genesis.validators. */
  proposer: number;
  time: number;
  /** Merkle root of the transaction hashes. */
  txRoot: string;
  txCount: number;
  /** Merkle root of the receipt hashes, in transaction order: proves what each transaction did. */
  resultsRoot: string;
  /** Hash of the validator set that must sign this block's commit certificate. */
  validatorsHash: string;
}

export interface Block {
  header: BlockHeader;
  txs: Transaction[];
}

/** One validator's commit signature over (chainId, height, round, blockHash). */
export interface CommitSeal {
  validator: number;
  signature: string;
}

/** A quorum of commit seals: anyone holding genesis can check a block's finality alone. */
export interface CommitCertificate {
  height: number;
  round: number;
  blockHash: string;
  seals: CommitSeal[];
}

/** A decided block as stored and served. */
export interface CommittedBlock {
  block: Block;
  commit: CommitCertificate;
}

/** The outcome of one transaction in a block; hashed whole (H(RECEIPT, canonical(receipt))) into resultsRoot. */
export interface Receipt {
  txHash: string;
  status: "applied" | "rejected";
  /** Error code when rejected (e.g. TX_ALREADY_REVOKED). */
  code?: string;
  message?: string;
}

export type CertificateStatus = "valid" | "revoked" | "expired" | "not-yet-valid";

/** Where and when a transaction touched a certificate. */
export interface CertificateEvent {
  action: TxKind;
  txHash: string;
  height: number;
  index: number;
  time: number;
  reason?: string;
}

/** The on-chain record of a certificate. `revoked` is stored; expiry is computed at a given time. */
export interface CertificateRecord {
  id: string;
  certificateType: string;
  department: string;
  holderCommitment: string;
  documentDigest: string;
  publicFields: Record<string, PublicFieldValue>;
  validFrom: number;
  validUntil: number;
  revoked: boolean;
  revocationReason?: string;
  history: CertificateEvent[];
}

/** Where a committed transaction sits. */
export interface TxLocation {
  height: number;
  index: number;
}
