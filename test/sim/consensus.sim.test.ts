/**
 * The consensus core on a simulated network (harness.ts): many seeds per scenario, n=4 and n=7, each
 * run checking agreement, validity, no equivocation and persist-first as it goes, and liveness once
 * the faults are over. Every failure names its scenario and seed; rerun one with
 * `SIM_ONLY="partition n=4 seed 7"`, print per-run figures with `SIM_STATS=1`, explore more seeds per
 * scenario with `SIM_SEEDS=500`.
 */
import assert from "node:assert/strict";
import { maxFaulty, proposerOf } from "../../consensus/quorum.js";
import { type Fault, type NetworkModel, type SimResult, type SimScenario, Simulation } from "./harness.js";
import { Prng } from "./prng.js";

const TIMERS = { baseTimeoutMs: 1000, maxTimeoutMs: 8000 };

/** 5–50 ms: a quiet LAN. */
const lan = (rng: Prng): number => rng.int(5, 50);
/** 1–400 ms, and one message in ten 0.5–3 s late: arrives rounds later, out of any order. */
const jittery = (rng: Prng): number => rng.int(1, 400) + (rng.chance(0.1) ? rng.int(500, 3000) : 0);

const quiet: NetworkModel = { delayMs: lan, lossRate: 0, duplicateRate: 0 };

interface ScenarioKind {
  name: string;
  seeds: { 4: number; 7: number };
  /** The run of one seed; `rng` is for drawing fault times, independent of the network's draws. */
  build: (n: 4 | 7, seed: number, rng: Prng) => Omit<SimScenario, "label" | "seed" | "n" | "baseTimeoutMs" | "maxTimeoutMs">;
  /** Extra checks on a finished run. */
  expect?: (r: SimResult, n: number, label: string) => void;
}

const kinds: ScenarioKind[] = [
  {
    name: "normal",
    seeds: { 4: 10, 7: 5 },
    build: () => ({ followers: 1, targetHeight: 12, network: quiet, livenessBoundMs: 5_000 }),
    expect: (r, n, label) => {
      assert.equal(r.maxRound, 0, `${label}: a quiet network decides every height in round 0`);
      for (const [node, count] of r.decidedByConsensus.entries()) assert.equal(count, 12, `${label}: node ${node} decided all 12 heights itself`);
      assert.equal(r.evidence, 0, `${label}: no evidence among honest nodes`);
      assert.equal(r.decidedByConsensus.length, n + 1, `${label}: the follower took part`);
    },
  },
  {
    name: "lossy",
    seeds: { 4: 10, 7: 5 },
    // 10–30 % of messages lost for two simulated minutes, then none. Rounds are single-shot (nothing is
    // retransmitted within a round), so heavy loss costs many rounds; see the report for the rates.
    build: (_n, seed) => ({
      followers: 1,
      targetHeight: 10,
      network: { delayMs: lan, lossRate: lossOf(seed), duplicateRate: 0, lossUntilMs: 120_000 },
      livenessBoundMs: 30_000,
    }),
    expect: (r, _n, label) => {
      if (lossOf(Number(label.split("seed ")[1])) <= 0.2) assert.ok(r.heightAtStable >= 1, `${label}: progress while messages were being lost`);
      assert.equal(r.evidence, 0, `${label}: no evidence among honest nodes`);
    },
  },
  {
    name: "reordering and duplication",
    seeds: { 4: 10, 7: 5 },
    build: () => ({ targetHeight: 10, network: { delayMs: jittery, lossRate: 0, duplicateRate: 0.3 }, livenessBoundMs: 60_000 }),
    expect: (r, _n, label) => assert.equal(r.evidence, 0, `${label}: duplicates are not evidence`),
  },
  {
    name: "proposer crash",
    seeds: { 4: 8, 7: 4 },
    // f validators in a row crash for good, so some heights need f round changes before a live proposer.
    build: (n, _seed, rng) => ({
      targetHeight: 12,
      network: quiet,
      faults: Array.from({ length: maxFaulty(n) }, (_, i): Fault => ({ kind: "crash", node: proposerOf(n, 1, 0) + i, atMs: rng.int(0, 500) })),
      livenessBoundMs: 60_000,
    }),
    expect: (r, _n, label) => assert.ok(r.maxRound >= 1, `${label}: some height needed a round change`),
  },
  {
    name: "partition",
    seeds: { 4: 8, 7: 4 },
    // 2|2 or 3|4 (the follower with the larger side): neither side has a quorum until the partition heals.
    build: (n, _seed, rng) => {
      const fromMs = rng.int(50, 400);
      const side = n === 4 ? [0, 1] : [0, 1, 2];
      const rest = Array.from({ length: n }, (_, i) => i).filter((i) => !side.includes(i));
      return {
        followers: 1,
        targetHeight: 10,
        network: { delayMs: lan, lossRate: 0, duplicateRate: 0.1 },
        faults: [{ kind: "partition", groups: [side, [...rest, n]], fromMs, untilMs: fromMs + rng.int(2_000, 30_000) }],
        livenessBoundMs: 40_000,
      };
    },
  },
  {
    name: "crash and restart",
    seeds: { 4: 10, 7: 5 },
    // Four waves, each crashing f validators mid-height and restarting them from their persisted signing
    // state before the next wave (never more than f down), under 5 % loss and jitter until t=4 s.
    build: (n, _seed, rng) => {
      const faults: Fault[] = [];
      for (let wave = 0; wave < 4; wave++) {
        for (const node of pick(rng, n, maxFaulty(n))) {
          const atMs = wave * 1_000 + rng.int(50, 300);
          faults.push({ kind: "crash", node, atMs, restartAtMs: atMs + rng.int(100, 600) });
        }
      }
      const delayMs = (r: Prng): number => r.int(5, 150);
      return { targetHeight: 40, network: { delayMs, lossRate: 0.05, duplicateRate: 0.05, lossUntilMs: 4_000 }, faults, livenessBoundMs: 60_000 };
    },
  },
  {
    name: "equivocating proposer",
    seeds: { 4: 8, 7: 4 },
    // f Byzantine validators show peers of even index a twin block (and vote for it towards them).
    build: (n, seed) => ({
      targetHeight: 10,
      byzantine: Array.from({ length: maxFaulty(n) }, (_, i) => (seed + i) % n),
      network: { delayMs: lan, lossRate: 0, duplicateRate: 0.1 },
      livenessBoundMs: 60_000,
    }),
    expect: (r, _n, label) => assert.ok(r.evidence > 0, `${label}: the equivocation was reported`),
  },
  {
    name: "everything at once",
    seeds: { 4: 4, 7: 2 },
    // Jitter, duplicates and 10 % loss for 40 s; four crash-restart waves of f validators; then a partition.
    build: (n, _seed, rng) => {
      const faults: Fault[] = [];
      for (let wave = 0; wave < 4; wave++) {
        for (const node of pick(rng, n, maxFaulty(n))) {
          const atMs = wave * 4_000 + rng.int(0, 2_000);
          faults.push({ kind: "crash", node, atMs, restartAtMs: atMs + rng.int(50, 1_900) });
        }
      }
      const fromMs = rng.int(17_000, 20_000);
      faults.push({ kind: "partition", groups: [[0, 1], Array.from({ length: n - 2 }, (_, i) => i + 2)], fromMs, untilMs: fromMs + rng.int(1_000, 20_000) });
      return { targetHeight: 30, network: { delayMs: jittery, lossRate: 0.1, duplicateRate: 0.2, lossUntilMs: 40_000 }, faults, livenessBoundMs: 100_000 };
    },
  },
];

/** Loss rate of a lossy run: 10, 15, 20, 25 or 30 %. */
function lossOf(seed: number): number {
  return 0.1 + 0.05 * (seed % 5);
}

/** `count` distinct validators out of n. */
function pick(rng: Prng, n: number, count: number): number[] {
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(rng.int(0, n - 1));
  return [...chosen];
}

function scenarioOf(kind: ScenarioKind, n: 4 | 7, seed: number): SimScenario {
  const label = `${kind.name} n=${n} seed ${seed}`;
  return { label, seed, n, ...TIMERS, ...kind.build(n, seed, new Prng(seed * 7919 + n)) };
}

const only = process.env.SIM_ONLY;
const stats = process.env.SIM_STATS !== undefined;
const seedsOf = (kind: ScenarioKind, n: 4 | 7): number => Number(process.env.SIM_SEEDS ?? kind.seeds[n]);

describe("consensus on a simulated network", () => {
  for (const kind of kinds) {
    for (const n of [4, 7] as const) {
      it(`${kind.name}, n=${n}: ${seedsOf(kind, n)} seeds keep agreement and reach the target height`, () => {
        for (let seed = 1; seed <= seedsOf(kind, n); seed++) {
          const scenario = scenarioOf(kind, n, seed);
          if (only !== undefined && only !== scenario.label) continue;
          const result = new Simulation(scenario).run();
          const faults = scenario.faults?.length ?? 0;
          assert.equal(result.faultsHit, faults, `${scenario.label}: every fault struck before the target height was reached`);
          kind.expect?.(result, n, scenario.label);
          if (stats) {
            const synced = result.synced.reduce((a, b) => a + b, 0);
            console.log(
              `    ${scenario.label}: ${result.endMs} ms (stable at ${result.stableAtMs}), height ${result.heightAtStable} when stable, max round ${result.maxRound}, ${result.delivered} deliveries, ${synced} synced, ${result.evidence} evidence`,
            );
          }
        }
      });
    }
  }

  it("the same seed gives the same run, event for event", () => {
    const kind = kinds.find((k) => k.name === "reordering and duplication") as ScenarioKind;
    const a = new Simulation(scenarioOf(kind, 4, 3)).run();
    const b = new Simulation(scenarioOf(kind, 4, 3)).run();
    assert.deepEqual(a.trace, b.trace, "identical decisions at identical times");
    assert.equal(a.delivered, b.delivered, "identical deliveries");
  });
});
