/**
 * The proposer's side of the driver: when the core asks for a block (`request-block`), wait out the
 * block interval, reap the mempool, execute the transactions on the head for the results root, build
 * the block and hand it back to the core. With an empty mempool the request waits for transactions,
 * or for the chain's heartbeat: once the head is `heartbeatIntervalMs` old (by header time) an empty
 * block is built, so an idle chain still moves on and expiry takes effect.
 */
import type { Input } from "../../consensus/types.js";
import { heartbeatIntervalOf } from "../chain/freshness.js";
import { type ChainTip, blockHash, buildBlock, nextBlockTime } from "../chain/block.js";
import type { ChainSpec } from "../chain/genesis.js";
import type { Mempool } from "../ledger/mempool.js";
import { executeBlock } from "../chain/state.js";
import type { Block } from "../chain/types.js";
import type { Clock } from "../clock.js";
import type { ChainStore } from "../ledger/store.js";
import type { CarriedBlockChecker } from "./carried-blocks.js";

/** When blocks are built. */
export interface ProposerOptions {
  /** Least time from one commit to building the next block: lets transactions gather into batches. */
  blockIntervalMs: number;
}

/** The pace a node runs with. */
export const defaultProposerOptions: ProposerOptions = {
  blockIntervalMs: 20,
};

/** What the proposer reads and whom it tells. */
export interface ProposerModules {
  spec: ChainSpec;
  store: ChainStore;
  mempool: Mempool;
  clock: Clock;
  /** This validator's index in the set of a height; null where it is not a validator. */
  indexAt(height: number): number | null;
  /** The committed head and when it was committed (by the local clock). */
  tip(): ChainTip;
  lastCommitAt(): number;
  /** Where consensus stands: a request for another height or round is stale. */
  position(): { height: number; round: number };
  /** The built block is remembered as checked, so the core's own proposal is not checked again. */
  checker: CarriedBlockChecker;
  /** Run a task on the driver's serial input loop. */
  enqueue(task: () => Promise<void>): void;
  /** Feed the core. */
  input(input: Input<Block>): Promise<void>;
}

/** Builds this validator's proposals on the core's request. */
export class Proposer {
  private buildTimer: unknown = null;
  private heartbeatTimer: unknown = null;
  /** A proposal request waiting for transactions to arrive. */
  private awaitingTxs: { height: number; round: number } | null = null;

  constructor(
    private readonly options: ProposerOptions,
    private readonly modules: ProposerModules,
  ) {}

  /** The core's `request-block`: build once the block interval has passed since the last commit. */
  request(height: number, round: number): void {
    const { clock } = this.modules;
    if (this.buildTimer !== null) clock.clearTimeout(this.buildTimer);
    const wait = Math.max(0, this.modules.lastCommitAt() + this.options.blockIntervalMs - clock.now());
    this.buildTimer = clock.setTimeout(() => {
      this.buildTimer = null;
      this.modules.enqueue(() => this.build(height, round));
    }, wait);
  }

  /** New transactions are pending: a request waiting for them goes ahead. */
  transactionsAvailable(): void {
    if (this.awaitingTxs === null) return;
    const { height, round } = this.awaitingTxs;
    this.awaitingTxs = null;
    this.request(height, round);
  }

  /** A new height: forget the waiting request (a pending build finds its height stale). */
  reset(): void {
    this.awaitingTxs = null;
    this.clearHeartbeat();
  }

  /** Cancel the timers. */
  stop(): void {
    if (this.buildTimer !== null) this.modules.clock.clearTimeout(this.buildTimer);
    this.buildTimer = null;
    this.clearHeartbeat();
  }

  private clearHeartbeat(): void {
    if (this.heartbeatTimer !== null) this.modules.clock.clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private async build(height: number, round: number): Promise<void> {
    const { spec, store, mempool, clock } = this.modules;
    const at = this.modules.position();
    if (at.height !== height || at.round !== round) return;
    const params = spec.rulesAt(height).consensus;
    const index = this.modules.indexAt(height);
    if (index === null) return; // not a validator at this height
    const txs = mempool.reap(params.maxBlockTxs, params.maxBlockBytes);
    const tip = this.modules.tip();
    const heartbeatAt = tip.time + heartbeatIntervalOf(params);
    if (txs.length === 0 && clock.now() < heartbeatAt) {
      // Nothing to propose yet: wait for transactions, or for the heartbeat (then an empty block).
      this.awaitingTxs = { height, round };
      this.clearHeartbeat();
      this.heartbeatTimer = clock.setTimeout(() => {
        this.heartbeatTimer = null;
        this.transactionsAvailable();
      }, heartbeatAt - clock.now());
      return;
    }
    // Built from transactions the mempool already checked: no need to check the block again. The
    // header commits to the receipts of executing it on the head. An empty block (the heartbeat)
    // carries a time at least the interval after its parent's, as every validator checks (block.ts).
    const now = txs.length === 0 ? Math.max(clock.now(), heartbeatAt) : clock.now();
    const effects = await executeBlock(spec, store, tip.height + 1, nextBlockTime(tip, now), txs);
    const block = buildBlock(spec, tip, index, now, txs, effects);
    const hash = blockHash(block.header);
    this.modules.checker.remember(hash, { block, txs, effects });
    await this.modules.input({ type: "block-ready", height, round, blockHash: hash, block });
  }
}
