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
import { type GovernanceChange, type GovernanceStep, PROOF_FORMAT, type ProofBundle, type ProofEvent } from "../chain/proof/bundle.js";
import type { GovTransaction } from "../chain/types.js";

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
    const governance = await buildGovernanceChain(store, head.height);
    return {
      format: PROOF_FORMAT,
      chainId: spec.chainId,
      genesisHash: spec.genesisHash,
      genesis: spec.genesis,
      certificateId: id,
      // Only when something changed: a bundle of an unchanged chain stays as it was before governance.
      ...(governance.length > 0 ? { governance } : {}),
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

/** A committed transaction as a proof step: its block head, the transaction, its receipt and both inclusion proofs. */
export async function governanceStep(store: ChainStore, hash: string, what: string): Promise<GovernanceStep> {
  const at = await store.getTxLocation(hash);
  if (at === null) throw new LedgerError("STORE_CORRUPT", `${what}: transaction ${hash} has no location`);
  const [block, item, proofs] = await Promise.all([
    store.getBlockHead(at.height),
    store.getStoredTx(at.height, at.index),
    store.getInclusionProofs(at.height, at.index),
  ]);
  if (block === null || item === null || proofs === null) throw new LedgerError("STORE_CORRUPT", `${what}: block ${at.height} lacks transaction ${at.index}`);
  return { header: block.header, commit: block.commit, index: at.index, tx: item.tx as unknown as GovTransaction, receipt: item.receipt, ...proofs };
}

/**
 * The governance chain of a bundle whose latest block is `latest` (docs/proof-format.md §6a): every
 * passed change in force by then, in the order decided, each with its proposal and its deciding vote
 * (the proposal's last vote: a vote after the decision is refused, so the last one decided it).
 */
export async function buildGovernanceChain(store: ChainStore, latest: number): Promise<GovernanceChange[]> {
  const gov = await store.getGovernance();
  if (gov === null) return [];
  const passed = gov.proposals.filter((p) => p.status === "passed" && p.activatesAt !== undefined && p.activatesAt <= latest);
  const changes: Array<{ change: GovernanceChange; at: [number, number] }> = [];
  for (const p of passed) {
    const proposal = await governanceStep(store, p.txHash, `proposal ${p.id}`);
    const decider = p.votes.at(-1);
    const decision =
      decider === undefined || decider.txHash === p.txHash ? undefined : await governanceStep(store, decider.txHash, `the vote that decided proposal ${p.id}`);
    const last = decision ?? proposal;
    changes.push({ change: decision === undefined ? { proposal } : { proposal, decision }, at: [last.header.height, last.index] });
  }
  changes.sort((a, b) => a.at[0] - b.at[0] || a.at[1] - b.at[1]);
  return changes.map((c) => c.change);
}
