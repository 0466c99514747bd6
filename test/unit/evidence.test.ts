/**
 * Equivocation evidence: built from the core's two conflicting messages, checkable by anyone with
 * genesis, kept by the driver in the store (LevelDB and memory alike), and refused when forged.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { UnsignedMessage } from "../../consensus/types.js";
import { Mempool, defaultMempoolOptions } from "../../node/ledger/mempool.js";
import type { Block } from "../../node/chain/types.js";
import { ConsensusDriver, defaultDriverOptions } from "../../node/consensus/driver.js";
import { type Evidence, checkEvidence, evidenceOf } from "../../node/chain/evidence.js";
import { type BlockMessage, signMessage } from "../../node/chain/messages.js";
import { LevelStore } from "../../node/db/level-store.js";
import { MemoryStore } from "../../node/db/memory-store.js";
import type { ChainStore } from "../../node/ledger/store.js";
import { createLogger, setLogLevel } from "../../node/logger.js";
import { T0, makeTestChain } from "../helpers/chain.js";
import { ManualClock, settle } from "../helpers/manual-clock.js";

const chain = makeTestChain();
const other = makeTestChain(4, "another-chain");
const sign = (i: number, m: UnsignedMessage<Block>): BlockMessage => signMessage(chain.spec, chain.validatorKeys[i]?.privateKey as string, i, m);
const A = "aa".repeat(32);
const B = "bb".repeat(32);
const vote = (kind: "prepare" | "commit", i: number, hash: string, height = 1, round = 0): BlockMessage => sign(i, { kind, height, round, blockHash: hash });

describe("equivocation evidence", () => {
  const cases: Array<[string, () => [BlockMessage, BlockMessage]]> = [
    ["two prepares", () => [vote("prepare", 2, A), vote("prepare", 2, B)]],
    ["two commits", () => [vote("commit", 1, A), vote("commit", 1, B)]],
    [
      "two round changes",
      () => [
        sign(3, { kind: "round-change", height: 1, round: 2, prepared: null }),
        sign(3, { kind: "round-change", height: 1, round: 2, prepared: { round: 1, blockHash: A } }),
      ],
    ],
  ];
  for (const [name, make] of cases) {
    it(`${name}: checks against genesis`, () => {
      const ev = evidenceOf(make(), T0);
      checkEvidence(chain.spec, ev);
      assert.equal(ev.votes.length, 2);
      assert.ok(!("block" in ev.votes[0]), "no block bodies in evidence");
    });
  }

  const forged: Array<[string, (e: Evidence) => Evidence, RegExp]> = [
    ["a changed vote", (e) => ({ ...e, votes: [e.votes[0], { ...e.votes[1], blockHash: "cc".repeat(32) }] }), /does not verify/],
    ["the same vote twice", (e) => ({ ...e, votes: [e.votes[0], e.votes[0]] }), /same thing/],
    [
      "blamed on another validator",
      (e) => ({
        ...e,
        validator: 0,
        votes: [
          { ...e.votes[0], validator: 0 },
          { ...e.votes[1], validator: 0 },
        ],
      }),
      /does not verify/,
    ],
    ["votes of two rounds", (e) => ({ ...e, votes: [e.votes[0], { ...e.votes[1], round: 1 }] }), /one validator, height, round and kind/],
    ["a validator outside the set of its height", (e) => ({ ...e, validator: 9 }), /not in the validator set of height 1/],
  ];
  for (const [name, forge, why] of forged) {
    it(`refuses ${name}`, () => {
      const ev = forge(evidenceOf([vote("prepare", 2, A), vote("prepare", 2, B)], T0));
      assert.throws(
        () => checkEvidence(chain.spec, ev),
        (err: Error & { code?: string }) => err.code === "EVIDENCE_INVALID" && why.test(err.message),
      );
    });
  }

  it("refuses evidence from another chain", () => {
    const ev = evidenceOf([vote("prepare", 2, A), vote("prepare", 2, B)], T0);
    assert.throws(() => checkEvidence(other.spec, ev), /does not verify/);
  });
});

describe("equivocation evidence in the store", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "certchain-evidence-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const [name, open] of [
    ["memory", async () => new MemoryStore()],
    ["LevelDB", () => LevelStore.open({ path: join(dir, "db") })],
  ] as Array<[string, () => Promise<ChainStore>]>) {
    it(`${name}: keeps one per (height, round, kind, validator), lists in order, pages and filters`, async () => {
      const store = await open();
      const evs = [
        evidenceOf([vote("prepare", 2, A, 5), vote("prepare", 2, B, 5)], T0),
        evidenceOf([vote("commit", 1, A, 3), vote("commit", 1, B, 3)], T0),
        evidenceOf([vote("prepare", 2, A, 3, 1), vote("prepare", 2, B, 3, 1)], T0),
      ];
      for (const e of evs) await store.putEvidence(e);
      await store.putEvidence({ ...(evs[0] as Evidence), detectedAt: T0 + 5 });
      const all = await store.listEvidence({ limit: 10 });
      assert.deepEqual(
        all.map((e) => `${e.height}/${e.round}/${e.kind}/${e.validator}`),
        ["3/0/commit/1", "3/1/prepare/2", "5/0/prepare/2"],
      );
      assert.equal(all[2]?.detectedAt, T0, "the first copy is kept");
      assert.deepEqual(
        (await store.listEvidence({ validator: 2, limit: 10 })).map((e) => e.height),
        [3, 5],
      );
      const first = await store.listEvidence({ limit: 1 });
      const rest = await store.listEvidence({ limit: 10, after: "0000000000000003!00000000!commit!0001" });
      assert.equal(first.length, 1);
      assert.deepEqual(
        rest.map((e) => e.height),
        [3, 5],
      );
      await store.close();
    });
  }
});

describe("consensus driver: a double-voter", () => {
  before(() => setLogLevel("silent"));
  after(() => setLogLevel("info"));

  it("keeps the evidence of two conflicting prepares from one validator", async () => {
    const store = new MemoryStore();
    const seen: Evidence[] = [];
    const driver = new ConsensusDriver(defaultDriverOptions, {
      spec: chain.spec,
      store,
      mempool: new Mempool(defaultMempoolOptions, { spec: chain.spec, state: store }),
      clock: new ManualClock(T0 + 1000),
      log: createLogger("test"),
      signer: { publicKey: chain.validatorKeys[0]?.publicKey as string, privateKey: chain.validatorKeys[0]?.privateKey as string },
      publish: async () => {},
      onEvidence: (e) => seen.push(e),
    });
    await driver.start();
    driver.receive(vote("prepare", 2, A));
    driver.receive(vote("prepare", 2, A));
    driver.receive(vote("prepare", 2, B));
    await settle();
    await driver.stop();
    const kept = await store.listEvidence({ limit: 10 });
    assert.equal(kept.length, 1, "one piece of evidence; a repeated identical vote is not equivocation");
    assert.equal(kept[0]?.validator, 2);
    checkEvidence(chain.spec, kept[0] as Evidence);
    assert.deepEqual(seen, kept);
  });
});
