/**
 * Prometheus metrics (style.md §10): one typed object built on a registry, names with unit suffixes.
 * Counters and histograms are fed by the node as things happen; gauges read their source at scrape time.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { StoredBlock } from "./ledger/store.js";

/** Where the scrape-time gauges read from. */
export interface MetricsSources {
  head(): { height: number; time: number };
  consensus(): { height: number; round: number; active: boolean };
  /** Whether the validator's signing state can be written (it votes only then), and failed writes. */
  signing(): { writable: boolean; failures: number };
  mempoolSize(): number;
  peers(): { connected: number; configured: number };
  gossip(): { rejected: number; published: number; received: number; banned: number };
  syncing(): boolean;
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

export function createMetrics(sources: MetricsSources, registry = new Registry()): Metrics {
  collectDefaultMetrics({ register: registry, prefix: "certchain_process_" });
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
  gauge("certchain_head_time_seconds", "Block time of the last committed block", () => sources.head().time / 1000);
  gauge("certchain_consensus_height", "Height consensus is working on", () => sources.consensus().height);
  gauge("certchain_consensus_round", "Round consensus is in", () => sources.consensus().round);
  gauge("certchain_mempool_transactions", "Pending transactions", () => sources.mempoolSize());
  gauge("certchain_peers_connected", "Configured peers currently connected", () => sources.peers().connected);
  gauge("certchain_peers_configured", "Configured peers", () => sources.peers().configured);
  gauge("certchain_peers_banned", "Configured peers refused for now for sending invalid gossip", () => sources.gossip().banned);
  gauge("certchain_syncing", "1 while catching up from a peer", () => (sources.syncing() ? 1 : 0));
  gauge("certchain_signing_state_writable", "0 while the signing state cannot be written: the validator holds its votes", () =>
    sources.signing().writable ? 1 : 0,
  );
  // Totals kept by the network layer, exposed as counters set at scrape time.
  const gossipCounter = (name: string, help: string, read: () => number): void => {
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
  gossipCounter("certchain_gossip_received_total", "Gossip messages validated", () => sources.gossip().received);
  gossipCounter("certchain_gossip_rejected_total", "Gossip messages rejected (peer penalised)", () => sources.gossip().rejected);
  gossipCounter("certchain_gossip_published_total", "Gossip messages published", () => sources.gossip().published);
  gossipCounter("certchain_signing_state_write_failures_total", "Failed writes of the signing state", () => sources.signing().failures);

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
