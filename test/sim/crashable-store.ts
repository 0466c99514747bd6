/**
 * A simulated validator's disk: the chain store (an in-memory twin of LevelDB) and, beside it, the
 * signing state in its own file outside the data directory, so wiping the data directory keeps it.
 * The store can be armed to crash the node at one write: before it (nothing written) or after it
 * (written, but the node dies before doing anything else) — a signing-state write, which precedes
 * every vote, or a block commit, which is one atomic batch.
 */
import type { GovernanceState } from "../../node/chain/gov-types.js";
import type { ChainTip } from "../../node/chain/block.js";
import type { StateNode } from "../../node/chain/state-tree.js";
import type { DependentEntry, HolderKey } from "../../node/chain/rules.js";
import type { BlockEffects } from "../../node/chain/state.js";
import type { CertificateRecord, TxLocation } from "../../node/chain/types.js";
import type { Evidence } from "../../node/chain/evidence.js";
import { MemoryStore } from "../../node/db/memory-store.js";
import type { ChainStore, InclusionProofs, IssuanceEntry, StoredBlock, StoredBlockHead, StoredTx } from "../../node/ledger/store.js";

/** Where a node dies: at the nth write of one kind, before or after the write itself. */
export interface CrashPoint {
  write: "signing-state" | "block";
  when: "before" | "after";
  nth: number;
}

/** Thrown out of the store when the node dies there; whatever the node was doing stops. */
export class SimulatedCrash extends Error {
  constructor(point: CrashPoint) {
    super(`simulated crash ${point.when} ${point.write} write #${point.nth}`);
  }
}

/** The signing-state file: survives crashes and data-directory wipes. */
export class SigningStateFile {
  state: unknown = null;
  writes = 0;
}

export class CrashableStore implements ChainStore {
  private armed: { point: CrashPoint; seen: number; onCrash: () => void } | null = null;
  private dead = false;

  constructor(
    readonly data: MemoryStore,
    readonly signing: SigningStateFile,
  ) {}

  /** A fresh store on the same disk (or on a wiped data directory), for a restarted node. */
  reopen(wipe: boolean): CrashableStore {
    return new CrashableStore(wipe ? new MemoryStore() : this.data, this.signing);
  }

  /** Die at `point`; `onCrash` runs first, synchronously, so nothing the node does next escapes. */
  arm(point: CrashPoint, onCrash: () => void): void {
    this.armed = { point, seen: 0, onCrash };
  }

  /** Die now (a crash between writes). */
  kill(): void {
    this.dead = true;
  }

  get isDead(): boolean {
    return this.dead;
  }

  private alive(): void {
    if (this.dead) throw new Error("store of a crashed node");
  }

  private async write(kind: CrashPoint["write"], doWrite: () => Promise<void>): Promise<void> {
    this.alive();
    const a = this.armed;
    const hit = a !== null && a.point.write === kind && ++a.seen === a.point.nth;
    if (hit && a.point.when === "before") this.crash(a);
    await doWrite();
    if (hit && a.point.when === "after") this.crash(a);
  }

  private crash(a: NonNullable<typeof this.armed>): never {
    this.dead = true;
    this.armed = null;
    a.onCrash();
    throw new SimulatedCrash(a.point);
  }

  head(): ChainTip | null {
    return this.data.head();
  }
  async getBlock(height: number): Promise<StoredBlock | null> {
    this.alive();
    return this.data.getBlock(height);
  }
  async getHeightOfBlock(hash: string): Promise<number | null> {
    this.alive();
    return this.data.getHeightOfBlock(hash);
  }
  async getBlockHead(height: number): Promise<StoredBlockHead | null> {
    this.alive();
    return this.data.getBlockHead(height);
  }
  async getStoredTx(height: number, index: number): Promise<StoredTx | null> {
    this.alive();
    return this.data.getStoredTx(height, index);
  }
  async getInclusionProofs(height: number, index: number): Promise<InclusionProofs | null> {
    this.alive();
    return this.data.getInclusionProofs(height, index);
  }
  async getTxLocation(hash: string): Promise<TxLocation | null> {
    this.alive();
    return this.data.getTxLocation(hash);
  }
  async getCertificate(id: string): Promise<CertificateRecord | null> {
    this.alive();
    return this.data.getCertificate(id);
  }
  async getCertificates(ids: string[]): Promise<Array<CertificateRecord | null>> {
    this.alive();
    return this.data.getCertificates(ids);
  }
  async getTxLocations(hashes: string[]): Promise<Array<TxLocation | null>> {
    this.alive();
    return this.data.getTxLocations(hashes);
  }
  async getStateNodes(paths: string[]): Promise<Array<StateNode | null>> {
    this.alive();
    return this.data.getStateNodes(paths);
  }
  async getHolderCertificates(keys: HolderKey[]): Promise<string[][]> {
    this.alive();
    return this.data.getHolderCertificates(keys);
  }
  async getDependents(ids: string[]): Promise<DependentEntry[][]> {
    this.alive();
    return this.data.getDependents(ids);
  }
  async getGovernance(): Promise<GovernanceState | null> {
    this.alive();
    return this.data.getGovernance();
  }
  async commitBlock(block: StoredBlock, effects: BlockEffects): Promise<void> {
    await this.write("block", () => this.data.commitBlock(block, effects));
  }
  async issuedBy(department: string, limit: number, after?: { height: number; index: number }): Promise<IssuanceEntry[]> {
    this.alive();
    return this.data.issuedBy(department, limit, after);
  }
  async getBlocks(from: number, to: number): Promise<Array<StoredBlock | null>> {
    this.alive();
    return this.data.getBlocks(from, to);
  }
  async listCertificates(limit: number, after?: string): Promise<CertificateRecord[]> {
    this.alive();
    return this.data.listCertificates(limit, after);
  }
  async putEvidence(evidence: Evidence): Promise<void> {
    this.alive();
    return this.data.putEvidence(evidence);
  }
  async listEvidence(query: { validator?: number; limit: number; after?: string }): Promise<Evidence[]> {
    this.alive();
    return this.data.listEvidence(query);
  }
  async getSigningState(): Promise<unknown | null> {
    this.alive();
    return structuredClone(this.signing.state);
  }
  async putSigningState(state: unknown): Promise<void> {
    await this.write("signing-state", async () => {
      this.signing.state = structuredClone(state);
      this.signing.writes++;
    });
  }
  async close(): Promise<void> {}
}
