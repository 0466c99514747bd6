/**
 * Bounded concurrency for expensive RPC work (block, proof, feed and history reads; transaction
 * submissions): at most `concurrency` run at once, at most `maxQueued` wait, and the rest are answered
 * 503 RPC_BUSY with Retry-After at once instead of piling up in memory. Work that waited longer than
 * `maxQueueWaitMs` for its turn is answered 503 RPC_BUSY too, without being done: under a spike a
 * queue of 1,000-transaction batches drains slower than clients wait (seen in the soak's spike mode:
 * clients timed out with no answer), and work for a client that has gone is wasted.
 */
import pLimit, { type LimitFunction } from "p-limit";
import type { Clock } from "../clock.js";
import { LedgerError } from "../errors.js";

export interface WorkLimitOptions {
  concurrency: number;
  maxQueued: number;
  /** Seconds a refused client is told to wait. */
  retryAfterSeconds: number;
  /** Work that waited longer than this for its turn is refused (0: no bound). */
  maxQueueWaitMs: number;
}

export class WorkLimit {
  private readonly limit: LimitFunction;

  constructor(
    private readonly what: string,
    private readonly options: WorkLimitOptions,
    private readonly clock: Pick<Clock, "now">,
  ) {
    this.limit = pLimit(options.concurrency);
  }

  /** True when one more piece of work would be refused (checked before reading a request body). */
  get full(): boolean {
    return this.limit.pendingCount >= this.options.maxQueued;
  }

  /** Refuse now when the queue is full. */
  assertRoom(): void {
    if (this.full)
      throw new LedgerError("RPC_BUSY", `too many ${this.what} in progress; try again shortly`, { retryAfterSeconds: this.options.retryAfterSeconds });
  }

  run<T>(work: () => Promise<T>): Promise<T> {
    this.assertRoom();
    const queuedAt = this.clock.now();
    return this.limit(() => {
      const waited = this.clock.now() - queuedAt;
      // [SHED] its turn came too late: the client has likely given up, and the node is behind
      if (this.options.maxQueueWaitMs > 0 && waited > this.options.maxQueueWaitMs)
        throw new LedgerError("RPC_BUSY", `${this.what} are queued too long (${waited} ms); try again shortly`, {
          retryAfterSeconds: this.options.retryAfterSeconds,
        });
      return work();
    });
  }
}
