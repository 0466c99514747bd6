/**
 * The state tree (node/chain/state-tree.ts): shapes of small trees, proofs of inclusion and absence,
 * refusals of forged proofs, and a property test against a plain Map (fast-check): any sequence of
 * batched updates gives the root of the Map built from scratch, and every key's proof verifies.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  EMPTY_STATE_ROOT,
  type StateNode,
  type StateProof,
  type StateTreeReader,
  asStateProof,
  buildStateProof,
  keyBits,
  stateLeafHash,
  stateProofValue,
  stateRootOf,
  stateTreeRoot,
  updateStateTree,
} from "../../node/chain/state-tree.js";
import { certificateState, stateKey, stateUpdates, stateValue } from "../../node/chain/certificate-state.js";
import { Domain, hashCanonical, taggedHash } from "../../node/crypto/hash.js";
import { bytesToHex, hexToBytes } from "../../node/crypto/bytes.js";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { blockHash, buildBlock, genesisTip } from "../../node/chain/block.js";
import { executeBlock } from "../../node/chain/state.js";
import { checkTransaction } from "../../node/chain/tx.js";
import type { CertificateRecord } from "../../node/chain/types.js";
import { LevelStore } from "../../node/db/level-store.js";
import { MemoryStore } from "../../node/db/memory-store.js";
import { T0, issueTx, licenceDocument, makeTestChain, revokeTx } from "../helpers/chain.js";

/** The tree in a Map of paths, as the stores keep it. */
class MapTree implements StateTreeReader {
  readonly nodes = new Map<string, StateNode>();
  reads = 0;
  async getStateNodes(paths: string[]): Promise<Array<StateNode | null>> {
    this.reads++;
    return paths.map((p) => this.nodes.get(p) ?? null);
  }
  async set(updates: Map<string, string>): Promise<{ root: string; written: number }> {
    const u = await updateStateTree(this, updates);
    for (const [path, node] of u.nodes) this.nodes.set(path, node);
    return { root: u.root, written: u.nodes.size };
  }
}

/** A key whose first hex digits are `prefix`, the rest zeros. */
const key = (prefix: string): string => prefix.padEnd(64, "0");
const value = (n: number): string => bytesToHex(taggedHash(Domain.STATE_VALUE, new Uint8Array([n])));
const inner = (l: string, r: string): string => bytesToHex(taggedHash(Domain.STATE_NODE, hexToBytes(l), hexToBytes(r)));
const E = EMPTY_STATE_ROOT;

describe("state tree: shapes", () => {
  const cases: Array<[string, Array<[string, number]>, (leaf: (k: string, v: number) => string) => string]> = [
    ["no key: the empty root", [], () => E],
    ["one key: its leaf is the root", [[key("8"), 1]], (leaf) => leaf(key("8"), 1)],
    [
      "keys differing in the first bit: two leaves under the root",
      [
        [key("0"), 1],
        [key("8"), 2],
      ],
      (leaf) => inner(leaf(key("0"), 1), leaf(key("8"), 2)),
    ],
    [
      "keys sharing the first bit (0100…, 0110…): an inner node with an empty sibling, then two leaves",
      [
        [key("4"), 1],
        [key("6"), 2],
      ],
      (leaf) => inner(inner(E, inner(leaf(key("4"), 1), leaf(key("6"), 2))), E),
    ],
    [
      "three keys: a leaf stays as high as it is alone",
      [
        [key("0"), 1],
        [key("c"), 2],
        [key("8"), 3],
      ],
      (leaf) => inner(leaf(key("0"), 1), inner(leaf(key("8"), 3), leaf(key("c"), 2))),
    ],
  ];
  for (const [name, entries, expected] of cases) {
    it(name, async () => {
      const tree = new MapTree();
      const map = new Map(entries.map(([k, v]) => [k, value(v)]));
      const leaf = (k: string, v: number): string => stateLeafHash(k, value(v));
      assert.equal(stateRootOf(map), expected(leaf), "from scratch");
      assert.equal((await tree.set(map)).root, expected(leaf), "as one update");
      assert.equal(await stateTreeRoot(tree), expected(leaf), "the stored root");
    });
  }

  it("a value changed in place keeps the shape and writes only the path", async () => {
    const tree = new MapTree();
    await tree.set(
      new Map([
        [key("0"), value(1)],
        [key("c"), value(2)],
        [key("8"), value(3)],
      ]),
    );
    const { root, written } = await tree.set(new Map([[key("8"), value(9)]]));
    assert.equal(
      root,
      stateRootOf(
        new Map([
          [key("0"), value(1)],
          [key("c"), value(2)],
          [key("8"), value(9)],
        ]),
      ),
    );
    assert.equal(written, 3, "the leaf at 10, the inner node at 1 and the root");
  });
});

describe("state tree: proofs", () => {
  // 0000…, 0100…, 0110…, 1100…, 1111…: the subtree at 10 is empty.
  const entries = new Map([
    [key("0"), value(1)],
    [key("4"), value(2)],
    [key("6"), value(3)],
    [key("c"), value(4)],
    [key("f"), value(5)],
  ]);
  let tree: MapTree;
  let root: string;
  before(async () => {
    tree = new MapTree();
    root = (await tree.set(entries)).root;
  });

  it("proves each key's value", async () => {
    for (const [k, v] of entries) assert.equal(stateProofValue(root, k, await buildStateProof(tree, k)), v, `key ${k.slice(0, 4)}`);
  });

  const absent: Array<[string, string, (p: StateProof) => void]> = [
    ["ending in an empty subtree (1000…)", key("8"), (p) => assert.equal(p.leaf, null)],
    ["ending in another key's leaf on its path (0001…, the leaf of 0000…)", key("1"), (p) => assert.equal(p.leaf?.key, key("0"))],
    ["ending in another key's leaf deep down (0101…, the leaf of 0100…)", key("5"), (p) => assert.equal(p.leaf?.key, key("4"))],
  ];
  for (const [name, k, shape] of absent) {
    it(`proves absence ${name}`, async () => {
      const proof = await buildStateProof(tree, k);
      shape(proof);
      assert.equal(stateProofValue(root, k, proof), "absent");
    });
  }

  const forged: Array<[string, (p: StateProof) => void]> = [
    ["a changed sibling", (p) => (p.siblings[0] = value(7))],
    ["a sibling dropped", (p) => p.siblings.pop()],
    [
      "another value in the leaf",
      (p) => {
        if (p.leaf !== null) p.leaf.value = value(8);
      },
    ],
    ["the leaf removed (a claim of absence)", (p) => (p.leaf = null)],
  ];
  for (const [name, forge] of forged) {
    it(`refuses a proof with ${name}`, async () => {
      const proof = await buildStateProof(tree, key("6"));
      forge(proof);
      assert.equal(stateProofValue(root, key("6"), proof), null);
    });
  }

  it("refuses another key's leaf that is off the key's path as proof of absence", async () => {
    // 0110…'s proof ends in its own leaf; presented for 0111… (same path to depth 3) it proves absence,
    // presented for 1110… (another path) it proves nothing.
    const proof = await buildStateProof(tree, key("6"));
    assert.equal(stateProofValue(root, key("7"), proof), "absent");
    assert.equal(stateProofValue(root, key("e"), proof), null);
  });

  const malformed: Array<[string, unknown]> = [
    ["not an object", "x"],
    ["siblings not digests", { siblings: ["zz"], leaf: null }],
    ["more than 256 siblings", { siblings: Array.from({ length: 257 }, () => E), leaf: null }],
    ["a leaf without a value", { siblings: [], leaf: { key: E } }],
  ];
  for (const [name, v] of malformed) {
    it(`a malformed proof (${name}) is not a proof`, () => assert.equal(asStateProof(v), null));
  }
});

describe("state tree: against a plain Map (property)", () => {
  const hexKey = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(bytesToHex);
  // Few distinct first bytes, so keys share long prefixes and leaves move down often.
  const clusteredKey = fc
    .tuple(fc.constantFrom("00", "01", "80", "ff"), fc.uint8Array({ minLength: 31, maxLength: 31 }))
    .map(([p, rest]) => p + bytesToHex(rest));
  const batches = fc.array(fc.array(fc.tuple(fc.oneof(hexKey, clusteredKey), fc.nat(1000)), { maxLength: 12 }), { minLength: 1, maxLength: 8 });

  it("any sequence of batches gives the Map's root; every key's proof verifies, and absent keys' too", async () => {
    await fc.assert(
      fc.asyncProperty(batches, fc.array(hexKey, { minLength: 1, maxLength: 4 }), async (steps, probes) => {
        const tree = new MapTree();
        const map = new Map<string, string>();
        let root = EMPTY_STATE_ROOT;
        for (const step of steps) {
          const batch = new Map(step.map(([k, v]) => [k, value(v % 256)]));
          for (const [k, v] of batch) map.set(k, v);
          root = (await tree.set(batch)).root;
          assert.equal(root, stateRootOf(map), "incremental root = root from scratch");
        }
        for (const [k, v] of map) assert.equal(stateProofValue(root, k, await buildStateProof(tree, k)), v, `key ${k}`);
        for (const k of probes.filter((p) => !map.has(p))) assert.equal(stateProofValue(root, k, await buildStateProof(tree, k)), "absent", `absent ${k}`);
      }),
      { seed: 12, numRuns: 150 },
    );
  });

  it("the root does not depend on the order keys arrived in", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(hexKey, { minLength: 1, maxLength: 30 }), fc.nat(), async (keys, seed) => {
        const one = new MapTree();
        const other = new MapTree();
        for (const k of keys) await one.set(new Map([[k, value(1)]]));
        const shuffled = [...keys].sort((a, b) => ((a.charCodeAt(seed % 64) ^ seed) & 7) - ((b.charCodeAt(seed % 64) ^ seed) & 7));
        await other.set(new Map(shuffled.map((k) => [k, value(1)])));
        assert.equal(await stateTreeRoot(one), await stateTreeRoot(other));
      }),
      { seed: 13, numRuns: 60 },
    );
  });

  it("an update of one key among 2,000 writes about log2(n) nodes and reads one level per round trip", async () => {
    const tree = new MapTree();
    const keys = Array.from({ length: 2000 }, (_, i) => bytesToHex(taggedHash(Domain.STATE_KEY, new Uint8Array([i >> 8, i & 255]))));
    await tree.set(new Map(keys.map((k) => [k, value(1)])));
    const depth = (await buildStateProof(tree, keys[7] as string)).siblings.length;
    tree.reads = 0;
    const { written } = await tree.set(new Map([[keys[7] as string, value(2)]]));
    assert.equal(written, depth + 1, "the leaf and each node above it, once");
    assert.ok(depth <= 2 * Math.log2(2000), `depth ${depth} is about log2(2000) ≈ 11, far from 256`);
    assert.equal(tree.reads, depth + 1, "one read per level");
  });
});

describe("certificate state", () => {
  it("keys by the id's hash and values by the canonical state: revocation, renewal and each event change it", () => {
    const record = {
      id: "BL-1",
      department: "market-regulation",
      certificateType: "business-licence",
      holderCommitment: "aa".repeat(32),
      documentDigest: "bb".repeat(32),
      publicFields: {},
      validFrom: 1,
      validUntil: 2,
      revoked: false,
      history: [{ action: "issue" as const, txHash: "cc".repeat(32), height: 1, index: 0, time: 1 }],
    };
    assert.equal(stateKey("BL-1"), bytesToHex(taggedHash(Domain.STATE_KEY, new TextEncoder().encode("BL-1"))));
    assert.equal(keyBits(stateKey("BL-1")).length, 256);
    const base = stateValue(certificateState(record));
    const revoked = {
      ...record,
      revoked: true,
      history: [...record.history, { action: "revoke" as const, txHash: "dd".repeat(32), height: 2, index: 0, time: 2 }],
    };
    const variants = [{ ...record, revoked: true }, { ...record, supersededBy: "BL-2" }, revoked, { ...record, validUntil: 3 }];
    for (const [i, v] of variants.entries()) assert.notEqual(stateValue(certificateState(v)), base, `variant ${i}`);
    assert.equal(stateValue(certificateState({ ...record, publicFields: { x: "y" } })), base, "public fields are the issue transaction's, proven by it");
  });

  it("stateValue's direct encoding is H(STATE_VALUE, canonicalize(state)) for any state (property)", () => {
    const text = fc.string({ unit: "grapheme", maxLength: 12 });
    const state = fc.record({
      id: text,
      department: text,
      certificateType: text,
      holderCommitment: text,
      documentDigest: text,
      validFrom: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })),
      validUntil: fc.maxSafeInteger(),
      revoked: fc.boolean(),
      suspended: fc.boolean(),
      supersededBy: fc.option(text),
      events: fc.array(text, { maxLength: 4 }),
    });
    fc.assert(
      fc.property(state, (s) => stateValue(s) === hashCanonical(Domain.STATE_VALUE, s)),
      { numRuns: 500 },
    );
    // A number JCS refuses is refused here too, not hashed as JSON.stringify's "null".
    assert.throws(() =>
      stateValue({
        ...certificateState({
          id: "X",
          department: "d",
          certificateType: "t",
          holderCommitment: "",
          documentDigest: "",
          publicFields: {},
          validFrom: Number.NaN,
          validUntil: 1,
          revoked: false,
          history: [],
        }),
      }),
    );
  });
});

describe("state tree in LevelStore", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "certchain-state-tree-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("is written with each block and read back after a reopen: the root is the head's stateRoot, every proof verifies", async () => {
    const chain = makeTestChain();
    const path = join(dir, "db");
    let store = await LevelStore.open({ path });
    const ids: string[] = [];
    for (let height = 1; height <= 3; height++) {
      const tip = store.head() ?? genesisTip(chain.spec);
      const docs = Array.from({ length: 5 }, () => licenceDocument(chain));
      ids.push(...docs.map((d) => d.certificateId));
      const txs = [...docs.map((d) => issueTx(chain, d)), ...(height === 3 ? [revokeTx(chain, ids[0] as string)] : [])].map((t) =>
        checkTransaction(chain.spec, t),
      );
      const time = T0 + height * 1000;
      const effects = await executeBlock(chain.spec, store, height, time, txs);
      const block = buildBlock(chain.spec, tip, chain.spec.validatorSetAt(height).proposerIndex(height, 0), time, txs, effects);
      const hash = blockHash(block.header);
      await store.commitBlock({ block, commit: { height, round: 0, blockHash: hash, seals: [] }, hash, receipts: effects.receipts }, effects);
      assert.equal(await stateTreeRoot(store), block.header.stateRoot, `block ${height}: the stored root is the header's`);
    }
    const root = (await store.getBlock(3))?.block.header.stateRoot as string;
    await store.close();
    store = await LevelStore.open({ path });
    assert.equal(await stateTreeRoot(store), root, "after a reopen");
    const records = await store.getCertificates(ids);
    assert.equal(records[0]?.revoked, true);
    for (const [i, id] of ids.entries()) {
      const proven = stateProofValue(root, stateKey(id), await buildStateProof(store, stateKey(id)));
      assert.equal(proven, stateValue(certificateState(records[i] as CertificateRecord)), id);
    }
    assert.equal(stateProofValue(root, stateKey("NOT-ISSUED"), await buildStateProof(store, stateKey("NOT-ISSUED"))), "absent");
    await store.close();
  });

  it("its in-memory cache of the top levels gives the roots an uncached store (MemoryStore) gives, block by block and after a reopen", async () => {
    const chain = makeTestChain();
    const path = join(dir, "db-cache");
    let level = await LevelStore.open({ path });
    const memory = new MemoryStore();
    const ids: string[] = [];
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let height = 1; height <= 8; height++) {
      const tip = level.head() ?? genesisTip(chain.spec);
      const docs = Array.from({ length: 1 + random(40) }, () => licenceDocument(chain));
      // Revocations of random earlier certificates (never one twice in a block: that is a rejected receipt, also fine).
      const revoked = [...new Set(Array.from({ length: random(Math.min(ids.length, 6) + 1) }, () => ids[random(ids.length)] as string))];
      ids.push(...docs.map((d) => d.certificateId));
      const txs = [...docs.map((d) => issueTx(chain, d)), ...revoked.map((id) => revokeTx(chain, id))].map((t) => checkTransaction(chain.spec, t));
      const time = T0 + height * 1000;
      const fromLevel = await executeBlock(chain.spec, level, height, time, txs);
      const fromMemory = await executeBlock(chain.spec, memory, height, time, txs);
      assert.equal(fromLevel.stateRoot, fromMemory.stateRoot, `block ${height}: cached and uncached roots`);
      const committed = (await level.getCertificates(ids)).filter((r): r is CertificateRecord => r !== null);
      // Every record after the block (the block's changes replace what was committed), hashed from scratch.
      const after = stateRootOf(stateUpdates([...committed, ...fromLevel.certificates.values()]));
      assert.equal(fromLevel.stateRoot, after, `block ${height}: from scratch`);
      const block = buildBlock(chain.spec, tip, chain.spec.validatorSetAt(height).proposerIndex(height, 0), time, txs, fromLevel);
      const hash = blockHash(block.header);
      const stored = { block, commit: { height, round: 0, blockHash: hash, seals: [] }, hash, receipts: fromLevel.receipts };
      await level.commitBlock(stored, fromLevel);
      await memory.commitBlock(stored, fromMemory);
      if (height === 4) {
        // A restart between blocks: the cache starts empty and the tree is read back from disk.
        await level.close();
        level = await LevelStore.open({ path });
        assert.equal(await stateTreeRoot(level), block.header.stateRoot, "after a reopen between blocks");
      }
    }
    assert.equal(await stateTreeRoot(level), await stateTreeRoot(memory));
    await level.close();
  });
});
