/**
 * Messages, inputs and outputs of the PBFT-style consensus core (IBFT 2.0 / QBFT shape; design.md §3).
 * The core is generic over the block type `B`: it only ever compares block hashes, which the driver
 * has checked against the block before any message reaches the core.
 */

/** PREPARE(h, r, hash): "I accept the proposal of round r". */
export interface Prepare {
  kind: "prepare";
  height: number;
  round: number;
  blockHash: string;
  validator: number;
  signature: string;
}

/** COMMIT(h, r, hash): its signature doubles as the commit seal in the block's commit certificate. */
export interface Commit {
  kind: "commit";
  height: number;
  round: number;
  blockHash: string;
  validator: number;
  signature: string;
}

/** What a validator reports as prepared when it changes round. */
export interface PreparedSummary {
  round: number;
  blockHash: string;
}

/**
 * ROUND-CHANGE(h, r, prepared). The signature covers height, round and `prepared`; the prepared block
 * and its prepare certificate travel alongside, unsigned (each is checkable on its own).
 */
export interface RoundChange<B> {
  kind: "round-change";
  height: number;
  round: number;
  prepared: PreparedSummary | null;
  validator: number;
  signature: string;
  preparedBlock?: B;
  preparedCertificate?: Prepare[];
}

/** Why a proposal for round > 0 is allowed: a quorum of round changes, and the prepare certificate of the highest prepared block among them. */
export interface Justification {
  roundChanges: Array<RoundChange<never>>;
  preparedCertificate?: Prepare[];
}

/** PRE-PREPARE(h, r, block) from the proposer of (h, r). The signature covers height, round and blockHash. */
export interface Proposal<B> {
  kind: "proposal";
  height: number;
  round: number;
  blockHash: string;
  validator: number;
  signature: string;
  block: B;
  justification?: Justification;
}

export type ConsensusMessage<B> = Proposal<B> | Prepare | Commit | RoundChange<B>;

/** A message the core wants sent; the driver adds `validator` and `signature`. */
export type UnsignedMessage<B> =
  | Omit<Proposal<B>, "validator" | "signature">
  | Omit<Prepare, "validator" | "signature">
  | Omit<Commit, "validator" | "signature">
  | Omit<RoundChange<B>, "validator" | "signature">;

/** The seals of a decision: a quorum of commits for one (round, hash). */
export interface Decision<B> {
  height: number;
  round: number;
  blockHash: string;
  block: B;
  seals: Array<{ validator: number; signature: string }>;
}

/** What a validator must remember across a crash to never equivocate (design.md §3 "Never equivocate"). */
export interface SafetyState<B> {
  height: number;
  round: number;
  prepared: { round: number; blockHash: string; block: B; certificate: Prepare[] } | null;
  /** What this validator has signed at this height: `${kind}:${round}` → blockHash (or "nil" for an empty round change). */
  signed: Record<string, string>;
}

/** Inputs of the state machine. Messages are already signature-checked and for this height. */
export type Input<B> =
  | { type: "activate" }
  | { type: "message"; message: ConsensusMessage<B> }
  | { type: "timeout"; height: number; round: number }
  | { type: "block-ready"; height: number; round: number; blockHash: string; block: B };

/** Outputs, run by the driver in order. `persist` always precedes the `broadcast` it protects. */
export type Output<B> =
  | { type: "persist"; safety: SafetyState<B> }
  | { type: "broadcast"; message: UnsignedMessage<B> }
  | { type: "schedule-timeout"; height: number; round: number; delayMs: number }
  | { type: "request-block"; height: number; round: number }
  | { type: "decide"; decision: Decision<B> }
  | { type: "evidence"; kind: "equivocation"; messages: [ConsensusMessage<B>, ConsensusMessage<B>] };

/** Fixed parameters of one consensus instance. */
export interface ConsensusConfig {
  /** Number of validators. */
  n: number;
  /** Index of this node in the validator set; null for a follower (never votes). */
  self: number | null;
  /** Round 0 timer; round r waits min(base * 2^r, max): capped, never unbounded. */
  baseTimeoutMs: number;
  maxTimeoutMs: number;
}
