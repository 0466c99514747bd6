/**
 * The data model of on-chain governance (chain/governance.ts): actions, the transactions that propose
 * and vote on them, proposals and the governance state every node derives from the chain alike.
 * Plain JSON, like the rest of the data model (types.ts).
 */
import type { GovAction, Genesis } from "./types.js";

export type {
  GovAction,
  GovActionType,
  GovTransaction,
  GovTxBody,
  GovernanceParams,
  ProposePayload,
  ProposeTxBody,
  VotePayload,
  VoteTxBody,
} from "./types.js";

/** What a chain's rules are at a height: what genesis fixes today, less its name and time. */
export type ChainRules = Pick<Genesis, "validators" | "departments" | "certificateTypes" | "reviewRules" | "consensus">;

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
