/**
 * Catch-up (design.md §3): a node that is behind — restarted, partitioned, new — asks peers for their
 * head over request/response and fetches the blocks it lacks with their commit certificates, checks
 * every certificate and every transaction, and hands them to the driver's queue to apply. It also
 * serves those requests to others.
 */
import { type ChainTip, checkBlock, checkCommitCertificate, type TxCheckCache } from "../chain/block.js";
import type { ChainSpec } from "../chain/genesis.js";
import type { CommittedBlock } from "../chain/types.js";
import type { Clock } from "../clock.js";
import type { ConsensusDriver } from "../consensus/driver.js";
import type { ChainStore } from "../ledger/store.js";
import { LedgerError } from "../errors.js";
import type { Logger } from "../logger.js";

export interface SyncOptions {
  /** How often to compare heads with a peer. */
  pollIntervalMs: number;
  /** Blocks per "blocks" response at most. */
  maxBlocksPerResponse: number;
  /** Bytes per "blocks" response at most (the network also enforces a hard limit). */
  maxResponseBytes: number;
}

export const defaultSyncOptions: SyncOptions = {
  pollIntervalMs: 1000,
  maxBlocksPerResponse: 256,
  maxResponseBytes: 8 * 1024 * 1024,
};

/** What sync needs from the network. */
export interface SyncNetwork {
  connectedPeers(): string[];
  request(peerId: string, name: string, body: Uint8Array): Promise<Uint8Array>;
}

export interface SyncModules {
  spec: ChainSpec;
  store: ChainStore;
  driver: ConsensusDriver;
  network: SyncNetwork;
  cache: TxCheckCache;
  clock: Clock;
  log: Logger;
}

/** A peer's answer to "status". */
export interface PeerHead {
  height: number;
  hash: string;
}

const encode = (v: unknown): Uint8Array => Buffer.from(JSON.stringify(v), "utf8");
const decode = (b: Uint8Array): unknown => JSON.parse(Buffer.from(b).toString("utf8"));

/** Catch-up: polls peers' heads, fetches and checks the blocks this node lacks, and serves its own. */
export class BlockSync {
  private timer: unknown = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private peerCursor = 0;
  /** Blocks applied through sync since start. */
  syncedBlocks = 0;
  /** True while a catch-up is under way. */
  syncing = false;
  /** The head each connected peer last reported (dropped when it disconnects or fails to serve blocks up to it). */
  private readonly peerHeads = new Map<string, number>();

  constructor(
    private readonly options: SyncOptions,
    private readonly modules: SyncModules,
  ) {}

  start(): void {
    const tick = (): void => {
      if (this.stopped) return;
      this.trigger();
      this.timer = this.modules.clock.setTimeout(tick, this.options.pollIntervalMs);
    };
    this.timer = this.modules.clock.setTimeout(tick, this.options.pollIntervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) this.modules.clock.clearTimeout(this.timer);
    await this.running;
  }

  /** Compare heads with peers soon; coalesces concurrent triggers into one run. */
  trigger(): void {
    if (this.stopped) return;
    if (this.running !== null) {
      this.again = true;
      return;
    }
    this.running = this.run()
      .catch((err: unknown) => this.modules.log.warn("sync round failed", { err }))
      .finally(() => {
        this.running = null;
        if (this.again && !this.stopped) {
          this.again = false;
          this.trigger();
        }
      });
  }

  /** The highest head one of `connected` reported, or null when none has (readiness: are we behind?). */
  peersHead(connected: readonly string[]): number | null {
    let best: number | null = null;
    for (const peer of connected) {
      const h = this.peerHeads.get(peer);
      if (h !== undefined && (best === null || h > best)) best = h;
    }
    return best;
  }

  /** Answer a peer's request ("status" or "blocks"). */
  async handleRequest(name: string, body: Uint8Array): Promise<Uint8Array> {
    if (name === "status") {
      const tip = this.modules.driver.tip();
      return encode({ height: tip.height, hash: tip.hash } satisfies PeerHead);
    }
    if (name === "blocks") {
      let req: { from?: unknown; max?: unknown };
      try {
        req = (decode(body) ?? {}) as { from?: unknown; max?: unknown };
      } catch {
        // A peer's body that is not JSON is its mistake, like a bad "from" (found by fuzzing: a SyntaxError escaped)
        throw new LedgerError("BAD_REQUEST", "a blocks request must be JSON");
      }
      if (!Number.isSafeInteger(req.from) || (req.from as number) < 1) throw new LedgerError("BAD_REQUEST", "from must be a positive integer");
      const max = Math.min(Number.isSafeInteger(req.max) ? (req.max as number) : this.options.maxBlocksPerResponse, this.options.maxBlocksPerResponse);
      const blocks: CommittedBlock[] = [];
      let bytes = 0;
      const head = this.modules.driver.tip().height;
      for (let h = req.from as number; h <= head && blocks.length < max; h++) {
        const b = await this.modules.store.getBlock(h);
        if (b === null) break;
        const item: CommittedBlock = { block: b.block, commit: b.commit };
        bytes += JSON.stringify(item).length;
        if (blocks.length > 0 && bytes > this.options.maxResponseBytes) break;
        blocks.push(item);
      }
      return encode({ blocks });
    }
    throw new LedgerError("BAD_REQUEST", `unknown request ${name}`);
  }

  private async run(): Promise<void> {
    const peers = this.modules.network.connectedPeers();
    // A peer that went away forgets its head: after a reconnection it must report again.
    for (const peer of this.peerHeads.keys()) if (!peers.includes(peer)) this.peerHeads.delete(peer);
    if (peers.length === 0) return;
    // Round-robin over peers so one slow or lying peer cannot stall us.
    for (let i = 0; i < peers.length && !this.stopped; i++) {
      const peer = peers[(this.peerCursor + i) % peers.length] as string;
      let head: PeerHead;
      try {
        head = decode(await this.modules.network.request(peer, "status", encode({}))) as PeerHead;
      } catch (err) {
        this.modules.log.debug("status request failed", { peer, err });
        continue;
      }
      if (!Number.isSafeInteger(head?.height)) continue;
      this.peerHeads.set(peer, head.height);
      if (head.height <= this.modules.driver.tip().height) continue;
      this.peerCursor = (this.peerCursor + i + 1) % peers.length;
      // A peer that claims a head it does not serve does not keep this node "behind".
      if (!(await this.fetchFrom(peer, head.height))) this.peerHeads.delete(peer);
      return;
    }
  }

  /** Fetch blocks from `peer` up to `target`; false when it stopped serving them before (or served an invalid one). */
  private async fetchFrom(peer: string, target: number): Promise<boolean> {
    this.syncing = true;
    const startedAt = this.modules.clock.now();
    const startHeight = this.modules.driver.tip().height;
    try {
      while (!this.stopped && this.modules.driver.tip().height < target) {
        const from = this.modules.driver.tip().height + 1;
        const res = decode(await this.modules.network.request(peer, "blocks", encode({ from, max: this.options.maxBlocksPerResponse }))) as {
          blocks?: unknown;
        };
        if (!Array.isArray(res?.blocks) || res.blocks.length === 0) break;
        const before = this.modules.driver.tip().height;
        if (!(await this.applyBatch(peer, res.blocks as CommittedBlock[]))) break;
        // A peer that claims a higher head but serves nothing new is stalling us: try the others.
        if (this.modules.driver.tip().height === before) break;
      }
    } catch (err) {
      this.modules.log.debug("block request failed", { peer, err });
    } finally {
      this.syncing = false;
      const applied = this.modules.driver.tip().height - startHeight;
      if (applied > 0)
        this.modules.log.info("caught up", { peer, from: startHeight + 1, to: this.modules.driver.tip().height, ms: this.modules.clock.now() - startedAt });
    }
    return this.stopped || this.modules.driver.tip().height >= target;
  }

  /**
   * Check a fetched batch block by block, each against the one before it, and hand each to the
   * driver's queue as soon as it is checked: the next block's signatures are verified while the
   * previous one is being written. False: the peer served an invalid block; stop with this peer.
   */
  private async applyBatch(peer: string, items: CommittedBlock[]): Promise<boolean> {
    let parent: ChainTip = this.modules.driver.tip();
    const applying: Array<Promise<boolean>> = [];
    let valid = true;
    for (const item of items) {
      const height = item?.block?.header?.height;
      if (typeof height === "number" && height <= parent.height) continue; // consensus got there first
      let checked: ReturnType<typeof checkBlock>;
      try {
        // [REJECT] the block follows its parent and every transaction in it is valid
        checked = checkBlock(this.modules.spec, item?.block, parent, { cache: this.modules.cache });
        // [REJECT] a quorum of validators committed exactly this block
        checkCommitCertificate(this.modules.spec, item.commit, checked.block.header);
      } catch (err) {
        this.modules.log.warn("peer served an invalid block", { peer, height: parent.height + 1, reason: (err as Error).message });
        valid = false;
        break;
      }
      applying.push(this.modules.driver.applySyncedBlock({ block: checked.block, commit: item.commit, hash: checked.hash }, checked.txs));
      parent = { height: checked.block.header.height, hash: checked.hash, time: checked.block.header.time };
      // Let the queue start writing before the next block's checks take the thread.
      if (applying.length % 16 === 0) await new Promise((r) => setImmediate(r));
    }
    for (const applied of await Promise.all(applying)) if (applied) this.syncedBlocks++;
    return valid;
  }
}
