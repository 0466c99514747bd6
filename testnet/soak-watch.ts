/**
 * The soak's chain follower: polls a live node's head and reads every new block, so each offered
 * transaction is seen committed when its block first appears (commit latency, throughput) without
 * one GET /txs/:hash per transaction, which does not scale to hundreds per second.
 */
import { txHash } from "../node/chain/tx.js";
import type { Transaction } from "../node/chain/types.js";
import { call, sleep } from "./chaos-rpc.js";

const POLL_MS = 200;
const TIMEOUT_MS = 5_000;

export interface WatchModules {
  urls: readonly string[];
  /** Nodes not under a fault now. */
  liveNodes(): number[];
  /** Called once per committed block, in height order, when it is first read (Date.now() time). */
  onBlock(height: number, hashes: string[], at: number): void;
}

/** Follows the chain on whichever node is live; never skips a height. */
export class BlockWatcher {
  height = 0;
  private running = false;
  private loop: Promise<void> | null = null;
  private turn = 0;
  /**
   * Answers other than 200 to the follower's reads, by status ("0": no answer): a node that is
   * overloaded, rate-limiting or restarting answers with an error body, which is skipped, never read as a head.
   */
  readonly refused = new Map<string, number>();

  constructor(private readonly modules: WatchModules) {}

  start(from: number): void {
    this.height = from;
    this.running = true;
    this.loop = this.follow();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async follow(): Promise<void> {
    while (this.running) {
      const live = this.modules.liveNodes();
      const node = live[this.turn++ % Math.max(1, live.length)];
      if (node !== undefined) await this.readFrom(this.modules.urls[node] as string);
      await sleep(POLL_MS);
    }
  }

  private count(status: number): void {
    const key = String(status);
    this.refused.set(key, (this.refused.get(key) ?? 0) + 1);
  }

  /** Read blocks above `height` from one node until its head, or until it stops answering. */
  private async readFrom(url: string): Promise<void> {
    const status = await call<{ head?: { height?: unknown } }>(url, "/status", TIMEOUT_MS);
    const head = status.body?.head?.height;
    // [REJECT] anything but a 200 with a head (a 503/429 error body, no answer): try the next node next time.
    if (status.status !== 200 || typeof head !== "number") {
      this.count(status.status);
      return;
    }
    while (this.running && this.height < head) {
      const b = await call<{ block?: { txs?: Transaction[] } }>(url, `/blocks/${this.height + 1}`, TIMEOUT_MS);
      const txs = b.body?.block?.txs;
      // [REJECT] a block answer without its transactions: read it again, from this or another node.
      if (b.status !== 200 || !Array.isArray(txs)) {
        this.count(b.status);
        return;
      }
      this.height++;
      this.modules.onBlock(this.height, txs.map(txHash), Date.now());
    }
  }
}
