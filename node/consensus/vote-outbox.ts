/**
 * Persist before send (design.md §3 "Never equivocate"): the core's `persist` output is written
 * durably before the `broadcast` that follows it leaves the node. When the signing state cannot be
 * written (disk full, EMFILE, …) the validator says so loudly — an error log, rate-limited, and a
 * flag for /metrics — holds every vote, retries the write with backoff on the input loop, and sends
 * the held votes, in order, once a write succeeds. Nothing is signed into the world meanwhile.
 */
import type { UnsignedMessage } from "../../consensus/types.js";
import type { Block } from "../chain/types.js";
import type { Clock } from "../clock.js";
import type { Logger } from "../logger.js";
import type { SigningState, SigningStateStore } from "./signing-state.js";

/** Retry and logging pace while the signing state cannot be written. */
export interface VoteOutboxOptions {
  /** First retry of a failed signing-state write after this long, doubling per failure up to the max. */
  signingRetryMs: number;
  signingRetryMaxMs: number;
  /** At most one error log per this long while writes keep failing. */
  signingErrorLogMs: number;
}

/** The pace a node runs with. */
export const defaultVoteOutboxOptions: VoteOutboxOptions = {
  signingRetryMs: 250,
  signingRetryMaxMs: 5_000,
  signingErrorLogMs: 10_000,
};

/** Where votes go and how retries get onto the input loop. */
export interface VoteOutboxModules {
  signing: SigningStateStore;
  clock: Clock;
  log: Logger;
  /** Run a task on the driver's serial input loop. */
  enqueue(task: () => Promise<void>): void;
  /** Sign and send a vote whose signing state is on disk. */
  send(message: UnsignedMessage<Block>): void;
}

/** Whether the validator can vote, for status and metrics. */
export interface SigningHealth {
  /** False while the signing state cannot be written (votes are held). */
  writable: boolean;
  /** Failed writes since the node started. */
  failures: number;
  /** Votes waiting for a successful write. */
  heldVotes: number;
}

/** Runs `persist` and `broadcast` outputs in order, holding votes while the signing state is not durable. */
export class VoteOutbox {
  /** The newest state still to be written while writes fail (it covers every held vote). */
  private unwritten: SigningState | null = null;
  private held: Array<UnsignedMessage<Block>> = [];
  private retryTimer: unknown = null;
  private retryMs: number;
  private failures = 0;
  private failuresSinceLog = 0;
  private lastLogAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly options: VoteOutboxOptions,
    private readonly modules: VoteOutboxModules,
  ) {
    this.retryMs = options.signingRetryMs;
  }

  /** See SigningHealth. */
  health(): SigningHealth {
    return { writable: this.unwritten === null, failures: this.failures, heldVotes: this.held.length };
  }

  /** The core's `persist` output: write it now, or (while writes fail) make it the state to retry. */
  async persist(state: SigningState): Promise<void> {
    if (this.unwritten !== null) {
      this.unwritten = state;
      return;
    }
    try {
      await this.modules.signing.save(state);
    } catch (err) {
      this.unwritten = state;
      this.failed(err);
    }
  }

  /** The core's `broadcast` output: sent at once unless an earlier write is still outstanding. */
  broadcast(message: UnsignedMessage<Block>): void {
    if (this.unwritten !== null) this.held.push(message);
    else this.modules.send(message);
  }

  /** Consensus moved to `height`: held votes and unwritten state of lower heights no longer matter. */
  advance(height: number): void {
    this.held = this.held.filter((m) => m.height >= height);
    if (this.unwritten !== null && this.unwritten.height < height) {
      this.unwritten = null;
      this.held = [];
      this.cancelRetry();
    }
  }

  /** Stop retrying. */
  stop(): void {
    this.cancelRetry();
  }

  private failed(err: unknown): void {
    this.failures++;
    this.failuresSinceLog++;
    const now = this.modules.clock.now();
    if (now - this.lastLogAt >= this.options.signingErrorLogMs) {
      this.lastLogAt = now;
      this.modules.log.error("cannot write the signing state: not voting until it can", {
        err,
        failures: this.failuresSinceLog,
        heldVotes: this.held.length,
        retryMs: this.retryMs,
      });
      this.failuresSinceLog = 0;
    }
    this.cancelRetry();
    this.retryTimer = this.modules.clock.setTimeout(() => {
      this.retryTimer = null;
      this.modules.enqueue(() => this.retry());
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, this.options.signingRetryMaxMs);
  }

  private async retry(): Promise<void> {
    const state = this.unwritten;
    if (state === null) return;
    try {
      await this.modules.signing.save(state);
    } catch (err) {
      this.failed(err);
      return;
    }
    this.unwritten = null;
    this.retryMs = this.options.signingRetryMs;
    const votes = this.held;
    this.held = [];
    this.modules.log.warn("signing state written again: voting resumes", { failures: this.failures, votes: votes.length });
    for (const vote of votes) this.modules.send(vote);
  }

  private cancelRetry(): void {
    if (this.retryTimer !== null) this.modules.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}
