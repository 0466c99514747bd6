/**
 * Transaction checks for the audit spread over worker threads (signature verification dominates an
 * audit). A batch's transactions are checked in the workers while the main thread replays the batch
 * before; what passed becomes a TxCheckCache for checkBlock, which then skips only the work a worker
 * already did (the same checkTransaction). A transaction that failed in a worker is not cached, so
 * checkBlock checks it again on the main thread and names the problem.
 */
import { Worker } from "node:worker_threads";
import type { TxCheckCache } from "../chain/block.js";
import type { ChainSpec } from "../chain/genesis.js";
import type { CheckedTx } from "../chain/tx.js";
import type { Transaction } from "../chain/types.js";
import type { VerifyAnswer } from "./verify-worker.js";

export interface VerifyPoolOptions {
  /** Worker threads (at least 1; the auditor makes no pool for 0). */
  workers: number;
}

/** Worker threads that check an audit's transactions ahead of its replay. */
export class VerifyPool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, { resolve: (answer: VerifyAnswer) => void; reject: (err: Error) => void }>();
  private nextId = 0;

  constructor(options: VerifyPoolOptions, modules: { spec: ChainSpec }) {
    const { spec } = modules;
    this.workers = Array.from({ length: options.workers }, () => {
      const worker = new Worker(new URL("./verify-worker.js", import.meta.url), { workerData: spec.genesis });
      worker.on("message", (answer: VerifyAnswer) => {
        this.pending.get(answer.id)?.resolve(answer);
        this.pending.delete(answer.id);
      });
      // A worker that dies fails every request in flight (the audit reports it; it never passes silently).
      worker.on("error", (err) => {
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
      return worker;
    });
  }

  /** Check `txs` across the workers; resolves with a cache of those that passed. */
  async check(txs: unknown[]): Promise<TxCheckCache> {
    const cache = new Map<string, CheckedTx>();
    const n = this.workers.length;
    const chunk = Math.ceil(txs.length / n);
    await Promise.all(
      this.workers.map(async (worker, w) => {
        const part = txs.slice(w * chunk, (w + 1) * chunk);
        if (part.length === 0) return;
        const id = this.nextId++;
        const answer = await new Promise<VerifyAnswer>((resolve, reject) => {
          this.pending.set(id, { resolve, reject });
          worker.postMessage({ id, txs: part });
        });
        for (const [i, r] of answer.results.entries()) {
          if (r !== null) cache.set(r.hash, { tx: part[i] as Transaction, hash: r.hash, bytes: r.bytes });
        }
      }),
    );
    return cache;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
