/**
 * Committing a block, from a consensus decision or from sync: execute (or reuse the effects cached
 * when it was checked), write it with its certificate, receipts and every change in one atomic synced
 * batch (apply.ts), settle the mempool, and move consensus to the next height.
 */
import type { Decision } from "../../consensus/types.js";
import { applyBlock } from "../ledger/apply.js";
import type { ChainSpec } from "../chain/genesis.js";
import type { Mempool } from "../ledger/mempool.js";
import type { BlockEffects } from "../chain/state.js";
import type { CheckedTx } from "../chain/tx.js";
import type { Block, CommitCertificate } from "../chain/types.js";
import type { Clock } from "../clock.js";
import type { ChainStore, StoredBlock } from "../ledger/store.js";
import type { Logger } from "../logger.js";
import type { CarriedBlockChecker, CheckedBlock } from "./carried-blocks.js";

/** Where a committed block came from. */
export type CommitSource = "consensus" | "sync";

/** What committing needs and whom it tells. */
export interface BlockCommitterModules {
  spec: ChainSpec;
  store: ChainStore;
  mempool: Mempool;
  clock: Clock;
  log: Logger;
  checker: CarriedBlockChecker;
  /** Move consensus to `height` (the block below it is committed). */
  advance(height: number): void;
  /** Peers decided something we cannot apply: catch up. */
  onBehind?(): void;
  /** Called after every committed block. */
  onCommitted?(block: StoredBlock, source: CommitSource, timings: { executeMs: number; storeMs: number }): void;
}

/** Commits decided and synced blocks; always runs on the driver's input loop. */
export class BlockCommitter {
  /** When the last block was committed, by the local clock (the proposer waits the block interval from here). */
  lastCommitAt: number;

  constructor(private readonly modules: BlockCommitterModules) {
    this.lastCommitAt = modules.clock.now();
  }

  /** The core's `decide` output: commit the decided block with its seals as the commit certificate. */
  async decide(d: Decision<Block>): Promise<void> {
    const { checker, log } = this.modules;
    // Normally checked when its proposal arrived; a block restored from the signing state after a
    // restart may be decided on commits alone, so check it now (not against our clock: a quorum took it).
    let checked: CheckedBlock;
    try {
      checked = await checker.checkBlock(d.blockHash, d.block, { clock: false });
    } catch (err) {
      // A quorum committed a block we find invalid: only a fault beyond f can do that. Do not apply it;
      // sync will fetch the chain's block with its certificate, or show the disagreement.
      log.error("decided block fails our checks", { height: d.height, hash: d.blockHash, reason: (err as Error).message });
      this.modules.onBehind?.();
      return;
    }
    const commit: CommitCertificate = { height: d.height, round: d.round, blockHash: d.blockHash, seals: d.seals };
    // Store the copy that was checked (its transactions are the ones `txs` holds), not the core's.
    await this.commit(checked.block, commit, d.blockHash, checked.txs, "consensus", checked.effects);
  }

  /** Execute and store a block atomically (fsynced unless `durable` is false: synced blocks only), then move consensus to the next height. */
  async commit(
    block: Block,
    commit: CommitCertificate,
    hash: string,
    txs: CheckedTx[],
    source: CommitSource,
    effects?: BlockEffects,
    durable = true,
  ): Promise<void> {
    const { spec, store, mempool, clock, log } = this.modules;
    const h = block.header;
    mempool.beginCommit();
    this.modules.checker.commitStarting();
    let applied: Awaited<ReturnType<typeof applyBlock>>;
    try {
      applied = await applyBlock(spec, store, block, commit, hash, txs, effects, { durable });
    } catch (err) {
      await mempool.onBlockCommitted([]); // release admissions waiting on this commit
      throw err;
    }
    const { stored, timings } = applied;
    const t2 = performance.now();
    await mempool.onBlockCommitted(txs);
    const now = clock.now();
    log.debug("committed block", {
      height: h.height,
      txs: txs.length,
      round: commit.round,
      source,
      executeMs: Math.round(timings.executeMs),
      storeMs: Math.round(timings.storeMs),
      mempoolMs: Math.round(performance.now() - t2),
      sinceLastCommitMs: now - this.lastCommitAt,
    });
    this.lastCommitAt = now;
    this.modules.advance(h.height + 1);
    this.modules.onCommitted?.(stored, source, timings);
  }
}
