/**
 * Metric names follow Prometheus's conventions (one prefix, base units, _total on counters only), the
 * RPC's socket counters are exported, and every metric and label the Grafana dashboard's queries use
 * is in the registry createMetrics builds.
 */
import assert from "node:assert/strict";
import type { StoredBlock } from "../../node/ledger/store.js";
import { type Metrics, type MetricsSources, createMetrics } from "../../node/metrics.js";
import { type DashboardQuery, dashboardProblems, dashboardQueries, exposedMetrics, promqlReferences } from "../helpers/dashboard.js";

const sources: MetricsSources = {
  head: () => ({ height: 12, time: 1_700_000_000_000 }),
  consensus: () => ({ height: 13, round: 1, active: true }),
  signing: () => ({ writable: true, failures: 2 }),
  mempoolSize: () => 5,
  peers: () => ({ connected: 3, configured: 4, gossiping: 3 }),
  gossip: () => ({ rejected: 1, published: 20, received: 30, banned: 0 }),
  syncing: () => false,
  rpcConnections: () => ({ open: 7, refused: 3, evicted: 2, pipelineClosed: 1 }),
};

/** A registry with one block (round 1, an applied and a rejected receipt) and one equivocation recorded, so labelled series show. */
function fedMetrics(): Metrics {
  const metrics = createMetrics(sources);
  const block = {
    commit: { round: 1 },
    block: { txs: [{}, {}] },
    receipts: [{ status: "applied" }, { status: "rejected", code: "TX_ALREADY_REVOKED" }],
  } as unknown as StoredBlock;
  metrics.blockCommitted(block, "consensus", { executeMs: 3, storeMs: 4 });
  metrics.equivocation(2, "prepare");
  return metrics;
}

describe("metrics: names", () => {
  it("follow Prometheus's conventions", async () => {
    const all = await fedMetrics().registry.getMetricsAsJSON();
    assert.ok(all.length > 30, `many metrics (${all.length})`);
    for (const m of all) {
      const name = m.name;
      const type = String(m.type);
      assert.match(name, /^[a-z][a-z0-9_]*$/, `${name}: snake case`);
      assert.match(name, /^(certchain|process|nodejs)_/, `${name}: the certchain_ prefix, or a client library's process_/nodejs_`);
      assert.doesNotMatch(name, /(^|_)(\w+)_\2_/, `${name}: no doubled word (certchain_process_process_…)`);
      assert.doesNotMatch(name, /_(ms|milliseconds|millis|kb|mb|kib|mib|minutes|hours)(_|$)/, `${name}: base units only (seconds, bytes)`);
      if (type === "counter") assert.match(name, /_total$/, `${name}: a counter ends in _total`);
      // (prom-client's own gauge nodejs_active_resources_total breaks this rule; ours keep it)
      else if (name.startsWith("certchain_")) assert.doesNotMatch(name, /_total$/, `${name}: only counters end in _total (${type})`);
    }
  });

  it("standard process metrics under their standard names", async () => {
    const names = new Set((await fedMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
    for (const name of ["process_cpu_seconds_total", "process_resident_memory_bytes", "nodejs_eventloop_lag_seconds", "nodejs_heap_size_used_bytes"])
      assert.ok(names.has(name), `${name} is exported`);
  });

  it("exports the RPC's socket counters", async () => {
    const text = await fedMetrics().render();
    for (const [line, what] of [
      ["certchain_rpc_connections_open 7", "open sockets"],
      ["certchain_rpc_connections_refused_total 3", "refused"],
      ["certchain_rpc_connections_evicted_total 2", "evicted"],
      ["certchain_rpc_connections_pipeline_closed_total 1", "closed for pipelining"],
      ["certchain_head_timestamp_seconds 1700000000", "head time in Unix seconds"],
    ])
      assert.match(text, new RegExp(`^${line}$`, "m"), what);
  });
});

describe("metrics: the Grafana dashboard", () => {
  const queries = dashboardQueries();

  it("reads PromQL as expected (the checker's own cases)", () => {
    const cases: Array<[string, ReturnType<typeof promqlReferences>]> = [
      [
        'histogram_quantile(0.99, sum by (le, instance) (rate(a_seconds_bucket{instance=~"$instance"}[$__rate_interval])))',
        { metrics: ["a_seconds_bucket"], labels: ["instance", "le", "instance"], functions: ["histogram_quantile", "sum", "rate"] },
      ],
      ["time() - b_timestamp_seconds", { metrics: ["b_timestamp_seconds"], labels: [], functions: ["time"] }],
      ['sum by (code) (rate(c_total{status="rejected"}[5m])) / d', { metrics: ["c_total", "d"], labels: ["status", "code"], functions: ["sum", "rate"] }],
    ];
    for (const [expr, want] of cases) assert.deepEqual(promqlReferences(expr), want, expr);
    const exposed = exposedMetrics('c_total{status="applied"} 1\nd 2\n');
    const bad: DashboardQuery[] = [
      { where: "unknown metric", expr: "rate(c_totl[5m])" },
      { where: "unknown label", expr: "sum by (stat) (c_total)" },
      { where: "unknown function", expr: "rat(c_total[5m])" },
    ];
    for (const q of bad) assert.equal(dashboardProblems([q], exposed).length, 1, `${q.where} is found`);
  });

  it("uses only metrics, labels and functions the registry exposes", async () => {
    assert.ok(queries.length >= 30, `the dashboard has its queries (${queries.length})`);
    const exposed = exposedMetrics(await fedMetrics().render());
    for (const q of queries)
      for (const m of promqlReferences(q.expr).metrics) assert.notEqual(exposed.get(m), null, `${q.where}: ${m} has series, so its labels are checked`);
    assert.deepEqual(dashboardProblems(queries, exposed), [], "every query names exposed metrics and labels");
  });

  it("shows what an operator watches", () => {
    const used = new Set(queries.flatMap((q) => promqlReferences(q.expr).metrics));
    const watched: Array<[string, string]> = [
      ["certchain_head_height", "head height"],
      ["certchain_blocks_committed_total", "commit rate"],
      ["certchain_transactions_committed_total", "transactions per second"],
      ["certchain_block_execute_seconds_bucket", "block execute seconds"],
      ["certchain_block_store_seconds_bucket", "block store seconds"],
      ["certchain_blocks_decided_after_round_change_total", "round changes"],
      ["certchain_equivocation_evidence_total", "equivocations"],
      ["certchain_mempool_transactions", "mempool size"],
      ["certchain_peers_connected", "peers"],
      ["certchain_syncing", "sync state"],
      ["process_cpu_seconds_total", "process CPU"],
      ["process_resident_memory_bytes", "process memory"],
      ["nodejs_eventloop_lag_p99_seconds", "event-loop lag"],
    ];
    for (const [metric, what] of watched) assert.ok(used.has(metric), `${what}: ${metric} is on the dashboard`);
  });
});
