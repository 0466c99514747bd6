/**
 * The chaos runner's reconfigure fault (issue 11 item 5) on a real 4-process testnet with one spare
 * validator: a fixed seed, kinds kill and reconfigure, two faults by count (not by speed). One lane
 * draws from a seeded shuffle of the two kinds, so its two faults are one of each: a validator killed
 * and restarted, and the spare voted in by a quorum (add-validator from its card, in force at H + 2)
 * and voted out again, under issuing load. The runner's end checks run over all five nodes, the
 * spare included: no acknowledged certificate lost, no fork, no equivocation, progress after each heal.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ChaosSummary, formatSummary, runChaos } from "../../testnet/chaos.js";
import { E2E_CHAOS_TIMINGS } from "../helpers/chaos.js";
import { freeBasePort } from "../helpers/ports.js";

/** The runner's own bound on the fault phase; overrunning it is a "fault-count" violation. */
const BOUND_MS = 120_000;

describe("e2e: chaos reconfigure — a spare validator voted in and out under load, with a kill", function () {
  this.timeout(BOUND_MS + 120_000);
  let dir: string;
  let summary: ChaosSummary;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "certchain-chaos-reconf-"));
    summary = await runChaos({
      nodes: 4,
      seed: "e2e-reconfigure",
      kinds: ["kill", "reconfigure"],
      faultCount: 2,
      durationMs: BOUND_MS,
      dir: join(dir, "net"),
      basePort: await freeBasePort(5),
      ...E2E_CHAOS_TIMINGS,
    });
  });

  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("injects one kill and one reconfigure, heals both, and every check holds over the five nodes", () => {
    const text = formatSummary(summary);
    assert.deepEqual([summary.faults.kill, summary.faults.reconfigure, summary.faultsTotal], [1, 1, 2], `one fault of each kind\n${text}`);
    assert.ok(summary.acknowledged > 50, `certificates acknowledged under load\n${text}`);
    assert.deepEqual([summary.lost, summary.forks, summary.equivocations], [0, 0, 0], text);
    assert.deepEqual(summary.violations, [], text);
    for (const h of summary.heals) assert.notEqual(h.progressMs, null, `a new block after ${h.kind} of node ${h.node + 1}\n${text}`);
  });

  it("the spare was a validator for a span of heights: in force two heights after its vote-in passed, out after its vote-out", () => {
    const r = summary.faultLog.find((f) => f.kind === "reconfigure");
    assert.equal(r?.name, "spare1", "the spare, not a node of genesis, is reconfigured");
    const from = r?.inForce?.from ?? null;
    const until = r?.inForce?.until ?? null;
    assert.ok(from !== null && until !== null && until >= from, `in force from ${from} until ${until}`);
    assert.ok(r?.healedAt != null && r.rejoinedAt != null, "voted out, and at the cluster's head after it");
  });
});
