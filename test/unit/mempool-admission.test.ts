/**
 * Admission racing a block commit (hardening finding 5): a transaction re-posted while the block
 * that holds it commits must come back "known", never an INTERNAL error. The store's reads are
 * gated so the commit is forced into the middle of the admission, every round.
 */
import assert from "node:assert/strict";
import { blockHash, buildBlock, genesisTip } from "../../node/chain/block.js";
import type { DependentEntry, HolderKey } from "../../node/chain/rules.js";
import { type StateReader, executeBlock } from "../../node/chain/state.js";
import type { StateNode } from "../../node/chain/state-tree.js";
import { type CheckedTx, checkTransaction } from "../../node/chain/tx.js";
import type { CertificateRecord, Transaction, TxLocation } from "../../node/chain/types.js";
import { MemoryStore } from "../../node/db/memory-store.js";
import { LedgerError } from "../../node/errors.js";
import { type AdmitResult, Mempool, badSignatureCount, defaultMempoolOptions } from "../../node/ledger/mempool.js";
import { TxGossip, defaultTxGossipOptions } from "../../node/ledger/tx-gossip.js";
import { createLogger } from "../../node/logger.js";
import { T0, issueTx, licenceDocument, makeTestChain, revokeTx } from "../helpers/chain.js";
import { ManualClock } from "../helpers/manual-clock.js";

const chain = makeTestChain();

/** A state reader whose next transaction-location read waits until the test opens the gate. */
class GatedReader implements StateReader {
  private gate: Promise<void> | null = null;
  private release: (() => void) | null = null;
  private arrived: (() => void) | null = null;

  constructor(readonly store: MemoryStore) {}

  /** Hold the next getTxLocations; resolves once an admission is waiting on it. */
  hold(): Promise<void> {
    this.gate = new Promise((resolve) => {
      this.release = resolve;
    });
    return new Promise((resolve) => {
      this.arrived = resolve;
    });
  }

  open(): void {
    this.gate = null;
    this.release?.();
  }

  async getTxLocations(hashes: string[]): Promise<Array<TxLocation | null>> {
    if (this.gate !== null) {
      const gate = this.gate;
      this.arrived?.();
      await gate;
    }
    return this.store.getTxLocations(hashes);
  }
  getCertificate(id: string): Promise<CertificateRecord | null> {
    return this.store.getCertificate(id);
  }
  getTxLocation(hash: string): Promise<TxLocation | null> {
    return this.store.getTxLocation(hash);
  }
  getCertificates(ids: string[]): Promise<Array<CertificateRecord | null>> {
    return this.store.getCertificates(ids);
  }
  getHolderCertificates(keys: HolderKey[]): Promise<string[][]> {
    return this.store.getHolderCertificates(keys);
  }
  getDependents(ids: string[]): Promise<DependentEntry[][]> {
    return this.store.getDependents(ids);
  }
  getStateNodes(paths: string[]): Promise<Array<StateNode | null>> {
    return this.store.getStateNodes(paths);
  }
  getGovernance(): ReturnType<StateReader["getGovernance"]> {
    return this.store.getGovernance();
  }
  head(): ReturnType<StateReader["head"]> {
    return this.store.head();
  }
}

/** Commit `txs` as the next block the way the driver does: beginCommit, write, onBlockCommitted. */
async function commitBlock(pool: Mempool, store: MemoryStore, txs: CheckedTx[]): Promise<void> {
  pool.beginCommit();
  const parent = store.head() ?? genesisTip(chain.spec);
  const height = parent.height + 1;
  const time = T0 + height * 1000;
  const effects = await executeBlock(chain.spec, store, height, time, txs);
  const block = buildBlock(chain.spec, parent, chain.spec.validatorSetAt(height).proposerIndex(height, 0), time, txs, effects);
  const hash = blockHash(block.header);
  await store.commitBlock({ block, commit: { height, round: 0, blockHash: hash, seals: [] }, hash, receipts: effects.receipts }, effects);
  await pool.onBlockCommitted(txs);
}

type Resubmit = (pool: Mempool, txs: Transaction[]) => Promise<Array<AdmitResult | LedgerError | "accept" | "ignore" | "reject">>;

/** Transaction gossip that admits into `pool` and publishes nowhere. */
function gossipInto(pool: Mempool): TxGossip {
  return new TxGossip(defaultTxGossipOptions, {
    mempool: pool,
    clock: new ManualClock(0),
    log: createLogger("test"),
    publish: async () => [],
    onAdmitted: () => undefined,
  });
}

const paths: Array<[string, Resubmit]> = [
  ["RPC batch (admitMany)", (pool, txs) => pool.admitMany(txs)],
  ["RPC single (admit)", async (pool, txs) => [await pool.admit(txs[0])]],
  [
    "gossip batch",
    async (pool, txs) => {
      const gossip = gossipInto(pool);
      return [await gossip.handleBatch(Buffer.from(JSON.stringify({ txs })))];
    },
  ],
];

describe("mempool: resubmission while the block commits", () => {
  for (const [name, resubmit] of paths) {
    it(`${name}: 100 rounds, the committed transaction is known and a revoke of it applies`, async () => {
      const store = new MemoryStore();
      const reader = new GatedReader(store);
      const pool = new Mempool(defaultMempoolOptions, { spec: chain.spec, state: reader });
      for (let round = 0; round < 100; round++) {
        const doc = licenceDocument(chain);
        const issue = issueTx(chain, doc);
        const revoke = revokeTx(chain, doc.certificateId);
        const checked = checkTransaction(chain.spec, issue);
        assert.equal((await pool.admit(issue)).status, "accepted", `round ${round}: first submission`);
        const waiting = reader.hold();
        // Re-post the issue (and a revoke of the certificate it creates) while its block commits.
        const results = resubmit(pool, name === "RPC single (admit)" ? [issue] : [issue, revoke]);
        await waiting;
        await commitBlock(pool, store, [checked]);
        reader.open();
        const out = await results;
        for (const r of out) {
          assert.ok(!(r instanceof LedgerError), `round ${round}: ${r instanceof LedgerError ? `${r.code} ${r.message}` : ""}`);
          assert.notEqual(r, "reject", `round ${round}: gossip verdict`);
        }
        if (name === "gossip batch") {
          assert.equal(out[0], "accept", `round ${round}: gossip verdict`);
          assert.ok(pool.has(checkTransaction(chain.spec, revoke).hash), `round ${round}: the gossiped revoke is pending`);
        } else {
          assert.equal((out[0] as AdmitResult).status, "known", `round ${round}: the committed issue`);
          if (out[1] !== undefined) assert.equal((out[1] as AdmitResult).status, "accepted", `round ${round}: revoke of the committed issue`);
        }
        assert.equal(pool.has(checked.hash), false, `round ${round}: the committed issue is not pending again`);
      }
    });
  }
});

describe("mempool: large batches yield to the event loop", () => {
  it("admits a 250-transaction batch in chunks, in order, with other work running between chunks", async () => {
    const pool = new Mempool({ ...defaultMempoolOptions, admitChunkTxs: 100 }, { spec: chain.spec, state: new MemoryStore() });
    const docs = Array.from({ length: 125 }, () => licenceDocument(chain));
    // Each revoke comes a chunk or more after its issue: it sees the issue pending.
    const batch = [...docs.map((d) => issueTx(chain, d)), ...docs.map((d) => revokeTx(chain, d.certificateId))];
    let turns = 0;
    let done = false;
    const tick = (): void => {
      if (done) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    const results = await pool.admitMany(batch);
    done = true;
    assert.ok(turns >= 2, `other work ran between chunks (${turns} turns)`);
    for (const [i, r] of results.entries()) {
      assert.ok(!(r instanceof LedgerError), `item ${i}: ${r instanceof LedgerError ? r.code : ""}`);
      assert.equal(r.status, "accepted", `item ${i}`);
    }
    assert.equal(pool.size, 250);
  });

  it("a small batch is admitted in one go", async () => {
    const pool = new Mempool({ ...defaultMempoolOptions, admitChunkTxs: 100 }, { spec: chain.spec, state: new MemoryStore() });
    let turns = 0;
    setImmediate(() => turns++);
    await pool.admitMany(Array.from({ length: 100 }, () => issueTx(chain, licenceDocument(chain))));
    assert.equal(turns, 0, "no turn of the event loop for a single chunk");
  });

  it("when the node stops mid-batch, the rest of the batch is refused item by item", async () => {
    const pool = new Mempool({ ...defaultMempoolOptions, admitChunkTxs: 10 }, { spec: chain.spec, state: new MemoryStore() });
    setImmediate(() => pool.close());
    const results = await pool.admitMany(Array.from({ length: 30 }, () => issueTx(chain, licenceDocument(chain))));
    assert.equal(results.length, 30);
    for (const [i, r] of results.entries()) {
      if (i < 10) assert.equal((r as AdmitResult).status, "accepted", `item ${i}`);
      else assert.equal(r instanceof LedgerError && r.code, "NOT_READY", `item ${i}`);
    }
  });
});

describe("mempool: signature failures per submission", () => {
  it("counts the items refused for a bad signature", async () => {
    const pool = new Mempool(defaultMempoolOptions, { spec: chain.spec, state: new MemoryStore() });
    const forged = (): Transaction => ({ ...issueTx(chain, licenceDocument(chain)), signature: "00".repeat(64) });
    const results = await pool.admitMany([forged(), issueTx(chain, licenceDocument(chain)), forged(), { nope: true }]);
    assert.equal(badSignatureCount(results), 2);
  });
});

describe("mempool: createdAt freshness at admission (the node's clock)", () => {
  const MINUTE = 60_000;
  // Test transactions are created at T0.
  const cases: Array<[string, number, "accepted" | "TX_NOT_FRESH"]> = [
    ["created now", T0, "accepted"],
    ["created 10 minutes ago (the edge)", T0 + 10 * MINUTE, "accepted"],
    ["created 10 minutes and 1 ms ago", T0 + 10 * MINUTE + 1, "TX_NOT_FRESH"],
    ["created 10 minutes ahead of the clock (the edge)", T0 - 10 * MINUTE, "accepted"],
    ["created 11 minutes ahead of the clock", T0 - 11 * MINUTE, "TX_NOT_FRESH"],
  ];
  for (const [name, now, expected] of cases) {
    it(`${name} → ${expected}`, async () => {
      const pool = new Mempool(defaultMempoolOptions, { spec: chain.spec, state: new MemoryStore(), clock: new ManualClock(now) });
      const [r] = await pool.admitMany([issueTx(chain, licenceDocument(chain))]);
      assert.equal(r instanceof LedgerError ? r.code : r?.status, expected, name);
    });
  }

  it("a re-post of a pending or committed transaction stays known, however old", async () => {
    let now = T0;
    const clock = { now: () => now };
    const store = new MemoryStore();
    const pool = new Mempool(defaultMempoolOptions, { spec: chain.spec, state: store, clock: clock });
    const committed = issueTx(chain, licenceDocument(chain));
    const pending = issueTx(chain, licenceDocument(chain));
    await pool.admitMany([committed, pending]);
    await commitBlock(pool, store, [checkTransaction(chain.spec, committed)]);
    now += 24 * 60 * MINUTE;
    const out = await pool.admitMany([committed, pending, issueTx(chain, licenceDocument(chain))]);
    assert.deepEqual(
      out.map((r) => (r instanceof LedgerError ? r.code : r.status)),
      ["known", "known", "TX_NOT_FRESH"],
    );
  });

  it("gossip does not reject (penalise) a stale transaction: it depends on this node's clock", async () => {
    const pool = new Mempool(defaultMempoolOptions, { spec: chain.spec, state: new MemoryStore(), clock: new ManualClock(T0 + 60 * MINUTE) });
    const gossip = gossipInto(pool);
    assert.equal(await gossip.handleBatch(Buffer.from(JSON.stringify({ txs: [issueTx(chain, licenceDocument(chain))] }))), "accept");
    assert.equal(pool.size, 0, "not admitted");
  });
});

describe("mempool: since when transactions wait (readiness: is the node stalled?)", () => {
  it("from the first transaction into an empty pool until the pool empties again", async () => {
    let now = T0;
    const store = new MemoryStore();
    const pool = new Mempool(defaultMempoolOptions, { spec: chain.spec, state: store, clock: { now: () => now } });
    assert.equal(pool.pendingSince, null, "empty");
    const first = issueTx(chain, licenceDocument(chain));
    const second = issueTx(chain, licenceDocument(chain));
    await pool.admit(first);
    now += 5000;
    await pool.admit(second);
    assert.equal(pool.pendingSince, T0, "the first arrival, not the latest");
    await commitBlock(pool, store, [checkTransaction(chain.spec, first)]);
    assert.equal(pool.pendingSince, T0, "one still waits: the wait goes on (the later of it and the last commit is the readiness bound)");
    await commitBlock(pool, store, [checkTransaction(chain.spec, second)]);
    assert.equal(pool.pendingSince, null, "empty again");
    now += 1000;
    await pool.admit(issueTx(chain, licenceDocument(chain)));
    assert.equal(pool.pendingSince, T0 + 6000);
  });
});
