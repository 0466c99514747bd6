/** The soak's pure parts (testnet/soak-*.ts): metrics parsing, trend, phases, CSV and chart. */
import assert from "node:assert/strict";
import { niceMax, renderChart } from "../../testnet/soak-chart.js";
import { metricValue, readingOf } from "../../testnet/soak-metrics.js";
import { checkSoakOptions, defaultSoakOptions, phaseAt, type SoakOptions } from "../../testnet/soak-options.js";
import { type SoakSample, samplesCsv } from "../../testnet/soak-report.js";
import { judgedSeries, linearFit, memoryTrend, percentile } from "../../testnet/soak-trend.js";

const METRICS = [
  "# HELP process_resident_memory_bytes Resident memory size in bytes.",
  "# TYPE process_resident_memory_bytes gauge",
  "process_resident_memory_bytes 123456789",
  "certchain_process_resident_anon_bytes 83456789",
  'nodejs_heap_size_used_bytes{space="x"} 5',
  "nodejs_heap_size_used_bytes 45000000",
  "nodejs_eventloop_lag_p99_seconds 0.012",
  "nodejs_eventloop_lag_mean_seconds 0.004",
].join("\n");

const MB = 2 ** 20;

const sample = (t: number, rss: number | null): SoakSample => ({
  t,
  phase: "soak",
  offeredPerS: 10,
  committedPerS: 9.5,
  latencyP50Ms: 300,
  latencyP99Ms: 900,
  pending: 4,
  faults: t === 60 ? ["kill node2"] : [],
  nodes: [
    {
      rssBytes: rss,
      rssAnonBytes: rss === null ? null : rss * 0.75,
      heapUsedBytes: rss === null ? null : rss / 2,
      lagMeanSeconds: 0.001,
      lagP99Seconds: 0.01,
      pid: 1,
    },
  ],
});

describe("soak: readings, trend, phases, files", () => {
  it("reads prom-client's default metrics (unlabelled samples only)", () => {
    assert.equal(metricValue(METRICS, "nodejs_heap_size_used_bytes"), 45_000_000);
    assert.equal(metricValue(METRICS, "missing_metric"), null);
    assert.deepEqual(readingOf(METRICS), {
      rssBytes: 123_456_789,
      rssAnonBytes: 83_456_789,
      heapUsedBytes: 45_000_000,
      lagMeanSeconds: 0.004,
      lagP99Seconds: 0.012,
    });
  });

  const percentiles: Array<[number[], number, number | null]> = [
    [[], 50, null],
    [[7], 99, 7],
    [[1, 2, 3, 4], 50, 2],
    [[1, 2, 3, 4], 99, 4],
    [Array.from({ length: 100 }, (_, i) => i + 1), 99, 99],
  ];
  for (const [xs, p, want] of percentiles) it(`p${p} of ${xs.length} values → ${want}`, () => assert.equal(percentile(xs, p), want));

  it("fits a line by least squares", () => {
    const fit = linearFit([
      [0, 1],
      [1, 3],
      [2, 5],
    ]);
    assert.deepEqual(fit, { slope: 2, intercept: 1 });
    assert.equal(linearFit([[1, 1]]), null);
    assert.equal(
      linearFit([
        [1, 1],
        [1, 2],
      ]),
      null,
    );
  });

  const trends: Array<[string, Array<[number, number | null]>, boolean | null]> = [
    ["flat memory does not grow", [0, 60, 120, 180, 240, 300].map((t) => [t, 100 * MB]), false],
    ["memory rising 50 % over the second half grows", [0, 60, 120, 180, 240, 300].map((t) => [t, (100 + (t >= 150 ? (t - 150) / 3 : 0)) * MB]), true],
    ["a rise in the first half only (warm-up) does not count", [0, 60, 120, 180, 240, 300].map((t) => [t, (t < 150 ? 50 + t / 3 : 100) * MB]), false],
    ["too few samples: no verdict", [[0, MB]], null],
    ["no readings: no verdict", [[0, null]], null],
  ];
  for (const [name, series, grows] of trends) it(name, () => assert.equal(memoryTrend(series).grows, grows, JSON.stringify(memoryTrend(series))));

  const judged: Array<[string, number | undefined, boolean]> = [
    ["a process sampled from the start", 60, true],
    ["one restarted before the midpoint", 1_740, true],
    ["one restarted at the midpoint", 1_800, true],
    ["one restarted after it: still warming up", 2_520, false],
    ["one never sampled", undefined, false],
  ];
  for (const [name, first, want] of judged) it(`memory judged of ${name} (hour run): ${want}`, () => assert.equal(judgedSeries(first, 3_600), want));

  const phases: Array<[SoakOptions["mode"], number, string, number]> = [
    ["soak", 0, "soak", 0.5],
    ["soak", 3599, "soak", 0.5],
    ["stress", 0, "step 0.5×", 0.5],
    ["stress", 30, "step 1×", 1],
    ["stress", 60, "step 1.5×", 1.5],
    ["stress", 119, "step 2×", 2],
    ["stress", 120, "step 2×", 2],
    ["spike", 0, "before spike", 0.5],
    ["spike", 50, "spike 5×", 5],
    ["spike", 60, "after spike", 0.5],
  ];
  for (const [mode, t, phase, factor] of phases) {
    // stress over 120 s: steps of 30 s; spike of 10 s over 160 s: from 50 s to 60 s
    const duration = mode === "spike" ? 160 : mode === "stress" ? 120 : 3600;
    it(`${mode} at ${t} s of ${duration}: ${phase}`, () => assert.deepEqual(phaseAt(mode, t, duration, 10), { phase, factor }));
  }

  it("refuses options it cannot honour", () => {
    const base: SoakOptions = { ...defaultSoakOptions, seed: "x", out: "o", faultEveryS: 0 };
    assert.doesNotThrow(() => checkSoakOptions(base));
    for (const bad of [
      { nodes: 3 },
      { durationS: 0 },
      { sampleS: 0 },
      { rate: -1 },
      { faultMinS: 9, faultMaxS: 3 },
      { mode: "spike" as const, durationS: 15 },
    ]) {
      assert.throws(() => checkSoakOptions({ ...base, ...bad }), Error, JSON.stringify(bad));
    }
  });

  it("writes one CSV row per sample, a missing reading as an empty cell", () => {
    const csv = samplesCsv([sample(0, 100 * MB), sample(60, null)], ["node3"])
      .trim()
      .split("\n");
    assert.equal(csv.length, 3);
    assert.equal(csv[0], "t_s,phase,offered_per_s,committed_per_s,p50_ms,p99_ms,pending,faults,node3_rss_mb,node3_anon_mb,node3_heap_mb,node3_lag_p99_ms");
    assert.equal(csv[1], "0,soak,10.0,9.5,300.0,900.0,4,,100.0,75.0,50.0,10.00");
    assert.equal(csv[2], "60,soak,10.0,9.5,300.0,900.0,4,kill node2,,,,10.00");
  });

  it("draws an SVG with the three panels, a line per series and a mark per fault", () => {
    const svg = renderChart("t <&>", [sample(0, 100 * MB), sample(60, 110 * MB), sample(120, 105 * MB)], [{ t: 60, label: "kill node2" }], ["node3"]);
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, /t &lt;&amp;&gt;/, "the title is escaped");
    for (const title of ["Memory per node", "Commit latency", "Throughput"]) assert.ok(svg.includes(title), title);
    assert.equal((svg.match(/<path /g) ?? []).length, 2 + 3 + 2, "node3 anonymous RSS and heap, p50, p99, lag, offered, committed");
    assert.ok(svg.includes(">node3 RSS anon<"), "the node's line is named, and says it is the anonymous part");
    assert.equal((svg.match(/stroke="#d62728" stroke-opacity/g) ?? []).length, 3, "one fault mark in each panel");
    assert.equal(niceMax(0), 1);
    assert.equal(niceMax(130), 200);
    assert.equal(niceMax(2.2), 2.5);
  });
});
