/**
 * The state of one height's consensus instance, how it starts or is restored, and the vote tallies
 * the transitions (state-machine.ts) and justification checks (justification.ts) read. Pure.
 */
import { maxFaulty, quorum } from "./quorum.js";
import type { Commit, ConsensusConfig, Prepare, Proposal, RoundChange, SafetyState } from "./types.js";

/** Messages further ahead than this many rounds are dropped: bounds memory against a flooding peer. */
export const MAX_FUTURE_ROUNDS = 64;

/** State of one height's instance. Owned by the caller of `apply`, which mutates it in place. */
export interface ConsensusState<B> {
  readonly config: ConsensusConfig;
  readonly quorum: number;
  readonly f: number;
  height: number;
  round: number;
  /** Timers run and votes are cast only once active (an idle network makes no blocks). */
  active: boolean;
  decided: boolean;
  /** The proposal accepted in the current round. */
  accepted: { round: number; blockHash: string } | null;
  prepared: SafetyState<B>["prepared"];
  signed: Record<string, string>;
  /** Every block proposed at this height that passed the driver's checks, by hash. */
  blocks: Map<string, B>;
  proposals: Map<number, Proposal<B>>;
  prepares: Map<number, Map<number, Prepare>>;
  commits: Map<number, Map<number, Commit>>;
  roundChanges: Map<number, Map<number, RoundChange<B>>>;
  /** Round for which this proposer asked the driver for a block and is waiting. */
  awaitingBlock: number | null;
}

/** A fresh instance for `height`, or one restored from a persisted safety state of the same height. */
export function initialState<B>(config: ConsensusConfig, height: number, restored?: SafetyState<B>): ConsensusState<B> {
  const same = restored !== undefined && restored.height === height;
  const state: ConsensusState<B> = {
    config,
    quorum: quorum(config.n),
    f: maxFaulty(config.n),
    height,
    round: same ? restored.round : 0,
    active: false,
    decided: false,
    accepted: null,
    prepared: same ? restored.prepared : null,
    signed: same ? { ...restored.signed } : {},
    blocks: new Map(),
    proposals: new Map(),
    prepares: new Map(),
    commits: new Map(),
    roundChanges: new Map(),
    awaitingBlock: null,
  };
  if (state.prepared !== null) state.blocks.set(state.prepared.blockHash, state.prepared.block);
  return state;
}

/** The part of the state that must be on disk before anything is signed. */
export function safetyOf<B>(state: ConsensusState<B>): SafetyState<B> {
  return { height: state.height, round: state.round, prepared: state.prepared, signed: { ...state.signed } };
}

// ---------------------------------------------------------------------------------------------
// Vote tallies

/** The votes of one round by validator, created on first use. */
export function bucket<M>(map: Map<number, Map<number, M>>, round: number): Map<number, M> {
  let b = map.get(round);
  if (b === undefined) {
    b = new Map();
    map.set(round, b);
  }
  return b;
}

/** Votes of a round for one hash. */
export function votesFor<M extends { blockHash: string; validator: number }>(map: Map<number, Map<number, M>>, round: number, hash: string): M[] {
  const b = map.get(round);
  if (b === undefined) return [];
  return [...b.values()].filter((m) => m.blockHash === hash).sort(byValidator);
}

/** Order votes by validator index (certificates list their seals in that order). */
export function byValidator(a: { validator: number }, b: { validator: number }): number {
  return a.validator - b.validator;
}
