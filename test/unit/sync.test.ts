/**
 * Catch-up trusts nothing it is served: every fetched block must follow the head and carry a valid
 * commit certificate and valid transactions, or it is not applied.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { blockHash, buildBlock, commitSealBytes, genesisTip } from "../../node/chain/block.js";
import { Mempool, defaultMempoolOptions } from "../../node/ledger/mempool.js";
import { checkTransaction } from "../../node/chain/tx.js";
import type { CommittedBlock } from "../../node/chain/types.js";
import { ConsensusDriver, defaultDriverOptions } from "../../node/consensus/driver.js";
import { signBytes } from "../../node/crypto/keys.js";
import { MemoryStore } from "../../node/db/memory-store.js";
import { createLogger, setLogLevel } from "../../node/logger.js";
import { BlockSync, type SyncNetwork, defaultSyncOptions } from "../../node/sync/sync.js";
import { appliedReceipts, issueTx, licenceDocument, makeTestChain, T0 } from "../helpers/chain.js";
import { ManualClock, settle } from "../helpers/manual-clock.js";

const chain = makeTestChain(4);
const spec = chain.spec;

/**
 * Two committed blocks: height 1 and 2, each with a quorum of seals. `lieAt` names a height whose
 * header commits to receipts its execution does not produce (a quorum beyond f signed it).
 */
function honestChain(lieAt = 0): CommittedBlock[] {
  const out: CommittedBlock[] = [];
  let tip = genesisTip(spec);
  for (let h = 1; h <= 2; h++) {
    const txs = [checkTransaction(spec, issueTx(chain, licenceDocument(chain)))];
    const receipts = appliedReceipts(txs);
    if (h === lieAt) receipts[0] = { txHash: txs[0]?.hash as string, status: "rejected", code: "TX_CERT_EXISTS", message: "forged" };
    const block = buildBlock(spec, tip, spec.validatorSetAt(h).proposerIndex(h, 0), T0 + h * 1000, txs, receipts);
    const hash = blockHash(block.header);
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
): Promise<{ store: MemoryStore; sync: BlockSync; stop: () => Promise<void> }> {
  const store = new MemoryStore();
  const clock = new ManualClock(T0 + 10_000);
  const mempool = new Mempool(defaultMempoolOptions, { spec, state: store });
  const log = createLogger("test");
  const driver = new ConsensusDriver(defaultDriverOptions, { spec, store, mempool, clock, log, signer: null, publish: async () => undefined });
  await driver.start();
  const sync = new BlockSync(defaultSyncOptions, { spec, store, driver, cache: mempool, clock, log, network: { connectedPeers, request } });
  const stop = async (): Promise<void> => {
    await sync.stop();
    await driver.stop();
  };
  return { store, sync, stop };
}

const answer = (v: unknown): Uint8Array => Buffer.from(JSON.stringify(v));

async function syncFrom(served: CommittedBlock[]): Promise<number> {
  const f = await follower(async (_peer, name) => answer(name === "status" ? { height: served.length, hash: "x" } : { blocks: served }));
  f.sync.trigger();
  await settle(50);
  await f.stop();
  return f.store.head()?.height ?? 0;
}

describe("catch-up checks what peers serve", () => {
  before(() => setLogLevel("silent"));
  after(() => setLogLevel("info"));

  it("applies honestly committed blocks", async () => {
    assert.equal(await syncFrom(honestChain()), 2);
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
  for (const [name, forge, expected] of forged) {
    it(`stops at ${name}`, async () => {
      const served = honestChain();
      forge(served);
      assert.equal(await syncFrom(served), expected, name);
    });
  }

  it("stops at a sealed block whose resultsRoot is not what executing it yields", async () => {
    assert.equal(await syncFrom(honestChain(2)), 1);
  });

  it("gives up on a peer that claims a higher head but serves nothing new", async () => {
    const [first] = honestChain();
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
    const served = honestChain();
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
