/**
 * A short soak (testnet/soak.ts) on a real 4-process testnet: a given rate (no capacity probe), one
 * fault, samples every few seconds; the runner's end checks — no node crashed, every 2xx-accepted
 * transaction committed on every node — and its files (JSON, CSV, SVG chart).
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatSoakSummary, runSoak, type SoakSummary } from "../../testnet/soak.js";
import { freeBasePort } from "../helpers/ports.js";

describe("e2e: a short soak on a 4-node testnet", function () {
  this.timeout(150_000);
  let dir: string;
  let summary: SoakSummary;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "certchain-soak-e2e-"));
    summary = await runSoak({
      mode: "soak",
      seed: "e2e-soak-1",
      durationS: 24,
      rate: 20,
      sampleS: 6,
      faultEveryS: 14,
      faultMinS: 2,
      faultMaxS: 4,
      settleS: 40,
      dir: join(dir, "net"),
      out: join(dir, "out"),
      basePort: await freeBasePort(4),
      quiet: true,
    });
  });

  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("no crash, no loss: every accepted transaction committed, the same chain on every node", () => {
    const text = formatSoakSummary(summary);
    assert.ok(summary.accepted > 0 && summary.committed > 0, `load accepted and committed:\n${text}`);
    assert.equal(summary.crashes, 0, text);
    assert.equal(summary.lost, 0, text);
    assert.equal(summary.forks, 0, text);
    assert.deepEqual(summary.violations, [], text);
    assert.equal(summary.ok, true, text);
    assert.ok(summary.spotChecked > 0, `acknowledged transactions asked of every node:\n${text}`);
  });

  it("injected a fault (never on node1) and healed it", () => {
    const text = formatSoakSummary(summary);
    assert.ok(summary.faultsTotal >= 1, text);
    for (const f of summary.faultLog) {
      assert.notEqual(f.name, "node1", `node1 keeps an unbroken memory series\n${text}`);
      assert.notEqual(f.healedAt, null, `fault healed\n${text}`);
    }
  });

  it("recorded samples with every node's memory, and wrote the JSON, CSV and chart", async () => {
    assert.ok(summary.samples.length >= 3, `samples: ${summary.samples.length}`);
    for (const s of summary.samples) assert.equal(s.nodes.length, 4, `readings of 4 nodes at ${s.t} s`);
    const node1 = summary.samples.map((s) => s.nodes[summary.nodeNames.indexOf("node1")]);
    assert.ok(
      node1.every((r) => r !== undefined && r.rssBytes !== null && r.rssAnonBytes !== null && r.heapUsedBytes !== null && r.lagP99Seconds !== null),
      "node1, never faulted, answered every sample",
    );
    const json = JSON.parse(await readFile(join(dir, "out", "summary.json"), "utf8")) as SoakSummary;
    assert.equal(json.samples.length, summary.samples.length);
    const csv = (await readFile(join(dir, "out", "samples.csv"), "utf8")).trim().split("\n");
    assert.equal(csv.length, summary.samples.length + 1, "a header and one row per sample");
    const svg = await readFile(join(dir, "out", "chart.svg"), "utf8");
    assert.match(svg, /^<svg /);
    assert.ok(svg.includes("Memory per node"), "the memory panel");
  });
});
