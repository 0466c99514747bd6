/**
 * The validator set in force at a height. Consensus (quorum, proposer rotation, who may vote), commit
 * certificate checks, sync, audit and the simulator all ask `ValidatorSchedule.at(height)`; genesis is
 * the schedule's first epoch and governance (chain/governance.ts) appends the others. A seal's or a
 * vote's `validator` is an index into the set of its own height, which the header pins by
 * `validatorsHash`; across heights a validator is known by its consensus public key.
 */
import { maxFaulty, proposerOf, quorum } from "../../consensus/quorum.js";
import { Domain, hashCanonical } from "../crypto/hash.js";
import { LedgerError } from "../errors.js";
import type { ValidatorInfo } from "./types.js";

/** Hash of a validator set: names, departments, keys, in rotation order. */
export function validatorsHash(validators: readonly ValidatorInfo[]): string {
  return hashCanonical(
    Domain.VALIDATORS,
    validators.map((v) => ({ name: v.name, department: v.department, publicKey: v.publicKey })),
  );
}

/** One validator set, indexed: n, f, Q, its hash and the proposer rotation. */
export class ValidatorSet {
  readonly validators: readonly ValidatorInfo[];
  readonly hash: string;
  readonly quorum: number;
  readonly faultTolerance: number;
  private readonly indexByKey = new Map<string, number>();

  constructor(validators: readonly ValidatorInfo[]) {
    this.validators = validators;
    this.hash = validatorsHash(validators);
    this.quorum = quorum(validators.length);
    this.faultTolerance = maxFaulty(validators.length);
    for (const [i, v] of validators.entries()) this.indexByKey.set(v.publicKey, i);
  }

  get size(): number {
    return this.validators.length;
  }

  /** Index of a consensus key in this set, or -1. */
  indexOf(publicKey: string): number {
    return this.indexByKey.get(publicKey) ?? -1;
  }

  /** Whether a consensus key belongs to this set. */
  has(publicKey: string): boolean {
    return this.indexByKey.has(publicKey);
  }

  /** Proposer of (height, round) = validators[(height + round) mod n] (design.md §3). */
  proposerIndex(height: number, round: number): number {
    return proposerOf(this.validators.length, height, round);
  }

  /**
   * Whether a block naming `proposer` in its header may be decided in `round`: its proposer must be the
   * proposer of that round or of an earlier one (QBFT re-proposes a prepared block unchanged after a
   * round change, so the header keeps the round it was first proposed in).
   */
  proposerFitsRound(height: number, proposer: number, round: number): boolean {
    const n = this.validators.length;
    if (!Number.isInteger(proposer) || proposer < 0 || proposer >= n) return false;
    return (((proposer - height) % n) + n) % n <= round;
  }
}

/** From `from` on (inclusive), `validators` sign blocks, until the next epoch's `from`. */
export interface ValidatorEpoch {
  from: number;
  validators: ValidatorInfo[];
}

/**
 * The validator sets of every height: epochs in increasing `from`, the first from height 1 (genesis).
 * Append-only: governance adds an epoch at the activation height of a passed change.
 */
export class ValidatorSchedule {
  private readonly epochs: Array<{ from: number; set: ValidatorSet }> = [];

  constructor(epochs: readonly ValidatorEpoch[]) {
    for (const e of epochs) this.add(e);
  }

  /** The epochs, oldest first (for persistence and the RPC). */
  list(): ValidatorEpoch[] {
    return this.epochs.map((e) => ({ from: e.from, validators: [...e.set.validators] }));
  }

  /** Append (or replace the last, same `from`) an epoch; `from` may not go back. */
  add(epoch: ValidatorEpoch): void {
    const last = this.epochs.at(-1);
    if (last !== undefined && epoch.from < last.from) throw new LedgerError("INTERNAL", `validator epoch from ${epoch.from} is before ${last.from}`);
    const entry = { from: epoch.from, set: new ValidatorSet(epoch.validators) };
    if (last !== undefined && last.from === epoch.from) this.epochs[this.epochs.length - 1] = entry;
    else this.epochs.push(entry);
  }

  /** The set that signs height `height` (≥ 1; height 0 — genesis — answers the first set). */
  at(height: number): ValidatorSet {
    // Newest first: almost every lookup is for the latest heights.
    for (let i = this.epochs.length - 1; i >= 0; i--) {
      const e = this.epochs[i] as { from: number; set: ValidatorSet };
      if (e.from <= height || i === 0) return e.set;
    }
    throw new LedgerError("INTERNAL", "a validator schedule has at least one epoch");
  }

  /** The first height of the epoch in force at `height`. */
  epochStart(height: number): number {
    for (let i = this.epochs.length - 1; i >= 0; i--) {
      const e = this.epochs[i] as { from: number };
      if (e.from <= height || i === 0) return e.from;
    }
    return 1;
  }
}
