/**
 * Bounded concurrency for expensive RPC work (block, proof, feed and history reads; transaction
 * submissions): at most `concurrency` run at once, at most `maxQueued` wait, and the rest are answered
 * 503 RPC_BUSY with Retry-After at once instead of piling up in memory.
 */
import pLimit, { type LimitFunction } from "p-limit";
import { LedgerError } from "../errors.js";

export interface WorkLimitOptions {
  concurrency: number;
  maxQueued: number;
  /** Seconds a refused client is told to wait. */
  retryAfterSeconds: number;
}

export class WorkLimit {
  private readonly limit: LimitFunction;

  constructor(
    private readonly what: string,
    private readonly options: WorkLimitOptions,
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
    return this.limit(work);
  }
}
