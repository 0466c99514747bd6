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
 *   holders  holder commitment!type!height!index → certificate id (holder index, read by review rules)
 *   dependents basis id!height!index!rule → {id, rule} (dependents index, read by automatic suspension)
 *   evidence height!round!kind!validator → Evidence (equivocation, see consensus/evidence.ts)
 *   state    page key (a node's path cut to a multiple of 4 bits) → page of up to 15 nodes (db/state-pages.ts; the tree is chain/state-tree.ts)
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
import { mergePage, pageKey, pageNode, slotOf } from "./state-pages.js";
import { receiptHash } from "../chain/block.js";
import { merkleProofFromTree, merkleTreeBytes } from "../chain/merkle.js";
import { type Evidence, evidenceKey } from "../chain/evidence.js";
import { LedgerError } from "../errors.js";
import type { ChainStore, CommitOptions, InclusionProofs, IssuanceEntry, StoredBlock, StoredBlockHead, StoredTx } from "../ledger/store.js";

type Json = Record<string, unknown>;
type Sub = ReturnType<Level<string, Json>["sublevel"]>;
type BytesSub = ReturnType<Level<string, Uint8Array>["sublevel"]>;

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
 */
export const STORE_FORMAT_VERSION = 4;

/**
 * State tree pages (state-pages.ts) this close to the root are kept in memory once read (pages at
 * depths 0, 4, 8, 12: at most 4,369 of them, about 4 MB): every block touches the top levels, so this
 * saves most of a block's tree reads. Deeper pages read or written are kept too, until there are
 * DEEP_PAGES_KEPT of them (then that part is dropped and refilled): a block's update reads a page
 * once per level inside it, and its commit merges the changed nodes into the pages it read.
 */
const STATE_CACHE_DEPTH = 12;
const DEEP_PAGES_KEPT = 65_536;

export const defaultLevelStoreOptions: Omit<LevelStoreOptions, "path"> = { syncWrites: true, keepBlocks: true };

const txKey = (height: number, index: number): string => `${pad(height)}!${pad(index, 8)}`;

/** The node's chain store on LevelDB: one atomic synced batch per committed block. */
export class LevelStore implements ChainStore {
  private readonly db: Level<string, Json>;
  private readonly blocks: Sub;
  private readonly hashes: Sub;
  private readonly txs: Sub;
  private readonly certs: Sub;
  private readonly issued: Sub;
  private readonly holders: Sub;
  private readonly dependents: Sub;
  private readonly meta: Sub;
  private readonly evidence: Sub;
  private readonly blockTxs: Sub;
  private readonly trees: BytesSub;
  /** Raw bytes, not JSON (valueEncoding "view"). */
  private readonly state: Sub;
  private tip: ChainTip | null = null;
  /** Committed state-tree pages at depth ≤ STATE_CACHE_DEPTH, by page key (null: no page there). */
  private readonly stateCache = new Map<string, Uint8Array | null>();
  /** Committed deeper pages lately read or written. */
  private readonly deepPages = new Map<string, Uint8Array | null>();
  /** Counts commits, so a read that overlapped one does not fill the cache with what it replaced. */
  private commits = 0;

  private constructor(
    path: string,
    private readonly syncWrites: boolean,
    private readonly keepBlocks: boolean,
  ) {
    this.db = new Level<string, Json>(path, { valueEncoding: "json" });
    const sub = (name: string): Sub => this.db.sublevel<string, Json>(name, { valueEncoding: "json" }) as unknown as Sub;
    this.blocks = sub("blocks");
    this.hashes = sub("hashes");
    this.txs = sub("txs");
    this.certs = sub("certs");
    this.issued = sub("issued");
    this.holders = sub("holders");
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
    const { path, syncWrites, keepBlocks } = { ...defaultLevelStoreOptions, ...options };
    const store = new LevelStore(path, syncWrites, keepBlocks);
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
    // 1, 2, 3 → 4: blocks of those formats have no stateRoot in their signed headers (and 1, 2 are not
    // split either); no migration can add one, so only an empty store can move up.
    if ((await this.meta.get("head")) !== undefined) {
      throw new LedgerError(
        "CONFIG",
        `store at ${path} has format version ${version}: its chain's blocks carry no state root (format ${STORE_FORMAT_VERSION}), so this certchain cannot read it; keep running the release that wrote it, or start a new chain`,
      );
    }
    // Empty: stamp it. Synced, so this happens once.
    const batch = this.db.batch();
    batch.put("format", { version: STORE_FORMAT_VERSION }, { sublevel: this.meta as never });
    await batch.write({ sync: true });
  }

  /** The store's format version (STORE_FORMAT_VERSION once open). */
  async formatVersion(): Promise<number> {
    const stored = (await this.meta.get("format")) as unknown as { version: number } | undefined;
    return stored?.version ?? 1;
  }

  /** Add the split block to `batch`: its head, each transaction with its receipt, its two trees. */
  private putBlock(batch: ReturnType<Level<string, Json>["batch"]>, block: StoredBlock): void {
    const height = block.block.header.height;
    const txs = block.block.txs;
    const head: StoredBlockValue = { ...block, block: { ...block.block, txs: [] }, receipts: [], txCount: txs.length };
    batch.put(pad(height), head as unknown as Json, { sublevel: this.blocks as never });
    batch.put(block.hash, { height }, { sublevel: this.hashes as never });
    for (const [i, tx] of txs.entries()) {
      batch.put(txKey(height, i), { tx, receipt: block.receipts[i] } as unknown as Json, { sublevel: this.blockTxs as never });
    }
    if (txs.length === 0) return;
    // Receipts name their transaction's hash (the txRoot's leaf): no transaction is hashed again here.
    const txTree = merkleTreeBytes(block.receipts.map((r) => r.txHash));
    const receiptTree = merkleTreeBytes(block.receipts.map(receiptHash));
    batch.put(`${pad(height)}!t`, txTree as never, { sublevel: this.trees as never });
    batch.put(`${pad(height)}!r`, receiptTree as never, { sublevel: this.trees as never });
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
    const batch = this.db.batch();
    if (this.keepBlocks) this.putBlock(batch, block);
    for (const [hash, loc] of effects.txLocations) batch.put(hash, loc as unknown as Json, { sublevel: this.txs as never });
    for (const [id, rec] of effects.certificates) batch.put(id, rec as unknown as Json, { sublevel: this.certs as never });
    for (const e of effects.issued) {
      batch.put(`${e.department}!${pad(h.height)}!${pad(e.index, 8)}`, { id: e.id }, { sublevel: this.issued as never });
    }
    for (const e of effects.holders) {
      batch.put(`${e.commitment}!${e.certificateType}!${pad(h.height)}!${pad(e.index, 8)}`, { id: e.id }, { sublevel: this.holders as never });
    }
    for (const e of effects.dependents) {
      batch.put(`${e.basis}!${pad(h.height)}!${pad(e.index, 8)}!${e.rule}`, { id: e.id, rule: e.rule }, { sublevel: this.dependents as never });
    }
    // The state tree's changed nodes, merged into their pages, in the block's batch: the tree and the
    // head move together (also in a scratch store without blocks: the replay's next block reads the tree).
    const pages = await this.changedPages(effects.stateNodes);
    for (const [key, page] of pages) batch.put(key, page as unknown as Json, { sublevel: this.state as never });
    if (effects.governance !== undefined) batch.put("governance", effects.governance as unknown as Json, { sublevel: this.meta as never });
    batch.put("head", tip as unknown as Json, { sublevel: this.meta as never });
    // One atomic batch, fsynced: a decided block survives kill -9 whole or not at all (a synced
    // block may skip the fsync: it survives kill -9 as well, and a power cut only costs a refetch).
    await batch.write({ sync: this.syncWrites && opts.durable !== false });
    this.commits++;
    for (const [key, page] of pages) this.keepPage(key, page);
    this.tip = tip;
  }

  async getStateNodes(paths: string[]): Promise<Array<StateNode | null>> {
    const keys = paths.map(pageKey);
    const pages = await this.statePages(keys);
    return paths.map((p, i) => {
      const key = keys[i] as string;
      const page = pages.get(key) ?? null;
      return page === null ? null : pageNode(page, key, slotOf(p));
    });
  }

  /** The committed pages of `keys` (null where none is stored), from memory or in one read. */
  private async statePages(keys: string[]): Promise<Map<string, Uint8Array | null>> {
    const pages = new Map<string, Uint8Array | null>();
    const wanted = new Set<string>();
    for (const key of keys) {
      if (pages.has(key) || wanted.has(key)) continue;
      const kept = key.length <= STATE_CACHE_DEPTH ? this.stateCache.get(key) : this.deepPages.get(key);
      if (kept !== undefined) pages.set(key, kept);
      else wanted.add(key);
    }
    if (wanted.size === 0) return pages;
    const missing = [...wanted];
    const commitsBefore = this.commits;
    const read = (await this.state.getMany(missing)) as unknown as Array<Uint8Array | undefined>;
    // A read that overlapped a commit is used once, not kept: it may hold what the commit replaced.
    const keep = this.commits === commitsBefore;
    for (const [i, key] of missing.entries()) {
      const page = read[i] ?? null;
      pages.set(key, page);
      if (keep) this.keepPage(key, page);
    }
    return pages;
  }

  /** Pages with a block's changed nodes merged in, by page key. */
  private async changedPages(nodes: Map<string, StateNode>): Promise<Map<string, Uint8Array>> {
    const changes = new Map<string, Map<number, StateNode>>();
    for (const [path, node] of nodes) {
      const key = pageKey(path);
      let slots = changes.get(key);
      if (slots === undefined) changes.set(key, (slots = new Map()));
      slots.set(slotOf(path), node);
    }
    const base = await this.statePages([...changes.keys()]);
    const pages = new Map<string, Uint8Array>();
    for (const [key, slots] of changes) pages.set(key, mergePage(base.get(key) ?? null, key, slots));
    return pages;
  }

  private keepPage(key: string, page: Uint8Array | null): void {
    if (key.length <= STATE_CACHE_DEPTH) {
      this.stateCache.set(key, page);
      return;
    }
    if (this.deepPages.size >= DEEP_PAGES_KEPT) this.deepPages.clear();
    this.deepPages.set(key, page);
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
