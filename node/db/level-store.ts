/**
 * LevelDB chain store. Key spaces (sublevels):
 *   blocks   height(16 digits) → StoredBlock
 *   hashes   block hash → height
 *   txs      tx hash → {height, index}
 *   certs    certificate id → CertificateRecord (with its history)
 *   issued   department!height!index → certificate id (issuance feed)
 *   holders  holder commitment!type!height!index → certificate id (holder index, read by review rules)
 *   evidence height!round!kind!validator → Evidence (equivocation, see consensus/evidence.ts)
 *   meta     "head" → ChainTip, "signing" → consensus signing state (homes before signing-state.json),
 *            "format" → {version} (STORE_FORMAT_VERSION; absent in stores written before it existed),
 *            "governance" → GovernanceState after the head (absent until a block holds a governance transaction)
 */
import { Level } from "level";
import type { ChainTip } from "../chain/block.js";
import type { HolderKey } from "../chain/rules.js";
import type { BlockEffects } from "../chain/state.js";
import type { GovernanceState } from "../chain/gov-types.js";
import type { CertificateRecord, TxLocation } from "../chain/types.js";
import { type Evidence, evidenceKey } from "../chain/evidence.js";
import { LedgerError } from "../errors.js";
import type { ChainStore, IssuanceEntry, StoredBlock } from "../ledger/store.js";

type Json = Record<string, unknown>;
type Sub = ReturnType<Level<string, Json>["sublevel"]>;

const pad = (n: number, width = 16): string => n.toString().padStart(width, "0");

export interface LevelStoreOptions {
  /** The LevelDB directory (created if needed). */
  path: string;
  /**
   * fsync each block's batch. `false` only for building fixtures offline (testnet/long-chain.ts),
   * never for a node.
   */
  syncWrites: boolean;
}

/**
 * The layout above, as a number kept in meta "format". Bump it (and teach `checkFormat` to migrate or
 * refuse the previous one) whenever a key space or a stored value changes shape.
 *   1  the layout before the version key existed (a store without "format")
 *   2  the same layout, with the version key
 */
export const STORE_FORMAT_VERSION = 2;

export const defaultLevelStoreOptions: Omit<LevelStoreOptions, "path"> = { syncWrites: true };

/** The node's chain store on LevelDB: one atomic synced batch per committed block. */
export class LevelStore implements ChainStore {
  private readonly db: Level<string, Json>;
  private readonly blocks: Sub;
  private readonly hashes: Sub;
  private readonly txs: Sub;
  private readonly certs: Sub;
  private readonly issued: Sub;
  private readonly holders: Sub;
  private readonly meta: Sub;
  private readonly evidence: Sub;
  private tip: ChainTip | null = null;

  private constructor(
    path: string,
    private readonly syncWrites: boolean,
  ) {
    this.db = new Level<string, Json>(path, { valueEncoding: "json" });
    const sub = (name: string): Sub => this.db.sublevel<string, Json>(name, { valueEncoding: "json" }) as unknown as Sub;
    this.blocks = sub("blocks");
    this.hashes = sub("hashes");
    this.txs = sub("txs");
    this.certs = sub("certs");
    this.issued = sub("issued");
    this.holders = sub("holders");
    this.meta = sub("meta");
    this.evidence = sub("evidence");
  }

  /**
   * Open (creating if needed) the store at `options.path` and load the head.
   */
  static async open(options: Pick<LevelStoreOptions, "path"> & Partial<LevelStoreOptions>): Promise<LevelStore> {
    const { path, syncWrites } = { ...defaultLevelStoreOptions, ...options };
    const store = new LevelStore(path, syncWrites);
    try {
      await store.db.open();
    } catch (err) {
      throw new LedgerError("STORE_CORRUPT", `cannot open store at ${path}: ${(err as Error).message}`);
    }
    try {
      await store.checkFormat(path);
    } catch (err) {
      await store.db.close().catch(() => undefined);
      throw err;
    }
    const head = (await store.meta.get("head")) as unknown as ChainTip | undefined;
    store.tip = head ?? null;
    if (store.tip !== null && (await store.blocks.get(pad(store.tip.height))) === undefined) {
      throw new LedgerError("STORE_CORRUPT", `head block ${store.tip.height} is missing`);
    }
    return store;
  }

  /**
   * Refuse a store written by a newer certchain (CONFIG, naming both versions) or one whose version key
   * is not a version (STORE_CORRUPT); bring an older one up to this format; stamp a new one.
   */
  private async checkFormat(path: string): Promise<void> {
    const stored = (await this.meta.get("format")) as unknown as { version?: unknown } | undefined;
    let version: number;
    if (stored === undefined) {
      // No key: a new store, or one written before the key existed (format 1, the same layout).
      version = 1;
    } else if (typeof stored === "object" && stored !== null && Number.isSafeInteger(stored.version) && (stored.version as number) >= 1) {
      version = stored.version as number;
    } else {
      throw new LedgerError("STORE_CORRUPT", `store at ${path} has an unreadable format version: ${JSON.stringify(stored)}`);
    }
    if (version > STORE_FORMAT_VERSION) {
      throw new LedgerError(
        "CONFIG",
        `store at ${path} has format version ${version}, newer than this certchain's ${STORE_FORMAT_VERSION}: run a certchain release that reads format ${version}`,
      );
    }
    if (version === STORE_FORMAT_VERSION) return;
    // 1 → 2: the layout did not change, only the key is added. Synced, so the migration happens once.
    const batch = this.db.batch();
    batch.put("format", { version: STORE_FORMAT_VERSION }, { sublevel: this.meta as never });
    await batch.write({ sync: true });
  }

  /** The store's format version (STORE_FORMAT_VERSION once open). */
  async formatVersion(): Promise<number> {
    const stored = (await this.meta.get("format")) as unknown as { version: number } | undefined;
    return stored?.version ?? 1;
  }

  head(): ChainTip | null {
    return this.tip;
  }

  async getBlock(height: number): Promise<StoredBlock | null> {
    return ((await this.blocks.get(pad(height))) as unknown as StoredBlock | undefined) ?? null;
  }

  async getHeightOfBlock(hash: string): Promise<number | null> {
    const v = (await this.hashes.get(hash)) as unknown as { height: number } | undefined;
    return v?.height ?? null;
  }

  async getTxLocation(hash: string): Promise<TxLocation | null> {
    return ((await this.txs.get(hash)) as unknown as TxLocation | undefined) ?? null;
  }

  async getCertificate(id: string): Promise<CertificateRecord | null> {
    return ((await this.certs.get(id)) as unknown as CertificateRecord | undefined) ?? null;
  }

  async getCertificates(ids: string[]): Promise<Array<CertificateRecord | null>> {
    if (ids.length === 0) return [];
    return ((await this.certs.getMany(ids)) as unknown as Array<CertificateRecord | undefined>).map((r) => r ?? null);
  }

  async getTxLocations(hashes: string[]): Promise<Array<TxLocation | null>> {
    if (hashes.length === 0) return [];
    return ((await this.txs.getMany(hashes)) as unknown as Array<TxLocation | undefined>).map((r) => r ?? null);
  }

  async commitBlock(block: StoredBlock, effects: BlockEffects): Promise<void> {
    const h = block.block.header;
    const expected = (this.tip?.height ?? 0) + 1;
    if (h.height !== expected) throw new LedgerError("INTERNAL", `commit of height ${h.height}, expected ${expected}`);
    const tip: ChainTip = { height: h.height, hash: block.hash, time: h.time };
    const batch = this.db.batch();
    batch.put(pad(h.height), block as unknown as Json, { sublevel: this.blocks as never });
    batch.put(block.hash, { height: h.height }, { sublevel: this.hashes as never });
    for (const [hash, loc] of effects.txLocations) batch.put(hash, loc as unknown as Json, { sublevel: this.txs as never });
    for (const [id, rec] of effects.certificates) batch.put(id, rec as unknown as Json, { sublevel: this.certs as never });
    for (const e of effects.issued) {
      batch.put(`${e.department}!${pad(h.height)}!${pad(e.index, 8)}`, { id: e.id }, { sublevel: this.issued as never });
    }
    for (const e of effects.holders) {
      batch.put(`${e.commitment}!${e.certificateType}!${pad(h.height)}!${pad(e.index, 8)}`, { id: e.id }, { sublevel: this.holders as never });
    }
    if (effects.governance !== undefined) batch.put("governance", effects.governance as unknown as Json, { sublevel: this.meta as never });
    batch.put("head", tip as unknown as Json, { sublevel: this.meta as never });
    // One atomic batch, fsynced: a decided block survives kill -9 whole or not at all.
    await batch.write({ sync: this.syncWrites });
    this.tip = tip;
  }

  async getHolderCertificates(keys: HolderKey[]): Promise<string[][]> {
    return Promise.all(
      keys.map(async (k) => {
        const ids: string[] = [];
        const prefix = `${k.commitment}!${k.certificateType}!`;
        for await (const value of this.holders.values({ gt: prefix, lt: `${prefix}~` })) ids.push((value as { id: string }).id);
        return ids;
      }),
    );
  }

  async issuedBy(department: string, limit: number, after?: { height: number; index: number }): Promise<IssuanceEntry[]> {
    const gt = after === undefined ? `${department}!` : `${department}!${pad(after.height)}!${pad(after.index, 8)}`;
    const out: IssuanceEntry[] = [];
    for await (const [key, value] of this.issued.iterator({ gt, lt: `${department}!~`, limit })) {
      const [, height, index] = key.split("!");
      out.push({ certificateId: (value as { id: string }).id, height: Number(height), index: Number(index) });
    }
    return out;
  }

  async putEvidence(evidence: Evidence): Promise<void> {
    const key = evidenceKey(evidence);
    if ((await this.evidence.get(key)) !== undefined) return;
    await this.evidence.put(key, evidence as unknown as Json);
  }

  async listEvidence(query: { validator?: number; limit: number; after?: string }): Promise<Evidence[]> {
    const out: Evidence[] = [];
    const range = query.after === undefined ? {} : { gt: query.after };
    for await (const value of this.evidence.values(range)) {
      const e = value as unknown as Evidence;
      if (query.validator !== undefined && e.validator !== query.validator) continue;
      out.push(e);
      if (out.length >= query.limit) break;
    }
    return out;
  }

  async getGovernance(): Promise<GovernanceState | null> {
    return ((await this.meta.get("governance")) as unknown as GovernanceState | undefined) ?? null;
  }

  async getSigningState(): Promise<unknown | null> {
    return (await this.meta.get("signing")) ?? null;
  }

  async putSigningState(state: unknown): Promise<void> {
    // Synced before the vote it protects is sent: no equivocation across a crash.
    const batch = this.db.batch();
    batch.put("signing", state as Json, { sublevel: this.meta as never });
    await batch.write({ sync: true });
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  async getBlocks(from: number, to: number): Promise<Array<StoredBlock | null>> {
    const out: Array<StoredBlock | null> = Array.from({ length: Math.max(0, to - from + 1) }, () => null);
    if (out.length === 0) return out;
    for await (const [key, value] of this.blocks.iterator({ gte: pad(from), lte: pad(to) })) {
      out[Number(key) - from] = value as unknown as StoredBlock;
    }
    return out;
  }

  async listCertificates(limit: number, after?: string): Promise<CertificateRecord[]> {
    const out: CertificateRecord[] = [];
    const range = after === undefined ? { limit } : { gt: after, limit };
    for await (const value of this.certs.values(range)) out.push(value as unknown as CertificateRecord);
    return out;
  }
}
