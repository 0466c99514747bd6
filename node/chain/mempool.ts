/**
 * Pending transactions, checked once (signature included) on the way in and kept in arrival order.
 * Each pending transaction is also checked against committed state plus the transactions ahead of
 * it, so a proposer builds blocks whose transactions apply; what still fails at execution gets a
 * rejection receipt.
 */
import { LedgerError } from "../errors.js";
import type { ChainSpec } from "./genesis.js";
import { type StateReader, certificateIdOf, transition } from "./state.js";
import { type CheckedTx, checkTransaction } from "./tx.js";
import type { CertificateRecord } from "./types.js";

export interface MempoolOptions {
  maxTxs: number;
}

export const defaultMempoolOptions: MempoolOptions = { maxTxs: 50_000 };

export type AdmitStatus = "accepted" | "known";

/** A transaction admitted (or already known) with its checked form. */
export interface AdmitResult {
  checked: CheckedTx;
  status: AdmitStatus;
}

export class Mempool {
  private readonly pending = new Map<string, CheckedTx>();
  /** Certificate state after the pending transactions that touch it, in order. */
  private readonly overlay = new Map<string, CertificateRecord>();
  private readonly byCertificate = new Map<string, Set<string>>();
  private closed = false;
  /** Bumped when a block starts and ends committing; admissions that read state across it read again. */
  private epoch = 0;
  /** Settles when the block being committed has reached the mempool; null when none is. */
  private commitDone: Promise<void> | null = null;
  private endCommit: (() => void) | null = null;

  constructor(
    private readonly spec: ChainSpec,
    private readonly state: StateReader,
    private readonly options: MempoolOptions = defaultMempoolOptions,
  ) {}

  get size(): number {
    return this.pending.size;
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
   * Check and add many transactions in order (a revoke may follow its issue in one batch). State is
   * read in two batched lookups for the whole batch: per-transaction reads cost more than the
   * signature checks. Each item is admitted or refused on its own.
   */
  async admitMany(values: unknown[]): Promise<Array<AdmitResult | LedgerError>> {
    const out: Array<AdmitResult | LedgerError | undefined> = new Array(values.length);
    const checked: Array<CheckedTx | undefined> = new Array(values.length);
    for (const [i, value] of values.entries()) {
      try {
        checked[i] = checkTransaction(this.spec, value);
      } catch (err) {
        // Anything else thrown while looking at untrusted input is still that input's fault.
        out[i] = err instanceof LedgerError ? err : new LedgerError("TX_MALFORMED", `malformed transaction: ${(err as Error).message}`);
      }
    }
    const fresh = checked.filter((c): c is CheckedTx => c !== undefined && !this.pending.has(c.hash));
    let ids: string[] = [];
    let locations: Array<unknown | null> = [];
    let records: Array<CertificateRecord | null> = [];
    // Read committed state; if a block committed meanwhile, read again (it may have changed what we read).
    for (let attempt = 0; ; attempt++) {
      const epoch = this.epoch;
      ids = [...new Set(fresh.map(certificateIdOf).filter((id) => !this.overlay.has(id)))];
      try {
        this.assertOpen();
        locations = await this.state.getTxLocations(fresh.map((c) => c.hash));
        records = await this.state.getCertificates(ids);
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
    const committed = new Map(ids.map((id, i) => [id, records[i] ?? null]));
    // From here on synchronous: no other admission interleaves between the checks and the inserts.
    for (const [i, c] of checked.entries()) {
      if (c === undefined) continue;
      try {
        out[i] = { checked: c, status: this.pending.has(c.hash) || committedTx.has(c.hash) ? "known" : this.insert(c, committed) };
      } catch (err) {
        if (!(err instanceof LedgerError)) throw err;
        out[i] = err;
      }
    }
    return out as Array<AdmitResult | LedgerError>;
  }

  /** Apply a new transaction on the pending state of its certificate and keep it; throws if it does not apply. */
  private insert(checked: CheckedTx, committed: Map<string, CertificateRecord | null>): "accepted" {
    if (this.pending.size >= this.options.maxTxs) throw new LedgerError("MEMPOOL_FULL", "the mempool is full; try again later");
    const id = certificateIdOf(checked);
    const base = this.overlay.has(id) ? (this.overlay.get(id) as CertificateRecord) : (committed.get(id) ?? null);
    const next = transition(base, checked, { height: 0, index: 0, time: 0 });
    this.pending.set(checked.hash, checked);
    this.overlay.set(id, next);
    let set = this.byCertificate.get(id);
    if (set === undefined) {
      set = new Set();
      this.byCertificate.set(id, set);
    }
    set.add(checked.hash);
    return "accepted";
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

  /**
   * After a block is committed: drop its transactions, then re-check what remains pending for the
   * certificates it touched against the new committed state.
   */
  /** A block is about to be written: admissions wait until onBlockCommitted, then read state again. */
  beginCommit(): void {
    if (this.commitDone !== null) return;
    this.epoch++;
    this.commitDone = new Promise((resolve) => {
      this.endCommit = resolve;
    });
  }

  async onBlockCommitted(txHashes: string[], touched: Iterable<string>): Promise<void> {
    this.beginCommit();
    try {
      await this.rebuildAfterCommit(txHashes, touched);
    } finally {
      this.epoch++;
      const end = this.endCommit;
      this.commitDone = null;
      this.endCommit = null;
      end?.();
    }
  }

  private async rebuildAfterCommit(txHashes: string[], touched: Iterable<string>): Promise<void> {
    for (const h of txHashes) {
      const tx = this.pending.get(h);
      if (tx === undefined) continue;
      this.pending.delete(h);
      this.byCertificate.get(certificateIdOf(tx))?.delete(h);
    }
    for (const id of touched) {
      const hashes = this.byCertificate.get(id);
      this.overlay.delete(id);
      if (hashes === undefined || hashes.size === 0) {
        this.byCertificate.delete(id);
        continue;
      }
      let record = await this.state.getCertificate(id);
      for (const h of [...hashes]) {
        const tx = this.pending.get(h);
        if (tx === undefined) continue;
        try {
          record = transition(record, tx, { height: 0, index: 0, time: 0 });
        } catch {
          // No longer applicable (e.g. the id was taken by another department's transaction).
          this.pending.delete(h);
          hashes.delete(h);
        }
      }
      if (record !== null && hashes.size > 0) this.overlay.set(id, record);
    }
  }
}
