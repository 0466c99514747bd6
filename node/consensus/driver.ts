/**
 * The consensus driver: runs the pure core (consensus/) against the real world. One serial input loop
 * per node (style.md §3): verified messages, timer expiries, built blocks and synced blocks all go
 * through one queue. It persists the signing state (sync) before any vote leaves, checks carried
 * blocks against the chain head before the core sees them, and commits decisions atomically.
 */
import { apply, type ConsensusState, initialState, MAX_FUTURE_ROUNDS } from "../../consensus/state-machine.js";
import type { ConsensusConfig, Decision, Input, Output, RoundChange } from "../../consensus/types.js";
import { type ChainTip, blockHash, buildBlock, checkBlock, genesisTip, nextBlockTime } from "../chain/block.js";
import type { ChainSpec } from "../chain/genesis.js";
import type { Mempool } from "../ledger/mempool.js";
import { applyBlock, executeChecked } from "../ledger/apply.js";
import { type BlockEffects, executeBlock } from "../chain/state.js";
import type { CheckedTx } from "../chain/tx.js";
import type { Block, CommitCertificate } from "../chain/types.js";
import type { Clock } from "../clock.js";
import { LedgerError } from "../errors.js";
import type { ChainStore, StoredBlock } from "../ledger/store.js";
import type { Logger } from "../logger.js";
import { type Evidence, evidenceOf } from "../chain/evidence.js";
import { type BlockMessage, carriedBlock, encodeMessage, signMessage, withCarriedBlock } from "../chain/messages.js";
import { type SigningState, type SigningStateStore, storeSigningState } from "./signing-state.js";

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
  /** Where the signing state is kept; the chain store's copy when absent. */
  signing?: SigningStateStore;
  /** Called after every committed block (consensus or sync). */
  onCommitted?(block: StoredBlock, source: "consensus" | "sync", timings: { executeMs: number; storeMs: number }): void;
  /** Called when a validator is caught equivocating (after the evidence is stored). */
  onEvidence?(evidence: Evidence): void;
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
  /**
   * Blocks seen at the current height that passed every check, by block hash: the checked copy (its
   * transaction signatures verified: the hash does not cover them), its checked transactions, and the
   * effects of executing it on the head (so commit does not execute again).
   */
  private checkedBlocks = new Map<string, { block: Block; txs: CheckedTx[]; effects: BlockEffects }>();
  private lastCommitAt = 0;
  private stopped = false;
  private readonly signing: SigningStateStore;
  /**
   * What this validator signed at a height above the chain head (its data directory was wiped or
   * restored from an older backup). Below that height it only observes; at it, it resumes from there.
   */
  private signFloor: SigningState | null = null;

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
    this.signing = m.signing ?? storeSigningState(m.store);
  }

  /** Resume at head + 1, restoring what this validator signed there before a crash. */
  async start(): Promise<void> {
    const height = this.tip().height + 1;
    const saved = await this.signing.load();
    if (saved !== null && saved.height > height && this.m.signer !== null) {
      this.signFloor = saved;
      this.m.log.warn("signing state is ahead of the chain: observing until caught up", { head: height - 1, signedAt: saved.height, round: saved.round });
    }
    this.core = this.coreFor(height, saved);
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
          // Checked against a parent that must still be our head (consensus may have moved it meanwhile).
          const tip = this.tip();
          if (stored.block.header.height !== tip.height + 1 || stored.block.header.previousHash !== tip.hash) return resolve(false);
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
          // [REJECT] its resultsRoot is what executing it on our head yields
          const effects = await executeChecked(this.m.spec, this.m.store, checked.block, checked.txs);
          known = { block: checked.block, txs: checked.txs, effects };
        }
        // [REJECT] the header names the proposer of this round or, for a re-proposal, of an earlier one
        if (msg.kind === "proposal" && !this.m.spec.proposerFitsRound(height, known.block.header.proposer, msg.round)) {
          throw new LedgerError("BLOCK_INVALID", "header proposer is not a proposer of this round or an earlier one");
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
        await this.signing.save(out.safety);
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
      case "evidence": {
        const evidence = evidenceOf(out.messages, this.m.clock.now());
        this.m.log.warn("equivocation evidence", { kind: evidence.kind, validator: evidence.validator, height: evidence.height, round: evidence.round });
        // Kept, not acted on: the validator set is fixed in genesis; operators read it from the RPC.
        await this.m.store.putEvidence(evidence).catch((err: unknown) => this.m.log.error("cannot store evidence", { err }));
        this.m.onEvidence?.(evidence);
        return;
      }
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
    // Built from transactions the mempool already checked: no need to check the block again. The
    // header commits to the receipts of executing it on the head.
    const tip = this.tip();
    const now = this.m.clock.now();
    const effects = await executeBlock(this.m.spec, this.m.store, tip.height + 1, nextBlockTime(tip, now), txs);
    const block = buildBlock(this.m.spec, tip, this.m.signer.index, now, txs, effects.receipts);
    const hash = blockHash(block.header);
    this.checkedBlocks.set(hash, { block, txs, effects });
    await this.input({ type: "block-ready", height, round, blockHash: hash, block });
  }

  private async decide(d: Decision<Block>): Promise<void> {
    // Normally checked when its proposal arrived; a block restored from the signing state after a
    // restart may be decided on commits alone, so check it now.
    let checked = this.checkedBlocks.get(d.blockHash);
    if (checked === undefined) {
      try {
        const { block, txs } = checkBlock(this.m.spec, d.block, this.tip(), { cache: this.m.mempool });
        checked = { block, txs, effects: await executeChecked(this.m.spec, this.m.store, block, txs) };
      } catch (err) {
        // A quorum committed a block we find invalid: only a fault beyond f can do that. Do not apply it;
        // sync will fetch the chain's block with its certificate, or show the disagreement.
        this.m.log.error("decided block fails our checks", { height: d.height, hash: d.blockHash, reason: (err as Error).message });
        this.m.onBehind?.();
        return;
      }
    }
    const commit: CommitCertificate = { height: d.height, round: d.round, blockHash: d.blockHash, seals: d.seals };
    await this.commit(d.block, commit, d.blockHash, checked.txs, "consensus", checked.effects);
  }

  /** Execute and store a block atomically, then move consensus to the next height. */
  private async commit(
    block: Block,
    commit: CommitCertificate,
    hash: string,
    txs: CheckedTx[],
    source: "consensus" | "sync",
    effects?: BlockEffects,
  ): Promise<void> {
    const h = block.header;
    this.m.mempool.beginCommit();
    let applied: Awaited<ReturnType<typeof applyBlock>>;
    try {
      applied = await applyBlock(this.m.spec, this.m.store, block, commit, hash, txs, effects);
    } catch (err) {
      await this.m.mempool.onBlockCommitted([]); // release admissions waiting on this commit
      throw err;
    }
    const { stored, timings } = applied;
    const t2 = performance.now();
    await this.m.mempool.onBlockCommitted(txs);
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

  /** A fresh core for `height`: restored when it is the height of the saved state, observing below the floor. */
  private coreFor(height: number, saved: SigningState | null): ConsensusState<Block> {
    const floor = this.signFloor;
    if (floor !== null && height < floor.height) return initialState({ ...this.config, self: null }, height);
    const restored = floor !== null && floor.height === height ? floor : saved !== null && saved.height === height ? saved : undefined;
    this.signFloor = null;
    if (restored !== undefined) this.m.log.info("restored signing state", { height, round: restored.round, prepared: restored.prepared?.blockHash ?? null });
    return initialState(this.config, height, restored);
  }

  private advance(height: number): void {
    this.clearTimer();
    this.awaitingTxs = null;
    this.checkedBlocks = new Map();
    this.core = this.coreFor(height, null);
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
