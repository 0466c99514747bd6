/**
 * Building a certificate's proof bundle from a node's store (docs/proof-format.md): each transaction
 * in the record's history with its receipt, both Merkle inclusion proofs, its block header and commit
 * certificate, the newest block as the "as of" point, and the record's state (or, for an unknown id,
 * its absence) proven under that block's state root. Each piece is read on its own (the block's head,
 * the transaction, the stored Merkle levels): no block is read whole and nothing is re-hashed.
 */
import type { ChainSpec } from "../chain/genesis.js";
import { certificateState, stateKey, stateValue } from "../chain/certificate-state.js";
import { buildStateProof, stateProofValue } from "../chain/state-tree.js";
import type { CertificateRecord } from "../chain/types.js";
import type { ChainStore } from "./store.js";
import { LedgerError } from "../errors.js";
import { PROOF_FORMAT, type ProofBundle, type ProofEvent } from "../chain/proof/bundle.js";

/** Attempts at reading one consistent view while blocks are being committed. */
const CONSISTENT_READ_ATTEMPTS = 5;

/**
 * The bundle for certificate `id`: its proof of state, or for an id the chain does not hold, a proof
 * of absence (no events). Null only before the first block.
 */
export async function buildProofBundle(spec: ChainSpec, store: ChainStore, id: string): Promise<ProofBundle | null> {
  const key = stateKey(id);
  for (let attempt = 0; attempt < CONSISTENT_READ_ATTEMPTS; attempt++) {
    const head = store.head();
    if (head === null) return null;
    const record = await store.getCertificate(id);
    const state = await buildStateProof(store, key);
    const latest = await store.getBlockHead(head.height);
    if (latest === null) throw new LedgerError("STORE_CORRUPT", `head block ${head.height} is missing`);
    // A block committed between these reads: the tree, the record and the head must be of one block.
    const proven = stateProofValue(latest.header.stateRoot, key, state);
    if (proven !== (record === null ? "absent" : stateValue(certificateState(record)))) continue;
    return {
      format: PROOF_FORMAT,
      chainId: spec.chainId,
      genesisHash: spec.genesisHash,
      genesis: spec.genesis,
      certificateId: id,
      events: record === null ? [] : await proofEvents(store, record),
      latest: { header: latest.header, commit: latest.commit },
      state,
    };
  }
  throw new LedgerError("NOT_READY", `certificate ${id}: the chain moved on while its proof was read; ask again`);
}

/** Each transaction of the record's history, proven included and applied in its block. */
async function proofEvents(store: ChainStore, record: CertificateRecord): Promise<ProofEvent[]> {
  const events: ProofEvent[] = [];
  for (const e of record.history) {
    const [block, item, proofs] = await Promise.all([
      store.getBlockHead(e.height),
      store.getStoredTx(e.height, e.index),
      store.getInclusionProofs(e.height, e.index),
    ]);
    if (block === null || item === null || proofs === null) {
      throw new LedgerError("STORE_CORRUPT", `certificate ${record.id}: block ${e.height} lacks transaction ${e.index}`);
    }
    events.push({ header: block.header, commit: block.commit, index: e.index, tx: item.tx, receipt: item.receipt, ...proofs });
  }
  return events;
}
