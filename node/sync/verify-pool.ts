/**
 * Signature checks on worker threads, for admission (`checkMany`: a batch of transactions from RPC or
 * gossip, exactly checkTransaction's verdicts) and for sync (catch-up is bound by Ed25519
 * verification): a fetched
 * "blocks" answer is split across the workers by block, each checks its blocks' transactions and
 * commit certificates (verify-worker.ts), and the main thread gets a `BlockPrecheck`: a cache of the
 * transactions that passed (checkBlock then skips exactly the work a worker did) and which
 * certificates verified. Nothing a worker says can make a block pass that would fail on the main
 * thread: a failure there is only "not cached", and the main thread checks it again. A pool whose
 * worker died answers empty prechecks, so sync goes on on the main thread.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { TxCheckCache } from "../chain/block.js";
import type { ChainSpec } from "../chain/genesis.js";
import type { CheckedTx } from "../chain/tx.js";
import type { Transaction } from "../chain/types.js";
import type { Logger } from "../logger.js";
import type { PrecheckAnswer, PrecheckRequest, TxCheckAnswer, TxCheckRequest } from "./verify-worker.js";
import { LedgerError } from "../errors.js";
import { type TxVerifier, statelessCheck } from "../ledger/mempool.js";

/** What the workers found for one "blocks" answer, by block index within it. */
export interface BlockPrecheck {
  /** The transactions whose full stateless check passed in a worker. */
  txs: TxCheckCache;
  /** Whether block i's commit certificate passed checkCommitCertificate in a worker. */
  sealsVerified(index: number): boolean;
}

/** What sync asks of a verifier; `items` are the decoded blocks of `bytes`. */
export interface SyncVerifier {
  precheck(bytes: Uint8Array, items: unknown[]): Promise<BlockPrecheck>;
  close(): Promise<void>;
}

/** Admission batches are split across workers in parts of at least this many transactions. */
const MIN_PART = 50;

export const EMPTY_PRECHECK: BlockPrecheck = { txs: { get: () => undefined }, sealsVerified: () => false };

/** Worker threads for `workers` (-1: one per core); started at the first precheck. */
export class SyncVerifyPool implements SyncVerifier, TxVerifier {
  private workers: Worker[] | null = null;
  private readonly pending = new Map<number, { resolve: (a: PrecheckAnswer & TxCheckAnswer) => void; reject: (err: Error) => void }>();
  /** Round-robin over the workers for admission batches. */
  private turn = 0;
  private nextId = 0;
  private broken = false;
  /** Closed: everything is checked on the main thread from now on (no worker is started again). */
  private closed = false;
  readonly size: number;

  constructor(
    workers: number,
    private readonly modules: { spec: ChainSpec; log: Logger },
  ) {
    this.size = workers < 0 ? availableParallelism() : workers;
  }

  /** The workers, started now if need be; null when they cannot start (the pool is then off). */
  private started(): Worker[] | null {
    try {
      return this.start();
    } catch (err) {
      this.modules.log.warn("sync verify workers did not start; checking on the main thread", { err });
      this.broken = true;
      return null;
    }
  }

  private start(): Worker[] {
    if (this.workers !== null) return this.workers;
    const fail = (err: Error): void => {
      if (!this.broken) this.modules.log.warn("sync verify worker failed; checking on the main thread", { err });
      this.broken = true;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.workers = Array.from({ length: this.size }, () => {
      const worker = new Worker(new URL("./verify-worker.js", import.meta.url), { workerData: this.modules.spec.genesis });
      worker.unref(); // an idle pool never keeps the process alive
      worker.on("message", (answer: PrecheckAnswer & TxCheckAnswer) => {
        this.pending.get(answer.id)?.resolve(answer);
        this.pending.delete(answer.id);
      });
      worker.on("error", fail);
      worker.on("exit", (code) => {
        if (this.workers !== null) fail(new Error(`verify worker exited with code ${code}`));
      });
      return worker;
    });
    return this.workers;
  }

  async precheck(bytes: Uint8Array, items: unknown[]): Promise<BlockPrecheck> {
    if (this.size === 0 || this.broken || this.closed || items.length === 0) return EMPTY_PRECHECK;
    const workers = this.started();
    if (workers === null) return EMPTY_PRECHECK;
    const chunk = Math.ceil(items.length / workers.length);
    const cache = new Map<string, CheckedTx>();
    // By the main thread's own transaction objects: the workers checked parses of the same bytes.
    const byObject = new Map<object, CheckedTx>();
    const sealed = new Set<number>();
    try {
      await Promise.all(
        workers.map(async (worker, w) => {
          const from = w * chunk;
          const to = Math.min(items.length, from + chunk);
          if (from >= to) return;
          const id = this.nextId++;
          const answer = await new Promise<PrecheckAnswer>((resolve, reject) => {
            this.pending.set(id, { resolve, reject });
            worker.postMessage({ kind: "blocks", id, bytes, from, to } satisfies PrecheckRequest);
          });
          for (const [k, result] of answer.blocks.entries()) {
            const txs = (items[from + k] as { block?: { txs?: unknown } } | null)?.block?.txs;
            if (result.sealsVerified) sealed.add(from + k);
            for (const [j, r] of result.txs.entries()) {
              // The main thread's own copy of the transaction: checkBlock compares its signature too.
              if (r === null || !Array.isArray(txs)) continue;
              const checked: CheckedTx = { tx: txs[j] as Transaction, hash: r.hash, bytes: r.bytes };
              cache.set(r.hash, checked);
              if (typeof txs[j] === "object" && txs[j] !== null) byObject.set(txs[j] as object, checked);
            }
          }
        }),
      );
    } catch {
      return EMPTY_PRECHECK; // logged once by fail(); the main thread checks everything
    }
    return { txs: { get: (hash) => cache.get(hash), checkedObject: (tx) => byObject.get(tx) }, sealsVerified: (i) => sealed.has(i) };
  }

  /**
   * Admission's stateless checks (TxVerifier): a batch is split across the workers in parts of at
   * least `MIN_PART` transactions; on the main thread if the pool is off, broken or closed.
   */
  async checkMany(values: unknown[]): Promise<Array<CheckedTx | LedgerError>> {
    const here = (): Array<CheckedTx | LedgerError> => values.map((v) => statelessCheck(this.modules.spec, v));
    if (this.size === 0 || this.broken || this.closed) return here();
    const workers = this.started();
    if (workers === null) return here();
    const parts = Math.max(1, Math.min(workers.length, Math.floor(values.length / MIN_PART)));
    const size = Math.ceil(values.length / parts);
    let answers: TxCheckAnswer[];
    try {
      answers = await Promise.all(
        Array.from({ length: parts }, (_, p) => {
          const worker = workers[this.turn++ % workers.length] as Worker;
          const id = this.nextId++;
          return new Promise<TxCheckAnswer>((resolve, reject) => {
            this.pending.set(id, { resolve, reject });
            worker.postMessage({ kind: "txs", id, txs: values.slice(p * size, (p + 1) * size) } satisfies TxCheckRequest);
          });
        }),
      );
    } catch {
      return here();
    }
    return answers
      .flatMap((a) => a.results)
      .map((r, i) => ("hash" in r ? { tx: values[i] as Transaction, hash: r.hash, bytes: r.bytes } : new LedgerError(r.code, r.message, r.details)));
  }

  async close(): Promise<void> {
    this.closed = true;
    const workers = this.workers;
    this.workers = null;
    if (workers !== null) await Promise.all(workers.map((w) => w.terminate()));
  }
}
