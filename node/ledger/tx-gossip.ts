/**
 * Transactions travel between nodes in batches (design.md §4: per-message overhead dominates gossip
 * cost). Outbound: what this node admitted is flushed every few milliseconds as one message.
 * Inbound: each transaction of a batch is checked and admitted once; a batch with a forged
 * transaction is rejected so gossipsub scores its sender down.
 */
import type { Clock } from "../clock.js";
import { type GossipVerdict, LedgerError, gossipVerdictFor } from "../errors.js";
import type { Logger } from "../logger.js";
import type { Mempool } from "./mempool.js";
import type { CheckedTx } from "../chain/tx.js";

export interface TxGossipOptions {
  flushIntervalMs: number;
  maxBatchTxs: number;
  maxBatchBytes: number;
}

export const defaultTxGossipOptions: TxGossipOptions = {
  flushIntervalMs: 10,
  maxBatchTxs: 1000,
  maxBatchBytes: 2 * 1024 * 1024,
};

export interface TxGossipModules {
  mempool: Mempool;
  clock: Clock;
  log: Logger;
  publish(data: Uint8Array): Promise<void>;
  /** New transactions were admitted from a peer. */
  onAdmitted(): void;
}

/** Batches this node's admitted transactions into gossip messages and admits peers' batches. */
export class TxGossip {
  private outbound: CheckedTx[] = [];
  private outboundBytes = 0;
  private timer: unknown = null;
  /** Transactions received from peers that were new to this node. */
  received = 0;

  constructor(
    private readonly options: TxGossipOptions,
    private readonly modules: TxGossipModules,
  ) {}

  /** Queue a transaction this node admitted for the next outbound batch. */
  announce(tx: CheckedTx): void {
    this.outbound.push(tx);
    this.outboundBytes += tx.bytes;
    if (this.outbound.length >= this.options.maxBatchTxs || this.outboundBytes >= this.options.maxBatchBytes) {
      this.flush();
    } else if (this.timer === null) {
      this.timer = this.modules.clock.setTimeout(() => this.flush(), this.options.flushIntervalMs);
    }
  }

  /** Publish what is queued now. */
  flush(): void {
    if (this.timer !== null) this.modules.clock.clearTimeout(this.timer);
    this.timer = null;
    if (this.outbound.length === 0) return;
    const data = Buffer.from(JSON.stringify({ txs: this.outbound.map((t) => t.tx) }), "utf8");
    this.outbound = [];
    this.outboundBytes = 0;
    this.modules.publish(data).catch((err: unknown) => this.modules.log.warn("transaction gossip failed", { err }));
  }

  stop(): void {
    this.flush();
  }

  /** Validate and admit a batch from a peer. */
  async handleBatch(data: Uint8Array): Promise<GossipVerdict> {
    let batch: unknown;
    try {
      batch = JSON.parse(Buffer.from(data).toString("utf8"));
    } catch {
      return "reject"; // [REJECT] not JSON
    }
    const txs = (batch as { txs?: unknown })?.txs;
    // [REJECT] a bounded array of transactions
    if (!Array.isArray(txs) || txs.length === 0 || txs.length > this.options.maxBatchTxs) return "reject";
    let fresh = 0;
    let verdict: GossipVerdict = "accept";
    let results: Awaited<ReturnType<Mempool["admitMany"]>>;
    try {
      results = await this.modules.mempool.admitMany(txs);
    } catch (err) {
      // [IGNORE] the whole batch could not be admitted now (NOT_READY: blocks committing faster than
      // admission, or shutting down): this node's state, not the peer's fault
      return gossipVerdictFor(err);
    }
    for (const result of results) {
      if (!(result instanceof LedgerError)) {
        if (result.status === "accepted") fresh++;
        continue;
      }
      // [REJECT] forged or malformed; [IGNORE] merely stale (already issued, mempool full)
      if (gossipVerdictFor(result) === "reject") {
        this.modules.log.debug("rejected gossiped transaction", { code: result.code });
        verdict = "reject";
      }
    }
    if (fresh > 0) {
      this.received += fresh;
      this.modules.onAdmitted();
    }
    return verdict;
  }
}
