/**
 * The driver's one serial input loop (style.md §3): verified messages, timer expiries, built blocks,
 * synced blocks and signing-state retries all run here one after another, so the core and the chain
 * head never change under a running task.
 */
import type { Logger } from "../logger.js";

/** What the input queue needs from the node. */
export interface InputQueueModules {
  log: Logger;
}

/** A promise chain that runs one task at a time, in order; stopping drains it. */
export class InputQueue {
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;
  private stopped = false;

  constructor(private readonly modules: InputQueueModules) {}

  /** Tasks waiting to run. */
  get backlog(): number {
    return this.queued;
  }

  /** True once stop() was called: tasks still queued are skipped. */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** Run `task` after every task queued before it; a failure is logged and the loop goes on. */
  enqueue(task: () => Promise<void>): void {
    this.queued++;
    this.tail = this.tail
      .then(async () => {
        this.queued--;
        if (!this.stopped) await task();
      })
      .catch((err: unknown) => this.modules.log.error("consensus input failed", { err }));
  }

  /** Skip what is still queued and wait for the running task to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.tail;
  }
}
