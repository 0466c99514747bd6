/**
 * The split block layout (store format 3, kept by format 4, node/db/level-store.ts): a block's head, each transaction
 * with its receipt, and its two Merkle trees are stored apart, so a transaction, a block's head or an
 * inclusion proof is read without the rest of the block; whole blocks read back exactly as written;
 * a format 2 store (blocks stored whole, no state roots) is refused on open and left whole; a transaction
 * missing under a block is STORE_CORRUPT, not a shorter block.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import { type ChainTip, blockHash, buildBlock, genesisTip, receiptHash } from "../../node/chain/block.js";
import { merkleProof, merkleProofFromTree, merkleTreeBytes, merkleTreeLeaves, verifyMerkleProof } from "../../node/chain/merkle.js";
import { executeBlock } from "../../node/chain/state.js";
import { checkTransaction, txHash } from "../../node/chain/tx.js";
import type { Transaction } from "../../node/chain/types.js";
import { applyBlock } from "../../node/ledger/apply.js";
import type { ChainStore, StoredBlock } from "../../node/ledger/store.js";
import { LevelStore, STORE_FORMAT_VERSION } from "../../node/db/level-store.js";
import { MemoryStore } from "../../node/db/memory-store.js";
import { LedgerError } from "../../node/errors.js";
import { T0, issueTx, licenceDocument, makeTestChain } from "../helpers/chain.js";
import { downgradeToFormat2 } from "../helpers/store-format.js";

const chain = makeTestChain();
const spec = chain.spec;
const pad = (n: number, width = 16): string => n.toString().padStart(width, "0");

/** Commit `txs` on the store's head (no seals: the store does not check them). */
async function commit(store: ChainStore, txs: Transaction[]): Promise<void> {
  const tip: ChainTip = store.head() ?? genesisTip(spec);
  const h = tip.height + 1;
  const checked = txs.map((t) => checkTransaction(spec, t));
  const effects = await executeBlock(spec, store, h, T0 + h * 1000, checked);
  const block = buildBlock(spec, tip, spec.validatorSetAt(h).proposerIndex(h, 0), T0 + h * 1000, checked, effects);
  const hash = blockHash(block.header);
  await applyBlock(spec, store, block, { height: h, round: 0, blockHash: hash, seals: [] }, hash, checked, effects);
}

/** Blocks of 5, 0 (empty), 1 and 7 licences: the same transactions for every store filled with them. */
let n = 0;
const BLOCKS: Transaction[][] = [5, 0, 1, 7].map((size) =>
  Array.from({ length: size }, () => issueTx(chain, licenceDocument(chain, `SPLIT-${(n++).toString().padStart(4, "0")}`))),
);

async function fill(store: ChainStore): Promise<void> {
  for (const txs of BLOCKS) await commit(store, txs);
}

/** Every read of the split layout against the same chain in a memory store. */
async function assertSameChain(store: ChainStore, twin: MemoryStore): Promise<void> {
  const height = twin.head()?.height as number;
  assert.deepEqual(store.head(), twin.head());
  assert.deepEqual(await store.getBlocks(1, height), await twin.getBlocks(1, height), "a range of blocks reads back whole");
  for (let h = 1; h <= height; h++) {
    const block = (await twin.getBlock(h)) as StoredBlock;
    assert.deepEqual(await store.getBlock(h), block, `block ${h} reads back whole`);
    assert.deepEqual(await store.getBlockHead(h), { hash: block.hash, header: block.block.header, commit: block.commit, txCount: block.block.txs.length });
    for (const [i, tx] of block.block.txs.entries()) {
      assert.deepEqual(await store.getStoredTx(h, i), { tx, receipt: block.receipts[i] }, `block ${h} tx ${i}`);
      assert.deepEqual((await store.getTxLocation(txHash(tx))) ?? null, { height: h, index: i });
      const proofs = await store.getInclusionProofs(h, i);
      assert.ok(proofs !== null, `block ${h} tx ${i} has proofs`);
      assert.deepEqual(proofs.txProof, merkleProof(block.block.txs.map(txHash), i), `block ${h} tx ${i}: tx proof`);
      assert.ok(verifyMerkleProof(txHash(tx), proofs.txProof, block.block.header.txRoot), `block ${h} tx ${i}: proves under txRoot`);
      const receipt = block.receipts[i] as StoredBlock["receipts"][number];
      assert.ok(verifyMerkleProof(receiptHash(receipt), proofs.receiptProof, block.block.header.resultsRoot), `block ${h} tx ${i}: proves under resultsRoot`);
    }
    assert.equal(await store.getStoredTx(h, block.block.txs.length), null, `block ${h}: nothing past its last tx`);
  }
}

describe("merkle trees stored as levels", () => {
  it("give the same inclusion proof as hashing the leaves, for every leaf of trees of 1 to 17 leaves, and their leaf count", () => {
    for (let count = 1; count <= 17; count++) {
      const leaves = Array.from({ length: count }, (_, i) => i.toString(16).padStart(64, "0"));
      const tree = merkleTreeBytes(leaves);
      assert.equal(merkleTreeLeaves(tree), count, `${count} leaves: the size gives the count`);
      for (let i = 0; i < count; i++) assert.deepEqual(merkleProofFromTree(tree, count, i), merkleProof(leaves, i), `${count} leaves, leaf ${i}`);
      assert.equal(merkleProofFromTree(tree, count, count), null, `${count} leaves: no leaf ${count}`);
      assert.equal(merkleProofFromTree(tree, count + 1, 0), null, `${count} leaves: not a tree of ${count + 1}`);
      assert.equal(merkleTreeLeaves(tree.subarray(1)), null, `${count} leaves: a cut node is no tree`);
    }
  });
});

describe("store format 3: blocks split into head, transactions and trees", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "certchain-split-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads blocks, transactions, heads and proofs back as the memory twin holds them, also after a reopen", async () => {
    const path = join(dir, "db");
    const twin = new MemoryStore();
    await fill(twin);
    const store = await LevelStore.open({ path });
    await fill(store);
    await assertSameChain(store, twin);
    await store.close();
    const again = await LevelStore.open({ path });
    await assertSameChain(again, twin);
    await again.close();
  });

  it("refuses a format 2 store (blocks stored whole, headers without state roots) on open and leaves its blocks whole", async () => {
    const path = join(dir, "db");
    const store = await LevelStore.open({ path });
    await fill(store);
    await store.close();
    await downgradeToFormat2(path);
    const raw = new Level<string, unknown>(path, { valueEncoding: "json" });
    const whole = (await raw.sublevel<string, StoredBlock>("blocks", { valueEncoding: "json" }).get(pad(1))) as StoredBlock;
    assert.equal(whole.block.txs.length, 5, "the downgraded store holds block 1 whole");
    await raw.close();
    await assert.rejects(
      LevelStore.open({ path }),
      (err: unknown) =>
        err instanceof LedgerError &&
        err.code === "CONFIG" &&
        err.message.includes(
          `format version 2: its chain's blocks carry no state root (format 4 and later), so this certchain (format ${STORE_FORMAT_VERSION})`,
        ),
    );
    const after = new Level<string, unknown>(path, { valueEncoding: "json" });
    const still = (await after.sublevel<string, StoredBlock>("blocks", { valueEncoding: "json" }).get(pad(1))) as StoredBlock;
    assert.deepEqual(still, whole, "block 1 is still stored whole: nothing was rewritten");
    assert.deepEqual(await after.sublevel<string, unknown>("meta", { valueEncoding: "json" }).get("format"), { version: 2 });
    await after.close();
  });

  it("a transaction missing under its block is STORE_CORRUPT, naming the block", async () => {
    const path = join(dir, "db");
    const store = await LevelStore.open({ path });
    await fill(store);
    await store.close();
    const raw = new Level<string, unknown>(path, { valueEncoding: "json" });
    await raw.sublevel<string, unknown>("blocktxs", { valueEncoding: "json" }).del(`${pad(4)}!${pad(3, 8)}`);
    await raw.close();
    const damaged = await LevelStore.open({ path });
    for (const read of [() => damaged.getBlock(4), () => damaged.getBlocks(3, 4)]) {
      await assert.rejects(
        read(),
        (err: unknown) => err instanceof LedgerError && err.code === "STORE_CORRUPT" && /block 4: 6 stored transactions of 7/.test(err.message),
      );
    }
    assert.equal(await damaged.getStoredTx(4, 3), null);
    await damaged.close();
  });

  it("a scratch store (keepBlocks false) keeps state and indexes but no block", async () => {
    const store = await LevelStore.open({ path: join(dir, "db"), syncWrites: false, keepBlocks: false });
    await fill(store);
    assert.equal(store.head()?.height, 4);
    assert.equal(await store.getBlock(1), null);
    assert.equal(await store.getBlockHead(1), null);
    assert.equal((await store.listCertificates(100)).length, 13);
    await store.close();
    // It keeps the state tree, node for node as a node's store does (the audit's and the backup's
    // replay recompute every block's state root from it, past the in-memory cache of the top levels).
    const full = await LevelStore.open({ path: join(dir, "full") });
    await fill(full);
    await full.close();
    const stateNodes = async (path: string): Promise<Array<[string, Uint8Array]>> => {
      const raw = new Level<string, Uint8Array>(path, { valueEncoding: "view" });
      const nodes = await raw.sublevel<string, Uint8Array>("state", { valueEncoding: "view" }).iterator().all();
      await raw.close();
      return nodes;
    };
    const kept = await stateNodes(join(dir, "db"));
    assert.ok(kept.length > 13, `the scratch store holds the tree's nodes (${kept.length})`);
    assert.deepEqual(kept, await stateNodes(join(dir, "full")));
  });
});
