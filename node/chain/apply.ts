/**
 * Applying a decided block: execute its transactions against committed state, then write the block,
 * its receipts and every change in one atomic synced batch. Shared by consensus, sync and restore.
 */
import type { ChainStore, StoredBlock } from "../db/store.js";
import { executeBlock } from "./state.js";
import type { CheckedTx } from "./tx.js";
import type { Block, CommitCertificate } from "./types.js";

export interface AppliedBlock {
  stored: StoredBlock;
  timings: { executeMs: number; storeMs: number };
}

/** Execute and store a block whose commit certificate and transactions were already checked. */
export async function applyBlock(store: ChainStore, block: Block, commit: CommitCertificate, hash: string, txs: CheckedTx[]): Promise<AppliedBlock> {
  const h = block.header;
  const t0 = performance.now();
  const effects = await executeBlock(store, h.height, h.time, txs);
  const t1 = performance.now();
  const stored: StoredBlock = { block, commit, hash, receipts: effects.receipts };
  await store.commitBlock(stored, effects);
  return { stored, timings: { executeMs: t1 - t0, storeMs: performance.now() - t1 } };
}
