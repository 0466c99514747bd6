/**
 * The consensus driver: runs the pure core (consensus/) against the real world. This file is the
 * facade that wires its parts and runs the core's outputs:
 *   input-queue.ts     the one serial input loop (style.md §3)
 *   future-buffer.ts   messages for heights above the one in progress
 *   carried-blocks.ts  checking (once) the blocks proposals and round changes carry
 *   vote-outbox.ts     persist before send; votes held while the signing state cannot be written
 *   proposer.ts        building this validator's proposals
 *   commit.ts          committing decided and synced blocks
 *   round-timer.ts     the core's round timer
 *   core-restore.ts    the core for each height, restored from the signing state after a restart
 * The gossip edge for consensus messages is gossip-validator.ts.
 */
import { apply } from "../../consensus/state-machine.js";
import type { ConsensusState } from "../../consensus/state.js";
import type { ConsensusConfig, Input, Output, UnsignedMessage } from "../../consensus/types.js";
import { heartbeatIntervalOf } from "../chain/freshness.js";
import { type ChainTip, genesisTip } from "../chain/block.js";
import type { ChainSpec } from "../chain/genesis.js";
import type { Mempool } from "../ledger/mempool.js";
import type { CheckedTx } from "../chain/tx.js";
import type { Block } from "../chain/types.js";
import type { Clock } from "../clock.js";
import type { ChainStore, StoredBlock } from "../ledger/store.js";
import type { Logger } from "../logger.js";
import { CarriedBlockChecker, type CarriedBlockOptions, defaultCarriedBlockOptions } from "./carried-blocks.js";
import { BlockCommitter, type CommitSource } from "./commit.js";
import { CoreRestore } from "./core-restore.js";
import { type Evidence, evidenceOf } from "../chain/evidence.js";
import { FutureBuffer, type FutureBufferOptions, defaultFutureBufferOptions } from "./future-buffer.js";
import { InputQueue } from "./input-queue.js";
import { type BlockMessage, carriedBlock, decodeMessage, encodeMessage, signMessage } from "../chain/messages.js";
import { Proposer, type ProposerOptions, defaultProposerOptions } from "./proposer.js";
import { RoundTimer } from "./round-timer.js";
import { type SigningStateStore, storeSigningState } from "./signing-state.js";
import { type SigningHealth, VoteOutbox, type VoteOutboxOptions, defaultVoteOutboxOptions } from "./vote-outbox.js";

/** The driver's options: those of its parts. */
export type DriverOptions = FutureBufferOptions & CarriedBlockOptions & ProposerOptions & VoteOutboxOptions;

/** The options a node runs with. */
export const defaultDriverOptions: DriverOptions = {
  ...defaultFutureBufferOptions,
  ...defaultCarriedBlockOptions,
  ...defaultProposerOptions,
  ...defaultVoteOutboxOptions,
};

/** What the driver needs from the node, and whom it tells. */
export interface DriverModules {
  spec: ChainSpec;
  store: ChainStore;
  mempool: Mempool;
  clock: Clock;
  log: Logger;
  /**
   * This node's consensus key; null for a node without one. Whether it votes at a height, and under
   * which index, is its place in the validator set of that height (spec.validatorSetAt).
   */
  signer: { publicKey: string; privateKey: string } | null;
  publish(data: Uint8Array): Promise<void>;
  /** Where the signing state is kept; the chain store's copy when absent. */
  signing?: SigningStateStore;
  /** Called after every committed block (consensus or sync). */
  onCommitted?(block: StoredBlock, source: CommitSource, timings: { executeMs: number; storeMs: number }): void;
  /** Called when a validator is caught equivocating (after the evidence is stored). */
  onEvidence?(evidence: Evidence): void;
  /** Called when messages show that peers are ahead: catch up. */
  onBehind?(): void;
}

/** Runs one node's consensus: the core, its inputs, and what its outputs ask for. */
export class ConsensusDriver {
  /** Checks (once) the blocks messages carry; shared with the gossip edge. */
  readonly carriedBlocks: CarriedBlockChecker;
  private core!: ConsensusState<Block>;
  private readonly cores: CoreRestore;
  private readonly queue: InputQueue;
  private readonly future: FutureBuffer;
  private readonly outbox: VoteOutbox;
  private readonly proposer: Proposer | null;
  private readonly committer: BlockCommitter;
  private readonly timer: RoundTimer;
  /** Wakes an idle validator when the head is a heartbeat interval old (proposer.ts builds the empty block). */
  private heartbeatTimer: unknown = null;
  private readonly signing: SigningStateStore;

  constructor(
    options: DriverOptions,
    private readonly modules: DriverModules,
  ) {
    const { spec, store, mempool, clock, log, signer } = modules;
    this.cores = new CoreRestore({ configAt: (height) => this.configAt(height), log });
    const enqueue = (task: () => Promise<void>): void => this.queue.enqueue(task);
    const tip = (): ChainTip => this.tip();
    this.queue = new InputQueue({ log });
    this.signing = modules.signing ?? storeSigningState(store);
    this.timer = new RoundTimer({ clock, expired: (height, round) => enqueue(() => this.input({ type: "timeout", height, round })) });
    this.future = new FutureBuffer(options);
    this.carriedBlocks = new CarriedBlockChecker(options, { spec, store, cache: mempool, clock, tip, core: () => this.core });
    this.outbox = new VoteOutbox(options, { signing: this.signing, clock, log, enqueue, send: (m) => this.send(m) });
    const chain = { spec, store, mempool, clock, checker: this.carriedBlocks };
    this.proposer =
      signer === null
        ? null
        : new Proposer(options, {
            ...chain,
            indexAt: (height) => this.selfAt(height),
            tip,
            lastCommitAt: () => this.committer.lastCommitAt,
            position: () => this.core,
            enqueue,
            input: (input) => this.input(input),
          });
    this.committer = new BlockCommitter({
      ...chain,
      log,
      advance: (height) => this.advance(height),
      onBehind: () => modules.onBehind?.(),
      onCommitted: (block, source, timings) => modules.onCommitted?.(block, source, timings),
    });
  }

  /** This node's index in the validator set of `height`, or null when it is not a validator there. */
  selfAt(height: number): number | null {
    const { signer, spec } = this.modules;
    if (signer === null) return null;
    const index = spec.validatorSetAt(height).indexOf(signer.publicKey);
    return index < 0 ? null : index;
  }

  /** The core's configuration at a height: that height's set (size, own index) and timers. */
  private configAt(height: number): ConsensusConfig {
    const { roundTimeoutMs: baseTimeoutMs, maxRoundTimeoutMs: maxTimeoutMs } = this.modules.spec.rulesAt(height).consensus;
    return { n: this.modules.spec.validatorSetAt(height).size, self: this.selfAt(height), baseTimeoutMs, maxTimeoutMs };
  }

  /** Resume at head + 1, restoring what this validator signed there before a crash. */
  async start(): Promise<void> {
    this.core = this.cores.start(this.tip().height + 1, await this.signing.load());
    this.committer.lastCommitAt = this.modules.clock.now();
    if (this.modules.mempool.size > 0) this.queue.enqueue(() => this.input({ type: "activate" }));
    this.scheduleHeartbeat();
  }

  /**
   * An idle chain still makes a block: once the head is `heartbeatIntervalMs` old (by its header
   * time), every validator starts the height as if a transaction had arrived, and the proposer builds
   * an empty block if there is still nothing to propose.
   */
  private scheduleHeartbeat(): void {
    const { clock, spec } = this.modules;
    if (this.heartbeatTimer !== null) clock.clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
    const next = this.tip().height + 1;
    if (this.selfAt(next) === null) return; // followers (and validators not in the next height's set) propose nothing
    const delay = Math.max(0, this.tip().time + heartbeatIntervalOf(spec.rulesAt(next).consensus) - clock.now());
    this.heartbeatTimer = clock.setTimeout(() => {
      this.heartbeatTimer = null;
      this.queue.enqueue(() => this.input({ type: "activate" }));
    }, delay);
  }

  /** Stop timers and wait for the queue to drain. */
  async stop(): Promise<void> {
    this.timer.clear();
    if (this.heartbeatTimer !== null) this.modules.clock.clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
    this.proposer?.stop();
    this.outbox.stop();
    await this.queue.stop();
  }

  /** The committed head (genesis before the first block). */
  tip(): ChainTip {
    return this.modules.store.head() ?? genesisTip(this.modules.spec);
  }

  /** Where consensus stands, for status and metrics. */
  position(): { height: number; round: number; active: boolean } {
    return { height: this.core.height, round: this.core.round, active: this.core.active };
  }

  /** Whether this validator can write its signing state (and so vote), for status and metrics. */
  signingHealth(): SigningHealth {
    return this.outbox.health();
  }

  /** When the last block was committed (or the driver started), by the node's clock. */
  lastCommitAt(): number {
    return this.committer.lastCommitAt;
  }

  /** Inputs waiting in the queue. */
  get backlog(): number {
    return this.queue.backlog;
  }

  /** A message that passed decodeMessage (signatures checked); `bytes` is its wire size. */
  receive(message: BlockMessage, bytes = 0): void {
    this.queue.enqueue(() => this.onMessage(message, bytes));
  }

  /** New transactions are pending: start (or feed) a height. */
  transactionsAvailable(): void {
    if (this.queue.isStopped) return;
    this.proposer?.transactionsAvailable();
    if (!this.core.active) this.queue.enqueue(() => this.input({ type: "activate" }));
  }

  /**
   * Commit a block fetched by the sync protocol (its certificate and transactions already checked).
   * `durable: false` writes it without an fsync (sync batches them: only a batch's last block waits for the disk).
   */
  applySyncedBlock(stored: Omit<StoredBlock, "receipts">, txs: CheckedTx[], opts: { durable?: boolean } = {}): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.enqueue(async () => {
        try {
          // Checked against a parent that must still be our head (consensus may have moved it meanwhile).
          const tip = this.tip();
          if (stored.block.header.height !== tip.height + 1 || stored.block.header.previousHash !== tip.hash) return resolve(false);
          await this.committer.commit(stored.block, stored.commit, stored.hash, txs, "sync", undefined, opts.durable !== false);
          resolve(true);
        } catch (err) {
          reject(err);
        }
      });
    });
  }

  // -------------------------------------------------------------------------------------------

  private async onMessage(msg: BlockMessage, bytes: number): Promise<void> {
    const height = this.core.height;
    if (msg.height < height) return; // [IGNORE] decided already
    if (msg.height > height) {
      this.future.add(msg, bytes, height);
      this.modules.onBehind?.(); // either way peers are ahead of us
      return;
    }
    if (carriedBlock(msg) !== undefined && this.carriedBlocks.worthChecking(msg)) {
      try {
        // Hand the core the copy that was checked (here or at the gossip edge), never this one.
        msg = await this.carriedBlocks.check(msg);
      } catch (err) {
        this.modules.log.warn("dropped message with an invalid block", {
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

  private async input(input: Input<Block>): Promise<void> {
    const { outputs } = apply(this.core, input);
    for (const out of outputs) await this.run(out);
  }

  private async run(out: Output<Block>): Promise<void> {
    switch (out.type) {
      case "persist":
        await this.outbox.persist(out.safety);
        return;
      case "broadcast":
        this.outbox.broadcast(out.message);
        return;
      case "schedule-timeout":
        this.timer.set(out.height, out.round, out.delayMs);
        return;
      case "request-block":
        this.proposer?.request(out.height, out.round);
        return;
      case "decide":
        await this.committer.decide(out.decision);
        return;
      case "evidence": {
        const evidence = evidenceOf(out.messages, this.modules.clock.now());
        this.modules.log.warn("equivocation evidence", { kind: evidence.kind, validator: evidence.validator, height: evidence.height, round: evidence.round });
        // Kept, not acted on: removing a validator is a governance decision; operators read it from the RPC.
        await this.modules.store.putEvidence(evidence).catch((err: unknown) => this.modules.log.error("cannot store evidence", { err }));
        this.modules.onEvidence?.(evidence);
        return;
      }
    }
  }

  /** Sign and send a vote whose signing state is durable; our own vote counts too, through the queue. */
  private send(message: UnsignedMessage<Block>): void {
    const { signer, spec, log } = this.modules;
    const index = this.selfAt(message.height);
    // A validator removed from the set votes no more from its first height outside it.
    if (signer === null || index === null) return;
    const signed = signMessage(spec, signer.privateKey, index, message);
    this.modules.publish(encodeMessage(signed)).catch((err: unknown) => log.warn("publish failed", { err }));
    this.queue.enqueue(() => this.input({ type: "message", message: signed }));
  }

  /** Whether a buffered message's signatures check against the validator set of its height as known now. */
  private stillSigned(msg: BlockMessage): boolean {
    try {
      decodeMessage(this.modules.spec, encodeMessage(msg));
      return true;
    } catch {
      this.modules.log.debug("dropped a buffered message whose signer is not a validator of its height", {
        kind: msg.kind,
        height: msg.height,
        from: msg.validator,
      });
      return false;
    }
  }

  /** The block below `height` is committed: a fresh core, and the messages kept for it. */
  private advance(height: number): void {
    this.timer.clear();
    this.proposer?.reset();
    this.outbox.advance(height);
    this.carriedBlocks.headMoved();
    this.core = this.cores.next(height);
    for (const { msg, bytes } of this.future.takeUpTo(height)) {
      // Checked at the edge against the validator set this node knew then; checked again now that the
      // set of its height is fixed (governance may have changed who an index names).
      if (!this.stillSigned(msg)) continue;
      this.queue.enqueue(() => this.onMessage(msg, bytes));
    }
    if (this.modules.mempool.size > 0) this.queue.enqueue(() => this.input({ type: "activate" }));
    this.scheduleHeartbeat();
  }
}
