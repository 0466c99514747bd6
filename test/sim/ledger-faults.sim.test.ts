/**
 * Real validators (driver, state machine, block and transaction checks, mempool, sync, store) on the
 * simulated network of ledger-network.ts: many seeds per scenario, n=4 and n=7, each run checking
 * agreement, validity, no honest equivocation and persist-first at every step, liveness once the
 * faults are over, and identical stores at the end. Byzantine validators (at most f) sign their lies
 * with their real keys; crashed validators die at a chosen write and restart from their store.
 *
 * Every failure names its scenario and seed with the last events; rerun one with
 * `SIM_ONLY="equivocating proposer n=4 seed 3"`, explore more seeds with `SIM_SEEDS=50` (per scenario
 * and size), print per-run figures with `SIM_STATS=1`.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { maxFaulty } from "../../consensus/quorum.js";
import type { TestChain } from "../helpers/chain.js";
import { makeSeededChain, seededIssueTx } from "../helpers/seeded-chain.js";
import { type Behaviour, FORGERY_KINDS, type ForgeryKind, INVALID_BLOCK_KINDS } from "./adversary.js";
import type { CrashPoint } from "./crashable-store.js";
import { LedgerNetwork } from "./ledger-network.js";
import type { Crash, LedgerResult, LedgerScenario, LinkModel } from "./ledger-scenario.js";
import { Prng } from "./prng.js";

/** Two transactions per block at most, so a short workload makes many heights. */
const chains = new Map<number, TestChain>();
function chainOf(n: number): TestChain {
  let chain = chains.get(n);
  if (chain === undefined) {
    chain = makeSeededChain(n, `sim-${n}`, { maxBlockTxs: 2, roundTimeoutMs: 1000, maxRoundTimeoutMs: 8000 });
    chains.set(n, chain);
  }
  return chain;
}

/** 5–50 ms: a quiet LAN. */
const lan = (rng: Prng): number => rng.int(5, 50);
/** 1–300 ms, and one message in ten 0.5–2 s late: arrives rounds later, out of any order. */
const jittery = (rng: Prng): number => rng.int(1, 300) + (rng.chance(0.1) ? rng.int(500, 2000) : 0);

const quiet: LinkModel = { delayMs: lan, lossRate: 0, duplicateRate: 0.05 };

type Build = Omit<LedgerScenario, "label" | "seed" | "chain" | "workload">;

interface Kind {
  name: string;
  seeds: { 4: number; 7: number };
  build: (n: 4 | 7, seed: number, rng: Prng) => Build;
  /** Checks on one finished run. */
  expect?: (r: LedgerResult, s: LedgerScenario) => void;
  /** Checks over all the seeds of one size. */
  expectAll?: (results: LedgerResult[], n: number) => void;
}

/** The f Byzantine validators of a run: consecutive from a seed-chosen start, all with `behaviour(i)`. */
function byzantineOf(n: number, seed: number, behaviour: (i: number) => Behaviour): Map<number, Behaviour> {
  const f = maxFaulty(n);
  return new Map(Array.from({ length: f }, (_, i) => [(seed + i) % n, behaviour(i)]));
}

function evidenceAgainstEach(r: LedgerResult, s: LedgerScenario): void {
  for (const v of s.byzantine?.keys() ?? []) {
    assert.ok(r.invariants.reportersOf(v).length >= 1, `${s.label}: some honest node recorded evidence against validator ${v}`);
  }
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

const kinds: Kind[] = [
  {
    name: "lossy, duplicating, reordering network",
    seeds: { 4: 8, 7: 4 },
    build: (_n, seed) => ({
      targetHeight: 8,
      network: { delayMs: jittery, lossRate: 0.05 + 0.05 * (seed % 3), duplicateRate: 0.2, lossUntilMs: 20_000 },
      livenessBoundMs: 60_000,
    }),
  },
  {
    name: "partition without a quorum, then heal",
    seeds: { 4: 8, 7: 4 },
    build: (n, _seed, rng) => {
      const fromMs = rng.int(50, 1500);
      const side = n === 4 ? [0, 1] : [0, 1, 2];
      const rest = Array.from({ length: n }, (_, i) => i).filter((i) => !side.includes(i));
      return {
        targetHeight: 8,
        network: { delayMs: lan, lossRate: 0, duplicateRate: 0.1 },
        partitions: [{ groups: [side, rest], fromMs, untilMs: fromMs + rng.int(2_000, 20_000) }],
        livenessBoundMs: 60_000,
      };
    },
  },
  {
    name: "f validators cut off, then rejoin",
    seeds: { 4: 6, 7: 3 },
    build: (n, seed, rng) => {
      const cut = Array.from({ length: maxFaulty(n) }, (_, i) => (seed + i) % n);
      const rest = Array.from({ length: n }, (_, i) => i).filter((i) => !cut.includes(i));
      const fromMs = rng.int(0, 500);
      return {
        targetHeight: 10,
        network: quiet,
        partitions: [{ groups: [cut, rest], fromMs, untilMs: fromMs + rng.int(3_000, 10_000) }],
        livenessBoundMs: 60_000,
      };
    },
    expect: (r, s) => assert.ok(r.synced >= 1, `${s.label}: the cut-off validators caught up by sync`),
  },
  {
    name: "lost commits: prepared blocks carried over round changes",
    seeds: { 4: 10, 7: 5 },
    // Half the commit votes lost for 15 s: blocks are prepared, some nodes decide, the rest change round
    // and must re-propose exactly the prepared block.
    build: () => ({
      targetHeight: 8,
      network: { delayMs: jittery, lossRate: 0.02, commitLossRate: 0.5, duplicateRate: 0.1, lossUntilMs: 15_000 },
      syncPollMs: 10_000,
      livenessBoundMs: 60_000,
    }),
    expectAll: (results, n) => assert.ok(results.filter((r) => r.maxRound >= 1).length >= 1, `n=${n}: some run decided a height after a round change`),
  },
  {
    name: "a decision only one node sees, then uncertified prepared claims",
    seeds: { 4: 5, 7: 3 },
    // Height 1's round-0 commits reach validator 0 only, which decides and is then cut off; the rest change
    // round, and the f Byzantine validators (the lowest indices after 0, so their claims come first) claim
    // a block nobody proposed as prepared, with only their own prepares as certificate. The rest must
    // still re-propose validator 0's block: anything else forks the chain.
    build: (n, _seed, rng) => {
      const cutUntil = rng.int(3_000, 6_000);
      return {
        targetHeight: 6,
        network: { delayMs: lan, lossRate: 0, duplicateRate: 0.1, drop: (m, _from, to) => m.kind === "commit" && m.height === 1 && m.round === 0 && to !== 0 },
        partitions: [{ groups: [[0], Array.from({ length: n - 1 }, (_, i) => i + 1)], fromMs: 150, untilMs: cutUntil }],
        byzantine: new Map(Array.from({ length: maxFaulty(n) }, (_, i): [number, Behaviour] => [i + 1, "forged-round-change"])),
        forgery: "too-few-signers",
        livenessBoundMs: 60_000,
      };
    },
    expect: (r, s) => {
      assert.ok((r.adversary.forgedSent.get("too-few-signers") ?? 0) >= 1, `${s.label}: the uncertified claims were sent`);
      assert.equal(r.invariants.chain.get(1)?.node, 0, `${s.label}: validator 0 decided height 1 first`);
    },
  },
  {
    name: "equivocating proposer",
    seeds: { 4: 10, 7: 5 },
    build: (n, seed) => ({
      targetHeight: 8,
      network: { delayMs: jittery, lossRate: 0, duplicateRate: 0.1 },
      byzantine: byzantineOf(n, seed, () => "equivocating-proposer"),
      livenessBoundMs: 60_000,
    }),
    expect: evidenceAgainstEach,
  },
  {
    name: "double voter",
    seeds: { 4: 10, 7: 5 },
    build: (n, seed) => ({
      targetHeight: 8,
      network: { delayMs: jittery, lossRate: 0.05, duplicateRate: 0.1, lossUntilMs: 10_000 },
      byzantine: byzantineOf(n, seed, () => "double-voter"),
      livenessBoundMs: 60_000,
    }),
    expect: evidenceAgainstEach,
  },
  {
    name: "round changes with forged or stale prepared certificates",
    seeds: { 4: 10, 7: 5 },
    // Loss until 15 s (commits most) forces round changes, in which the Byzantine validators lie about what was prepared.
    build: (n, seed) => ({
      targetHeight: 8,
      network: { delayMs: jittery, lossRate: 0.1, commitLossRate: 0.3, duplicateRate: 0.1, lossUntilMs: 15_000 },
      syncPollMs: 10_000,
      byzantine: byzantineOf(n, seed, () => "forged-round-change"),
      livenessBoundMs: 60_000,
    }),
    expectAll: (results, n) => {
      const forged = new Map<ForgeryKind, number>();
      for (const r of results) for (const [k, c] of r.adversary.forgedSent) forged.set(k, (forged.get(k) ?? 0) + c);
      for (const k of FORGERY_KINDS) {
        assert.ok((forged.get(k) ?? 0) >= 1, `n=${n}: some run sent a round change with a ${k} certificate (${JSON.stringify([...forged])})`);
      }
      assert.ok(sum(results.map((r) => r.rejectedAtEdge)) >= 1, `n=${n}: forged signatures were refused at the edge`);
    },
  },
  {
    name: "invalid blocks",
    seeds: { 4: 10, 7: 5 },
    build: (n, seed) => ({
      targetHeight: 8,
      network: { delayMs: lan, lossRate: 0, duplicateRate: 0.1 },
      byzantine: byzantineOf(n, seed, () => "invalid-blocks"),
      livenessBoundMs: 60_000,
    }),
    expect: (r, s) => {
      const sent = sum(INVALID_BLOCK_KINDS.map((k) => r.adversary.invalidSent.get(k) ?? 0));
      assert.ok(sent >= 1, `${s.label}: the Byzantine proposers proposed`);
      assert.ok(sum([...r.invalidBlocksDropped.values()]) >= sent, `${s.label}: every invalid block was dropped by the honest nodes`);
      assert.ok(r.maxRound >= 1, `${s.label}: heights of a Byzantine proposer were decided after a round change`);
    },
    expectAll: (results, n) => {
      const reasons = new Set(results.flatMap((r) => [...r.invalidBlocksDropped.keys()]));
      const sent = new Set(results.flatMap((r) => [...r.adversary.invalidSent.keys()]));
      for (const kind of INVALID_BLOCK_KINDS) assert.ok(sent.has(kind), `n=${n}: some run proposed a block with ${kind}`);
      for (const want of [
        "issuer signature does not verify",
        "signer is not an issuer key",
        "previousHash is not the parent's hash",
        "does not follow",
        "header proposer",
      ]) {
        assert.ok(
          [...reasons].some((r) => r.includes(want)),
          `n=${n}: an invalid block was dropped for "${want}" (reasons: ${[...reasons].join("; ")})`,
        );
      }
    },
  },
  {
    name: "silent validators",
    seeds: { 4: 8, 7: 4 },
    // No late messages: with f silent, every honest vote is needed for a quorum, so one late vote costs a round.
    build: (n, seed) => ({
      targetHeight: 8,
      network: { delayMs: lan, lossRate: 0.05, duplicateRate: 0.1, lossUntilMs: 5_000 },
      byzantine: byzantineOf(n, seed, () => "silent"),
      livenessBoundMs: 60_000,
    }),
  },
  {
    name: "flooding validators",
    seeds: { 4: 8, 7: 4 },
    build: (n, seed) => ({
      targetHeight: 8,
      network: { delayMs: lan, lossRate: 0, duplicateRate: 0.1 },
      byzantine: byzantineOf(n, seed, () => "flooder"),
      livenessBoundMs: 60_000,
    }),
    expect: (r, s) => assert.ok(r.rejectedAtEdge >= 1 && r.adversary.junk > 0, `${s.label}: junk was sent and refused at the edge`),
  },
  {
    name: "mixed Byzantine coalition under loss and a partition",
    seeds: { 4: 8, 7: 6 },
    build: (n, seed, rng) => {
      const all: Behaviour[] = ["equivocating-proposer", "double-voter", "forged-round-change", "invalid-blocks", "silent", "flooder"];
      const fromMs = rng.int(1_000, 5_000);
      const side = n === 4 ? [0, 1] : [0, 1, 2];
      const rest = Array.from({ length: n }, (_, i) => i).filter((i) => !side.includes(i));
      return {
        targetHeight: 8,
        network: { delayMs: jittery, lossRate: 0.1, duplicateRate: 0.1, lossUntilMs: 10_000 },
        partitions: [{ groups: [side, rest], fromMs, untilMs: fromMs + rng.int(1_000, 8_000) }],
        byzantine: byzantineOf(n, seed, (i) => all[(seed + i * 3) % all.length] as Behaviour),
        livenessBoundMs: 60_000,
      };
    },
  },
  {
    name: "crash at a signing-state write",
    seeds: { 4: 10, 7: 5 },
    // Before the write (the vote is lost) or after it (persisted but never sent); f validators at a time, two waves.
    build: (n, seed, rng) => ({
      targetHeight: 16,
      network: { delayMs: lan, lossRate: 0, duplicateRate: 0.1 },
      crashes: crashWaves(n, seed, rng, () => ({ write: "signing-state", when: rng.chance(0.5) ? "before" : "after", nth: rng.int(1, 4) })),
      livenessBoundMs: 60_000,
    }),
    expect: allCrashesHit,
  },
  {
    name: "crash in the middle of committing a block",
    seeds: { 4: 10, 7: 5 },
    // Before the atomic write (the block is lost) or after it (stored, but consensus never moved on).
    build: (n, seed, rng) => ({
      targetHeight: 16,
      network: { delayMs: lan, lossRate: 0, duplicateRate: 0.1 },
      crashes: crashWaves(n, seed, rng, () => ({ write: "block", when: rng.chance(0.5) ? "before" : "after", nth: rng.int(1, 2) })),
      livenessBoundMs: 60_000,
    }),
    expect: allCrashesHit,
  },
  {
    name: "crash and restart on a wiped data directory",
    seeds: { 4: 10, 7: 5 },
    // The chain store is lost, the signing-state file kept; the node syncs the chain back.
    build: (n, seed, rng) => ({
      targetHeight: 16,
      network: { delayMs: lan, lossRate: 0, duplicateRate: 0.1 },
      crashes: crashWaves(n, seed, rng, () => ({ write: "signing-state", when: rng.chance(0.5) ? "before" : "after", nth: rng.int(1, 4) })).map((c) => ({
        ...c,
        wipe: true,
      })),
      livenessBoundMs: 60_000,
    }),
    expect: allCrashesHit,
  },
  {
    name: "crashes at random moments under jitter",
    seeds: { 4: 8, 7: 4 },
    build: (n, seed, rng) => ({
      targetHeight: 10,
      network: { delayMs: jittery, lossRate: 0.05, duplicateRate: 0.1, lossUntilMs: 8_000 },
      crashes: crashWaves(n, seed, rng, () => undefined),
      livenessBoundMs: 60_000,
    }),
    expect: allCrashesHit,
  },
];

/**
 * Two waves of f validators each crashing (at `point`, or at once when undefined); the second wave
 * starts after the first has restarted, so at most f are down at a time.
 */
function crashWaves(n: number, seed: number, rng: Prng, point: () => CrashPoint | undefined): Crash[] {
  const crashes: Crash[] = [];
  let atMs = rng.int(0, 300);
  for (let wave = 0; wave < 2; wave++) {
    let longest = 0;
    for (let i = 0; i < maxFaulty(n); i++) {
      const c: Crash = { node: (seed + wave * 2 + i) % n, atMs, downMs: rng.int(100, 1_000) };
      const p = point();
      if (p !== undefined) c.point = p;
      crashes.push(c);
      longest = Math.max(longest, c.downMs);
    }
    atMs += longest + rng.int(300, 600);
  }
  return crashes;
}

function allCrashesHit(r: LedgerResult, s: LedgerScenario): void {
  assert.equal(r.crashesHit, s.crashes?.length, `${s.label}: every planned crash struck`);
}

function scenarioOf(kind: Kind, n: 4 | 7, seed: number): LedgerScenario {
  const chain = chainOf(n);
  const build = kind.build(n, seed, new Prng(seed * 7919 + n));
  const workload = Array.from({ length: build.targetHeight * 2 }, (_, i) => seededIssueTx(chain, `SIM-${seed}-${i}`));
  return { label: `${kind.name} n=${n} seed ${seed}`, seed, chain, workload, ...build };
}

const only = process.env.SIM_ONLY;
const stats = process.env.SIM_STATS !== undefined;
const seedsOf = (kind: Kind, n: 4 | 7): number => Number(process.env.SIM_SEEDS ?? kind.seeds[n]);

describe("real validators on a simulated network with Byzantine and crashing validators", () => {
  for (const kind of kinds) {
    for (const n of [4, 7] as const) {
      it(`${kind.name}, n=${n}: ${seedsOf(kind, n)} seeds keep agreement, validity and signing safety, and finish`, async () => {
        const results: LedgerResult[] = [];
        for (let seed = 1; seed <= seedsOf(kind, n); seed++) {
          const scenario = scenarioOf(kind, n, seed);
          if (only !== undefined && only !== scenario.label) continue;
          const result = await new LedgerNetwork(scenario).run();
          assert.ok(result.height >= scenario.targetHeight, `${scenario.label}: reached the target height`);
          kind.expect?.(result, scenario);
          results.push(result);
          if (stats) {
            const ev = [...result.invariants.evidence.values()].reduce((a, b) => a + b, 0);
            console.log(
              `    ${scenario.label}: ${result.endMs} ms (stable at ${result.stableAtMs}), height ${result.height}, max round ${result.maxRound}, ${result.delivered} deliveries, ${result.rejectedAtEdge} refused at the edge, ${result.synced} synced, ${result.crashesHit} crashes, ${ev} evidence`,
            );
          }
        }
        if (only === undefined) kind.expectAll?.(results, n);
      });
    }
  }

  it("the same seed gives the same run, commit for commit", async () => {
    const kind = kinds.find((k) => k.name === "mixed Byzantine coalition under loss and a partition") as Kind;
    const a = await new LedgerNetwork(scenarioOf(kind, 4, 3)).run();
    const b = await new LedgerNetwork(scenarioOf(kind, 4, 3)).run();
    assert.ok(a.trace.commits.length > 0, "the run committed blocks");
    assert.deepEqual(a.trace.commits, b.trace.commits, "identical commits (time, node, height, round, hash) in identical order");
    assert.equal(a.delivered, b.delivered, "identical deliveries");
  });
});
