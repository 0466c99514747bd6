/**
 * Transactions travel between nodes in batches (design.md §4: per-message overhead dominates gossip
 * cost). Outbound: what this node admitted is flushed every few milliseconds as one message.
 * Inbound: each transaction of a batch is checked and admitted once; a batch with a forged
 * transaction is rejected so gossipsub scores its sender down.
 *
 * Sent again until every peer has it: gossipsub writes a message only to the peers whose subscription
 * it already holds, over a stream already open, and keeps nothing for peers that come later. A batch
 * published while a connection is being made or remade (node start, a reset, a healed partition) would
 * reach only some validators, or none, and the rest would see those transactions only in a block
 * proposed by this node, after as many round changes as it takes to be its turn (tens of seconds).
 * So a batch that reached fewer peers than are configured stays owed, and is sent again (as a new
 * message) whenever a peer it did not reach is subscribed, until it has reached them all or leaves the
 * mempool (CometBFT's mempool likewise sends each peer every pending transaction, whenever it joined).
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
  /** Gossip a batch; resolves to the peers (ids) it was sent to. */
  publish(data: Uint8Array): Promise<string[]>;
  /** New transactions were admitted from a peer. */
  onAdmitted(): void;
  /** The peers to reach; without it nothing is sent again. */
  peers?: {
    /** configured peers: a batch sent to this many has reached them all */
    configured(): number;
    /** configured peers subscribed to gossip now (ids) */
    subscribed(): string[];
  };
}

/** How often owed transactions are looked at (only while some are owed). */
export const RESEND_CHECK_MS = 100;
/** The gap between sends of owed transactions doubles from RESEND_CHECK_MS up to this while sends reach no more peers. */
export const RESEND_MAX_GAP_MS = 5_000;

/** Batches this node's admitted transactions into gossip messages and admits peers' batches. */
export class TxGossip {
  private outbound: CheckedTx[] = [];
  private outboundBytes = 0;
  private timer: unknown = null;
  /** Transactions received from peers that were new to this node. */
  received = 0;
  /** Transactions this node announced that not every configured peer has been sent yet, by hash. */
  private readonly owed = new Map<string, CheckedTx>();
  /** Peers every owed transaction has been sent to: send again only when another one is subscribed. */
  private owedReached = new Set<string>();
  private resendTimer: unknown = null;
  /** When owed transactions may be sent again at the earliest, and the gap after that send. */
  private nextResendAt = 0;
  private resendGapMs = RESEND_CHECK_MS;
  /** Sends of owed transactions so far: makes each one a new gossip message (ids are content hashes). */
  private resends = 0;
  private stopped = false;

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
    const batch = this.outbound;
    this.outbound = [];
    this.outboundBytes = 0;
    this.send(batch, undefined);
  }

  /** Publish one batch (`resend`: the number of a send of owed transactions), then settle what it reached. */
  private send(batch: CheckedTx[], resend: number | undefined): void {
    const data = Buffer.from(JSON.stringify(resend === undefined ? { txs: batch.map((t) => t.tx) } : { txs: batch.map((t) => t.tx), resend }), "utf8");
    this.modules
      .publish(data)
      .then((reached) => this.settle(batch, reached))
      .catch((err: unknown) => this.modules.log.warn("transaction gossip failed", { err }));
  }

  /** A batch was sent to the peers `reached`: short of all configured ones, its transactions stay owed. */
  private settle(batch: CheckedTx[], reached: string[]): void {
    const peers = this.modules.peers;
    if (peers === undefined || this.stopped) return;
    if (reached.length >= peers.configured()) {
      for (const t of batch) this.owed.delete(t.hash);
      if (this.owed.size === 0) this.resetResendGap();
      return;
    }
    const sent = new Set(reached);
    this.owedReached = this.owed.size === 0 ? sent : new Set([...this.owedReached].filter((p) => sent.has(p)));
    for (const t of batch) this.owed.set(t.hash, t);
    this.scheduleResend();
  }

  private resetResendGap(): void {
    this.nextResendAt = 0;
    this.resendGapMs = RESEND_CHECK_MS;
  }

  private scheduleResend(): void {
    if (this.resendTimer !== null || this.stopped) return;
    this.resendTimer = this.modules.clock.setTimeout(() => {
      this.resendTimer = null;
      this.resendOwed();
    }, RESEND_CHECK_MS);
  }

  /** Send owed transactions again if a peer they were not sent to is subscribed now. */
  private resendOwed(): void {
    const { mempool, clock, peers } = this.modules;
    if (peers === undefined || this.stopped) return;
    for (const hash of this.owed.keys()) if (!mempool.has(hash)) this.owed.delete(hash); // committed or dropped
    if (this.owed.size === 0) {
      this.resetResendGap();
      return;
    }
    const now = clock.now();
    const missing = peers.subscribed().filter((p) => !this.owedReached.has(p));
    if (missing.length > 0 && now >= this.nextResendAt) {
      // Each send that still leaves someone out waits twice as long before the next (a peer subscribed
      // but not yet writable, or whose stream broke: the peer keeper reconnects it).
      this.nextResendAt = now + this.resendGapMs;
      this.resendGapMs = Math.min(2 * this.resendGapMs, RESEND_MAX_GAP_MS);
      const owed = [...this.owed.values()];
      this.owed.clear();
      this.resends++;
      this.modules.log.debug("sending owed transactions again", { txs: owed.length, to: missing.length });
      for (const batch of this.batches(owed)) this.send(batch, this.resends);
      return; // settle() looks again if some are still owed
    }
    this.scheduleResend();
  }

  /** Split transactions into batches within the batch limits. */
  private batches(txs: CheckedTx[]): CheckedTx[][] {
    const out: CheckedTx[][] = [];
    let batch: CheckedTx[] = [];
    let bytes = 0;
    for (const t of txs) {
      if (batch.length > 0 && (batch.length >= this.options.maxBatchTxs || bytes + t.bytes > this.options.maxBatchBytes)) {
        out.push(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(t);
      bytes += t.bytes;
    }
    if (batch.length > 0) out.push(batch);
    return out;
  }

  /** Transactions owed to some peer now (tests, diagnostics). */
  get owedCount(): number {
    return this.owed.size;
  }

  stop(): void {
    this.flush();
    this.stopped = true;
    if (this.resendTimer !== null) this.modules.clock.clearTimeout(this.resendTimer);
    this.resendTimer = null;
    this.owed.clear();
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
