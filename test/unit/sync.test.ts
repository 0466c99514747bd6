/**
 * Catch-up trusts nothing it is served: every fetched block must follow the head and carry a valid
 * commit certificate and valid transactions, or it is not applied.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { blockHash, buildBlock, commitSealBytes, genesisTip } from "../../node/chain/block.js";
import { Mempool, defaultMempoolOptions, statelessCheck } from "../../node/ledger/mempool.js";
import { LedgerError } from "../../node/errors.js";
import { checkTransaction, txHash } from "../../node/chain/tx.js";
import { executeBlock } from "../../node/chain/state.js";
import type { CommittedBlock, Transaction } from "../../node/chain/types.js";
import { ConsensusDriver, defaultDriverOptions } from "../../node/consensus/driver.js";
import { signBytes } from "../../node/crypto/keys.js";
import { MemoryStore } from "../../node/db/memory-store.js";
import { createLogger, setLogLevel } from "../../node/logger.js";
import { BlockSync, type SyncNetwork, defaultSyncOptions } from "../../node/sync/sync.js";
import { type SyncVerifier, SyncVerifyPool } from "../../node/sync/verify-pool.js";
import { issueTx, licenceDocument, makeTestChain, T0 } from "../helpers/chain.js";
import { ManualClock, settle } from "../helpers/manual-clock.js";

const chain = makeTestChain(4);
const spec = chain.spec;

/**
 * Two committed blocks: height 1 and 2, each with a quorum of seals. `lieAt` names a height whose
 * header commits to receipts its execution does not produce (a quorum beyond f signed it).
 */
async function honestChain(lieAt = 0): Promise<CommittedBlock[]> {
  const out: CommittedBlock[] = [];
  let tip = genesisTip(spec);
  const state = new MemoryStore();
  for (let h = 1; h <= 2; h++) {
    const txs = [checkTransaction(spec, issueTx(chain, licenceDocument(chain)))];
    const effects = await executeBlock(spec, state, h, T0 + h * 1000, txs);
    const receipts = [...effects.receipts];
    if (h === lieAt) receipts[0] = { txHash: txs[0]?.hash as string, status: "rejected", code: "TX_CERT_EXISTS", message: "forged" };
    const block = buildBlock(spec, tip, spec.validatorSetAt(h).proposerIndex(h, 0), T0 + h * 1000, txs, { receipts, stateRoot: effects.stateRoot });
    const hash = blockHash(block.header);
    await state.commitBlock({ block, commit: { height: h, round: 0, blockHash: hash, seals: [] }, hash, receipts }, effects);
    const seals = [0, 1, 2].map((v) => ({
      validator: v,
      signature: signBytes(chain.validatorKeys[v]?.privateKey as string, commitSealBytes(spec.chainId, h, 0, hash)),
    }));
    out.push({ block, commit: { height: h, round: 0, blockHash: hash, seals } });
    tip = { height: h, hash, time: block.header.time };
  }
  return out;
}

/** A follower's driver and sync, fetching from one peer whose answers `request` makes up. */
async function follower(
  request: SyncNetwork["request"],
  connectedPeers: () => string[] = () => ["peer"],
  verifier?: SyncVerifier,
): Promise<{ store: MemoryStore; sync: BlockSync; clock: ManualClock; stop: () => Promise<void> }> {
  const store = new MemoryStore();
  const clock = new ManualClock(T0 + 10_000);
  const mempool = new Mempool(defaultMempoolOptions, { spec, state: store });
  const log = createLogger("test");
  const driver = new ConsensusDriver(defaultDriverOptions, { spec, store, mempool, clock, log, signer: null, publish: async () => undefined });
  await driver.start();
  const sync = new BlockSync(defaultSyncOptions, {
    spec,
    store,
    driver,
    cache: mempool,
    clock,
    log,
    network: { connectedPeers, request },
    ...(verifier === undefined ? {} : { verifier }),
  });
  const stop = async (): Promise<void> => {
    await sync.stop();
    await driver.stop();
  };
  return { store, sync, clock, stop };
}

const answer = (v: unknown): Uint8Array => Buffer.from(JSON.stringify(v));

/** Until the catch-up round has ended (worker answers arrive in real time, not in settle's turns). */
async function settleRound(sync: BlockSync): Promise<void> {
  await settle(20);
  for (let i = 0; i < 500 && sync.syncing; i++) await new Promise((r) => setTimeout(r, 10));
  await settle(50);
}

/** One pool of verify workers for the tests that use them (starting workers is the slow part). */
let sharedPool: SyncVerifyPool | null = null;
function sharedVerifier(): SyncVerifier {
  sharedPool ??= new SyncVerifyPool(2, { spec, log: createLogger("test") });
  return sharedPool;
}

async function syncFrom(served: CommittedBlock[], workers = 0): Promise<number> {
  const verifier = workers > 0 ? sharedVerifier() : undefined;
  const f = await follower(async (_peer, name) => answer(name === "status" ? { height: served.length, hash: "x" } : { blocks: served }), undefined, verifier);
  f.sync.trigger();
  await settleRound(f.sync);
  await f.stop();
  return f.store.head()?.height ?? 0;
}

describe("catch-up checks what peers serve", () => {
  before(() => setLogLevel("silent"));
  after(async () => {
    setLogLevel("info");
    await sharedPool?.close();
  });

  it("applies honestly committed blocks", async () => {
    assert.equal(await syncFrom(await honestChain()), 2);
  });

  const forged: Array<[string, (c: CommittedBlock[]) => void, number]> = [
    ["a certificate one seal short of a quorum", (c) => c[0]?.commit.seals.pop(), 0],
    [
      "a seal signed by the wrong key",
      (c) => {
        const s = c[1]?.commit.seals[0] as { signature: string };
        s.signature = signBytes(chain.validatorKeys[3]?.privateKey as string, Buffer.from("other"));
      },
      1,
    ],
    [
      "a transaction altered after commit",
      (c) => {
        const tx = (c[1] as CommittedBlock).block.txs[0] as { body: { payload: { publicFields: Record<string, unknown> } } };
        tx.body.payload.publicFields.enterpriseName = "Forged Co.";
      },
      1,
    ],
    ["a block that does not follow the head", (c) => c.shift(), 0],
    [
      "a certificate for another block",
      (c) => {
        (c[0] as CommittedBlock).commit.blockHash = (c[1] as CommittedBlock).commit.blockHash;
      },
      0,
    ],
  ];
  for (const workers of [0, 2]) {
    const where = workers === 0 ? "on the main thread" : `with ${workers} verify workers`;
    for (const [name, forge, expected] of forged) {
      it(`stops at ${name} (${where})`, async () => {
        const served = await honestChain();
        forge(served);
        assert.equal(await syncFrom(served, workers), expected, name);
      });
    }

    it(`stops at a sealed block whose resultsRoot is not what executing it yields (${where})`, async () => {
      assert.equal(await syncFrom(await honestChain(2), workers), 1);
    });
  }

  it("applies honestly committed blocks checked by verify workers", async () => {
    assert.equal(await syncFrom(await honestChain(), 2), 2);
  });

  it("asks the next peer when one does not answer status within statusTimeoutMs", async () => {
    const served = await honestChain();
    const asked: string[] = [];
    const f = await follower(
      (peer, name) => {
        asked.push(`${peer}:${name}`);
        // A paused peer: its request would only fail after the network's whole request timeout.
        if (peer === "paused") return new Promise<Uint8Array>(() => undefined);
        return Promise.resolve(answer(name === "status" ? { height: served.length, hash: "x" } : { blocks: served }));
      },
      () => ["paused", "good"],
    );
    f.sync.trigger();
    await settle(50);
    assert.equal(f.store.head()?.height ?? 0, 0, "the round waits for the paused peer's status, but not longer than statusTimeoutMs");
    assert.ok(f.clock.fireNext(), "the status timeout is pending");
    await settle(50);
    assert.equal(f.store.head()?.height, 2, "synced from the peer that answered");
    assert.deepEqual(asked.slice(0, 2).sort(), ["good:status", "paused:status"], "both asked at once");
    await f.stop();
  });

  it("gives up on a peer that claims a higher head but serves nothing new", async () => {
    const [first] = await honestChain();
    let requests = 0;
    const f = await follower(async (_peer, name) => {
      requests++;
      await new Promise((r) => setImmediate(r));
      return answer(name === "status" ? { height: 1_000_000, hash: "x" } : { blocks: [first] });
    });
    f.sync.trigger();
    await settle(100);
    assert.equal(f.store.head()?.height, 1, "the one real block is applied");
    assert.equal(f.sync.syncing, false, "the round ends instead of looping");
    assert.ok(requests <= 4, `requests to the stalling peer: ${requests}`);
    assert.equal(f.sync.peersHead(["peer"]), null, "a head the peer does not serve is not believed (readiness)");
    await f.stop();
  });

  it("knows the head each connected peer reported, and forgets it when the peer goes away (readiness)", async () => {
    const served = await honestChain();
    let peers = ["peer"];
    const f = await follower(
      async (_peer, name) => answer(name === "status" ? { height: served.length, hash: "x" } : { blocks: served }),
      () => peers,
    );
    assert.equal(f.sync.peersHead(["peer"]), null, "nothing reported yet");
    f.sync.trigger();
    await settle(50);
    assert.equal(f.store.head()?.height, 2);
    assert.equal(f.sync.peersHead(["peer"]), 2, "the peer's head");
    assert.equal(f.sync.peersHead(["other"]), null, "only connected peers count");
    peers = [];
    f.sync.trigger();
    await settle(50);
    assert.equal(f.sync.peersHead(["peer"]), null, "forgotten once disconnected: after a reconnection it must report again");
    await f.stop();
  });
});

describe("sync verify pool", () => {
  before(() => setLogLevel("silent"));
  after(() => setLogLevel("info"));

  it("reports the transactions and certificates that pass, and nothing that fails", async () => {
    const served = await honestChain();
    const forgedTx = (served[1] as CommittedBlock).block.txs[0] as { body: { payload: { publicFields: Record<string, unknown> } } };
    forgedTx.body.payload.publicFields.enterpriseName = "Forged Co.";
    (served[0] as CommittedBlock).commit.seals.pop();
    const bytes = answer({ blocks: served });
    const pool = new SyncVerifyPool(2, { spec, log: createLogger("test") });
    try {
      const pre = await pool.precheck(bytes, JSON.parse(Buffer.from(bytes).toString("utf8")).blocks);
      const honestTx = checkTransaction(spec, (served[0] as CommittedBlock).block.txs[0]);
      assert.equal(pre.txs.get(honestTx.hash)?.hash, honestTx.hash, "an honest transaction is cached");
      assert.throws(() => checkTransaction(spec, forgedTx), "the altered transaction fails");
      assert.equal(pre.txs.get(txHash(forgedTx as unknown as Transaction)), undefined, "the altered transaction is not cached");
      assert.equal(pre.sealsVerified(0), false, "a certificate one seal short is not verified");
      assert.equal(pre.sealsVerified(1), true, "an honest certificate is verified");
    } finally {
      await pool.close();
    }
  });

  it("checks admission batches in a worker with checkTransaction's exact verdicts", async () => {
    const good = issueTx(chain, licenceDocument(chain));
    const forged = structuredClone(good) as { signature: string };
    forged.signature = `${forged.signature.slice(0, -2)}${forged.signature.endsWith("00") ? "11" : "00"}`;
    const otherChain = structuredClone(good) as { body: { chainId: string } };
    otherChain.body.chainId = "other-0000000000000000";
    const values: unknown[] = [good, forged, otherChain, { body: null }, "junk"];
    const pool = new SyncVerifyPool(1, { spec, log: createLogger("test") });
    try {
      const results = await pool.checkMany(values);
      for (const [i, value] of values.entries()) {
        const here = statelessCheck(spec, value);
        const there = results[i];
        if (here instanceof LedgerError) {
          assert.ok(there instanceof LedgerError, `value ${i}: refused in the worker too`);
          assert.deepEqual([there.code, there.message, there.details], [here.code, here.message, here.details], `value ${i}: same refusal`);
        } else {
          assert.ok(!(there instanceof LedgerError), `value ${i}: accepted in the worker too`);
          assert.deepEqual([there?.hash, there?.bytes], [here.hash, here.bytes], `value ${i}: same hash and size`);
          assert.equal(there?.tx, value, `value ${i}: the caller's own object`);
        }
      }
      assert.equal(results.filter((r) => !(r instanceof LedgerError)).length, 1, "only the good transaction passes");
    } finally {
      await pool.close();
    }
  });

  it("a pool of 0 workers answers an empty precheck", async () => {
    const bytes = answer({ blocks: await honestChain() });
    const pool = new SyncVerifyPool(0, { spec, log: createLogger("test") });
    const pre = await pool.precheck(bytes, JSON.parse(Buffer.from(bytes).toString("utf8")).blocks);
    assert.equal(pre.sealsVerified(0), false);
    await pool.close();
  });
});
