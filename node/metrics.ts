/**
 * Prometheus metrics (style.md §10): one typed object built on a registry. Names follow Prometheus's
 * conventions: the `certchain_` prefix, base units as suffixes (`_seconds`, `_timestamp_seconds`,
 * `_bytes`), `_total` on counters and only there. The process and Node.js metrics of prom-client keep
 * their standard names (`process_cpu_seconds_total`, `nodejs_eventloop_lag_seconds`, …), as every
 * client library exports them, so stock dashboards read them; docs/grafana/ has ours.
 * Counters and histograms are fed by the node as things happen; gauges read their source at scrape time.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { StoredBlock } from "./ledger/store.js";
import type { ConnectionStats } from "./rpc/connection-guard.js";
import { type ResidentSplit, residentSplit } from "./proc-memory.js";

/** Where the scrape-time gauges read from. */
export interface MetricsSources {
  head(): { height: number; time: number };
  consensus(): { height: number; round: number; active: boolean };
  /** Whether the validator's signing state can be written (it votes only then), and failed writes. */
  signing(): { writable: boolean; failures: number };
  mempoolSize(): number;
  peers(): { connected: number; configured: number; gossiping: number };
  gossip(): { rejected: number; published: number; received: number; banned: number };
  syncing(): boolean;
  /** Validators in force at the next height and governance proposals by status (at the head); absent: not exposed. */
  governance?(): { validators: number; proposals: Record<string, number> };
  /** The RPC server's socket counters (connection-guard.ts); undefined before it exists. */
  rpcConnections?(): ConnectionStats | undefined;
}

export interface Metrics {
  readonly registry: Registry;
  /** Record a committed block. */
  blockCommitted(block: StoredBlock, source: "consensus" | "sync", timings: { executeMs: number; storeMs: number }): void;
  /** Record equivocation evidence against a validator. */
  equivocation(validator: number, kind: string): void;
  /** Prometheus text exposition. */
  render(): Promise<string>;
}

/** How long one read of the resident-memory split serves the scrape that made it. */
const SPLIT_REUSE_MS = 100;

export function createMetrics(sources: MetricsSources, registry = new Registry()): Metrics {
  collectDefaultMetrics({ register: registry });
  const blocks = new Counter({
    name: "certchain_blocks_committed_total",
    help: "Blocks committed, by how they arrived",
    labelNames: ["source"],
    registers: [registry],
  });
  const txs = new Counter({
    name: "certchain_transactions_committed_total",
    help: "Transactions in committed blocks, by receipt status and code",
    labelNames: ["status", "code"],
    registers: [registry],
  });
  const lateRounds = new Counter({
    name: "certchain_blocks_decided_after_round_change_total",
    help: "Blocks whose commit certificate is from a round > 0",
    registers: [registry],
  });
  const equivocations = new Counter({
    name: "certchain_equivocation_evidence_total",
    help: "Equivocations seen (two conflicting signed messages), by validator index and message kind",
    labelNames: ["validator", "kind"],
    registers: [registry],
  });
  const execute = new Histogram({
    name: "certchain_block_execute_seconds",
    help: "Time to execute a block's transactions",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const store = new Histogram({
    name: "certchain_block_store_seconds",
    help: "Time of the synced atomic write of a block",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const blockTxs = new Histogram({
    name: "certchain_block_transactions",
    help: "Transactions per committed block",
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2000],
    registers: [registry],
  });

  const gauge = (name: string, help: string, read: () => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  };
  gauge("certchain_head_height", "Height of the last committed block", () => sources.head().height);
  gauge("certchain_head_timestamp_seconds", "Block time of the last committed block (Unix time)", () => sources.head().time / 1000);
  gauge("certchain_consensus_height", "Height consensus is working on", () => sources.consensus().height);
  gauge("certchain_consensus_round", "Round consensus is in", () => sources.consensus().round);
  gauge("certchain_mempool_transactions", "Pending transactions", () => sources.mempoolSize());
  gauge("certchain_peers_connected", "Configured peers currently connected", () => sources.peers().connected);
  gauge("certchain_peers_configured", "Configured peers", () => sources.peers().configured);
  gauge("certchain_peers_gossiping", "Configured peers subscribed to both gossip topics: those a publish reaches now", () => sources.peers().gossiping);
  gauge("certchain_peers_banned", "Configured peers refused for now for sending invalid gossip", () => sources.gossip().banned);
  gauge("certchain_syncing", "1 while catching up from a peer", () => (sources.syncing() ? 1 : 0));
  gauge("certchain_signing_state_writable", "0 while the signing state cannot be written: the validator holds its votes", () =>
    sources.signing().writable ? 1 : 0,
  );
  // Resident memory by kind where procfs has it (Linux): a leak is in the anonymous part; the file-backed
  // part is page cache of the binary and of LevelDB's mapped tables (node/proc-memory.ts).
  if (residentSplit() !== null) {
    // One read of /proc/self/status serves both gauges of a scrape (they are collected one after the other).
    let split: ResidentSplit | null = null;
    let readAt = Number.NEGATIVE_INFINITY;
    const part = (key: keyof ResidentSplit): number => {
      if (Date.now() - readAt > SPLIT_REUSE_MS) {
        split = residentSplit();
        readAt = Date.now();
      }
      return split?.[key] ?? 0;
    };
    gauge("certchain_process_resident_anon_bytes", "Resident anonymous memory: JS heap and native allocations", () => part("anonBytes"));
    gauge("certchain_process_resident_file_bytes", "Resident file-backed memory: the binary, libraries and LevelDB's mapped tables", () => part("fileBytes"));
  }
  if (sources.governance !== undefined) {
    const governance = sources.governance;
    gauge("certchain_validators", "Validators in force at the next height (governance changes the set)", () => governance().validators);
    new Gauge({
      name: "certchain_governance_proposals",
      help: "Governance proposals by status at the head",
      labelNames: ["status"],
      registers: [registry],
      collect() {
        this.reset();
        for (const [status, n] of Object.entries(governance().proposals)) this.set({ status }, n);
      },
    });
  }
  // Totals kept elsewhere (the network layer, the driver, the RPC's connection guard), exposed as counters set at scrape time.
  const totalCounter = (name: string, help: string, read: () => number): void => {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  };
  totalCounter("certchain_gossip_received_total", "Gossip messages validated", () => sources.gossip().received);
  totalCounter("certchain_gossip_rejected_total", "Gossip messages rejected (peer penalised)", () => sources.gossip().rejected);
  totalCounter("certchain_gossip_published_total", "Gossip messages published", () => sources.gossip().published);
  totalCounter("certchain_signing_state_write_failures_total", "Failed writes of the signing state", () => sources.signing().failures);
  const rpc = (): ConnectionStats => sources.rpcConnections?.() ?? { open: 0, refused: 0, evicted: 0, pipelineClosed: 0 };
  gauge("certchain_rpc_connections_open", "RPC sockets open", () => rpc().open);
  totalCounter("certchain_rpc_connections_refused_total", "RPC sockets refused (over the caps in total or per client)", () => rpc().refused);
  totalCounter("certchain_rpc_connections_evicted_total", "Idle RPC sockets closed to make room for a new one", () => rpc().evicted);
  totalCounter("certchain_rpc_connections_pipeline_closed_total", "RPC sockets closed for pipelining too many requests", () => rpc().pipelineClosed);

  return {
    registry,
    blockCommitted(block, source, timings) {
      blocks.inc({ source });
      if (block.commit.round > 0) lateRounds.inc();
      blockTxs.observe(block.block.txs.length);
      for (const r of block.receipts) txs.inc({ status: r.status, code: r.code ?? "" });
      execute.observe(timings.executeMs / 1000);
      store.observe(timings.storeMs / 1000);
    },
    equivocation(validator, kind) {
      equivocations.inc({ validator: String(validator), kind });
    },
    render: () => registry.metrics(),
  };
}
