import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { executeChecked } from "../../node/ledger/apply.js";
import { buildBlock, checkBlock, checkCommitCertificate, commitSealBytes, genesisTip } from "../../node/chain/block.js";
import { Mempool, defaultMempoolOptions, statelessCheck } from "../../node/ledger/mempool.js";
import { merkleProof, merkleRoot, verifyMerkleProof } from "../../node/chain/merkle.js";
import { executeBlock, statusAt } from "../../node/chain/state.js";
import { checkTransaction } from "../../node/chain/tx.js";
import type { CommitCertificate } from "../../node/chain/types.js";
import { signBytes } from "../../node/crypto/keys.js";
import { MemoryStore } from "../../node/db/memory-store.js";
import { LedgerError } from "../../node/errors.js";
import { DAY, T0, claimedResults, issueTx, licenceDocument, makeTestChain, revokeTx } from "../helpers/chain.js";

const chain = makeTestChain();
const check = (tx: unknown) => checkTransaction(chain.spec, tx);

describe("block execution and receipts", () => {
  it("applies issue then revoke; rejects what breaks a rule with its code", async () => {
    const store = new MemoryStore();
    const a = licenceDocument(chain);
    const b = licenceDocument(chain);
    const txs = [
      check(issueTx(chain, a)),
      check(issueTx(chain, a)), // same id again: TX_CERT_EXISTS
      check(revokeTx(chain, a.certificateId)),
      check(revokeTx(chain, a.certificateId)), // TX_ALREADY_REVOKED
      check(revokeTx(chain, "BL-NEVER-ISSUED")), // TX_CERT_UNKNOWN
      check(issueTx(chain, b)),
      check(revokeTx(chain, b.certificateId, "public-security")), // TX_NOT_ISSUER
    ];
    const effects = await executeBlock(chain.spec, store, 1, T0 + 1000, txs);
    const expected = ["applied", "TX_CERT_EXISTS", "applied", "TX_ALREADY_REVOKED", "TX_CERT_UNKNOWN", "applied", "TX_NOT_ISSUER"];
    for (const [i, r] of effects.receipts.entries()) assert.equal(r.status === "applied" ? "applied" : r.code, expected[i], `receipt ${i}`);
    const recA = effects.certificates.get(a.certificateId);
    assert.equal(recA?.revoked, true);
    assert.deepEqual(
      recA?.history.map((e) => e.action),
      ["issue", "revoke"],
    );
    assert.equal(effects.txLocations.size, txs.length, "every transaction gets a location, applied or not");
    assert.deepEqual(
      effects.issued.map((e) => e.id),
      [a.certificateId, b.certificateId],
    );
  });

  it("a transaction committed in an earlier block is rejected as a duplicate", async () => {
    const store = new MemoryStore();
    const tx = check(issueTx(chain, licenceDocument(chain)));
    const spec = chain.spec;
    const block = buildBlock(spec, genesisTip(spec), 1, T0 + 10, [tx], claimedResults([tx]));
    const effects = await executeBlock(chain.spec, store, 1, block.header.time, [tx]);
    await store.commitBlock({ block, commit: { height: 1, round: 0, blockHash: "x", seals: [] }, hash: "h1", receipts: effects.receipts }, effects);
    const again = await executeBlock(chain.spec, store, 2, T0 + 20, [tx]);
    assert.equal(again.receipts[0]?.code, "TX_DUPLICATE");
    assert.equal(again.txLocations.has(tx.hash), false, "the replay does not move the applied transaction's location");
  });

  const statusCases: Array<[string, number, boolean, string]> = [
    ["before validFrom", T0 - 1, false, "not-yet-valid"],
    ["inside the period", T0 + DAY, false, "valid"],
    ["at validUntil", T0 + 10 * DAY, false, "expired"],
    ["revoked wins", T0 + DAY, true, "revoked"],
  ];
  for (const [name, at, revoked, status] of statusCases) {
    it(`status ${name} → ${status}`, () => {
      const rec = { validFrom: T0, validUntil: T0 + 10 * DAY, revoked } as Parameters<typeof statusAt>[0];
      assert.equal(statusAt(rec, at), status);
    });
  }
});

describe("mempool", () => {
  it("admits once, refuses conflicts with pending transactions, and reaps in order", async () => {
    const store = new MemoryStore();
    const pool = new Mempool(defaultMempoolOptions, { spec: chain.spec, state: store });
    const doc = licenceDocument(chain);
    const issue = issueTx(chain, doc);
    assert.equal((await pool.admit(issue)).status, "accepted");
    assert.equal((await pool.admit(issue)).status, "known");
    await assert.rejects(pool.admit(issueTx(chain, doc)), (e: unknown) => e instanceof LedgerError && e.code === "TX_CERT_EXISTS");
    assert.equal((await pool.admit(revokeTx(chain, doc.certificateId))).status, "accepted", "revoke of a pending issue");
    await assert.rejects(pool.admit(revokeTx(chain, doc.certificateId)), (e: unknown) => e instanceof LedgerError && e.code === "TX_ALREADY_REVOKED");
    await assert.rejects(pool.admit(revokeTx(chain, "BL-UNKNOWN")), (e: unknown) => e instanceof LedgerError && e.code === "TX_CERT_UNKNOWN");
    const reaped = pool.reap(10, 1 << 20);
    assert.deepEqual(
      reaped.map((t) => t.tx.body.kind),
      ["issue", "revoke"],
    );
    assert.equal(pool.reap(1, 1 << 20).length, 1, "maxTxs");
    assert.equal(pool.reap(10, 10).length, 0, "maxBytes");
    const first = reaped.slice(0, 1);
    const block = buildBlock(chain.spec, genesisTip(chain.spec), 1, T0 + 10, first, claimedResults(first));
    const effects = await executeBlock(chain.spec, store, 1, block.header.time, first);
    await store.commitBlock({ block, commit: { height: 1, round: 0, blockHash: "x", seals: [] }, hash: "h1", receipts: effects.receipts }, effects);
    await pool.onBlockCommitted(first);
    assert.equal(pool.size, 1);
  });

  it("is bounded", async () => {
    const pool = new Mempool({ ...defaultMempoolOptions, maxTxs: 2 }, { spec: chain.spec, state: new MemoryStore() });
    await pool.admit(issueTx(chain, licenceDocument(chain)));
    await pool.admit(issueTx(chain, licenceDocument(chain)));
    await assert.rejects(
      pool.admit(issueTx(chain, licenceDocument(chain))),
      // a client is told when to ask again (the RPC's Retry-After)
      (e: unknown) => e instanceof LedgerError && e.code === "MEMPOOL_FULL" && e.details?.retryAfterSeconds === 1,
    );
  });

  it("when full, refuses a batch at once: no signature checked, no state read; a pending one re-posted alone is refused too", async () => {
    const store = new MemoryStore();
    const reads: string[] = [];
    const state = new Proxy(store, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (typeof v !== "function") return v;
        return (...args: unknown[]) => {
          if (typeof prop === "string" && prop.startsWith("get")) reads.push(prop);
          return v.apply(target, args);
        };
      },
    });
    const checked: number[] = [];
    const verifier = {
      async checkMany(values: unknown[]) {
        checked.push(values.length);
        return values.map((v) => statelessCheck(chain.spec, v));
      },
    };
    const pool = new Mempool({ ...defaultMempoolOptions, maxTxs: 2 }, { spec: chain.spec, state, verifier });
    const first = issueTx(chain, licenceDocument(chain));
    await pool.admitMany([first, issueTx(chain, licenceDocument(chain))]);
    assert.equal(pool.size, 2);
    reads.length = 0;
    checked.length = 0;
    const results = await pool.admitMany([issueTx(chain, licenceDocument(chain)), { ...first, signature: "00".repeat(64) }]);
    assert.deepEqual(
      results.map((r) => (r instanceof LedgerError ? r.code : r.status)),
      ["MEMPOOL_FULL", "MEMPOOL_FULL"],
    );
    assert.deepEqual([reads, checked], [[], []], "nothing read, nothing verified");
    await assert.rejects(pool.admit(first), (e: unknown) => e instanceof LedgerError && e.code === "MEMPOOL_FULL");
  });
});

describe("Merkle tree", () => {
  for (const n of [0, 1, 2, 3, 5, 8, 13]) {
    it(`${n} leaves: every inclusion proof verifies, a wrong leaf does not`, () => {
      const leaves = Array.from({ length: n }, (_, i) => i.toString(16).padStart(64, "0"));
      const root = merkleRoot(leaves);
      for (let i = 0; i < n; i++) {
        const proof = merkleProof(leaves, i);
        assert.ok(verifyMerkleProof(leaves[i] as string, proof, root), `leaf ${i} of ${n}`);
        assert.ok(!verifyMerkleProof("f".repeat(64), proof, root), `forged leaf ${i} of ${n}`);
      }
    });
  }
});

describe("blocks and commit certificates", () => {
  const spec = chain.spec;
  const txs = [check(issueTx(chain, licenceDocument(chain))), check(issueTx(chain, licenceDocument(chain)))];
  const parent = genesisTip(spec);
  const block = buildBlock(spec, parent, spec.validatorSetAt(1).proposerIndex(1, 0), T0 + 5000, txs, claimedResults(txs));
  const checked = checkBlock(spec, block, parent);
  const seal = (v: number, round = 0, hash = checked.hash) => ({
    validator: v,
    signature: signBytes(chain.validatorKeys[v]?.privateKey as string, commitSealBytes(spec.chainId, 1, round, hash)),
  });
  const cert = (seals: CommitCertificate["seals"], round = 0): CommitCertificate => ({ height: 1, round, blockHash: checked.hash, seals });

  it("a valid block passes and keeps its transactions' hashes", () => {
    assert.deepEqual(
      checked.txs.map((t) => t.hash),
      txs.map((t) => t.hash),
    );
  });

  const blockCases: Array<[string, (b: typeof block) => void]> = [
    [
      "wrong height",
      (b) => {
        b.header.height = 2;
      },
    ],
    [
      "wrong parent",
      (b) => {
        b.header.previousHash = "0".repeat(64);
      },
    ],
    [
      "time not after parent",
      (b) => {
        b.header.time = parent.time;
      },
    ],
    [
      "wrong chain",
      (b) => {
        b.header.chainId = "other";
      },
    ],
    [
      "txRoot mismatch",
      (b) => {
        b.txs.reverse();
      },
    ],
    [
      "txCount mismatch",
      (b) => {
        b.header.txCount = 5;
      },
    ],
    [
      "duplicate transaction",
      (b) => {
        b.txs = [b.txs[0] as never, b.txs[0] as never];
        b.header.txRoot = merkleRoot([txs[0]?.hash as string, txs[0]?.hash as string]);
      },
    ],
    [
      "forged transaction",
      (b) => {
        (b.txs[0] as { signature: string }).signature = "00".repeat(64);
      },
    ],
    [
      "a resultsRoot that is not a digest",
      (b) => {
        b.header.resultsRoot = "not-a-root";
      },
    ],
    [
      "foreign validator set",
      (b) => {
        b.header.validatorsHash = "1".repeat(64);
      },
    ],
  ];
  it("an empty block is a heartbeat: refused before heartbeatIntervalMs after its parent's time, accepted from then on", () => {
    const interval = spec.heartbeatIntervalMs;
    const cases: Array<[number, boolean]> = [
      [1, false],
      [interval - 1, false],
      [interval, true],
      [interval * 3, true],
    ];
    for (const [after, ok] of cases) {
      const empty = buildBlock(spec, parent, spec.validatorSetAt(1).proposerIndex(1, 0), parent.time + after, [], claimedResults([]));
      if (ok) assert.equal(checkBlock(spec, empty, parent, { now: parent.time + after }).txs.length, 0, `${after} ms after`);
      else
        assert.throws(
          () => checkBlock(spec, empty, parent),
          (e: unknown) => e instanceof LedgerError && e.code === "BLOCK_INVALID" && /heartbeat interval/.test(e.message),
          `${after} ms after`,
        );
    }
  });

  for (const [name, mutate] of blockCases) {
    it(`rejects a block with ${name}`, () => {
      const b = structuredClone(block);
      mutate(b);
      assert.throws(
        () => checkBlock(spec, b, parent),
        (e: unknown) => e instanceof LedgerError && e.code === "BLOCK_INVALID",
        name,
      );
    });
  }

  it("executeChecked accepts the honest resultsRoot and refuses one claiming a rejected issue applied", async () => {
    const doc = licenceDocument(chain);
    const pair = [check(issueTx(chain, doc)), check(issueTx(chain, doc))]; // the second is TX_CERT_EXISTS
    const honest = await executeBlock(chain.spec, new MemoryStore(), 1, T0 + 5000, pair);
    assert.deepEqual(
      honest.receipts.map((r) => r.status),
      ["applied", "rejected"],
    );
    const good = buildBlock(spec, parent, 1, T0 + 5000, pair, honest);
    assert.equal((await executeChecked(chain.spec, new MemoryStore(), good, pair)).receipts.length, 2);
    const lying = buildBlock(spec, parent, 1, T0 + 5000, pair, claimedResults(pair));
    assert.equal(lying.header.txRoot, good.header.txRoot, "same transactions, only the results differ");
    await assert.rejects(
      executeChecked(chain.spec, new MemoryStore(), lying, pair),
      (e: unknown) => e instanceof LedgerError && e.code === "BLOCK_INVALID" && /resultsRoot/.test(e.message),
    );
  });

  it("accepts a quorum of seals", () => {
    checkCommitCertificate(spec, cert([seal(0), seal(1), seal(2)]), block.header);
  });

  it("accepts a block re-proposed unchanged and decided in a later round (QBFT)", () => {
    checkCommitCertificate(spec, cert([seal(0, 1), seal(1, 1), seal(2, 1)], 1), block.header);
  });

  it("rejects a certificate from a round before the header's proposer could have proposed", () => {
    const late = buildBlock(spec, parent, spec.validatorSetAt(1).proposerIndex(1, 2), T0 + 5000, txs, claimedResults(txs)); // first proposed in round 2
    const lateHash = checkBlock(spec, late, parent).hash;
    const seals = [0, 1, 2].map((v) => ({
      validator: v,
      signature: signBytes(chain.validatorKeys[v]?.privateKey as string, commitSealBytes(spec.chainId, 1, 1, lateHash)),
    }));
    assert.throws(
      () => checkCommitCertificate(spec, { height: 1, round: 1, blockHash: lateHash, seals }, late.header),
      (e: unknown) => e instanceof LedgerError && e.code === "COMMIT_CERT_INVALID",
    );
  });
  const certCases: Array<[string, () => CommitCertificate]> = [
    ["too few seals", () => cert([seal(0), seal(1)])],
    ["a repeated validator", () => cert([seal(0), seal(0), seal(1)])],
    ["a bad signature", () => cert([seal(0), seal(1), { validator: 2, signature: "00".repeat(64) }])],
    ["an unknown validator", () => cert([seal(0), seal(1), { validator: 9, signature: "00".repeat(64) }])],
    ["seals for another round", () => ({ ...cert([seal(0, 1), seal(1, 1), seal(2, 1)]), round: 0 })],
    ["another block's hash", () => ({ ...cert([seal(0), seal(1), seal(2)]), blockHash: "2".repeat(64) })],
  ];
  for (const [name, make] of certCases) {
    it(`rejects a commit certificate with ${name}`, () => {
      assert.throws(
        () => checkCommitCertificate(spec, make(), block.header),
        (e: unknown) => e instanceof LedgerError && e.code === "COMMIT_CERT_INVALID",
        name,
      );
    });
  }
});
