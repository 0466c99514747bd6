/**
 * The audit's replay store: the real applyBlock writes into a scratch LevelStore on disk (state and
 * indexes, no blocks: bounded memory at any chain length), and beside it, for every certificate, the
 * height at which each member of its record last changed. A stored record that differs from the
 * replay is then blamed on the block that wrote the differing member (a forged public field names
 * the issue block, a forged revocation the revoke block).
 */
import { join } from "node:path";
import { Level } from "level";
import type { ChainTip } from "../chain/block.js";
import type { Evidence } from "../chain/evidence.js";
import type { GovernanceState } from "../chain/gov-types.js";
import type { DependentEntry, HolderKey } from "../chain/rules.js";
import type { BlockEffects } from "../chain/state.js";
import type { StateNode } from "../chain/state-tree.js";
import type { CertificateRecord, TxLocation } from "../chain/types.js";
import { type ScratchStore, openScratchStore } from "../db/scratch-store.js";
import type { ChainStore, InclusionProofs, IssuanceEntry, StoredBlock, StoredBlockHead, StoredTx } from "../ledger/store.js";
import { sameJson } from "./compare.js";

/** Record member → height of the block that last changed it. */
type ChangedAt = Record<string, number>;

/** The audit's replay target: a scratch store that also remembers which records each block changed. */
export class ReplayStore implements ChainStore {
  private certificates = 0;

  private constructor(
    private readonly scratch: ScratchStore,
    /** certificate id → ChangedAt */
    private readonly changedAt: Level<string, ChangedAt>,
  ) {}

  static async open(): Promise<ReplayStore> {
    const scratch = await openScratchStore("audit");
    const changedAt = new Level<string, ChangedAt>(join(scratch.dir, "changed-at"), { valueEncoding: "json" });
    try {
      await changedAt.open();
    } catch (err) {
      await scratch.close();
      throw err;
    }
    return new ReplayStore(scratch, changedAt);
  }

  /** How many certificates the replay holds. */
  get certificateCount(): number {
    return this.certificates;
  }

  private get store(): ChainStore {
    return this.scratch.store;
  }

  async commitBlock(block: StoredBlock, effects: BlockEffects): Promise<void> {
    const height = block.block.header.height;
    const ids = [...effects.certificates.keys()];
    const [before, changed] = await Promise.all([this.store.getCertificates(ids), this.changedAt.getMany(ids)]);
    const batch = this.changedAt.batch();
    for (const [i, id] of ids.entries()) {
      const prior = (before[i] ?? {}) as Record<string, unknown>;
      const next = effects.certificates.get(id) as unknown as Record<string, unknown>;
      const members = changed[i] ?? {};
      if (changed[i] === undefined) this.certificates++;
      for (const key of new Set([...Object.keys(prior), ...Object.keys(next)])) {
        if (!sameJson(prior[key], next[key])) members[key] = height;
      }
      batch.put(id, members);
    }
    await batch.write();
    await this.store.commitBlock(block, effects);
  }

  /**
   * The height to blame for a stored record that differs from the replayed one: the latest block
   * that wrote a member in which they differ; for a member the replay never wrote, the last block
   * that touched the certificate.
   */
  async blame(replayed: CertificateRecord, stored: CertificateRecord): Promise<{ height: number; members: string[] }> {
    const members = (await this.changedAt.get(replayed.id)) ?? {};
    const last = Math.max(0, ...Object.values(members));
    const a = replayed as unknown as Record<string, unknown>;
    const b = stored as unknown as Record<string, unknown>;
    const differing = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !sameJson(a[k], b[k])).sort();
    const height = Math.max(0, ...differing.map((k) => members[k] ?? last));
    return { height: height === 0 ? last : height, members: differing };
  }

  /** Close both databases and delete the scratch directory. */
  async close(): Promise<void> {
    await this.changedAt.close().catch(() => undefined);
    await this.scratch.close();
  }

  // The rest is the scratch store's.
  head(): ChainTip | null {
    return this.store.head();
  }
  getBlock(height: number): Promise<StoredBlock | null> {
    return this.store.getBlock(height);
  }
  getHeightOfBlock(hash: string): Promise<number | null> {
    return this.store.getHeightOfBlock(hash);
  }
  getBlockHead(height: number): Promise<StoredBlockHead | null> {
    return this.store.getBlockHead(height);
  }
  getStoredTx(height: number, index: number): Promise<StoredTx | null> {
    return this.store.getStoredTx(height, index);
  }
  getInclusionProofs(height: number, index: number): Promise<InclusionProofs | null> {
    return this.store.getInclusionProofs(height, index);
  }
  getGovernance(): Promise<GovernanceState | null> {
    return this.store.getGovernance();
  }
  getStateNodes(paths: string[]): Promise<Array<StateNode | null>> {
    return this.store.getStateNodes(paths);
  }
  getCertificate(id: string): Promise<CertificateRecord | null> {
    return this.store.getCertificate(id);
  }
  getCertificates(ids: string[]): Promise<Array<CertificateRecord | null>> {
    return this.store.getCertificates(ids);
  }
  getTxLocation(hash: string): Promise<TxLocation | null> {
    return this.store.getTxLocation(hash);
  }
  getTxLocations(hashes: string[]): Promise<Array<TxLocation | null>> {
    return this.store.getTxLocations(hashes);
  }
  getHolderCertificates(keys: HolderKey[]): Promise<string[][]> {
    return this.store.getHolderCertificates(keys);
  }
  getDependents(ids: string[]): Promise<DependentEntry[][]> {
    return this.store.getDependents(ids);
  }
  issuedBy(department: string, limit: number, after?: { height: number; index: number }): Promise<IssuanceEntry[]> {
    return this.store.issuedBy(department, limit, after);
  }
  putEvidence(evidence: Evidence): Promise<void> {
    return this.store.putEvidence(evidence);
  }
  listEvidence(query: { validator?: number; limit: number; after?: string }): Promise<Evidence[]> {
    return this.store.listEvidence(query);
  }
  getSigningState(): Promise<unknown | null> {
    return this.store.getSigningState();
  }
  putSigningState(state: unknown): Promise<void> {
    return this.store.putSigningState(state);
  }
  getBlocks(from: number, to: number): Promise<Array<StoredBlock | null>> {
    return this.store.getBlocks(from, to);
  }
  listCertificates(limit: number, after?: string): Promise<CertificateRecord[]> {
    return this.store.listCertificates(limit, after);
  }
}
