/**
 * The ledger's data model (design.md §2). Everything here is plain JSON so that it canonicalises
 * (RFC 8785) and can be re-checked by a third-party verifier in any language. Times are Unix
 * milliseconds; hashes and keys are lower-case hex.
 */
import type { NodeCard } from "./card.js";

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

/**
 * A commitment to another person a certificate names (e.g. a licence's legal representative): that
 * person's holder commitment from their identity proof. Non-personal; goes on chain in `links`.
 */
export interface LinkSchema {
  name: string;
  label: LocalizedText;
}

/** A kind of certificate, fixed in genesis. */
export interface CertificateType {
  id: string;
  name: LocalizedText;
  fields: FieldSchema[];
  /** Links this type may carry (review rules may require them). */
  links?: LinkSchema[];
  /** Validity used when the issuer does not give one. */
  defaultValidityDays: number;
  /** Longest validity period (validUntil - validFrom) an issue or renewal may have. */
  maxValidityDays: number;
}

/** Whose certificates a review rule looks at: the new certificate's holder, or one of its links. */
export type ReviewSubject = "holder" | { link: string };

/** The subject must hold a certificate of `requiredType` that is valid at block time. */
export interface RequiresValidRule {
  id: string;
  kind: "requires-valid";
  /** The certificate type the rule reviews. */
  certificateType: string;
  subject: ReviewSubject;
  requiredType: string;
  /** Reason code of a rejection (a REVIEW_* code). */
  code: string;
  /**
   * "suspend": a certificate this rule approved is suspended automatically, in the same block, when a
   * certificate its approval rested on is revoked or suspended (chain/suspension.ts). Absent: it is
   * only flagged "basis revoked" in answers.
   */
  onBasisRevoked?: "suspend";
}

/** The subject must hold no other certificate of the reviewed type that is valid at block time (a renewal's predecessor excepted). */
export interface UniqueValidRule {
  id: string;
  kind: "unique-valid";
  certificateType: string;
  subject: ReviewSubject;
  code: string;
}

export type ReviewRule = RequiresValidRule | UniqueValidRule;

/** The automatic review of issues and renewals: declarative, versioned, run by every node. */
export interface ReviewRuleSet {
  version: string;
  rules: ReviewRule[];
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
  /** Earliest time (Unix ms, inclusive) a transaction may carry; absent: 2000-01-01 (chain/time.ts). */
  minTime?: number;
  /** Latest time (Unix ms, inclusive) a transaction may carry; absent: 2200-01-01. */
  maxTime?: number;
  /** Shortest validity period of an issue or renewal; absent: one hour. */
  minValidityMs?: number;
  /**
   * Heartbeat: an empty block is valid only this long (ms, by header time) after its parent, and an
   * idle chain makes one then, so expiry takes effect and "as of" stays bounded; absent: 5 minutes.
   */
  heartbeatIntervalMs?: number;
}

/** Genesis's governance parameters (chain/governance.ts); all optional. */
export interface GovernanceParams {
  /**
   * Share of the electorate (the validators in force when a proposal is made) whose yes votes pass it,
   * in percent; never below a quorum Q. Absent: Q.
   */
  thresholdPercent?: number;
  /** A proposal may be voted on up to this many blocks after the one that holds it. Absent: 1,000. */
  proposalLifetime?: number;
}

/** The genesis document: its hash is part of the chain id. */
export interface Genesis {
  chainName: string;
  genesisTime: number;
  validators: ValidatorInfo[];
  departments: Department[];
  certificateTypes: CertificateType[];
  /** Automatic review of issues and renewals; absent: none. */
  reviewRules?: ReviewRuleSet;
  consensus: ConsensusParams;
  /** On-chain governance's threshold and proposal lifetime; absent: the defaults. */
  governance?: GovernanceParams;
}

export type PublicFieldValue = string | number | boolean;

/** What goes on chain of every certificate: its type, commitments, public fields and validity. */
export interface CertificateFacts {
  certificateType: string;
  /** Salted hash of the holder's identity (never the identity itself). */
  holderCommitment: string;
  /** Hash of the holder's certificate document (canonical JSON). */
  documentDigest: string;
  publicFields: Record<string, PublicFieldValue>;
  /** Unix milliseconds. */
  validFrom: number;
  /** Unix milliseconds. */
  validUntil: number;
}

/** Issue a certificate: only its commitments and public fields go on chain. */
export interface IssuePayload extends CertificateFacts {
  certificateId: string;
  /** Holder commitments of other people the certificate names, by the type's link names. */
  links?: Record<string, string>;
  /**
   * Renewal: the certificate this one replaces (same department, type and holder; valid at block
   * time). The old record becomes "superseded".
   */
  supersedes?: string;
}

/** Revoke a certificate the same department issued. */
export interface RevokePayload {
  certificateId: string;
  reason: string;
}

export type TxKind = "issue" | "revoke";

export type GovTxKind = "gov-propose" | "gov-vote";

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

/** A certificate transaction's body (signed by a department's issuer key). */
export type CertTxBody = IssueTxBody | RevokeTxBody;

// Governance (chain/governance.ts): the actions and the transactions that propose and vote on them.
export type GovAction =
  /** A validator joins from its node card (signed by its consensus key); the card's issuer keys join its department. */
  | { type: "add-validator"; card: NodeCard }
  /** A validator leaves; the set never goes below 4. */
  | { type: "remove-validator"; publicKey: string }
  /** A department joins (with issuer keys, or none until a validator card or add-issuer-key brings them). */
  | { type: "add-department"; department: Department }
  | { type: "add-issuer-key"; department: string; publicKey: string }
  /** Certificates the key signed before it stays valid: authority is judged at the height of the signing transaction. */
  | { type: "revoke-issuer-key"; department: string; publicKey: string }
  /** Add a certificate type, or replace the one with this id. */
  | { type: "set-certificate-type"; certificateType: CertificateType }
  | { type: "adopt-review-rules"; reviewRules: ReviewRuleSet }
  | { type: "set-consensus-params"; consensus: ConsensusParams };

export type GovActionType = GovAction["type"];

export interface ProposePayload {
  action: GovAction;
  /** Why (shown to voters). */
  note?: string;
}

export interface VotePayload {
  proposal: number;
  approve: boolean;
}

interface GovTxBodyBase {
  chainId: string;
  /** The department of the signing validator. */
  department: string;
  /** The validator's consensus public key (hex) that signs the body. */
  signer: string;
  /** 16 random bytes (hex). */
  nonce: string;
  createdAt: number;
}

export interface ProposeTxBody extends GovTxBodyBase {
  kind: "gov-propose";
  payload: ProposePayload;
}

export interface VoteTxBody extends GovTxBodyBase {
  kind: "gov-vote";
  payload: VotePayload;
}

export type GovTxBody = ProposeTxBody | VoteTxBody;

/** A signed governance transaction; its hash is H(GOV_TX, canonical(body)). */
export interface GovTransaction {
  body: GovTxBody;
  signature: string;
}

/** Every transaction a block may hold: certificate transactions and governance ones. */
export type TxBody = CertTxBody | GovTxBody;

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
  /**
   * Root of the state tree after this block (chain/state-tree.ts): every certificate's current state,
   * with proofs of inclusion and of absence (docs/proof-format.md §7).
   */
  stateRoot: string;
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

/** What the automatic review decided about an issue or renewal (chain/rules.ts). */
export interface ReviewOutcome {
  /** Version of the genesis rule set that decided. */
  version: string;
  /** Ids of the rules that passed, in rule-set order (on rejection: those before the failing one). */
  passed: string[];
  /** The rule that refused it, on rejection. */
  rule?: string;
}

/**
 * The outcome of one transaction in a block; hashed whole (H(RECEIPT, canonical(receipt))) into
 * resultsRoot, so it holds nothing that differs between nodes.
 */
export interface Receipt {
  txHash: string;
  status: "applied" | "rejected";
  /** Error code when rejected (e.g. TX_ALREADY_REVOKED, REVIEW_NO_IDENTITY_PROOF); REVIEW_APPROVED for a reviewed issue. */
  code?: string;
  message?: string;
  /** Present for issues and renewals on a chain with review rules. */
  review?: ReviewOutcome;
  /** Present for an applied governance transaction: where its proposal stands after it (chain/governance.ts). */
  governance?: {
    proposal: number;
    status: "open" | "passed" | "rejected" | "failed" | "expired";
    yes: number;
    no: number;
    threshold: number;
    activatesAt?: number;
  };
  /**
   * Present on an applied revocation that suspended certificates (chain/suspension.ts): each
   * suspension it caused, in the order they were made; `basis` is the revoked or suspended
   * certificate the suspended one rested on under review rule `rule`.
   */
  suspended?: Suspension[];
  /** True when the cascade stopped at MAX_SUSPENSIONS_PER_TX; the rest stay valid, flagged "basis revoked". */
  suspensionsCut?: boolean;
}

/** One automatic suspension, as a revocation's receipt names it. */
export interface Suspension {
  certificateId: string;
  rule: string;
  basis: string;
}

export type CertificateStatus = "valid" | "revoked" | "superseded" | "suspended" | "expired" | "not-yet-valid";

/**
 * Where and when a transaction touched a certificate. "supersede": a renewal (an issue transaction of
 * `by`) replaced it. "suspend": the revocation at `txHash` (of another certificate) suspended it, since
 * its approval rested on `basis` under review rule `rule`; its receipt names the suspension.
 */
export interface CertificateEvent {
  action: TxKind | "supersede" | "suspend";
  txHash: string;
  height: number;
  index: number;
  time: number;
  reason?: string;
  /** For "supersede": the renewing certificate. */
  by?: string;
  /** For "suspend": the review rule and the revoked or suspended certificate the approval rested on. */
  rule?: string;
  basis?: string;
}

/**
 * The on-chain record of a certificate. Revocation, supersession and suspension are stored; expiry is computed
 * at a block's time (state.ts statusAt).
 */
export interface CertificateRecord extends CertificateFacts {
  id: string;
  department: string;
  /** Holder commitments of other people it names (e.g. legalRepresentative). */
  links?: Record<string, string>;
  revoked: boolean;
  revocationReason?: string;
  /** The certificate this one renewed. */
  supersedes?: string;
  /** The certificate that renewed this one; its status is then "superseded". */
  supersededBy?: string;
  /**
   * Suspended automatically (chain/suspension.ts): a certificate its approval rested on was revoked.
   * It stays suspended; its department may revoke it or renew it (the renewal is reviewed afresh).
   */
  suspended?: true;
  history: CertificateEvent[];
}

/** Where a committed transaction sits. */
export interface TxLocation {
  height: number;
  index: number;
}
