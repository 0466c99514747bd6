/**
 * The bench's smoke (issue 13: "CI runs a short smoke of the bench so it cannot rot"): `bench --smoke`
 * runs every phase in seconds — machine limits, throughput, latency at half load, the stepped load
 * and its chart, catch-up of a wiped validator — as its own process, on free ports. The figures of a
 * smoke mean nothing (a few seconds on a busy machine) and are not asserted; what is: it exits 0, the
 * JSON holds every figure the README's table names, all nodes agreed, the wiped validator reached the
 * same head, and the chart is an SVG with a point per step.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freeBasePort } from "../helpers/ports.js";

const BENCH = fileURLToPath(new URL("../../bench/bench.js", import.meta.url));

/** Run the bench as its own process with `args`: its exit code and everything it printed (stdout and stderr). */
function runBench(args: string[]): Promise<{ exit: number | null; output: string }> {
  const child = spawn(process.execPath, [BENCH, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    output += d.toString();
  });
  return new Promise((resolve) => child.on("exit", (code) => resolve({ exit: code, output })));
}

describe("e2e: npm run bench -- --smoke", function () {
  this.timeout(300_000); // only a hang trips this: the run's phases are bounded by their own sizes
  let dir: string;
  let exit: number | null;
  let output: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "certchain-bench-smoke-"));
    // One free range for both networks: the testnet on base … base+3, the catch-up pair on base+10 ….
    const base = await freeBasePort(14);
    ({ exit, output } = await runBench(["--smoke", "--base-port", String(base), "--catchup-port", String(base + 10), "--out", join(dir, "bench.json")]));
  });

  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("exits 0 and prints its table", () => {
    assert.equal(exit, 0, output);
    for (const row of [
      "committed throughput",
      "commit latency at",
      "cluster ceiling",
      "stepped load 0.5×",
      "stepped load 1.5×",
      "catch-up ÷ its limit",
      "CPU per committed tx",
    ])
      assert.ok(output.includes(row), `the table has no "${row}" row:\n${output}`);
  });

  it("writes every figure as JSON: limits, ratios, steps, catch-up; the nodes agreed and the wiped validator reached the head", async () => {
    const r = JSON.parse(await readFile(join(dir, "bench.json"), "utf8"));
    assert.equal(r.smoke, true);
    for (const k of ["verifyPerSecond", "pipelineMicrosPerTx", "clusterCeiling", "cores"]) assert.ok(r.machine[k] > 0, `machine.${k}`);
    assert.equal(typeof r.throughput.committedTxPerSecond, "number");
    assert.equal(typeof r.ratios.throughputToClusterCeiling, "number");
    // The window's CPU, read from /proc: the nodes did work for what they committed.
    if (r.throughput.committedTxs > 0)
      assert.ok(r.cpu.nodesMicrosPerTx > 0 && r.cpu.perValidatorToPipeline > 0 && r.cpu.loopbackBytesPerTx > 0, JSON.stringify(r.cpu));
    assert.equal(r.cpu.incomplete, false);
    assert.equal(typeof r.latency.p50Ms === "number" || r.latency.p50Ms === null, true);
    assert.deepEqual(
      r.steps.map((s: { fraction: number }) => s.fraction),
      [0.5, 1.5],
    );
    assert.equal(r.finalHeads.allNodesAgree, true);
    assert.equal(r.catchUp.blocks, 50);
    assert.equal(r.catchUp.sameHead, true);
  });

  it("draws the stepped load as an SVG: committed and latency against offered", async () => {
    const svg = await readFile(join(dir, "bench.svg"), "utf8");
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.ok(svg.includes("Committed against offered") && svg.includes("Commit latency") && svg.includes("offered tx/s"));
    assert.equal((svg.match(/<path /g) ?? []).length, 4, "diagonal, committed, p50, p99");
  });
});

describe("e2e: npm run bench -- --scale (a 1,000-certificate smoke)", function () {
  this.timeout(300_000); // only a hang trips this: every phase is bounded by the chain's size and --scale-seconds
  let dir: string;
  let exit: number | null;
  let output: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "certchain-bench-scale-smoke-"));
    const base = await freeBasePort(4);
    ({ exit, output } = await runBench([
      "--scale",
      "1000",
      "--scale-seconds",
      "1",
      "--scale-connections",
      "2",
      "--scale-port",
      String(base),
      "--out",
      join(dir, "scale.json"),
    ]));
  });

  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("exits 0, prints every row, and writes the figures — a block's cost per tenth of the build among them", async () => {
    assert.equal(exit, 0, output);
    for (const row of ["start on 1000 certificates", "GET /certificates/:id/proof", "audit rate at N vs N/10", "backup peak RSS", "execute + commit"])
      assert.ok(output.includes(row), `the table has no "${row}" row:\n${output}`);
    const r = JSON.parse(await readFile(join(dir, "scale.json"), "utf8"));
    assert.equal(r.certificates, 1000);
    assert.deepEqual(
      r.growth.map((g: { certificates: number }) => g.certificates),
      [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000],
    );
    for (const g of r.growth) assert.ok(g.executeMs > 0 && g.applyMs > 0, JSON.stringify(g));
  });
});
