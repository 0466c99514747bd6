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
import { type BlockPrecheck, EMPTY_PRECHECK, type SyncVerifier } from "./verify-pool.js";

export interface SyncOptions {
  /** How often to compare heads with a peer. */
  pollIntervalMs: number;
  /** Blocks per "blocks" response at most. */
  maxBlocksPerResponse: number;
  /** Bytes per "blocks" response at most (the network also enforces a hard limit). */
  maxResponseBytes: number;
  /** How long a peer has to answer "status" before the round goes on without it (a paused or dead peer). */
  statusTimeoutMs: number;
  /** Worker threads checking synced blocks' signatures: -1 one per core, 0 none (the main thread checks). */
  verifyWorkers: number;
  /** How often a running catch-up logs its progress line (height, blocks/s, eta). */
  progressIntervalMs: number;
}

export const defaultSyncOptions: SyncOptions = {
  pollIntervalMs: 1000,
  maxBlocksPerResponse: 256,
  maxResponseBytes: 8 * 1024 * 1024,
  statusTimeoutMs: 2000,
  verifyWorkers: -1,
  progressIntervalMs: 5000,
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
  /** Signature checks off the main thread (verify-pool.ts; its owner closes it); without one the main thread does them. */
  verifier?: SyncVerifier;
}

/** A peer's answer to "status". */
export interface PeerHead {
  height: number;
  hash: string;
}

const encode = (v: unknown): Uint8Array => Buffer.from(JSON.stringify(v), "utf8");
const decode = (b: Uint8Array): unknown => JSON.parse(Buffer.from(b).toString("utf8"));

/** One fetched "blocks" answer and its signature checks under way. */
interface Fetched {
  items: unknown[];
  precheck: Promise<BlockPrecheck>;
}

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
      // Each block serialised once: its JSON is both what the size limit counts and what is sent
      // (the answer is exactly JSON.stringify({ blocks })).
      const parts: string[] = [];
      let bytes = 0;
      const head = this.modules.driver.tip().height;
      for (let h = req.from as number; h <= head && parts.length < max; h++) {
        const b = await this.modules.store.getBlock(h);
        if (b === null) break;
        const json = JSON.stringify({ block: b.block, commit: b.commit } satisfies CommittedBlock);
        bytes += json.length;
        if (parts.length > 0 && bytes > this.options.maxResponseBytes) break;
        parts.push(json);
      }
      return Buffer.from(`{"blocks":[${parts.join(",")}]}`, "utf8");
    }
    throw new LedgerError("BAD_REQUEST", `unknown request ${name}`);
  }

  private async run(): Promise<void> {
    const peers = this.modules.network.connectedPeers();
    // A peer that went away forgets its head: after a reconnection it must report again.
    for (const peer of this.peerHeads.keys()) if (!peers.includes(peer)) this.peerHeads.delete(peer);
    if (peers.length === 0) return;
    // Ask every peer at once, each within statusTimeoutMs: a paused or dead peer costs the round that
    // long at most, not the network's whole request timeout (and not once per peer in turn).
    const heads = await Promise.all(peers.map((peer) => this.statusOf(peer)));
    for (const [i, peer] of peers.entries()) {
      const head = heads[i];
      if (head !== null && head !== undefined) this.peerHeads.set(peer, head.height);
    }
    // Round-robin over the peers ahead of us, so one slow or lying peer cannot stall us.
    for (let i = 0; i < peers.length && !this.stopped; i++) {
      const k = (this.peerCursor + i) % peers.length;
      const peer = peers[k] as string;
      const head = heads[k];
      if (head === null || head === undefined || head.height <= this.modules.driver.tip().height) continue;
      this.peerCursor = (k + 1) % peers.length;
      if (await this.fetchFrom(peer, head.height)) return;
      // A peer that claims a head it does not serve (or stopped answering) does not keep this node
      // "behind"; the next peer ahead of us is tried now, each at most once a round.
      this.peerHeads.delete(peer);
    }
  }

  /** A peer's reported head, or null when it failed or did not answer within statusTimeoutMs. */
  private async statusOf(peer: string): Promise<PeerHead | null> {
    let timer: unknown = null;
    const late = new Promise<null>((resolve) => {
      timer = this.modules.clock.setTimeout(() => resolve(null), this.options.statusTimeoutMs);
    });
    const asked = this.modules.network.request(peer, "status", encode({})).then(
      (bytes) => {
        const head = decode(bytes) as PeerHead;
        return Number.isSafeInteger(head?.height) ? head : null;
      },
      (err: unknown) => {
        this.modules.log.debug("status request failed", { peer, err });
        return null;
      },
    );
    try {
      return await Promise.race([asked, late]);
    } catch {
      return null; // an answer that is not JSON
    } finally {
      this.modules.clock.clearTimeout(timer);
    }
  }

  /**
   * Fetch blocks from `peer` up to `target`; false when it stopped serving them before (or served an
   * invalid one). Pipelined: while one answer's blocks are checked and written, the next answer is
   * already requested and its signatures checked in the verify workers.
   */
  private async fetchFrom(peer: string, target: number): Promise<boolean> {
    this.syncing = true;
    const startedAt = this.modules.clock.now();
    const startHeight = this.modules.driver.tip().height;
    const progress = { at: startedAt, height: startHeight };
    let next: Promise<Fetched> | null = this.fetchBatch(peer, startHeight + 1);
    next.catch(() => undefined); // handled below when awaited
    try {
      while (next !== null && !this.stopped && this.modules.driver.tip().height < target) {
        const fetched: Fetched = await next;
        next = null;
        if (fetched.items.length === 0) break;
        const last = (fetched.items[fetched.items.length - 1] as CommittedBlock | null)?.block?.header?.height;
        // Ask for the next answer now, assuming this one is good (it is dropped if it is not).
        if (typeof last === "number" && Number.isSafeInteger(last) && last < target) {
          next = this.fetchBatch(peer, last + 1);
          next.catch(() => undefined); // handled when awaited; not if this batch ends the round
        }
        const before = this.modules.driver.tip().height;
        if (!(await this.applyBatch(peer, fetched.items as CommittedBlock[], await fetched.precheck))) break;
        // A peer that claims a higher head but serves nothing new is stalling us: try the others.
        if (this.modules.driver.tip().height === before) break;
        this.reportProgress(progress, target);
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

  /** Request the blocks from `from` on and start their signature checks in the workers. */
  private async fetchBatch(peer: string, from: number): Promise<Fetched> {
    const bytes = await this.modules.network.request(peer, "blocks", encode({ from, max: this.options.maxBlocksPerResponse }));
    const res = decode(bytes) as { blocks?: unknown };
    const items = Array.isArray(res?.blocks) ? (res.blocks as unknown[]) : [];
    const verifier = this.modules.verifier;
    // Never rejects: a batch dropped unapplied (the round ended) must not leave a rejection unhandled.
    const precheck = verifier === undefined ? Promise.resolve(EMPTY_PRECHECK) : verifier.precheck(bytes, items).catch(() => EMPTY_PRECHECK);
    return { items, precheck };
  }

  /** Every progressIntervalMs of a catch-up: one line with where it is, its rate and the time left. */
  private reportProgress(progress: { at: number; height: number }, target: number): void {
    const now = this.modules.clock.now();
    if (now - progress.at < this.options.progressIntervalMs) return;
    const height = this.modules.driver.tip().height;
    const blocksPerSecond = ((height - progress.height) * 1000) / Math.max(1, now - progress.at);
    this.modules.log.info("syncing", {
      height,
      target,
      blocksPerSecond: Math.round(blocksPerSecond),
      etaSeconds: blocksPerSecond > 0 ? Math.round((target - height) / blocksPerSecond) : null,
    });
    progress.at = now;
    progress.height = height;
  }

  /**
   * Check a fetched batch block by block, each against the one before it, and hand each to the
   * driver's queue as soon as it is checked: the next block's checks run while the previous one is
   * being written. Only the batch's last block is written with an fsync: the ones before it reach
   * the disk with it (LevelDB's log is written in order; so do they with any later synced write if
   * the batch ends early), and a synced block lost to a power cut is fetched again with its
   * certificate: it is final, and nothing this node signs depends on its own copy being durable.
   * False: the peer served an invalid block; stop with this peer.
   */
  private async applyBatch(peer: string, items: CommittedBlock[], precheck: BlockPrecheck): Promise<boolean> {
    let parent: ChainTip = this.modules.driver.tip();
    const applying: Array<Promise<boolean>> = [];
    const cache: TxCheckCache = {
      get: (hash) => precheck.txs.get(hash) ?? this.modules.cache.get(hash),
      checkedObject: (tx) => precheck.txs.checkedObject?.(tx),
    };
    let valid = true;
    for (const [i, item] of items.entries()) {
      const height = item?.block?.header?.height;
      if (typeof height === "number" && height <= parent.height) continue; // consensus got there first
      let checked: ReturnType<typeof checkBlock>;
      try {
        // [REJECT] the block follows its parent and every transaction in it is valid
        checked = checkBlock(this.modules.spec, item?.block, parent, { cache });
        // [REJECT] a quorum of validators committed exactly this block (the same check, done in a worker or here)
        if (!precheck.sealsVerified(i)) checkCommitCertificate(this.modules.spec, item.commit, checked.block.header);
      } catch (err) {
        this.modules.log.warn("peer served an invalid block", { peer, height: parent.height + 1, reason: (err as Error).message });
        valid = false;
        break;
      }
      const durable = i === items.length - 1;
      applying.push(this.modules.driver.applySyncedBlock({ block: checked.block, commit: item.commit, hash: checked.hash }, checked.txs, { durable }));
      parent = { height: checked.block.header.height, hash: checked.hash, time: checked.block.header.time };
      // Let the queue start writing before the next block's checks take the thread.
      if (applying.length % 16 === 0) await new Promise((r) => setImmediate(r));
    }
    for (const applied of await Promise.all(applying)) if (applied) this.syncedBlocks++;
    return valid;
  }
}
