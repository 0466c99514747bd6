/**
 * Worker thread of the audit's verify pool: runs the full stateless transaction check
 * (checkTransaction: structure, chain id, issuer authority, schema, signature) on the transactions
 * it is sent and answers, per transaction, its hash and size, or null when it fails.
 */
import { parentPort, workerData } from "node:worker_threads";
import { ChainSpec } from "../chain/genesis.js";
import { checkTransaction } from "../chain/tx.js";
import type { Genesis } from "../chain/types.js";

/** A request: transactions to check; the answer carries the same id. */
export interface VerifyRequest {
  id: number;
  txs: unknown[];
}

export interface VerifyAnswer {
  id: number;
  results: Array<{ hash: string; bytes: number } | null>;
}

const spec = new ChainSpec(workerData as Genesis);

parentPort?.on("message", (req: VerifyRequest) => {
  const results = req.txs.map((tx) => {
    try {
      const checked = checkTransaction(spec, tx);
      return { hash: checked.hash, bytes: checked.bytes };
    } catch {
      return null; // the main thread checks it again and names the problem
    }
  });
  parentPort?.postMessage({ id: req.id, results } satisfies VerifyAnswer);
});
