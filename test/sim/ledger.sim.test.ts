/**
 * The real consensus driver, block validation, execution and sync of four validators, wired through
 * an in-memory network with a manual clock: deterministic, no sockets, no disk. Checks agreement
 * at every height, progress with a crashed validator, and catch-up after a restart.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { Mempool, defaultMempoolOptions } from "../../node/ledger/mempool.js";
import { ConsensusDriver, defaultDriverOptions } from "../../node/consensus/driver.js";
import { decodeMessage } from "../../node/chain/messages.js";
import { MemoryStore } from "../../node/db/memory-store.js";
import { createLogger, setLogLevel } from "../../node/logger.js";
import { BlockSync, defaultSyncOptions } from "../../node/sync/sync.js";
import { issueTx, licenceDocument, makeTestChain, revokeTx, T0, type TestChain } from "../helpers/chain.js";
import { ManualClock, settle } from "../helpers/manual-clock.js";

interface SimNode {
  index: number;
  store: MemoryStore;
  mempool: Mempool;
  driver: ConsensusDriver;
  sync: BlockSync;
  up: boolean;
}

class LedgerSim {
  readonly clock = new ManualClock(T0 + 1000);
  readonly nodes: SimNode[] = [];
  /** Messages for which this returns true are lost on the way (all receivers). */
  drop: (msg: ReturnType<typeof decodeMessage>) => boolean = () => false;

  constructor(readonly chain: TestChain) {
    for (let i = 0; i < chain.validatorKeys.length; i++) this.nodes.push(this.makeNode(i, new MemoryStore()));
  }

  makeNode(index: number, store: MemoryStore): SimNode {
    const { spec } = this.chain;
    const log = createLogger("sim", { node: index });
    const mempool = new Mempool(defaultMempoolOptions, { spec, state: store });
    const node = { index, store, mempool, up: true } as SimNode;
    node.driver = new ConsensusDriver(defaultDriverOptions, {
      spec,
      store,
      mempool,
      clock: this.clock,
      log,
      signer: { publicKey: this.chain.validatorKeys[index]?.publicKey as string, privateKey: this.chain.validatorKeys[index]?.privateKey as string },
      publish: async (data) => {
        if (this.drop(decodeMessage(spec, data))) return;
        for (const peer of this.nodes) {
          if (peer === node || !peer.up || !node.up) continue;
          // Every delivery passes the real edge checks.
          setImmediate(() => peer.up && peer.driver.receive(decodeMessage(spec, data)));
        }
      },
      onBehind: () => node.sync.trigger(),
    });
    node.sync = new BlockSync(defaultSyncOptions, {
      spec,
      store,
      driver: node.driver,
      cache: mempool,
      clock: this.clock,
      log,
      network: {
        connectedPeers: () => (node.up ? this.nodes.filter((p) => p !== node && p.up).map((p) => String(p.index)) : []),
        request: async (peer, name, body) => {
          const target = this.nodes[Number(peer)];
          if (target === undefined || !target.up) throw new Error("peer down");
          return target.sync.handleRequest(name, body);
        },
      },
    });
    return node;
  }

  async start(): Promise<void> {
    for (const n of this.nodes) {
      await n.driver.start();
      n.sync.start();
    }
  }

  /** Admit transactions on every live node, as transaction gossip would. */
  async submit(txs: unknown[]): Promise<void> {
    for (const n of this.nodes.filter((x) => x.up)) {
      for (const tx of txs) await n.mempool.admit(tx);
      n.driver.transactionsAvailable();
    }
  }

  async runUntil(done: () => boolean, maxSteps = 2000): Promise<void> {
    for (let step = 0; step < maxSteps; step++) {
      await settle();
      if (done()) return;
      this.clock.fireNext();
    }
    assert.fail(`condition not reached; heads: ${this.nodes.map((n) => n.store.head()?.height ?? 0).join(",")}`);
  }

  async crash(i: number): Promise<void> {
    const n = this.nodes[i] as SimNode;
    n.up = false;
    await n.sync.stop();
    await n.driver.stop();
  }

  /** Restart a crashed node on its own store (its signing state included). */
  async restart(i: number, wipe = false): Promise<void> {
    const old = this.nodes[i] as SimNode;
    const fresh = this.makeNode(i, wipe ? new MemoryStore() : old.store);
    this.nodes[i] = fresh;
    await fresh.driver.start();
    fresh.sync.start();
  }

  /** Agreement: every pair of nodes has the same block hash at every height both have. */
  async assertAgreement(): Promise<void> {
    const max = Math.max(...this.nodes.map((n) => n.store.head()?.height ?? 0));
    for (let h = 1; h <= max; h++) {
      const hashes = new Set<string>();
      for (const n of this.nodes) {
        const b = await n.store.getBlock(h);
        if (b !== null) hashes.add(b.hash);
      }
      assert.ok(hashes.size <= 1, `fork at height ${h}: ${[...hashes].join(" vs ")}`);
    }
  }

  heights(): number[] {
    return this.nodes.map((n) => n.store.head()?.height ?? 0);
  }
}

describe("ledger simulation: real driver, blocks and sync over an in-memory network", function () {
  this.timeout(60_000);
  before(() => setLogLevel("silent"));
  after(() => setLogLevel("info"));

  it("commits, survives a crashed validator, and a restarted one catches up to the same head", async () => {
    const chain = makeTestChain(4);
    const sim = new LedgerSim(chain);
    await sim.start();
    assert.deepEqual(sim.heights(), [0, 0, 0, 0], "an idle network makes no blocks");
    for (let i = 0; i < 5; i++) sim.clock.fireNext();
    await settle();
    assert.deepEqual(sim.heights(), [0, 0, 0, 0], "still no blocks without transactions");

    const docs = Array.from({ length: 30 }, () => licenceDocument(chain));
    await sim.submit(docs.map((d) => issueTx(chain, d)));
    await sim.runUntil(() => sim.nodes.every((n) => n.mempool.size === 0 && n.store.head() !== null));
    await sim.assertAgreement();
    for (const n of sim.nodes) {
      for (const d of docs) assert.ok(await n.store.getCertificate(d.certificateId), `node ${n.index} has ${d.certificateId}`);
    }

    // Crash validator 1 (the proposer of height 1+0 and others): the rest keep committing through round changes.
    await sim.crash(1);
    const before = sim.heights()[0] as number;
    for (let round = 0; round < 4; round++) {
      await sim.submit([revokeTx(chain, docs[round]?.certificateId as string)]);
      await sim.runUntil(() => sim.nodes.filter((n) => n.up).every((n) => n.mempool.size === 0));
    }
    const live = sim.nodes.filter((n) => n.up);
    const after = live[0]?.store.head()?.height ?? 0;
    assert.ok(after >= before + 4, `progress without validator 1: ${before} → ${after}`);
    let roundChanges = 0;
    for (let h = before + 1; h <= after; h++) if (((await live[0]?.store.getBlock(h))?.commit.round ?? 0) > 0) roundChanges++;
    assert.ok(roundChanges >= 1, "heights whose proposer was down were decided after a round change");
    await sim.assertAgreement();

    // Restart it on its store: it syncs the blocks it missed, checking every commit certificate.
    await sim.restart(1);
    const target = live[0]?.store.head();
    await sim.runUntil(() => sim.nodes[1]?.store.head()?.hash === target?.hash);
    await sim.assertAgreement();
    const rec = await sim.nodes[1]?.store.getCertificate(docs[0]?.certificateId as string);
    assert.equal(rec?.revoked, true, "the restarted node sees the revocation");

    // And it takes part again: a new transaction commits on all four.
    await sim.submit([revokeTx(chain, docs[10]?.certificateId as string)]);
    await sim.runUntil(() => new Set(sim.nodes.map((n) => n.store.head()?.hash)).size === 1 && sim.nodes.every((n) => n.mempool.size === 0));
    await sim.assertAgreement();
  });

  it("a block re-proposed after a round change keeps its first proposer, and a wiped node can still sync it", async () => {
    const chain = makeTestChain(4);
    const sim = new LedgerSim(chain);
    // Every round-0 commit of height 1 is lost: validators prepare the block but cannot decide it in
    // round 0, so round 1's proposer must re-propose the prepared block unchanged.
    sim.drop = (m) => m.kind === "commit" && m.height === 1 && m.round === 0;
    await sim.start();
    await sim.submit([issueTx(chain, licenceDocument(chain))]);
    await sim.runUntil(() => sim.nodes.every((n) => n.store.head() !== null));
    const first = await sim.nodes[0]?.store.getBlock(1);
    assert.ok((first?.commit.round ?? 0) >= 1, "decided after a round change");
    assert.equal(first?.block.header.proposer, chain.spec.validatorSetAt(1).proposerIndex(1, 0), "the header still names the round-0 proposer");
    await sim.assertAgreement();
    await sim.crash(3);
    await sim.restart(3, true);
    await sim.runUntil(() => sim.nodes[3]?.store.head()?.hash === first?.hash);
  });
});
