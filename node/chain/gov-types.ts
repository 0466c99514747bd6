/**
 * The data model of on-chain governance (chain/governance.ts): actions, the transactions that propose
 * and vote on them, proposals and the governance state every node derives from the chain alike.
 * Plain JSON, like the rest of the data model (types.ts).
 */
import type { NodeCard } from "./card.js";
import type { CertificateType, ConsensusParams, Department, Genesis, ReviewRuleSet } from "./types.js";

export type { GovernanceParams } from "./types.js";

/** What a chain's rules are at a height: what genesis fixes today, less its name and time. */
export type ChainRules = Pick<Genesis, "validators" | "departments" | "certificateTypes" | "reviewRules" | "consensus">;

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

export type ProposalStatus = "open" | "passed" | "rejected" | "failed" | "expired";

export interface GovVote {
  validator: string;
  approve: boolean;
  height: number;
  txHash: string;
}

/** A proposal as the chain holds it. */
export interface Proposal {
  /** 1, 2, 3… in the order the chain holds them. */
  id: number;
  txHash: string;
  action: GovAction;
  note?: string;
  department: string;
  proposer: string;
  /** Height of the block that holds the proposal. */
  height: number;
  /** The last height a vote counts at. */
  expiresAt: number;
  /** Consensus keys of the validators in force at `height`: who may vote. */
  electorate: string[];
  /** Yes votes needed. */
  threshold: number;
  /** The proposer's own yes vote first. */
  votes: GovVote[];
  /** `open` until decided; an open proposal past `expiresAt` reads as `expired` (proposalStatusAt). */
  status: Exclude<ProposalStatus, "expired">;
  /** Height of the block that decided it. */
  decidedAt?: number;
  /** For a passed proposal: the first height its action is in force. */
  activatesAt?: number;
  /** For a failed one: why the action could no longer apply when it passed. */
  failure?: { code: string; message: string };
}

/** An issuer key's life: it may sign transactions in blocks validFrom..validUntil (inclusive). */
export interface IssuerKeyGrant {
  department: string;
  publicKey: string;
  validFrom: number;
  validUntil?: number;
}

/** The rules in force from `from` (inclusive) until the next epoch's `from`. */
export interface RulesEpoch {
  from: number;
  rules: ChainRules;
}

/** Everything governance derives from the chain; the same on every node after the same blocks. */
export interface GovernanceState {
  /** Oldest first; the first from height 1 (genesis's rules). The last one may lie in the future (scheduled). */
  epochs: RulesEpoch[];
  proposals: Proposal[];
  issuerKeys: IssuerKeyGrant[];
}

/** What a governance transaction decided, in its receipt. */
export interface GovOutcome {
  proposal: number;
  status: ProposalStatus;
  yes: number;
  no: number;
  threshold: number;
  activatesAt?: number;
}
