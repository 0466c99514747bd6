/**
 * Building a certificate's proof bundle from a node's store (docs/proof-format.md): each transaction
 * in the record's history with its receipt, both Merkle inclusion proofs, its block header and commit
 * certificate, plus the newest block as the "as of" point.
 */
import type { ChainSpec } from "../chain/genesis.js";
import { receiptHash } from "../chain/block.js";
import { merkleProof } from "../chain/merkle.js";
import { txHash } from "../chain/tx.js";
import type { ChainStore } from "./store.js";
import { LedgerError } from "../errors.js";
import { PROOF_FORMAT, type ProofBundle, type ProofEvent } from "../chain/proof/bundle.js";

/** The bundle for certificate `id`, or null when the chain has no such certificate. */
export async function buildProofBundle(spec: ChainSpec, store: ChainStore, id: string): Promise<ProofBundle | null> {
  const record = await store.getCertificate(id);
  if (record === null) return null;
  const head = store.head();
  if (head === null) return null;
  const events: ProofEvent[] = [];
  for (const e of record.history) {
    const stored = await store.getBlock(e.height);
    const tx = stored?.block.txs[e.index];
    const receipt = stored?.receipts[e.index];
    if (stored === null || tx === undefined || receipt === undefined) {
      throw new LedgerError("STORE_CORRUPT", `certificate ${id}: block ${e.height} lacks transaction ${e.index}`);
    }
    events.push({
      header: stored.block.header,
      commit: stored.commit,
      index: e.index,
      tx,
      receipt,
      txProof: merkleProof(stored.block.txs.map(txHash), e.index),
      receiptProof: merkleProof(stored.receipts.map(receiptHash), e.index),
    });
  }
  const latest = await store.getBlock(head.height);
  if (latest === null) throw new LedgerError("STORE_CORRUPT", `head block ${head.height} is missing`);
  return {
    format: PROOF_FORMAT,
    chainId: spec.chainId,
    genesisHash: spec.genesisHash,
    genesis: spec.genesis,
    certificateId: id,
    events,
    latest: { header: latest.block.header, commit: latest.commit },
  };
}
