/** Inbound transaction gossip: the verdict a batch gets decides whether its relaying peer is scored down. */
import assert from "node:assert/strict";
import { Mempool, defaultMempoolOptions } from "../../node/ledger/mempool.js";
import { TxGossip, defaultTxGossipOptions } from "../../node/ledger/tx-gossip.js";
import type { GossipVerdict } from "../../node/errors.js";
import { MemoryStore } from "../../node/db/memory-store.js";
import { createLogger } from "../../node/logger.js";
import { issueTx, licenceDocument, makeTestChain } from "../helpers/chain.js";
import { ManualClock } from "../helpers/manual-clock.js";

const chain = makeTestChain();
const encode = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value));

function gossipOver(mempool: Mempool): TxGossip {
  return new TxGossip(defaultTxGossipOptions, {
    mempool,
    clock: new ManualClock(0),
    log: createLogger("test"),
    publish: async () => undefined,
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
