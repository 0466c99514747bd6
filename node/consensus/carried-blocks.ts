/**
 * Checking blocks carried inside proposals and round changes, once: the checked copy is cached by
 * block hash for the height in progress, and the core is handed only that copy. A block hash covers
 * transaction bodies but not their signatures, so a copy with a known hash may carry signatures that
 * do not verify (a Byzantine round change once smuggled one into a re-proposal in the simulator).
 *
 * Both the gossip edge (gossip-validator.ts, off the input loop) and the driver (on it) call this; a
 * block checked at the edge is not checked again by the driver.
 */
import type { ConsensusState } from "../../consensus/state.js";
import type { RoundChange } from "../../consensus/types.js";
import { type ChainTip, type TxCheckCache, checkBlock } from "../chain/block.js";
import { executeChecked } from "../ledger/apply.js";
import type { ChainSpec } from "../chain/genesis.js";
import type { BlockEffects } from "../chain/state.js";
import type { CheckedTx } from "../chain/tx.js";
import type { Block } from "../chain/types.js";
import type { Clock } from "../clock.js";
import type { ChainStore } from "../ledger/store.js";
import { LedgerError } from "../errors.js";
import { type BlockMessage, carriedBlock, withCarriedBlock } from "../chain/messages.js";

/** checkBlock's message for a header time beyond the clock-drift allowance. */
const TOO_EARLY = /^time is too far in the future$/;

/** How carried blocks are checked. */
export interface CarriedBlockOptions {
  /** A proposed block's time may be at most this far ahead of the local clock. */
  maxClockDriftMs: number;
}

/** The allowance a node runs with. */
export const defaultCarriedBlockOptions: CarriedBlockOptions = {
  maxClockDriftMs: 10_000,
};

/** What the checker reads: the chain, the clock, the signature cache and the core's position. */
export interface CarriedBlockModules {
  spec: ChainSpec;
  store: ChainStore;
  /** Transactions whose signatures were already verified (the mempool). */
  cache: TxCheckCache;
  clock: Clock;
  /** The committed head. */
  tip(): ChainTip;
  /** The core's state at the height in progress (read only). */
  core(): ConsensusState<Block>;
}

/** A block that passed every check on the head, with its checked transactions and execution effects. */
export interface CheckedBlock {
  block: Block;
  txs: CheckedTx[];
  effects: BlockEffects;
}

/** Checks carried blocks against the committed head and remembers the ones that pass. */
export class CarriedBlockChecker {
  /** Blocks of the height in progress that passed every check, by block hash. */
  private checked = new Map<string, CheckedBlock>();
  /** Checks under way (the edge runs several at once), by block hash. */
  private readonly running = new Map<string, Promise<CheckedBlock>>();
  /**
   * Bumped when a commit starts writing: the store's state changes before its head does, so a check
   * that overlapped a commit may have executed on the new state while the head still read old.
   */
  private commits = 0;

  constructor(
    private readonly options: CarriedBlockOptions,
    private readonly modules: CarriedBlockModules,
  ) {}

  /** The checked copy of a block of the height in progress. */
  get(hash: string): CheckedBlock | undefined {
    const known = this.checked.get(hash);
    return known !== undefined && known.block.header.previousHash === this.modules.tip().hash ? known : undefined;
  }

  /** Remember a block this node built itself from checked transactions. */
  remember(hash: string, checked: CheckedBlock): void {
    this.checked.set(hash, checked);
  }

  /** A block is about to be written: checks running now cannot trust what they executed on. */
  commitStarting(): void {
    this.commits++;
  }

  /** The head moved: forget the blocks of the old height, keep those already checked on the new head (at the edge, during the commit). */
  headMoved(): void {
    const head = this.modules.tip().hash;
    for (const [hash, known] of this.checked) if (known.block.header.previousHash !== head) this.checked.delete(hash);
  }

  /**
   * Whether a carried block is worth the cost of checking (every transaction's signature may need
   * verifying): not for a proposal from the wrong proposer, nor for a round or sender the core
   * already has a message from — it would drop those without looking at the block.
   */
  worthChecking(msg: BlockMessage): boolean {
    const core = this.modules.core();
    if (msg.height !== core.height) return true;
    if (msg.round < core.round && msg.kind === "round-change") return false;
    if (msg.kind === "proposal") {
      if (this.modules.spec.validatorSetAt(msg.height).proposerIndex(msg.height, msg.round) !== msg.validator) return false;
      return !core.proposals.has(msg.round);
    }
    return !(core.roundChanges.get(msg.round)?.has(msg.validator) ?? false);
  }

  /**
   * Check the block `msg` carries as the next block on the head and return `msg` carrying the checked
   * copy. Throws BLOCK_INVALID for an invalid block (REJECT at the edge); NOT_READY when the block is
   * ahead of our clock or the head moved during the check (IGNORE: it depends on this node's view).
   */
  async check(msg: BlockMessage): Promise<BlockMessage> {
    const block = carriedBlock(msg);
    if (block === undefined) return msg;
    const hash = msg.kind === "proposal" ? msg.blockHash : ((msg as RoundChange<Block>).prepared?.blockHash as string);
    const known = await this.checkBlock(hash, block, { clock: true });
    // [REJECT] the header names the proposer of this round or, for a re-proposal, of an earlier one
    if (msg.kind === "proposal" && !this.modules.spec.validatorSetAt(msg.height).proposerFitsRound(msg.height, known.block.header.proposer, msg.round)) {
      throw new LedgerError("BLOCK_INVALID", "header proposer is not a proposer of this round or an earlier one");
    }
    return withCarriedBlock(msg, known.block);
  }

  /**
   * Check `block` (claimed to hash to `hash`) on the head, or return its cached checked copy. `clock`
   * also bounds its time by the local clock (not for a decided block: a quorum already accepted it).
   */
  async checkBlock(hash: string, block: Block, opts: { clock: boolean }): Promise<CheckedBlock> {
    const cached = this.get(hash);
    if (cached !== undefined) return cached;
    // Another copy of this block is being checked: if it passes, that copy is the one to use.
    const running = this.running.get(hash);
    if (running !== undefined) {
      const other = await running.catch(() => undefined);
      if (other !== undefined) return other;
    }
    const check = this.run(hash, block, opts);
    this.running.set(hash, check);
    try {
      return await check;
    } finally {
      if (this.running.get(hash) === check) this.running.delete(hash);
    }
  }

  private async run(hash: string, block: Block, opts: { clock: boolean }): Promise<CheckedBlock> {
    const { spec, store, cache, clock } = this.modules;
    const tip = this.modules.tip();
    const commits = this.commits;
    const moved = (): boolean => this.commits !== commits || this.modules.tip().hash !== tip.hash;
    const now = clock.now();
    let checked: CheckedBlock;
    try {
      // [REJECT] the carried block is a valid next block on our head
      const limits = opts.clock ? { now, maxFutureMs: this.options.maxClockDriftMs, cache } : { cache };
      const { block: copy, hash: actual, txs } = checkBlock(spec, block, tip, limits);
      // [REJECT] it hashes to the hash it is cached under (decodeMessage checked this for messages; a decision's block is checked here)
      if (actual !== hash) throw new LedgerError("BLOCK_INVALID", "block does not hash to the claimed hash");
      // [REJECT] its resultsRoot and stateRoot are what executing it on our head yields
      checked = { block: copy, txs, effects: await executeChecked(spec, store, copy, txs) };
    } catch (err) {
      // A block checked against a head that moved (or a commit that started) meanwhile says nothing about the sender.
      if (moved()) throw new LedgerError("NOT_READY", "the chain head moved while checking");
      // [IGNORE] a block time ahead of our clock may be valid a moment later: it says nothing of the sender
      if (err instanceof LedgerError && TOO_EARLY.test(err.message)) throw new LedgerError("NOT_READY", err.message);
      throw err;
    }
    // Executed on state that changed under it (the edge runs beside commits): not trustworthy.
    if (moved()) throw new LedgerError("NOT_READY", "the chain head moved while checking");
    this.checked.set(hash, checked);
    return checked;
  }
}
