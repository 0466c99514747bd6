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

  /** Read blocks above `height` from one node until its head, or until it stops answering. */
  private async readFrom(url: string): Promise<void> {
    const status = await call<{ head: { height: number } }>(url, "/status", TIMEOUT_MS);
    const head = status.body?.head.height ?? 0;
    while (this.running && this.height < head) {
      const b = await call<{ block: { txs: Transaction[] } }>(url, `/blocks/${this.height + 1}`, TIMEOUT_MS);
      if (b.status !== 200 || b.body === null) return;
      this.height++;
      this.modules.onBlock(this.height, b.body.block.txs.map(txHash), Date.now());
    }
  }
}
