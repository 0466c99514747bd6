/**
 * The gossip edge for consensus messages (node/consensus/gossip-validator.ts): a proposal from the
 * real proposer whose block is invalid is REJECTed there — so the network neither forwards it nor
 * hands it on — and never reaches the core; a valid one is checked once, at the edge, and the driver
 * reuses that check.
 */
import "../../node/polyfill.js";
import { executeBlock } from "../../node/chain/state.js";
import assert from "node:assert/strict";
import { blockHash, buildBlock, genesisTip } from "../../node/chain/block.js";
import { Mempool, defaultMempoolOptions } from "../../node/ledger/mempool.js";
import { checkTransaction } from "../../node/chain/tx.js";
import type { Block } from "../../node/chain/types.js";
import { ConsensusDriver, defaultDriverOptions } from "../../node/consensus/driver.js";
import { ConsensusGossipValidator } from "../../node/consensus/gossip-validator.js";
import { decodeMessage, encodeMessage, signMessage } from "../../node/chain/messages.js";
import { MemoryStore } from "../../node/db/memory-store.js";
import { createLogger, setLogLevel } from "../../node/logger.js";
import { claimedResults, issueTx, licenceDocument, makeTestChain, T0 } from "../helpers/chain.js";
import { ManualClock, settle } from "../helpers/manual-clock.js";
import { generateKeyPair } from "../../node/keys/key-file.js";

const chain = makeTestChain(4);
const { spec } = chain;
const SELF = 0;
const PROPOSER = spec.validatorSetAt(1).proposerIndex(1, 0);

/** A validator's driver behind its gossip edge, counting signature-cache lookups (one per transaction checked). */
async function edgeNode(): Promise<{
  edge: ConsensusGossipValidator;
  driver: ConsensusDriver;
  sent: string[];
  lookups: () => number;
  stop: () => Promise<void>;
}> {
  const store = new MemoryStore();
  const mempool = new Mempool(defaultMempoolOptions, { spec, state: store });
  let lookups = 0;
  const get = mempool.get.bind(mempool);
  mempool.get = (hash) => {
    lookups++;
    return get(hash);
  };
  const sent: string[] = [];
  const log = createLogger("test");
  const driver = new ConsensusDriver(defaultDriverOptions, {
    spec,
    store,
    mempool,
    clock: new ManualClock(T0 + 1000),
    log,
    signer: { publicKey: chain.validatorKeys[SELF]?.publicKey as string, privateKey: chain.validatorKeys[SELF]?.privateKey as string },
    publish: async (data) => {
      const m = decodeMessage(spec, data);
      sent.push(`${m.kind}:${m.round}`);
    },
  });
  await driver.start();
  const edge = new ConsensusGossipValidator({ spec, driver, log });
  return { edge, driver, sent, lookups: () => lookups, stop: () => driver.stop() };
}

/** A block of one fresh issue on genesis, proposed by the round's proposer; `tamper` edits it before signing. */
async function proposal(tamper: (block: Block) => Block = (b) => b): Promise<Uint8Array> {
  const txs = [checkTransaction(spec, issueTx(chain, licenceDocument(chain)))];
  const results = await executeBlock(spec, new MemoryStore(), 1, T0 + 500, txs);
  const block = tamper(buildBlock(spec, genesisTip(spec), PROPOSER, T0 + 500, txs, results));
  const key = chain.validatorKeys[PROPOSER]?.privateKey as string;
  return encodeMessage(signMessage(spec, key, PROPOSER, { kind: "proposal", height: 1, round: 0, blockHash: blockHash(block.header), block }));
}

describe("consensus gossip edge: carried blocks", () => {
  before(() => setLogLevel("silent"));
  after(() => setLogLevel("info"));

  const invalid: Array<[string, (b: Block) => Block]> = [
    [
      "a transaction whose issuer signature does not verify (the block hash does not cover it)",
      (b) => ({ ...b, txs: b.txs.map((tx) => ({ ...tx, signature: `${tx.signature.slice(0, -2)}${tx.signature.endsWith("00") ? "11" : "00"}` })) }),
    ],
    ["a txRoot that is not the transactions' Merkle root", (b) => ({ ...b, header: { ...b.header, txRoot: "ab".repeat(32) } })],
    ["a resultsRoot that executing it does not yield", (b) => ({ ...b, header: { ...b.header, resultsRoot: "cd".repeat(32) } })],
    ["a stateRoot that executing it does not yield", (b) => ({ ...b, header: { ...b.header, stateRoot: "ef".repeat(32) } })],
  ];
  for (const [name, tamper] of invalid) {
    it(`rejects a proposal from the real proposer carrying ${name}, and the core never sees it`, async () => {
      const node = await edgeNode();
      const data = await proposal(tamper);
      assert.doesNotThrow(() => decodeMessage(spec, data), "the message itself is well formed and signed by the proposer");
      assert.equal(await node.edge.validate(data), "reject", "REJECT: the network neither forwards it nor keeps the sender's score");
      await settle();
      assert.equal(node.driver.backlog, 0);
      assert.deepEqual(node.sent, [], "no PREPARE: the proposal never reached the core");
      assert.equal(node.driver.position().active, false, "nor woke it");
      await node.stop();
    });
  }

  it("accepts a valid proposal, checks its block once at the edge, and the driver reuses that check", async () => {
    const node = await edgeNode();
    assert.equal(await node.edge.validate(await proposal()), "accept");
    const atEdge = node.lookups();
    assert.equal(atEdge, 1, "its one transaction was checked at the edge");
    await settle();
    assert.deepEqual(node.sent, ["prepare:0"], "the core took the proposal and prepared");
    assert.equal(node.lookups(), atEdge, "the driver did not check the block again");
    await node.stop();
  });

  it("checks one block per sender and round at a time: a second block of the same proposer and round, sent meanwhile, goes to the driver unchecked and is not forwarded", async () => {
    const node = await edgeNode();
    const [a, b] = [await proposal(), await proposal()];
    const first = node.edge.validate(a);
    const second = node.edge.validate(b);
    assert.equal(await second, "ignore", "the second was not checked at the edge while the first was, and is not forwarded");
    assert.equal(await first, "accept");
    await settle();
    assert.equal(node.lookups(), 2, "each block checked once: the first at the edge, the second in turn by the driver");
    assert.deepEqual(node.sent, ["prepare:0"], "the core prepared one of the two proposals of the round, once");
    await node.stop();
  });

  it("ignores a replay of a decided height and rejects a proposal signed by a validator that is not the proposer", async () => {
    const node = await edgeNode();
    const other = (PROPOSER + 1) % spec.validators.length;
    const txs = [checkTransaction(spec, issueTx(chain, licenceDocument(chain)))];
    const block = buildBlock(spec, genesisTip(spec), other, T0 + 500, txs, claimedResults(txs));
    const key = chain.validatorKeys[other]?.privateKey as string;
    const wrong = encodeMessage(signMessage(spec, key, other, { kind: "proposal", height: 1, round: 0, blockHash: blockHash(block.header), block }));
    assert.equal(await node.edge.validate(wrong), "reject");
    const stale = encodeMessage(signMessage(spec, key, other, { kind: "prepare", height: 0, round: 0, blockHash: "ef".repeat(32) }));
    assert.equal(await node.edge.validate(stale), "ignore");
    assert.equal(await node.edge.validate(new TextEncoder().encode("{not json")), "reject");
    await settle();
    assert.deepEqual(node.sent, []);
    await node.stop();
  });

  it("a vote that does not check: rejected up to head + 2, ignored beyond (the set of that height may have changed by governance)", async () => {
    const node = await edgeNode();
    const outsider = generateKeyPair();
    // Signed as validator 1 by a key that is not validator 1's in the sets this node knows.
    const forged = (height: number): Uint8Array =>
      encodeMessage(signMessage(spec, outsider.privateKey, 1, { kind: "prepare", height, round: 0, blockHash: "ef".repeat(32) }));
    const table: Array<[number, string]> = [
      [1, "reject"],
      [2, "reject"],
      [3, "ignore"],
      [40, "ignore"],
    ];
    for (const [height, verdict] of table) assert.equal(await node.edge.validate(forged(height)), verdict, `height ${height} with head 0`);
    await node.stop();
  });
});
