/** Submitting a signed transaction and, by default, waiting for it to be committed. */
import type { Suspension, Transaction } from "../../../node/chain/types.js";
import { LedgerError } from "../../../node/errors.js";
import type { SubmitResult, TxView } from "../../../node/api/views.js";
import { NodeError } from "../../errors.js";
import type { RpcClient } from "../../rpc-client.js";

export interface WaitOptions {
  /** Give up after this long (the transaction may still commit later). */
  timeoutMs: number;
  pollMs: number;
}

export const defaultWaitOptions: WaitOptions = { timeoutMs: 30_000, pollMs: 100 };

/** A committed transaction whose receipt says it was applied. */
export interface Committed {
  hash: string;
  height: number;
  time: number;
  /** What a revocation suspended automatically (its receipt's `suspended`). */
  suspended?: Suspension[];
}

/** POST the transaction; throws NodeError with the ledger's code when the node refuses it. */
export async function submitTransaction(client: RpcClient, tx: Transaction): Promise<SubmitResult> {
  return client.post<SubmitResult>("/txs", tx);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Poll GET /txs/:hash until the transaction is committed. A rejected receipt throws NodeError with
 * the receipt's code; running out of time throws TIMEOUT.
 */
export async function waitForCommit(client: RpcClient, hash: string, opts: WaitOptions = defaultWaitOptions): Promise<Committed> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    // 404 is possible briefly (e.g. a node that restarted and lost its mempool); keep polling until the deadline.
    const view = await client.getOrNull<TxView>(`/txs/${hash}`);
    if (view !== null && view.status === "committed") {
      if (view.receipt?.status === "rejected") {
        throw new NodeError(
          view.receipt.code ?? "TX_REJECTED",
          `transaction ${hash} was committed in block ${view.height} but rejected: ${view.receipt.message ?? "no reason given"}`,
        );
      }
      const committed: Committed = { hash, height: view.height ?? 0, time: view.time ?? 0 };
      if (view.receipt?.suspended !== undefined) committed.suspended = view.receipt.suspended;
      return committed;
    }
    if (Date.now() >= deadline) {
      const state = view === null ? "unknown to the node" : "still pending";
      throw new LedgerError(
        "TIMEOUT",
        `transaction ${hash} not committed within ${Math.round(opts.timeoutMs / 1000)} s (${state}); it may still commit: check ${client.baseUrl}/txs/${hash}`,
      );
    }
    await sleep(opts.pollMs);
  }
}
