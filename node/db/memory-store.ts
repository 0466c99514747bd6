/** In-memory twin of the LevelDB store, for unit tests and the simulator. Same semantics, no disk. */
import type { ChainTip } from "../chain/block.js";
import type { DependentEntry, HolderKey } from "../chain/rules.js";
import { type BlockEffects, holderKeyString } from "../chain/state.js";
import type { CertificateRecord, TxLocation } from "../chain/types.js";
import type { StateNode } from "../chain/state-tree.js";
import type { GovernanceState } from "../chain/gov-types.js";
import { type Evidence, evidenceKey } from "../chain/evidence.js";
import { LedgerError } from "../errors.js";
import { receiptHash } from "../chain/block.js";
import { merkleProof } from "../chain/merkle.js";
import type { ChainStore, InclusionProofs, IssuanceEntry, StoredBlock, StoredBlockHead, StoredTx } from "../ledger/store.js";

const clone = <T>(v: T): T => structuredClone(v);

/** The chain store in memory: what LevelStore keeps, with no disk and no options. */
export class MemoryStore implements ChainStore {
  private tip: ChainTip | null = null;
  private readonly blocks = new Map<number, StoredBlock>();
  private readonly hashes = new Map<string, number>();
  private readonly txs = new Map<string, TxLocation>();
  private readonly certs = new Map<string, CertificateRecord>();
  /** Issuance per department, oldest first (binary-searched, so paging a feed stays linear). */
  private readonly issued = new Map<string, IssuanceEntry[]>();
  /** Holder index: commitment!type → certificate ids in issue order. */
  private readonly holders = new Map<string, string[]>();
  /** Dependents index: basis id → entries in issue order. */
  private readonly dependents = new Map<string, DependentEntry[]>();
  private signing: unknown = null;
  private governance: GovernanceState | null = null;
  private readonly evidence = new Map<string, Evidence>();
  /** The state tree's nodes by path. */
  private readonly state = new Map<string, StateNode>();
  /** Certificate ids in order, rebuilt lazily after a commit adds one. */
  private sortedIds: string[] | null = null;

  head(): ChainTip | null {
    return this.tip;
  }
  async getBlock(height: number): Promise<StoredBlock | null> {
    const b = this.blocks.get(height);
    return b === undefined ? null : clone(b);
  }
  async getHeightOfBlock(hash: string): Promise<number | null> {
    return this.hashes.get(hash) ?? null;
  }
  async getBlockHead(height: number): Promise<StoredBlockHead | null> {
    const b = this.blocks.get(height);
    return b === undefined ? null : clone({ hash: b.hash, header: b.block.header, commit: b.commit, txCount: b.block.txs.length });
  }
  async getStoredTx(height: number, index: number): Promise<StoredTx | null> {
    const b = this.blocks.get(height);
    const tx = b?.block.txs[index];
    const receipt = b?.receipts[index];
    return tx === undefined || receipt === undefined ? null : clone({ tx, receipt });
  }
  async getInclusionProofs(height: number, index: number): Promise<InclusionProofs | null> {
    const b = this.blocks.get(height);
    if (b === undefined || index < 0 || index >= b.receipts.length) return null;
    return {
      txProof: merkleProof(
        b.receipts.map((r) => r.txHash),
        index,
      ),
      receiptProof: merkleProof(b.receipts.map(receiptHash), index),
    };
  }
  async getTxLocation(hash: string): Promise<TxLocation | null> {
    return this.txs.get(hash) ?? null;
  }
  async getCertificate(id: string): Promise<CertificateRecord | null> {
    const c = this.certs.get(id);
    return c === undefined ? null : clone(c);
  }
  async getCertificates(ids: string[]): Promise<Array<CertificateRecord | null>> {
    return Promise.all(ids.map((id) => this.getCertificate(id)));
  }
  async getTxLocations(hashes: string[]): Promise<Array<TxLocation | null>> {
    return hashes.map((h) => this.txs.get(h) ?? null);
  }
  async commitBlock(block: StoredBlock, effects: BlockEffects): Promise<void> {
    const h = block.block.header;
    if (h.height !== (this.tip?.height ?? 0) + 1) throw new LedgerError("INTERNAL", `commit of height ${h.height} out of order`);
    this.blocks.set(h.height, clone(block));
    this.hashes.set(block.hash, h.height);
    for (const [hash, loc] of effects.txLocations) this.txs.set(hash, loc);
    for (const [id, rec] of effects.certificates) {
      if (!this.certs.has(id)) this.sortedIds = null;
      this.certs.set(id, clone(rec));
    }
    for (const e of effects.dependents) this.dependents.set(e.basis, [...(this.dependents.get(e.basis) ?? []), { basis: e.basis, id: e.id, rule: e.rule }]);
    for (const e of effects.holders) this.holders.set(holderKeyString(e), [...(this.holders.get(holderKeyString(e)) ?? []), e.id]);
    for (const [path, node] of effects.stateNodes) this.state.set(path, node);
    for (const e of effects.issued) {
      const feed = this.issued.get(e.department) ?? [];
      this.issued.set(e.department, feed);
      feed.push({ certificateId: e.id, height: h.height, index: e.index });
    }
    if (effects.governance !== undefined) this.governance = clone(effects.governance);
    this.tip = { height: h.height, hash: block.hash, time: h.time };
  }
  async getStateNodes(paths: string[]): Promise<Array<StateNode | null>> {
    return paths.map((p) => this.state.get(p) ?? null);
  }
  async getGovernance(): Promise<GovernanceState | null> {
    return this.governance === null ? null : clone(this.governance);
  }
  async getHolderCertificates(keys: HolderKey[]): Promise<string[][]> {
    return keys.map((k) => [...(this.holders.get(holderKeyString(k)) ?? [])]);
  }
  async getDependents(ids: string[]): Promise<DependentEntry[][]> {
    return ids.map((id) => (this.dependents.get(id) ?? []).map((e) => ({ ...e })));
  }
  async issuedBy(department: string, limit: number, after?: { height: number; index: number }): Promise<IssuanceEntry[]> {
    const feed = this.issued.get(department) ?? [];
    // First entry after `after`: binary search over (height, index), both ascending.
    let lo = 0;
    let hi = feed.length;
    while (after !== undefined && lo < hi) {
      const mid = (lo + hi) >> 1;
      const e = feed[mid] as IssuanceEntry;
      if (e.height < after.height || (e.height === after.height && e.index <= after.index)) lo = mid + 1;
      else hi = mid;
    }
    return feed.slice(lo, lo + limit).map((e) => ({ ...e }));
  }
  async putEvidence(evidence: Evidence): Promise<void> {
    const key = evidenceKey(evidence);
    if (!this.evidence.has(key)) this.evidence.set(key, clone(evidence));
  }
  async listEvidence(query: { validator?: number; limit: number; after?: string }): Promise<Evidence[]> {
    return [...this.evidence.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .filter(([key, e]) => (query.after === undefined || key > query.after) && (query.validator === undefined || e.validator === query.validator))
      .slice(0, query.limit)
      .map(([, e]) => clone(e));
  }
  async getSigningState(): Promise<unknown | null> {
    return clone(this.signing);
  }
  async putSigningState(state: unknown): Promise<void> {
    this.signing = clone(state);
  }
  async close(): Promise<void> {}
  async getBlocks(from: number, to: number): Promise<Array<StoredBlock | null>> {
    return Promise.all(Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => this.getBlock(from + i)));
  }
  async listCertificates(limit: number, after?: string): Promise<CertificateRecord[]> {
    this.sortedIds ??= [...this.certs.keys()].sort();
    const ids = this.sortedIds;
    // First id after `after`: binary search, so paging through every record stays linear.
    let lo = 0;
    let hi = ids.length;
    while (after !== undefined && lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((ids[mid] as string) <= after) lo = mid + 1;
      else hi = mid;
    }
    return ids.slice(lo, lo + limit).map((id) => clone(this.certs.get(id) as CertificateRecord));
  }
}
