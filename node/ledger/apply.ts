/**
 * Applying a decided block: execute its transactions against committed state, check the receipts
 * against the header's results root, then write the block, its receipts and every change in one
 * atomic synced batch. Shared by consensus, sync and restore.
 */
import type { ChainStore, CommitOptions, StoredBlock } from "./store.js";
import { LedgerError } from "../errors.js";
import { resultsRoot } from "../chain/block.js";
import type { ChainSpec } from "../chain/genesis.js";
import { type BlockEffects, type StateReader, executeBlock } from "../chain/state.js";
import type { CheckedTx } from "../chain/tx.js";
import type { Block, CommitCertificate } from "../chain/types.js";

export interface AppliedBlock {
  stored: StoredBlock;
  timings: { executeMs: number; storeMs: number };
}

/**
 * Execute a stateless-checked block against committed state (its parent's) and check that the
 * receipts hash to its header's resultsRoot and the state tree after it has its stateRoot. Throws
 * BLOCK_INVALID otherwise.
 */
export async function executeChecked(spec: ChainSpec, reader: StateReader, block: Block, txs: CheckedTx[]): Promise<BlockEffects> {
  const h = block.header;
  const effects = await executeBlock(spec, reader, h.height, h.time, txs);
  // [REJECT] the header commits to exactly the receipts every honest node computes
  if (resultsRoot(effects.receipts) !== h.resultsRoot) {
    throw new LedgerError("BLOCK_INVALID", `block ${h.height}: resultsRoot does not match the receipts of executing it`);
  }
  // [REJECT] the header commits to the state tree every honest node computes after the block
  if (effects.stateRoot !== h.stateRoot) {
    throw new LedgerError("BLOCK_INVALID", `block ${h.height}: stateRoot does not match the state tree after executing it`);
  }
  return effects;
}

/**
 * Store a block whose commit certificate and transactions were already checked. `effects` are the
 * already-checked result of executeChecked on this block (consensus caches them by block hash);
 * without them the block is executed and checked here.
 */
export async function applyBlock(
  spec: ChainSpec,
  store: ChainStore,
  block: Block,
  commit: CommitCertificate,
  hash: string,
  txs: CheckedTx[],
  effects?: BlockEffects,
  opts: CommitOptions = {},
): Promise<AppliedBlock> {
  const t0 = performance.now();
  const executed = effects ?? (await executeChecked(spec, store, block, txs));
  const t1 = performance.now();
  const stored: StoredBlock = { block, commit, hash, receipts: executed.receipts };
  await store.commitBlock(stored, executed, opts);
  // What governance decided in this block: the rules (and validator sets) of later heights.
  if (executed.governance !== undefined) spec.learn(executed.governance);
  return { stored, timings: { executeMs: t1 - t0, storeMs: performance.now() - t1 } };
}
