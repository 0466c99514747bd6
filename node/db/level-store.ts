/**
 * LevelDB chain store. Key spaces (sublevels):
 *   blocks   height(16 digits) → StoredBlock without its transactions and receipts (`block.txs` and
 *            `receipts` empty) and with `txCount`: the block's head, read alone by proofs and /txs
 *   blocktxs height!index(8 digits) → {tx, receipt}: one transaction with its receipt
 *   trees    height!"t" / height!"r" → the transaction / receipt Merkle tree's levels (merkleTreeBytes),
 *            so an inclusion proof is read, not recomputed; absent for an empty block
 *   hashes   block hash → height
 *   txs      tx hash → {height, index}
 *   certs    certificate id → CertificateRecord (with its history)
 *   issued   department!height!index → certificate id (issuance feed)
 *   holderlists holder commitment!type → {ids}: the certificates issued to that holder of that type, in
 *            commit order (holder index, read by review rules: one key per list, read in one getMany;
 *            a block rewrites each list it adds to, so a holder with thousands of certificates of one
 *            type would cost a rewrite of that size per issue — people hold a few of each)
 *   holders  (format ≤ 4) holder commitment!type!height!index → {id}: the holder index as one key per
 *            entry; moved into `holderlists` and cleared by the 4 → 5 migration
 *   dependents basis id!height!index!rule → {id, rule} (dependents index, read by automatic suspension)
 *   evidence height!round!kind!validator → Evidence (equivocation, see consensus/evidence.ts)
 *   state    path ("" the root, then "0"/"1" per level) → StateNode, 65 raw bytes (the state tree, chain/state-tree.ts)
 *   meta     "head" → ChainTip, "signing" → consensus signing state (homes before signing-state.json),
 *            "format" → {version} (STORE_FORMAT_VERSION; absent in stores written before it existed),
 *            "governance" → GovernanceState after the head (absent until a block holds a governance transaction)
 */
import { Level } from "level";
import type { ChainTip } from "../chain/block.js";
import type { DependentEntry, HolderKey } from "../chain/rules.js";
import type { BlockEffects } from "../chain/state.js";
import type { GovernanceState } from "../chain/gov-types.js";
import type { CertificateRecord, Receipt, Transaction, TxLocation } from "../chain/types.js";
import type { StateNode } from "../chain/state-tree.js";
import { receiptHash } from "../chain/block.js";
import { merkleProofFromTree, merkleTreeBytes } from "../chain/merkle.js";
import { type Evidence, evidenceKey } from "../chain/evidence.js";
import { LedgerError } from "../errors.js";
import type { ChainStore, CommitOptions, InclusionProofs, IssuanceEntry, StoredBlock, StoredBlockHead, StoredTx } from "../ledger/store.js";

type Json = Record<string, unknown>;
type Sub = ReturnType<Level<string, Json>["sublevel"]>;
type BytesSub = ReturnType<Level<string, Uint8Array>["sublevel"]>;
/** The root database: every value read and written through it is raw bytes; key spaces are its sublevels. */
export type Root = Level<string, Uint8Array>;

/**
 * A block's writes: puts into one chained batch of the root database, each key given its sublevel's
 * prefix (`prefixKey`) and each value encoded here, so `put` takes no options. abstract-level's
 * `batch.put(key, value, { sublevel })` cost 4.5–5 µs an operation on this machine against 0.4 µs for
 * a put without options (the same bytes written; 7,600 puts of 65 bytes, and 5,000 of small JSON), and a
 * block of 1,000 issues makes about 12,000 of them. The bytes are those the sublevel's own encoding
 * writes (JSON text as UTF-8; raw bytes), so reads through the sublevels are unchanged.
 */
export class BlockWrites {
  readonly batch: ReturnType<Root["batch"]>;
  constructor(root: Root) {
    this.batch = root.batch();
  }
  json(sub: Sub, key: string, value: unknown): void {
    this.batch.put(sub.prefixKey(key, "utf8"), Buffer.from(JSON.stringify(value)));
  }
  bytes(sub: Sub | BytesSub, key: string, value: Uint8Array): void {
    this.batch.put(sub.prefixKey(key, "utf8"), value);
  }
}

/** A block as the `blocks` key space holds it: without transactions and receipts, with their count. */
type StoredBlockValue = StoredBlock & { txCount?: number };

const pad = (n: number, width = 16): string => n.toString().padStart(width, "0");

export interface LevelStoreOptions {
  /** The LevelDB directory (created if needed). */
  path: string;
  /**
   * fsync each block's batch. `false` only for building fixtures offline (testnet/long-chain.ts),
   * never for a node.
   */
  syncWrites: boolean;
  /**
   * Keep blocks (`blocks`, `hashes`, `blocktxs`, `trees`). `false` only for a scratch replay store
   * (the audit's, the backup's), which needs the state and indexes a block changes, not the block.
   */
  keepBlocks: boolean;
  /** LevelDB's write buffer in bytes (see defaultStoreTunables). */
  writeBufferBytes: number;
}

/**
 * The layout above, as a number kept in meta "format". Bump it (and teach `checkFormat` to migrate or
 * refuse the previous one) whenever a key space or a stored value changes shape.
 *   1  the layout before the version key existed (a store without "format")
 *   2  the same layout, with the version key
 *   3  blocks split: the head in `blocks`, each transaction with its receipt in `blocktxs`, the Merkle
 *      levels in `trees` (issue 13: a transaction or a proof is read without parsing its block)
 *   4  format 3, and block headers carry a stateRoot; the "state" key space holds the state tree.
 *      A store of format 1, 2 or 3 holding blocks is refused (its chain has no state roots: it cannot
 *      be migrated, only replaced by a chain of this release); an empty one is stamped 4.
 *   5  format 4 with the holder index as one list per holder and type (`holderlists`): a prefix scan
 *      per list cost 50–70 µs against a few µs for a key among a batched read, and admission reads one
 *      to three lists per transaction. A store of format 4 is migrated on open (the lists are rebuilt
 *      from the old index, which is cleared once the version is stamped 5).
 */
export const STORE_FORMAT_VERSION = 5;

/** The oldest format whose blocks carry state roots: older ones holding blocks are refused. */
const STATE_ROOT_FORMAT = 4;

/** Key of a holder's list of certificates of one type (`holderlists`). */
const holderListKey = (commitment: string, certificateType: string): string => `${commitment}!${certificateType}`;

/** Puts per batch while migrating the holder index (format 4 → 5). */
const MIGRATION_BATCH = 10_000;

/**
 * The state tree's nodes this close to the root are kept in memory once read (at most 2^15 − 1 of
 * them, a few MB): every block touches the top levels, so this saves most of a block's tree reads.
 * The rest of the tree stays on disk.
 */
const STATE_CACHE_DEPTH = 14;

/** The store's tunables in config.toml (`store.*`), with their defaults. */
export const defaultStoreTunables = {
  /**
   * LevelDB's write buffer (memtable) in bytes; up to two are held in memory. At LevelDB's default of
   * 4 MiB a full block's writes (~1.5 MB with its state-tree nodes) filled it every few blocks, and the
   * flushes and level-0 compactions that followed held commits back (inferred, not traced): the bench's commit
   * latency at half load was p50 550–640 ms with 4 MiB and 200–330 ms with 32 MiB, committed throughput
   * 950–1,030 against 1,030–1,140 tx/s (README, Benchmarks).
   */
  writeBufferBytes: 32 * 1024 * 1024,
};

/** Bounds of store.writeBufferBytes (LevelDB clips the value to 64 KiB..1 GiB on its own). */
export const WRITE_BUFFER_RANGE = { min: 1024 * 1024, max: 1024 * 1024 * 1024 } as const;

export const defaultLevelStoreOptions: Omit<LevelStoreOptions, "path"> = { syncWrites: true, keepBlocks: true, ...defaultStoreTunables };

const txKey = (height: number, index: number): string => `${pad(height)}!${pad(index, 8)}`;

/** The node's chain store on LevelDB: one atomic synced batch per committed block. */
export class LevelStore implements ChainStore {
  private readonly db: Root;
  private readonly blocks: Sub;
  private readonly hashes: Sub;
  private readonly txs: Sub;
  private readonly certs: Sub;
  private readonly issued: Sub;
  private readonly holderLists: Sub;
  /** The holder index of format ≤ 4, read only by the 4 → 5 migration. */
  private readonly oldHolders: Sub;
  private readonly dependents: Sub;
  private readonly meta: Sub;
  private readonly evidence: Sub;
  private readonly blockTxs: Sub;
  private readonly trees: BytesSub;
  /** Raw bytes, not JSON (valueEncoding "view"). */
  private readonly state: Sub;
  private tip: ChainTip | null = null;
  /** Committed state-tree nodes of depth ≤ STATE_CACHE_DEPTH, by path. */
  private readonly stateCache = new Map<string, StateNode | null>();
  /** Counts commits, so a read that overlapped one does not fill the cache with what it replaced. */
  private commits = 0;

  private constructor(
    path: string,
    private readonly syncWrites: boolean,
    private readonly keepBlocks: boolean,
    writeBufferBytes: number,
  ) {
    this.db = new Level<string, Uint8Array>(path, { valueEncoding: "view", writeBufferSize: writeBufferBytes });
    const sub = (name: string): Sub => this.db.sublevel<string, Json>(name, { valueEncoding: "json" }) as unknown as Sub;
    this.blocks = sub("blocks");
    this.hashes = sub("hashes");
    this.txs = sub("txs");
    this.certs = sub("certs");
    this.issued = sub("issued");
    this.holderLists = sub("holderlists");
    this.oldHolders = sub("holders");
    this.dependents = sub("dependents");
    this.meta = sub("meta");
    this.evidence = sub("evidence");
    this.blockTxs = sub("blocktxs");
    this.trees = this.db.sublevel<string, Uint8Array>("trees", { valueEncoding: "view" }) as unknown as BytesSub;
    this.state = this.db.sublevel<string, Uint8Array>("state", { valueEncoding: "view" }) as unknown as Sub;
  }

  /**
   * Open (creating if needed) the store at `options.path` and load the head.
   */
  static async open(options: Pick<LevelStoreOptions, "path"> & Partial<LevelStoreOptions>): Promise<LevelStore> {
    const { path, syncWrites, keepBlocks, writeBufferBytes } = { ...defaultLevelStoreOptions, ...options };
    const store = new LevelStore(path, syncWrites, keepBlocks, writeBufferBytes);
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
    if (version === STORE_FORMAT_VERSION) {
      // A migration stopped after stamping the version, before its old index was cleared.
      if ((await this.oldHolders.keys({ limit: 1 }).all()).length > 0) await this.oldHolders.clear();
      return;
    }
    // 1, 2, 3: blocks of those formats have no stateRoot in their signed headers (and 1, 2 are not
    // split either); no migration can add one, so only an empty store can move up.
    if (version < STATE_ROOT_FORMAT && (await this.meta.get("head")) !== undefined) {
      throw new LedgerError(
        "CONFIG",
        `store at ${path} has format version ${version}: its chain's blocks carry no state root (format ${STATE_ROOT_FORMAT} and later), so this certchain (format ${STORE_FORMAT_VERSION}) cannot read it; keep running the release that wrote it, or start a new chain`,
      );
    }
    // 4 → 5 (an empty store of any format has nothing to move).
    await this.migrateHolderIndex();
    // Stamp it. Synced: a migration is redone until this is on disk.
    const batch = this.db.batch();
    batch.put("format", { version: STORE_FORMAT_VERSION }, { sublevel: this.meta as never });
    await batch.write({ sync: true });
    await this.oldHolders.clear();
  }

  /**
   * Format 4 → 5: rebuild the holder index as one list per holder and type from the old one-key-per-entry
   * index (in key order: by holder and type, then height and index, so each list comes whole and in
   * commit order). The old index is left as it is until the new version is stamped, so a migration cut
   * short is simply done again.
   */
  private async migrateHolderIndex(): Promise<void> {
    let batch = new BlockWrites(this.db);
    let puts = 0;
    let key: string | null = null;
    let ids: string[] = [];
    const flush = async (force: boolean) => {
      if (key !== null) {
        batch.json(this.holderLists, key, { ids });
        puts++;
      }
      if (puts >= MIGRATION_BATCH || (force && puts > 0)) {
        await batch.batch.write();
        batch = new BlockWrites(this.db);
        puts = 0;
      }
    };
    for await (const [k, value] of this.oldHolders.iterator({})) {
      const [commitment, certificateType] = (k as string).split("!");
      const listKey = holderListKey(commitment as string, certificateType as string);
      if (listKey !== key) {
        await flush(false);
        key = listKey;
        ids = [];
      }
      ids.push((value as { id: string }).id);
    }
    await flush(true);
  }

  /** The store's format version (STORE_FORMAT_VERSION once open). */
  async formatVersion(): Promise<number> {
    const stored = (await this.meta.get("format")) as unknown as { version: number } | undefined;
    return stored?.version ?? 1;
  }

  /** Add the split block to `batch`: its head, each transaction with its receipt, its two trees. */
  private putBlock(w: BlockWrites, block: StoredBlock): void {
    const height = block.block.header.height;
    const txs = block.block.txs;
    const head: StoredBlockValue = { ...block, block: { ...block.block, txs: [] }, receipts: [], txCount: txs.length };
    w.json(this.blocks, pad(height), head);
    w.json(this.hashes, block.hash, { height });
    for (const [i, tx] of txs.entries()) w.json(this.blockTxs, txKey(height, i), { tx, receipt: block.receipts[i] });
    if (txs.length === 0) return;
    // Receipts name their transaction's hash (the txRoot's leaf): no transaction is hashed again here.
    const txTree = merkleTreeBytes(block.receipts.map((r) => r.txHash));
    const receiptTree = merkleTreeBytes(block.receipts.map(receiptHash));
    w.bytes(this.trees, `${pad(height)}!t`, txTree);
    w.bytes(this.trees, `${pad(height)}!r`, receiptTree);
  }

  /** A head value with its transactions and receipts put back (read from `blocktxs`). */
  private assemble(value: StoredBlockValue, items: Array<{ tx: Transaction; receipt: Receipt }>): StoredBlock {
    const { txCount, ...block } = value;
    if (txCount === undefined) return block; // not split (never written by format 4)
    if (items.length !== txCount) {
      throw new LedgerError("STORE_CORRUPT", `block ${block.block?.header?.height}: ${items.length} stored transactions of ${txCount}`);
    }
    block.block.txs = items.map((i) => i.tx);
    block.receipts = items.map((i) => i.receipt);
    return block;
  }

  head(): ChainTip | null {
    return this.tip;
  }

  async getBlock(height: number): Promise<StoredBlock | null> {
    const value = (await this.blocks.get(pad(height))) as unknown as StoredBlockValue | undefined;
    if (value === undefined) return null;
    if (!value.txCount) return this.assemble(value, []);
    const items = await this.blockTxs.values({ gte: `${pad(height)}!`, lt: `${pad(height)}!~` }).all();
    return this.assemble(value, items as unknown as StoredTx[]);
  }

  async getBlockHead(height: number): Promise<StoredBlockHead | null> {
    const value = (await this.blocks.get(pad(height))) as unknown as StoredBlockValue | undefined;
    if (value === undefined) return null;
    return { hash: value.hash, header: value.block.header, commit: value.commit, txCount: value.txCount ?? value.block.txs.length };
  }

  async getStoredTx(height: number, index: number): Promise<StoredTx | null> {
    return ((await this.blockTxs.get(txKey(height, index))) as unknown as StoredTx | undefined) ?? null;
  }

  async getInclusionProofs(height: number, index: number): Promise<InclusionProofs | null> {
    const head = await this.getBlockHead(height);
    if (head === null) return null;
    const [txTree, receiptTree] = await this.trees.getMany([`${pad(height)}!t`, `${pad(height)}!r`]);
    if (txTree === undefined || receiptTree === undefined) return null;
    const txProof = merkleProofFromTree(txTree as Uint8Array, head.txCount, index);
    const receiptProof = merkleProofFromTree(receiptTree as Uint8Array, head.txCount, index);
    if (txProof === null || receiptProof === null)
      throw new LedgerError("STORE_CORRUPT", `block ${height}: its stored Merkle trees are not of ${head.txCount} leaves`);
    return { txProof, receiptProof };
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

  async commitBlock(block: StoredBlock, effects: BlockEffects, opts: CommitOptions = {}): Promise<void> {
    const h = block.block.header;
    const expected = (this.tip?.height ?? 0) + 1;
    if (h.height !== expected) throw new LedgerError("INTERNAL", `commit of height ${h.height}, expected ${expected}`);
    const tip: ChainTip = { height: h.height, hash: block.hash, time: h.time };
    const lists = await this.holderListsAfter(effects.holders);
    const w = new BlockWrites(this.db);
    if (this.keepBlocks) this.putBlock(w, block);
    for (const [hash, loc] of effects.txLocations) w.json(this.txs, hash, loc);
    for (const [id, rec] of effects.certificates) w.json(this.certs, id, rec);
    for (const e of effects.issued) w.json(this.issued, `${e.department}!${pad(h.height)}!${pad(e.index, 8)}`, { id: e.id });
    for (const [key, ids] of lists) w.json(this.holderLists, key, { ids });
    for (const e of effects.dependents) w.json(this.dependents, `${e.basis}!${pad(h.height)}!${pad(e.index, 8)}!${e.rule}`, { id: e.id, rule: e.rule });
    // The state tree's changed nodes, in the block's batch: the tree and the head move together
    // (also in a scratch store without blocks: the replay's next block reads the tree).
    for (const [path, node] of effects.stateNodes) w.bytes(this.state, path, node);
    if (effects.governance !== undefined) w.json(this.meta, "governance", effects.governance);
    w.json(this.meta, "head", tip);
    // One atomic batch, fsynced: a decided block survives kill -9 whole or not at all (a synced
    // block may skip the fsync: it survives kill -9 as well, and a power cut only costs a refetch).
    await w.batch.write({ sync: this.syncWrites && opts.durable !== false });
    this.commits++;
    for (const [path, node] of effects.stateNodes) if (path.length <= STATE_CACHE_DEPTH) this.stateCache.set(path, node);
    this.tip = tip;
  }

  async getStateNodes(paths: string[]): Promise<Array<StateNode | null>> {
    const out: Array<StateNode | null> = paths.map((p) => this.stateCache.get(p) ?? null);
    const missing = paths.filter((p) => p.length > STATE_CACHE_DEPTH || !this.stateCache.has(p));
    if (missing.length === 0) return out;
    const commitsBefore = this.commits;
    const read = (await this.state.getMany(missing)) as unknown as Array<StateNode | undefined>;
    const byPath = new Map(missing.map((p, i) => [p, read[i] ?? null]));
    for (const [i, p] of paths.entries()) if (byPath.has(p)) out[i] = byPath.get(p) ?? null;
    if (this.commits === commitsBefore) {
      for (const [p, node] of byPath) if (p.length <= STATE_CACHE_DEPTH) this.stateCache.set(p, node);
    }
    return out;
  }

  async getHolderCertificates(keys: HolderKey[]): Promise<string[][]> {
    if (keys.length === 0) return [];
    const lists = (await this.holderLists.getMany(keys.map((k) => holderListKey(k.commitment, k.certificateType)))) as unknown as Array<
      { ids: string[] } | undefined
    >;
    return lists.map((l) => l?.ids ?? []);
  }

  /** The holder lists a block's new entries change, as they will be after it (read, then appended to in order). */
  private async holderListsAfter(entries: BlockEffects["holders"]): Promise<Map<string, string[]>> {
    const lists = new Map<string, string[]>();
    if (entries.length === 0) return lists;
    const keys = [...new Set(entries.map((e) => holderListKey(e.commitment, e.certificateType)))];
    const stored = (await this.holderLists.getMany(keys)) as unknown as Array<{ ids: string[] } | undefined>;
    for (const [i, key] of keys.entries()) lists.set(key, [...(stored[i]?.ids ?? [])]);
    for (const e of [...entries].sort((a, b) => a.index - b.index)) lists.get(holderListKey(e.commitment, e.certificateType))?.push(e.id);
    return lists;
  }

  async getDependents(ids: string[]): Promise<DependentEntry[][]> {
    return Promise.all(
      ids.map(async (basis) => {
        const entries: DependentEntry[] = [];
        for await (const value of this.dependents.values({ gt: `${basis}!`, lt: `${basis}!~` })) {
          const v = value as { id: string; rule: string };
          entries.push({ basis, id: v.id, rule: v.rule });
        }
        return entries;
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
    const heads: Array<StoredBlockValue | undefined> = [];
    for await (const [key, value] of this.blocks.iterator({ gte: pad(from), lte: pad(to) })) heads[Number(key) - from] = value as unknown as StoredBlockValue;
    // One range read of the transactions of all the blocks, in height and index order.
    const items: StoredTx[][] = Array.from({ length: out.length }, () => []);
    for await (const [key, value] of this.blockTxs.iterator({ gte: `${pad(from)}!`, lt: `${pad(to)}!~` })) {
      items[Number(key.slice(0, 16)) - from]?.push(value as unknown as StoredTx);
    }
    for (const [i, head] of heads.entries()) if (head !== undefined) out[i] = this.assemble(head, items[i] as StoredTx[]);
    return out;
  }

  async listCertificates(limit: number, after?: string): Promise<CertificateRecord[]> {
    const out: CertificateRecord[] = [];
    const range = after === undefined ? { limit } : { gt: after, limit };
    for await (const value of this.certs.values(range)) out.push(value as unknown as CertificateRecord);
    return out;
  }
}
