/**
 * Pending transactions, checked once (signature included) on the way in and kept in arrival order.
 * Each pending transaction is also checked against committed state plus the transactions ahead of
 * it, at the latest committed block's time, so a proposer builds blocks whose transactions apply
 * (the same reason codes as in a block); what still fails at execution gets a rejection receipt.
 */
import type { Clock } from "../clock.js";
import { type ErrorCode, LedgerError } from "../errors.js";
import type { ChainSpec } from "../chain/genesis.js";
import type { ReviewState } from "../chain/rules.js";
import { type StateReader, StateCache, type Transition, headTime, holderKeyString, readsOf, transition } from "../chain/state.js";
import { type CheckedTx, checkTransaction, isGovKind } from "../chain/tx.js";
import { type CheckedGovTx, applyGovTx, initialGovernance } from "../chain/governance.js";
import type { GovernanceState } from "../chain/gov-types.js";
import type { CertificateRecord } from "../chain/types.js";

export interface MempoolOptions {
  /** Pending transactions at most; more are refused with MEMPOOL_FULL until a block takes some. */
  maxTxs: number;
  /**
   * Transactions admitted per turn of the event loop: a 1,000-transaction RPC or gossip batch costs
   * ~100 ms of signature checks, which consensus messages must not wait behind.
   */
  admitChunkTxs: number;
  /**
   * How far a new transaction's createdAt may be from this node's clock (either way). Checked at
   * admission only, never in blocks: a block's validity must not depend on a node's clock.
   */
  maxCreatedAtSkewMs: number;
}

/**
 * 10,000 pending (ten full blocks): every transaction a node takes in costs its signature check and state
 * reads, so a pool that keeps taking while the chain is behind spends the CPU the chain needs. In a 120 s
 * stress (0.5× to 2× of a measured 760 tx/s) committed throughput in the 2× step was 204–497 tx/s per 10 s
 * with 50,000 and 307–695 with 10,000 (one run each, same code); CometBFT's default is 5,000, Besu's 4,096.
 */
export const defaultMempoolOptions: MempoolOptions = { maxTxs: 10_000, admitChunkTxs: 100, maxCreatedAtSkewMs: 10 * 60_000 };

/** checkTransaction, with anything it throws as the LedgerError admission answers. */
export function statelessCheck(spec: ChainSpec, value: unknown, height?: number, verifiedSignature?: string): CheckedTx | LedgerError {
  try {
    return checkTransaction(spec, value, height, verifiedSignature);
  } catch (err) {
    // Anything else thrown while looking at untrusted input is still that input's fault.
    return err instanceof LedgerError ? err : new LedgerError("TX_MALFORMED", `malformed transaction: ${(err as Error).message}`);
  }
}

function mempoolFull(): LedgerError {
  return new LedgerError("MEMPOOL_FULL", "the mempool is full; try again later", { retryAfterSeconds: 1 });
}

/** Let queued I/O and timers (consensus messages among them) run before the next chunk. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The stateless check of untrusted transactions done elsewhere (worker threads: signature checks are
 * most of admission's cost): per value, exactly what checkTransaction returns or throws.
 */
export interface TxVerifier {
  checkMany(values: unknown[]): Promise<Array<CheckedTx | LedgerError>>;
}

/** What the mempool reads: the chain's rules and committed state. */
export interface MempoolModules {
  spec: ChainSpec;
  state: StateReader;
  /** The node's clock, for the createdAt freshness check at admission. */
  clock?: Pick<Clock, "now">;
  /** Where batches' signature checks run (without one, or for a single transaction: here). */
  verifier?: TxVerifier;
}

export type AdmitStatus = "accepted" | "known";

/** A transaction admitted (or already known) with its checked form. */
export interface AdmitResult {
  checked: CheckedTx;
  status: AdmitStatus;
}

/**
 * The state keys a transaction touches, as the mempool indexes them: "c:" a certificate it reads or
 * writes, "h:" a holder whose index it reads (its review) or adds to (an issue). `reviewed`: the
 * certificates its review examined (the holder lists it read, as they stood when it was checked) —
 * revoking or suspending one of them can change its review.
 */
function touchedKeys(spec: ChainSpec, checked: CheckedTx, reviewed: readonly string[]): string[] {
  const reads = readsOf(spec, checked);
  const keys = new Set([...reads.ids, ...reviewed].map((id) => `c:${id}`));
  for (const h of reads.holders) keys.add(`h:${h.commitment}`);
  const body = checked.tx.body;
  if (body.kind === "issue") keys.add(`h:${body.payload.holderCommitment}`);
  return [...keys];
}

/** The keys (as touchedKeys names them) a committed transaction may have changed: its certificate ids, and an issue's holder index. */
function writesOf(spec: ChainSpec, checked: CheckedTx): string[] {
  const ids = readsOf(spec, checked).ids.map((id) => `c:${id}`);
  const body = checked.tx.body;
  return body.kind === "issue" ? [...ids, `h:${body.payload.holderCommitment}`] : ids;
}

/** Pending changes (records and holder-index additions) over a snapshot of committed state. */
class PendingView implements ReviewState {
  constructor(
    private readonly committed: StateCache,
    private readonly records: Map<string, CertificateRecord>,
    private readonly holders: Map<string, string[]>,
  ) {}

  certificate(id: string): CertificateRecord | null {
    return this.records.get(id) ?? this.committed.certificate(id);
  }

  holderCertificates(commitment: string, certificateType: string): string[] {
    const added = this.holders.get(holderKeyString({ commitment, certificateType })) ?? [];
    return [...this.committed.holderCertificates(commitment, certificateType), ...added];
  }
}

/** Pending transactions in arrival order, each checked once, over an overlay of the state they leave. */
export class Mempool {
  private readonly pending = new Map<string, CheckedTx>();
  /** Certificate records as the pending transactions left them. */
  private readonly records = new Map<string, CertificateRecord>();
  /** Holder-index additions of pending issues. */
  private readonly holders = new Map<string, string[]>();
  /** What each pending transaction changed, to undo when it is committed. */
  private readonly changes = new Map<string, Transition>();
  /** Each pending transaction's arrival number and the state keys it touches (see touchedKeys). */
  private readonly entries = new Map<string, { seq: number; keys: string[] }>();
  /** The pending transactions touching each state key, by hash. */
  private readonly byKey = new Map<string, Set<string>>();
  private seq = 0;
  /** Pending governance transactions: while there are any, every block re-checks the whole pool. */
  private govPending = 0;
  private closed = false;
  /** When the pending set last went from empty to non-empty (node clock); null while empty or without a clock. */
  private firstPendingAt: number | null = null;
  /** Bumped when a block starts and ends committing; admissions that read state across it read again. */
  private epoch = 0;
  /** Settles when the block being committed has reached the mempool; null when none is. */
  private commitDone: Promise<void> | null = null;
  private endCommit: (() => void) | null = null;

  private readonly spec: ChainSpec;
  private readonly state: StateReader;
  /** The committed governance state, read when a governance transaction is admitted or a block commits. */
  private govCommitted: GovernanceState | null = null;
  /** The node's clock for the createdAt freshness check; without one (simulations, offline tools replaying fixed transactions) freshness is not checked. */
  private readonly clock: Pick<Clock, "now"> | null;
  private readonly verifier: TxVerifier | null;

  constructor(
    private readonly options: MempoolOptions,
    modules: MempoolModules,
  ) {
    this.spec = modules.spec;
    this.state = modules.state;
    this.clock = modules.clock ?? null;
    this.verifier = modules.verifier ?? null;
  }

  get size(): number {
    return this.pending.size;
  }

  private get full(): boolean {
    return this.pending.size >= this.options.maxTxs;
  }

  /** Since when transactions have been waiting without the pending set emptying (null: none wait, or no clock). */
  get pendingSince(): number | null {
    return this.firstPendingAt;
  }

  has(hash: string): boolean {
    return this.pending.has(hash);
  }

  /** A pending transaction by hash: doubles as the cache that spares re-verifying signatures. */
  get(hash: string): CheckedTx | undefined {
    return this.pending.get(hash);
  }

  /** Check an untrusted transaction and add it; throws the LedgerError that says why not. */
  async admit(value: unknown): Promise<AdmitResult> {
    const [result] = await this.admitMany([value]);
    if (result instanceof LedgerError) throw result;
    return result as AdmitResult;
  }

  /**
   * Check and add many transactions in order (a revoke may follow its issue in one batch), each
   * admitted or refused on its own. A large batch is admitted in chunks of `admitChunkTxs` with a turn
   * of the event loop between them, so consensus input is never held behind a batch's signature
   * checks; a refusal of the whole chunk (NOT_READY) becomes each remaining item's refusal.
   */
  async admitMany(values: unknown[]): Promise<Array<AdmitResult | LedgerError>> {
    // A full pool refuses at once. Checking the signatures of transactions it cannot take, and reading
    // the state they depend on, was most of what an overloaded node spent its time on.
    if (this.full) return values.map(() => mempoolFull());
    // The whole batch's stateless checks at once in the verifier's workers (admission stays in order below).
    const verified = this.verifier !== null && values.length > 1 ? await this.verifier.checkMany(values) : undefined;
    const chunk = Math.max(1, this.options.admitChunkTxs);
    if (values.length <= chunk) return this.admitChunk(values, verified);
    const out: Array<AdmitResult | LedgerError> = [];
    for (let start = 0; start < values.length; start += chunk) {
      if (start > 0) await yieldToEventLoop();
      const part = values.slice(start, start + chunk);
      try {
        out.push(...(await this.admitChunk(part, verified?.slice(start, start + chunk))));
      } catch (err) {
        if (!(err instanceof LedgerError) || start === 0) throw err;
        for (let i = start; i < values.length; i++) out.push(err);
        break;
      }
    }
    return out;
  }

  /**
   * Admit one chunk. State is read in batched lookups for the whole chunk: per-transaction reads
   * cost more than the signature checks. `verified`: the chunk's stateless checks, done already.
   */
  private async admitChunk(values: unknown[], verified?: Array<CheckedTx | LedgerError>): Promise<Array<AdmitResult | LedgerError>> {
    const out: Array<AdmitResult | LedgerError | undefined> = new Array(values.length);
    const checked: Array<CheckedTx | undefined> = new Array(values.length);
    // Judged by the rules of the next height, the earliest block that can hold it.
    const nextHeight = (this.state.head()?.height ?? 0) + 1;
    for (const [i, value] of values.entries()) {
      // A worker's verdict was reached under genesis's rules: it stands while they are in force;
      // otherwise the rules of the next height are checked here (a signature it verified is not verified again).
      const w = verified?.[i];
      const result =
        w !== undefined && this.spec.rulesUnchangedAt(nextHeight)
          ? w
          : w !== undefined && !(w instanceof LedgerError)
            ? statelessCheck(this.spec, value, nextHeight, w.tx.signature)
            : statelessCheck(this.spec, value, nextHeight);
      if (result instanceof LedgerError) out[i] = result;
      else checked[i] = result;
    }
    // Filled meanwhile (by an earlier chunk, or another admission): refuse without reading state.
    if (this.full) {
      for (const [i, c] of checked.entries()) if (c !== undefined) out[i] = this.pending.has(c.hash) ? { checked: c, status: "known" } : mempoolFull();
      return out as Array<AdmitResult | LedgerError>;
    }
    let fresh: CheckedTx[] = [];
    let locations: Array<unknown | null> = [];
    let committed = new StateCache();
    // Read committed state; if a block committed meanwhile, read again (it may have changed what we
    // read). Which transactions are new is decided afresh on every attempt: a block committing during
    // the wait drops its transactions from the pending set, and the state they touch must be read.
    for (let attempt = 0; ; attempt++) {
      const epoch = this.epoch;
      fresh = checked.filter((c): c is CheckedTx => c !== undefined && !this.pending.has(c.hash));
      committed = new StateCache();
      try {
        this.assertOpen();
        locations = await this.state.getTxLocations(fresh.map((c) => c.hash));
        await committed.load(this.spec, this.state, fresh);
        if (fresh.some((c) => isGovKind(c.tx.body.kind))) await this.loadGovernance();
      } catch (err) {
        this.assertOpen(); // the store closed under us: the node is stopping
        throw err;
      }
      this.assertOpen();
      if (epoch === this.epoch && this.commitDone === null) break;
      if (attempt >= 20) throw new LedgerError("NOT_READY", "the chain is moving too fast to admit this batch; try again");
      await this.commitDone;
    }
    const committedTx = new Set(fresh.filter((_, i) => locations[i] !== null).map((c) => c.hash));
    const loaded = new Set(fresh.map((c) => c.hash));
    // From here on synchronous: no other admission interleaves between the checks and the inserts.
    const view = new PendingView(committed, this.records, this.holders);
    const time = headTime(this.spec, this.state).time;
    const now = this.clock?.now();
    for (const [i, c] of checked.entries()) {
      if (c === undefined) continue;
      try {
        if (this.pending.has(c.hash) || committedTx.has(c.hash)) out[i] = { checked: c, status: "known" };
        // A re-post of a known transaction stays "known" however old; only a new one must be fresh.
        else if (now !== undefined && !this.isFresh(c, now)) {
          const skew = this.options.maxCreatedAtSkewMs;
          throw new LedgerError("TX_NOT_FRESH", `createdAt is more than ${skew / 60_000} minutes from this node's clock; sign it again with a correct clock`, {
            createdAt: c.tx.body.createdAt,
            now,
          });
        }
        // Only pending transactions leave the pending set, and only while a block commits (the
        // loop above waited that out): a transaction not read above is pending now.
        else if (!loaded.has(c.hash)) throw new LedgerError("INTERNAL", `transaction ${c.hash} left the mempool during admission`);
        else out[i] = { checked: c, status: this.insert(c, view, time) };
      } catch (err) {
        if (!(err instanceof LedgerError)) throw err;
        out[i] = err;
      }
    }
    return out as Array<AdmitResult | LedgerError>;
  }

  private isFresh(checked: CheckedTx, now: number): boolean {
    return Math.abs(checked.tx.body.createdAt - now) <= this.options.maxCreatedAtSkewMs;
  }

  /** Read the committed governance state (pending governance transactions are applied on it). */
  private async loadGovernance(): Promise<void> {
    this.govCommitted = (await this.state.getGovernance()) ?? initialGovernance(this.spec.genesis);
  }

  /**
   * A governance transaction applies on the committed governance state after the pending ones ahead of
   * it, at the next height: the same TX_GOV_* refusals as in a block (a duplicate vote, an unknown or
   * expired proposal, a signer not in force).
   */
  private checkGovernance(checked: CheckedTx): void {
    const height = (this.state.head()?.height ?? 0) + 1;
    let gov = this.govCommitted ?? initialGovernance(this.spec.genesis);
    for (const p of this.pending.values()) {
      if (isGovKind(p.tx.body.kind)) gov = applyGovTx(gov, this.spec.genesis.governance, p as CheckedGovTx, { height }).state;
    }
    const r = applyGovTx(gov, this.spec.genesis.governance, checked as CheckedGovTx, { height });
    if (r.receipt.status === "rejected") throw new LedgerError(r.receipt.code as ErrorCode, r.receipt.message ?? "governance transaction refused");
  }

  /** Apply a new transaction on the pending state and keep it; throws if it does not apply. */
  private insert(checked: CheckedTx, view: ReviewState, time: number): "accepted" {
    if (this.full) throw mempoolFull();
    if (isGovKind(checked.tx.body.kind)) {
      this.checkGovernance(checked);
      if (this.pending.size === 0) this.firstPendingAt = this.clock?.now() ?? null;
      this.pending.set(checked.hash, checked);
      this.govPending++;
      return "accepted";
    }
    this.apply(checked, view, time, this.seq);
    if (this.pending.size === 0) this.firstPendingAt = this.clock?.now() ?? null;
    this.pending.set(checked.hash, checked);
    this.seq++;
    return "accepted";
  }

  /** Apply a transaction's change on the pending state, as the `seq`th to arrive; throws if it does not apply. */
  private apply(checked: CheckedTx, view: ReviewState, time: number, seq: number): void {
    const t = transition(this.spec, view, checked, { height: 0, index: 0, time });
    const reviewed = readsOf(this.spec, checked).holders.flatMap((h) => view.holderCertificates(h.commitment, h.certificateType));
    this.changes.set(checked.hash, t);
    const keys = touchedKeys(this.spec, checked, reviewed);
    this.entries.set(checked.hash, { seq, keys });
    for (const k of keys) {
      const users = this.byKey.get(k);
      if (users === undefined) this.byKey.set(k, new Set([checked.hash]));
      else users.add(checked.hash);
    }
    for (const r of t.records) this.records.set(r.id, r);
    if (t.holder !== undefined) {
      const key = holderKeyString(t.holder);
      this.holders.set(key, [...(this.holders.get(key) ?? []), t.holder.id]);
    }
  }

  /** Refuse admissions from now on (the node is stopping and its store is about to close). */
  close(): void {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new LedgerError("NOT_READY", "the node is shutting down");
  }

  /** Up to the block limits, in arrival order. */
  reap(maxTxs: number, maxBytes: number): CheckedTx[] {
    const out: CheckedTx[] = [];
    let bytes = 0;
    for (const tx of this.pending.values()) {
      if (out.length >= maxTxs || bytes + tx.bytes > maxBytes) break;
      out.push(tx);
      bytes += tx.bytes;
    }
    return out;
  }

  /** A block is about to be written: admissions wait until onBlockCommitted, then read state again. */
  beginCommit(): void {
    if (this.commitDone !== null) return;
    this.epoch++;
    this.commitDone = new Promise((resolve) => {
      this.endCommit = resolve;
    });
  }

  /**
   * After a block is committed (its transactions `txs`, none if it failed): drop them; re-check the
   * pending transactions that touch state the block may have changed (and those sharing state with
   * them: builtOn), in order, against the new committed state, and drop those that no longer apply.
   */
  async onBlockCommitted(txs: readonly CheckedTx[]): Promise<void> {
    this.beginCommit();
    try {
      await this.rebuildAfterCommit(txs);
    } finally {
      this.epoch++;
      const end = this.endCommit;
      this.commitDone = null;
      this.endCommit = null;
      end?.();
    }
  }

  private async rebuildAfterCommit(txs: readonly CheckedTx[]): Promise<void> {
    for (const t of txs) {
      const tx = this.pending.get(t.hash);
      if (tx !== undefined) this.forget(tx);
    }
    if (this.pending.size === 0) return;
    const head = this.state.head()?.height ?? 0;
    // Rules that change at the next height (a passed governance action) or a block with governance
    // transactions: everything pending is judged again, at the next height.
    const rulesChanged = this.spec.rulesAt(head + 1) !== this.spec.rulesAt(head);
    const governance = this.govPending > 0 || txs.some((t) => isGovKind(t.tx.body.kind));
    if (governance) await this.loadGovernance();
    // What the block may have changed: the certificates its transactions write, and the holders they issue to.
    const stale = rulesChanged || governance || txs.some((t) => writesOf(this.spec, t).some((k) => this.byKey.has(k)));
    if (!stale) return;
    // Something pending depends on what the block changed: re-check it, and what was built on it, in
    // order (with new rules, everything). Checking all 50,000 of a full pool (the old default) after
    // every block cost seconds a block (a state read per holder) and collapsed throughput under overload.
    if (rulesChanged || governance) return this.recheckAll(head, rulesChanged);
    // The rest keep their changes and their place in the arrival order; so do these, if they still apply.
    const touched = this.builtOn(txs);
    for (const { tx } of touched) this.undo(tx);
    const committed = new StateCache();
    await committed.load(
      this.spec,
      this.state,
      touched.map((t) => t.tx),
    );
    const view = new PendingView(committed, this.records, this.holders);
    const time = headTime(this.spec, this.state).time;
    for (const { tx: c, seq } of touched) {
      try {
        this.apply(c, view, time, seq);
      } catch (err) {
        // No longer applicable (e.g. the id was taken by another department's transaction).
        if (!(err instanceof LedgerError)) throw err;
        this.pending.delete(c.hash);
        if (this.pending.size === 0) this.firstPendingAt = null;
      }
    }
  }

  /** Judge every pending transaction again, in arrival order (by the rules of height `head + 1` when they change there). */
  private async recheckAll(head: number, rulesChanged: boolean): Promise<void> {
    const pending = [...this.pending.values()];
    for (const c of pending) this.forget(c);
    const committed = new StateCache();
    await committed.load(this.spec, this.state, pending);
    const view = new PendingView(committed, this.records, this.holders);
    const time = headTime(this.spec, this.state).time;
    for (const c of pending) {
      try {
        if (rulesChanged && !isGovKind(c.tx.body.kind)) checkTransaction(this.spec, c.tx, head + 1);
        this.insert(c, view, time);
      } catch (err) {
        if (!(err instanceof LedgerError)) throw err;
      }
    }
  }

  /**
   * The pending transactions a committed block's `txs` may have changed the checks of, in arrival
   * order: those touching a key the block wrote, and, transitively, those touching a key one of them
   * touches (a later one was checked on top of its pending change, which the re-check may drop; an
   * earlier one's pending change was under it, and must not be under it when it is checked again).
   * Every other pending transaction touches none of these keys: its check stands, and it neither
   * reads what these write nor writes what they read. So re-checking these alone, in order, gives
   * what re-checking the whole pool in order would, but for their place in the arrival order; and it
   * costs what the block touched, not the size of the pool.
   */
  private builtOn(txs: readonly CheckedTx[]): Array<{ tx: CheckedTx; seq: number }> {
    const keys = new Set<string>();
    const queue: string[] = [];
    const reach = (k: string) => {
      if (keys.has(k) || !this.byKey.has(k)) return;
      keys.add(k);
      queue.push(k);
    };
    for (const t of txs) for (const k of writesOf(this.spec, t)) reach(k);
    const hit = new Map<string, number>();
    for (let k = queue.pop(); k !== undefined; k = queue.pop()) {
      for (const hash of this.byKey.get(k) ?? []) {
        const entry = this.entries.get(hash);
        if (entry === undefined || hit.has(hash)) continue;
        hit.set(hash, entry.seq);
        for (const next of entry.keys) reach(next);
      }
    }
    const out: Array<{ tx: CheckedTx; seq: number }> = [];
    for (const [hash, seq] of hit) {
      const tx = this.pending.get(hash);
      if (tx !== undefined) out.push({ tx, seq });
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  /**
   * Drop a pending transaction and its pending changes. A change a later pending transaction built
   * on is shared with it (same keys), so the commit that drops this one re-checks that one anyway.
   */
  private forget(tx: CheckedTx): void {
    this.pending.delete(tx.hash);
    if (this.pending.size === 0) this.firstPendingAt = null;
    this.undo(tx);
  }

  /** Take back a pending transaction's change on the pending state (it stays in the pending set). */
  private undo(tx: CheckedTx): void {
    if (isGovKind(tx.tx.body.kind)) this.govPending--;
    for (const k of this.entries.get(tx.hash)?.keys ?? []) {
      const users = this.byKey.get(k);
      users?.delete(tx.hash);
      if (users?.size === 0) this.byKey.delete(k);
    }
    this.entries.delete(tx.hash);
    const t = this.changes.get(tx.hash);
    this.changes.delete(tx.hash);
    if (t === undefined) return;
    for (const r of t.records) if (this.records.get(r.id) === r) this.records.delete(r.id);
    if (t.holder !== undefined) {
      const key = holderKeyString(t.holder);
      const rest = (this.holders.get(key) ?? []).filter((id) => id !== t.holder?.id);
      if (rest.length === 0) this.holders.delete(key);
      else this.holders.set(key, rest);
    }
  }
}

/**
 * How many items of one admission (admitMany's or a backend's submitTransactions' results) were
 * refused for a bad signature: what per-client throttling of forged floods counts.
 */
export function badSignatureCount(results: readonly unknown[]): number {
  return results.filter((r) => r instanceof LedgerError && r.code === "TX_BAD_SIGNATURE").length;
}
