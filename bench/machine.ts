/**
 * The limits of this machine, measured in the same run as the cluster figures (design.md §7): the
 * node:crypto Ed25519 verify rate, and the whole per-transaction work of one validator (parse,
 * canonicalise, hash, verify, Merkle, execute, store in one synced LevelDB batch per block).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { blockHash, buildBlock, genesisTip } from "../node/chain/block.js";
import type { ChainSpec } from "../node/chain/genesis.js";
import { executeBlock } from "../node/chain/state.js";
import { stateUpdates } from "../node/chain/certificate-state.js";
import { updateStateTree } from "../node/chain/state-tree.js";
import { checkTransaction } from "../node/chain/tx.js";
import type { Transaction } from "../node/chain/types.js";
import { signBytes, verifyBytes } from "../node/crypto/keys.js";
import { generateKeyPair } from "../node/keys/key-file.js";
import { LevelStore } from "../node/db/level-store.js";

export interface MachineLimits {
  /** node:crypto Ed25519 verifications per second on one core (cached public key). */
  verifyPerSecond: number;
  /** Microseconds of one validator's whole work per transaction (the state root included). */
  pipelineMicrosPerTx: number;
  /**
   * Of that, the state root's update (reading the touched paths of the tree and hashing them), per
   * transaction, measured by running each block's update once more; its node writes join the block's
   * synced batch and are inside the pipeline figure only (bench/state-root.ts times them alone).
   */
  stateRootMicrosPerTx: number;
  /** The per-core ceiling without the state root's update. */
  pipelineCeilingPerCoreWithoutStateRoot: number;
  /** Transactions per second one validator could process alone on one core. */
  pipelineCeilingPerCore: number;
  /** The cluster ceiling: cores × per-core ceiling ÷ validators sharing them. */
  clusterCeiling: number;
  cores: number;
}

/** Ed25519 verify rate over about `ms` milliseconds. */
export function measureVerifyRate(ms = 2000): number {
  const key = generateKeyPair();
  const msg = Buffer.alloc(32, 7);
  const sig = signBytes(key.privateKey, msg);
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 500; i++) if (verifyBytes(key.publicKey, msg, sig)) n++;
    elapsed = performance.now() - start;
  }
  return Math.round((n / elapsed) * 1000);
}

/**
 * One validator's per-transaction cost: blocks of `blockSize` wire-encoded transactions are parsed,
 * fully checked (canonical encoding, hash, signature; no cache), put in a block with its Merkle root,
 * executed and committed to a real LevelDB in one synced batch per block. Returns µs per transaction,
 * and of it the state root's update (timed by running each block's update once more, outside the total).
 */
export async function measurePipeline(spec: ChainSpec, txs: Transaction[], blockSize = 1000): Promise<{ microsPerTx: number; stateRootMicrosPerTx: number }> {
  const dir = await mkdtemp(join(tmpdir(), "certchain-bench-"));
  const store = await LevelStore.open({ path: join(dir, "db") });
  try {
    let tip = genesisTip(spec);
    let done = 0;
    let stateRootMs = 0;
    const start = performance.now();
    for (let i = 0; i + blockSize <= txs.length; i += blockSize) {
      const wire = Buffer.from(JSON.stringify(txs.slice(i, i + blockSize)));
      const checked = (JSON.parse(wire.toString("utf8")) as unknown[]).map((tx) => checkTransaction(spec, tx));
      const effects = await executeBlock(spec, store, tip.height + 1, tip.time + 1, checked);
      const s0 = performance.now();
      await updateStateTree(store, stateUpdates(effects.certificates.values()));
      stateRootMs += performance.now() - s0;
      const block = buildBlock(spec, tip, 0, tip.time + 1, checked, effects);
      const hash = blockHash(block.header);
      await store.commitBlock(
        { block, commit: { height: block.header.height, round: 0, blockHash: hash, seals: [] }, hash, receipts: effects.receipts },
        effects,
      );
      tip = { height: block.header.height, hash, time: block.header.time };
      done += checked.length;
    }
    return { microsPerTx: ((performance.now() - start - stateRootMs) * 1000) / done, stateRootMicrosPerTx: (stateRootMs * 1000) / done };
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Both figures and the ceilings they imply for `validators` nodes on this machine (verify rate over `verifyMs`). */
export async function measureMachine(spec: ChainSpec, txs: Transaction[], validators: number, verifyMs = 2000): Promise<MachineLimits> {
  const verifyPerSecond = measureVerifyRate(verifyMs);
  const { microsPerTx: pipelineMicrosPerTx, stateRootMicrosPerTx } = await measurePipeline(spec, txs);
  const cores = availableParallelism();
  const pipelineCeilingPerCore = Math.round(1e6 / pipelineMicrosPerTx);
  return {
    verifyPerSecond,
    pipelineMicrosPerTx: Math.round(pipelineMicrosPerTx * 10) / 10,
    stateRootMicrosPerTx: Math.round(stateRootMicrosPerTx * 10) / 10,
    pipelineCeilingPerCoreWithoutStateRoot: Math.round(1e6 / (pipelineMicrosPerTx - stateRootMicrosPerTx)),
    pipelineCeilingPerCore,
    clusterCeiling: Math.round((pipelineCeilingPerCore * Math.min(cores, validators)) / validators),
    cores,
  };
}
