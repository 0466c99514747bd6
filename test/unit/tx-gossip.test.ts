/** Inbound transaction gossip: the verdict a batch gets decides whether its relaying peer is scored down. */
import assert from "node:assert/strict";
import { Mempool, defaultMempoolOptions } from "../../node/ledger/mempool.js";
import { RESEND_CHECK_MS, RESEND_MAX_GAP_MS, TxGossip, defaultTxGossipOptions } from "../../node/ledger/tx-gossip.js";
import type { GossipVerdict } from "../../node/errors.js";
import { MemoryStore } from "../../node/db/memory-store.js";
import { createLogger } from "../../node/logger.js";
import { issueTx, licenceDocument, makeTestChain } from "../helpers/chain.js";
import { ManualClock, settle } from "../helpers/manual-clock.js";

const chain = makeTestChain();
const encode = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value));

function gossipOver(mempool: Mempool): TxGossip {
  return new TxGossip(defaultTxGossipOptions, {
    mempool,
    clock: new ManualClock(0),
    log: createLogger("test"),
    publish: async () => [],
    onAdmitted: () => undefined,
  });
}

describe("tx gossip: inbound batch verdicts", () => {
  const cases: Array<[string, (pool: Mempool) => Promise<Uint8Array>, GossipVerdict]> = [
    ["a batch of valid transactions", async () => encode({ txs: [issueTx(chain, licenceDocument(chain))] }), "accept"],
    ["a forged signature", async () => encode({ txs: [{ ...issueTx(chain, licenceDocument(chain)), signature: "00".repeat(64) }] }), "reject"],
    ["not JSON", async () => Buffer.from("{nope"), "reject"],
    [
      "a node that cannot admit now (NOT_READY): not the peer's fault",
      async (pool) => {
        pool.close();
        return encode({ txs: [issueTx(chain, licenceDocument(chain))] });
      },
      "ignore",
    ],
  ];
  for (const [name, batch, verdict] of cases) {
    it(`${name} → ${verdict}`, async () => {
      const pool = new Mempool(defaultMempoolOptions, { spec: chain.spec, state: new MemoryStore() });
      assert.equal(await gossipOver(pool).handleBatch(await batch(pool)), verdict, name);
    });
  }
});

/**
 * Outbound: gossipsub sends a message only to peers whose subscription it holds, over a stream already
 * open, and keeps nothing for later ones, so a batch published while connections are being made reached
 * some peers or none (the fault-proxy e2e test found it: such transactions waited for their node's turn to
 * propose, round changes later). What did not reach every configured peer is sent again when a peer it
 * missed is subscribed.
 */
describe("tx gossip: sent again until every configured peer has it", () => {
  const PEERS = ["a", "b", "c"];

  /** A fake network: who is subscribed, who a publish reaches, and every send. */
  function setup(opts: { subscribed: string[]; writable?: string[] }) {
    const clock = new ManualClock(0);
    const pool = new Mempool(defaultMempoolOptions, { spec: chain.spec, state: new MemoryStore() });
    const net = {
      subscribed: opts.subscribed,
      writable: opts.writable ?? PEERS,
      sends: [] as Array<{ at: number; txs: number; resend: unknown; to: string[] }>,
    };
    const gossip = new TxGossip(defaultTxGossipOptions, {
      mempool: pool,
      clock,
      log: createLogger("test"),
      publish: async (data) => {
        const batch = JSON.parse(Buffer.from(data).toString("utf8")) as { txs: unknown[]; resend?: number };
        const to = net.writable.filter((p) => net.subscribed.includes(p));
        net.sends.push({ at: clock.now(), txs: batch.txs.length, resend: batch.resend, to });
        return to;
      },
      onAdmitted: () => undefined,
      peers: { configured: () => PEERS.length, subscribed: () => net.subscribed },
    });
    /** Admit and announce `n` transactions as the RPC does, and let the flush timer fire. */
    const post = async (n: number) => {
      const checked = [];
      for (let i = 0; i < n; i++) {
        const { checked: c } = await pool.admit(issueTx(chain, licenceDocument(chain)));
        gossip.announce(c);
        checked.push(c);
      }
      clock.fireNext();
      await settle();
      return checked;
    };
    /** Run the clock for about `ms`, letting publishes settle after each timer (the resend checks are RESEND_CHECK_MS apart). */
    const runFor = async (ms: number) => {
      const until = clock.now() + ms;
      await settle();
      while (clock.pending > 0 && clock.now() + RESEND_CHECK_MS <= until) {
        clock.fireNext();
        await settle();
      }
    };
    return { clock, pool, net, gossip, post, runFor };
  }

  it("a batch that reached every peer is not sent again", async () => {
    const t = setup({ subscribed: [...PEERS] });
    await t.post(2);
    await t.runFor(10_000);
    assert.deepEqual(
      t.net.sends.map((s) => s.to.length),
      [3],
    );
    assert.equal(t.gossip.owedCount, 0);
    assert.equal(t.clock.pending, 0, "no timer left running");
  });

  it("published to nobody (connections being made): sent again once the peers subscribe, as a new message", async () => {
    const t = setup({ subscribed: [] });
    await t.post(3);
    assert.equal(t.gossip.owedCount, 3);
    await t.runFor(2_000);
    assert.equal(t.net.sends.length, 1, "no peer yet: nothing sent again");
    t.net.subscribed = ["a", "b"];
    await t.runFor(RESEND_CHECK_MS);
    assert.deepEqual(t.net.sends.at(-1), { at: t.clock.now(), txs: 3, resend: 1, to: ["a", "b"] });
    t.net.subscribed = [...PEERS];
    await t.runFor(RESEND_MAX_GAP_MS);
    assert.deepEqual(t.net.sends.at(-1)?.to, PEERS);
    assert.equal(t.net.sends.at(-1)?.resend, 2, "each send again is a new gossip message (ids are content hashes)");
    assert.equal(t.gossip.owedCount, 0);
    assert.equal(t.clock.pending, 0);
  });

  it("a peer swapped for another (same count) still gets them", async () => {
    const t = setup({ subscribed: ["a", "b"] });
    await t.post(1);
    t.net.subscribed = ["a", "c"];
    await t.runFor(RESEND_CHECK_MS);
    assert.deepEqual(
      t.net.sends.map((s) => s.to),
      [
        ["a", "b"],
        ["a", "c"],
      ],
    );
    assert.equal(t.gossip.owedCount, 1, "b's connection is down now: still owed to all");
  });

  it("subscribed but not writable: sent again with doubling gaps, at most RESEND_MAX_GAP_MS apart", async () => {
    const t = setup({ subscribed: [...PEERS], writable: ["a", "b"] });
    await t.post(1);
    await t.runFor(20_000);
    const gaps = t.net.sends.slice(1).map((s, i) => s.at - (t.net.sends[i]?.at ?? 0));
    assert.ok(gaps.length >= 5, `${gaps.length} sends again in 20 s`);
    for (let i = 1; i < gaps.length; i++)
      assert.ok((gaps[i] as number) >= Math.min(2 * (gaps[i - 1] as number), RESEND_MAX_GAP_MS) - RESEND_CHECK_MS, `gaps ${gaps}`);
    assert.ok(Math.max(...gaps) <= RESEND_MAX_GAP_MS + RESEND_CHECK_MS, `gaps ${gaps}`);
  });

  it("a transaction that left the mempool (committed) is owed no more, and the checks stop", async () => {
    const t = setup({ subscribed: [] });
    const txs = await t.post(2);
    t.pool.beginCommit();
    await t.pool.onBlockCommitted(txs);
    await t.runFor(RESEND_CHECK_MS);
    assert.equal(t.gossip.owedCount, 0);
    assert.equal(t.clock.pending, 0);
    t.net.subscribed = [...PEERS];
    await t.runFor(1_000);
    assert.equal(t.net.sends.length, 1, "nothing sent again");
  });

  it("stop() ends the checks", async () => {
    const t = setup({ subscribed: [] });
    await t.post(1);
    t.gossip.stop();
    assert.equal(t.clock.pending, 0);
  });
});
