/**
 * The consensus driver: runs the pure core (consensus/) against the real world. One serial input loop
 * per node (style.md §3): verified messages, timer expiries, built blocks and synced blocks all go
 * through one queue. It persists the signing state (sync) before any vote leaves, checks carried
 * blocks against the chain head before the core sees them, and commits decisions atomically.
 */
import { apply, type ConsensusState, initialState, MAX_FUTURE_ROUNDS } from "../../consensus/state-machine.js";
import type { ConsensusConfig, Decision, Input, Output, RoundChange, SafetyState } from "../../consensus/types.js";
import { type ChainTip, blockHash, buildBlock, checkBlock, genesisTip } from "../chain/block.js";
import type { ChainSpec } from "../chain/genesis.js";
import type { Mempool } from "../chain/mempool.js";
import { applyBlock } from "../chain/apply.js";
import { certificateIdOf } from "../chain/state.js";
import type { CheckedTx } from "../chain/tx.js";
import type { Block, CommitCertificate } from "../chain/types.js";
import type { Clock } from "../clock.js";
import type { ChainStore, StoredBlock } from "../db/store.js";
import type { Logger } from "../logger.js";
import { type BlockMessage, carriedBlock, encodeMessage, signMessage, withCarriedBlock } from "./messages.js";

export interface DriverOptions {
  /** Least time from one commit to building the next block: lets transactions gather into batches. */
  blockIntervalMs: number;
  /** Messages up to this many heights ahead are kept until the node gets there. */
  maxFutureHeights: number;
  maxBufferedMessages: number;
  /** Bytes of buffered future messages at most, and messages per validator at most. */
  maxBufferedBytes: number;
  maxBufferedPerValidator: number;
  /** A proposed block's time may be at most this far ahead of the local clock. */
  maxClockDriftMs: number;
}

export const defaultDriverOptions: DriverOptions = {
  blockIntervalMs: 20,
  maxFutureHeights: 4,
  maxBufferedMessages: 20_000,
  maxBufferedBytes: 64 * 1024 * 1024,
  maxBufferedPerValidator: 64,
  maxClockDriftMs: 10_000,
};

export interface DriverModules {
  spec: ChainSpec;
  store: ChainStore;
  mempool: Mempool;
  clock: Clock;
  log: Logger;
  /** This validator's index and consensus key; null for a follower. */
  signer: { index: number; privateKey: string } | null;
  publish(data: Uint8Array): Promise<void>;
  /** Called after every committed block (consensus or sync). */
  onCommitted?(block: StoredBlock, source: "consensus" | "sync", timings: { executeMs: number; storeMs: number }): void;
  /** Called when messages show that peers are ahead: catch up. */
  onBehind?(): void;
}

export class ConsensusDriver {
  private core!: ConsensusState<Block>;
  private readonly config: ConsensusConfig;
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;
  private readonly future = new Map<number, Array<{ msg: BlockMessage; bytes: number }>>();
  private futureCount = 0;
  private futureBytes = 0;
  private readonly futureByValidator = new Map<number, number>();
  private readonly futureKeys = new Set<string>();
  private timer: { handle: unknown; height: number; round: number } | null = null;
  private buildTimer: unknown = null;
  /** A proposal request waiting for transactions to arrive. */
  private awaitingTxs: { height: number; round: number } | null = null;
  /** Checked transactions of blocks seen at the current height, by block hash. */
  private checkedBlocks = new Map<string, { block: Block; txs: CheckedTx[] }>();
  private lastCommitAt = 0;
  private stopped = false;
  /** The signing state found at start: what this validator signed at its highest height before a restart. */
  private saved: SafetyState<Block> | null = null;

  constructor(
    private readonly options: DriverOptions,
    private readonly m: DriverModules,
  ) {
    this.config = {
      n: m.spec.validators.length,
      self: m.signer?.index ?? null,
      baseTimeoutMs: m.spec.consensus.roundTimeoutMs,
      maxTimeoutMs: m.spec.consensus.maxRoundTimeoutMs,
    };
  }

  /** Resume at head + 1, restoring what this validator signed there before a crash. */
  async start(): Promise<void> {
    const height = this.tip().height + 1;
    this.saved = (await this.m.store.getSigningState()) as SafetyState<Block> | null;
    this.core = this.coreAt(height);
    if (this.saved !== null && this.saved.height >= height) {
      this.m.log.info("restored signing state", { height: this.saved.height, round: this.saved.round, prepared: this.saved.prepared?.blockHash ?? null });
    }
    this.lastCommitAt = this.m.clock.now();
    if (this.m.mempool.size > 0) this.enqueue(() => this.input({ type: "activate" }));
  }

  /** Stop timers and wait for the queue to drain. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    if (this.buildTimer !== null) this.m.clock.clearTimeout(this.buildTimer);
    await this.tail;
  }

  /** The committed head (genesis before the first block). */
  tip(): ChainTip {
    return this.m.store.head() ?? genesisTip(this.m.spec);
  }

  /** Where consensus stands, for status and metrics. */
  position(): { height: number; round: number; active: boolean } {
    return { height: this.core.height, round: this.core.round, active: this.core.active };
  }

  /** Inputs waiting in the queue. */
  get backlog(): number {
    return this.queued;
  }

  /** A message that passed decodeMessage (signatures checked); `bytes` is its wire size. */
  receive(message: BlockMessage, bytes = 0): void {
    this.enqueue(() => this.onMessage(message, bytes));
  }

  /** New transactions are pending: start (or feed) a height. */
  transactionsAvailable(): void {
    if (this.stopped) return;
    if (this.awaitingTxs !== null) {
      const { height, round } = this.awaitingTxs;
      this.awaitingTxs = null;
      this.scheduleBuild(height, round);
    }
    if (!this.core.active) this.enqueue(() => this.input({ type: "activate" }));
  }

  /** Commit a block fetched by the sync protocol (its certificate and transactions already checked). */
  applySyncedBlock(stored: Omit<StoredBlock, "receipts">, txs: CheckedTx[]): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.enqueue(async () => {
        try {
          if (stored.block.header.height !== this.tip().height + 1) return resolve(false);
          await this.commit(stored.block, stored.commit, stored.hash, txs, "sync");
          resolve(true);
        } catch (err) {
          reject(err);
        }
      });
    });
  }

  // -------------------------------------------------------------------------------------------

  private enqueue(task: () => Promise<void>): void {
    this.queued++;
    this.tail = this.tail
      .then(async () => {
        this.queued--;
        if (!this.stopped) await task();
      })
      .catch((err: unknown) => this.m.log.error("consensus input failed", { err }));
  }

  private async onMessage(msg: BlockMessage, bytes = 0): Promise<void> {
    const height = this.core.height;
    if (msg.height < height) return; // [IGNORE] decided already
    if (msg.height > height) {
      this.bufferFuture(msg, bytes);
      this.m.onBehind?.(); // either way peers are ahead of us
      return;
    }
    const block = carriedBlock(msg);
    if (block !== undefined && this.worthChecking(msg)) {
      const hash = msg.kind === "proposal" ? msg.blockHash : ((msg as RoundChange<Block>).prepared?.blockHash as string);
      try {
        let known = this.checkedBlocks.get(hash);
        if (known === undefined) {
          // [REJECT] the carried block is a valid next block on our head
          const checked = checkBlock(this.m.spec, block, this.tip(), {
            now: this.m.clock.now(),
            maxFutureMs: this.options.maxClockDriftMs,
            cache: this.m.mempool,
          });
          known = { block: checked.block, txs: checked.txs };
        }
        // [REJECT] the header names the proposer of this round or, for a re-proposal, of an earlier one
        if (msg.kind === "proposal" && !this.m.spec.proposerFitsRound(height, known.block.header.proposer, msg.round)) {
          throw new Error("header proposer is not a proposer of this round or an earlier one");
        }
        this.checkedBlocks.set(hash, known);
        // Hand the core the block we checked, not this copy: the hash covers transaction bodies but not
        // their signatures, so a copy with a known hash may carry signatures that do not verify.
        msg = withCarriedBlock(msg, known.block);
      } catch (err) {
        this.m.log.warn("dropped message with an invalid block", {
          kind: msg.kind,
          height,
          round: msg.round,
          from: msg.validator,
          reason: (err as Error).message,
        });
        return;
      }
    }
    await this.input({ type: "message", message: msg });
  }

  /**
   * Keep a message for a later height, within bounds: a few heights ahead, rounds the core would
   * accept, one message per (height, round, kind, validator), and caps on count, bytes and per
   * validator, so a Byzantine validator cannot fill memory with distinct messages.
   */
  private bufferFuture(msg: BlockMessage, bytes: number): void {
    const o = this.options;
    const key = `${msg.height}:${msg.round}:${msg.kind}:${msg.validator}`;
    const perValidator = this.futureByValidator.get(msg.validator) ?? 0;
    if (
      msg.height > this.core.height + o.maxFutureHeights ||
      msg.round > MAX_FUTURE_ROUNDS ||
      this.futureKeys.has(key) ||
      perValidator >= o.maxBufferedPerValidator ||
      this.futureCount >= o.maxBufferedMessages ||
      this.futureBytes + bytes > o.maxBufferedBytes
    ) {
      return;
    }
    const list = this.future.get(msg.height) ?? [];
    list.push({ msg, bytes });
    this.future.set(msg.height, list);
    this.futureKeys.add(key);
    this.futureByValidator.set(msg.validator, perValidator + 1);
    this.futureCount++;
    this.futureBytes += bytes;
  }

  /**
   * Whether a carried block is worth the cost of checking (every transaction's signature may need
   * verifying): not for a proposal from the wrong proposer, nor for a round or sender the core
   * already has a message from — it would drop those without looking at the block.
   */
  private worthChecking(msg: BlockMessage): boolean {
    if (msg.round < this.core.round && msg.kind === "round-change") return false;
    if (msg.kind === "proposal") {
      if (this.m.spec.proposerIndex(msg.height, msg.round) !== msg.validator) return false;
      return !this.core.proposals.has(msg.round);
    }
    return !(this.core.roundChanges.get(msg.round)?.has(msg.validator) ?? false);
  }

  private async input(input: Input<Block>): Promise<void> {
    const { outputs } = apply(this.core, input);
    for (const out of outputs) await this.run(out);
  }

  private async run(out: Output<Block>): Promise<void> {
    switch (out.type) {
      case "persist":
        await this.m.store.putSigningState(out.safety);
        return;
      case "broadcast": {
        const signer = this.m.signer;
        if (signer === null) return;
        const signed = signMessage(this.m.spec, signer.privateKey, signer.index, out.message);
        this.m.publish(encodeMessage(signed)).catch((err: unknown) => this.m.log.warn("publish failed", { err }));
        // Our own vote counts too: it goes through the same queue as everyone else's.
        this.enqueue(() => this.input({ type: "message", message: signed }));
        return;
      }
      case "schedule-timeout":
        this.setTimer(out.height, out.round, out.delayMs);
        return;
      case "request-block":
        this.scheduleBuild(out.height, out.round);
        return;
      case "decide":
        await this.decide(out.decision);
        return;
      case "evidence":
        this.m.log.warn("equivocation evidence", {
          kinds: out.messages.map((x) => x.kind),
          validator: out.messages[0].validator,
          height: out.messages[0].height,
        });
        return;
    }
  }

  private setTimer(height: number, round: number, delayMs: number): void {
    this.clearTimer();
    const handle = this.m.clock.setTimeout(() => {
      if (this.timer?.handle === handle) this.timer = null;
      this.enqueue(() => this.input({ type: "timeout", height, round }));
    }, delayMs);
    this.timer = { handle, height, round };
  }

  private clearTimer(): void {
    if (this.timer !== null) this.m.clock.clearTimeout(this.timer.handle);
    this.timer = null;
  }

  /** Build our proposal once the block interval has passed and there is something to propose. */
  private scheduleBuild(height: number, round: number): void {
    if (this.buildTimer !== null) this.m.clock.clearTimeout(this.buildTimer);
    const wait = Math.max(0, this.lastCommitAt + this.options.blockIntervalMs - this.m.clock.now());
    this.buildTimer = this.m.clock.setTimeout(() => {
      this.buildTimer = null;
      this.enqueue(() => this.buildProposal(height, round));
    }, wait);
  }

  private async buildProposal(height: number, round: number): Promise<void> {
    if (this.core.height !== height || this.core.round !== round || this.m.signer === null) return;
    const c = this.m.spec.consensus;
    const txs = this.m.mempool.reap(c.maxBlockTxs, c.maxBlockBytes);
    if (txs.length === 0) {
      // An idle network makes no empty blocks: wait for transactions (or the round timer).
      this.awaitingTxs = { height, round };
      return;
    }
    // Built from transactions the mempool already checked: no need to check the block again.
    const block = buildBlock(this.m.spec, this.tip(), this.m.signer.index, this.m.clock.now(), txs);
    const hash = blockHash(block.header);
    this.checkedBlocks.set(hash, { block, txs });
    await this.input({ type: "block-ready", height, round, blockHash: hash, block });
  }

  private async decide(d: Decision<Block>): Promise<void> {
    // Normally checked when its proposal arrived; a block restored from the signing state after a
    // restart may be decided on commits alone, so check it now.
    let txs = this.checkedBlocks.get(d.blockHash)?.txs;
    if (txs === undefined) {
      try {
        txs = checkBlock(this.m.spec, d.block, this.tip(), { cache: this.m.mempool }).txs;
      } catch (err) {
        // A quorum committed a block we find invalid: only a fault beyond f can do that. Do not apply it;
        // sync will fetch the chain's block with its certificate, or show the disagreement.
        this.m.log.error("decided block fails our checks", { height: d.height, hash: d.blockHash, reason: (err as Error).message });
        this.m.onBehind?.();
        return;
      }
    }
    const commit: CommitCertificate = { height: d.height, round: d.round, blockHash: d.blockHash, seals: d.seals };
    await this.commit(d.block, commit, d.blockHash, txs, "consensus");
  }

  /** Execute and store a block atomically, then move consensus to the next height. */
  private async commit(block: Block, commit: CommitCertificate, hash: string, txs: CheckedTx[], source: "consensus" | "sync"): Promise<void> {
    const h = block.header;
    this.m.mempool.beginCommit();
    let applied: Awaited<ReturnType<typeof applyBlock>>;
    try {
      applied = await applyBlock(this.m.store, block, commit, hash, txs);
    } catch (err) {
      await this.m.mempool.onBlockCommitted([], []); // release admissions waiting on this commit
      throw err;
    }
    const { stored, timings } = applied;
    const t2 = performance.now();
    await this.m.mempool.onBlockCommitted(
      txs.map((t) => t.hash),
      txs.map(certificateIdOf),
    );
    const now = this.m.clock.now();
    this.m.log.debug("committed block", {
      height: h.height,
      txs: txs.length,
      round: commit.round,
      source,
      executeMs: Math.round(timings.executeMs),
      storeMs: Math.round(timings.storeMs),
      mempoolMs: Math.round(performance.now() - t2),
      sinceLastCommitMs: now - this.lastCommitAt,
    });
    this.lastCommitAt = now;
    this.advance(h.height + 1);
    this.m.onCommitted?.(stored, source, timings);
  }

  /**
   * The core for `height`. At the height of the saved signing state it resumes from it. Below it (the
   * chain store was lost but the signing state kept) this validator signed there before and no longer
   * knows what: it follows those heights without voting, since they were decided before it moved on.
   */
  private coreAt(height: number): ConsensusState<Block> {
    const saved = this.saved;
    if (saved !== null && saved.height === height) return initialState(this.config, height, saved);
    if (saved !== null && saved.height > height) return initialState({ ...this.config, self: null }, height);
    return initialState(this.config, height);
  }

  private advance(height: number): void {
    this.clearTimer();
    this.awaitingTxs = null;
    this.checkedBlocks = new Map();
    this.core = this.coreAt(height);
    const ready: Array<{ msg: BlockMessage; bytes: number }> = [];
    for (const [h, list] of this.future) {
      if (h > height) continue;
      this.future.delete(h);
      for (const item of list) {
        this.futureCount--;
        this.futureBytes -= item.bytes;
        this.futureKeys.delete(`${item.msg.height}:${item.msg.round}:${item.msg.kind}:${item.msg.validator}`);
        this.futureByValidator.set(item.msg.validator, (this.futureByValidator.get(item.msg.validator) ?? 1) - 1);
        if (h === height) ready.push(item);
      }
    }
    for (const { msg, bytes } of ready) this.enqueue(() => this.onMessage(msg, bytes));
    if (this.m.mempool.size > 0) this.enqueue(() => this.input({ type: "activate" }));
  }
}
