/**
 * What a ledger simulation runs (network model, partitions, crashes, Byzantine validators, workload)
 * and what it reports. The run itself is ledger-network.ts.
 */
import type { Transaction } from "../../node/chain/types.js";
import type { BlockMessage } from "../../node/chain/messages.js";
import type { TestChain } from "../helpers/chain.js";
import type { Adversary, Behaviour, ForgeryKind } from "./adversary.js";
import type { CrashPoint } from "./crashable-store.js";
import type { LedgerInvariants, Trace } from "./ledger-invariants.js";
import type { Prng } from "./prng.js";

export interface LinkModel {
  /** One-way delay of one copy of a message, in ms (reordering comes from its spread). */
  delayMs: (rng: Prng) => number;
  lossRate: number;
  /** Extra loss of commit votes: rounds where blocks are prepared but not decided, carried over round changes. */
  commitLossRate?: number;
  /** Scripted loss on top: messages for which this returns true are lost on the way from `from` to `to`. */
  drop?: (m: BlockMessage, from: number, to: number) => boolean;
  duplicateRate: number;
  /** Loss stops at this time (default: at once). */
  lossUntilMs?: number;
}

export interface Partition {
  groups: number[][];
  fromMs: number;
  untilMs: number;
}

/** A validator dies at `atMs` (between steps), or at the first `point` write after `atMs`, and restarts `downMs` later. */
export interface Crash {
  node: number;
  atMs: number;
  point?: CrashPoint;
  downMs: number;
  /** Restart on an empty data directory; the signing-state file survives. */
  wipe?: boolean;
}

export interface LedgerScenario {
  label: string;
  seed: number;
  chain: TestChain;
  /** Signed transactions, handed to every validator at the start (and again on restart). */
  workload: Transaction[];
  targetHeight: number;
  network: LinkModel;
  partitions?: Partition[];
  crashes?: Crash[];
  byzantine?: ReadonlyMap<number, Behaviour>;
  /** The lie every forged round change tells (default: one per validator, by seed). */
  forgery?: ForgeryKind;
  /** How often sync polls peers (default 1 s): slower catch-up leaves undecided nodes to consensus longer. */
  syncPollMs?: number;
  /** Once every fault is over, all honest nodes reach the target and agree on the head within this. */
  livenessBoundMs: number;
}

export interface LedgerResult {
  endMs: number;
  stableAtMs: number;
  /** Agreed chain height at the end, and the highest round any honest node committed in. */
  height: number;
  maxRound: number;
  delivered: number;
  /** Deliveries refused by decodeMessage. */
  rejectedAtEdge: number;
  /** Crashes that struck (a crash point that was never reached does not count). */
  crashesHit: number;
  /** Honest nodes' logs of dropped invalid blocks, by reason. */
  invalidBlocksDropped: Map<string, number>;
  synced: number;
  invariants: LedgerInvariants;
  adversary: Adversary;
  trace: Trace;
}
