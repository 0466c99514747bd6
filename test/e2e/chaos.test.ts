/**
 * A short chaos run (testnet/chaos.ts) on a real 4-process testnet: a fixed seed, faults of several
 * kinds under issuing load, and the runner's own end checks — no acknowledged certificate lost, no
 * fork, progress after every heal, every node at the same head.
 *
 * The run is fault-count driven, not timed: it ends once 3 faults are injected, healed and caught up,
 * however slow the machine (a restart under load takes seconds). One lane draws its kinds from a
 * seeded shuffle of all five, so its first three faults are of three kinds whatever the speed. The
 * duration is only the runner's upper bound, reported as a "fault-count" violation of its own.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FAULT_KINDS } from "../../testnet/chaos-options.js";
import { type ChaosSummary, formatSummary, runChaos } from "../../testnet/chaos.js";
import { E2E_CHAOS_TIMINGS } from "../helpers/chaos.js";
import { freeBasePort } from "../helpers/ports.js";

/** The runner's own bound on the fault phase; overrunning it is a "fault-count" violation with the slowest fault's breakdown. */
const BOUND_MS = 90_000;

describe("e2e: chaos run on a 4-node testnet", function () {
  // Startup before the bound, settling (15 s) and converging (up to 60 s) after it: mocha only catches a hang.
  this.timeout(BOUND_MS + 120_000);
  let dir: string;
  let summary: ChaosSummary;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "certchain-chaos-e2e-"));
    summary = await runChaos({
      nodes: 4,
      seed: "e2e-1",
      faultCount: 3,
      durationMs: BOUND_MS,
      dir: join(dir, "net"),
      basePort: await freeBasePort(4),
      ...E2E_CHAOS_TIMINGS,
    });
  });

  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("loses no acknowledged certificate and forks nowhere", () => {
    const text = formatSummary(summary);
    assert.ok(summary.acknowledged > 100, `certificates acknowledged under load:\n${text}`);
    assert.equal(summary.lost, 0, text);
    assert.equal(summary.forks, 0, text);
    assert.equal(summary.equivocations, 0, text);
    assert.deepEqual(summary.violations, [], text);
    assert.equal(summary.ok, true, text);
  });

  it("injected faults of several kinds, one node at a time, and each heal was followed by a new block", () => {
    const text = formatSummary(summary);
    assert.equal(summary.faultsTotal, 3, `exactly the 3 faults asked for\n${text}`);
    const kinds = FAULT_KINDS.filter((k) => summary.faults[k] > 0);
    assert.equal(kinds.length, 3, `kinds injected: ${kinds.join(", ")}\n${text}`);
    assert.equal(summary.heals.length, summary.faultsTotal, `every fault healed\n${text}`);
    for (const h of summary.heals) {
      assert.notEqual(h.rejoinMs, null, `node${h.node + 1} back at the cluster's head after its ${h.kind}\n${text}`);
      assert.notEqual(h.progressMs, null, `progress after node${h.node + 1}'s ${h.kind}, once it was back\n${text}`);
    }
    // A node counts as faulty until it is back at the cluster's head, not merely until its heal.
    const sorted = [...summary.faultLog].sort((a, b) => a.injectedAt - b.injectedAt);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1];
      assert.ok(prev?.rejoinedAt != null && prev.rejoinedAt <= (sorted[i]?.injectedAt ?? 0), `at most one node faulty at once (fault ${i})\n${text}`);
    }
  });
});
