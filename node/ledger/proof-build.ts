/**
 * Building a certificate's proof bundle from a node's store (docs/proof-format.md): each transaction
 * in the record's history with its receipt, both Merkle inclusion proofs, its block header and commit
 * certificate, plus the newest block as the "as of" point. Each piece is read on its own (the block's
 * head, the transaction, the stored Merkle levels): no block is read whole and nothing is re-hashed.
 */
import type { ChainSpec } from "../chain/genesis.js";
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
    const [block, item, proofs] = await Promise.all([
      store.getBlockHead(e.height),
      store.getStoredTx(e.height, e.index),
      store.getInclusionProofs(e.height, e.index),
    ]);
    if (block === null || item === null || proofs === null) {
      throw new LedgerError("STORE_CORRUPT", `certificate ${id}: block ${e.height} lacks transaction ${e.index}`);
    }
    events.push({ header: block.header, commit: block.commit, index: e.index, tx: item.tx, receipt: item.receipt, ...proofs });
  }
  const latest = await store.getBlockHead(head.height);
  if (latest === null) throw new LedgerError("STORE_CORRUPT", `head block ${head.height} is missing`);
  return {
    format: PROOF_FORMAT,
    chainId: spec.chainId,
    genesisHash: spec.genesisHash,
    genesis: spec.genesis,
    certificateId: id,
    events,
    latest: { header: latest.header, commit: latest.commit },
  };
}
