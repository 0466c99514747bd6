/**
 * Worker thread of the verify pool. Transactions at admission: runs checkTransaction on each and
 * answers its hash and size, or the LedgerError's code, message and details. Sync: parses a "blocks"
 * answer and, for the blocks it is given, runs
 * the full stateless check of every transaction (checkTransaction) and of the commit certificate
 * (checkCommitCertificate) — the signature checks that dominate catch-up. It answers facts only; the
 * main thread still checks every block's linkage, limits and Merkle root, and anything a worker
 * failed is checked again there, which names the problem.
 */
import { parentPort, workerData } from "node:worker_threads";
import { checkCommitCertificate } from "../chain/block.js";
import { ChainSpec } from "../chain/genesis.js";
import { checkTransaction } from "../chain/tx.js";
import type { BlockHeader, Genesis } from "../chain/types.js";
import { type ErrorCode, LedgerError } from "../errors.js";
import { statelessCheck } from "../ledger/mempool.js";

/** Check blocks `from` ≤ i < `to` of the "blocks" answer in `bytes`; the answer carries the same id. */
export interface PrecheckRequest {
  kind: "blocks";
  id: number;
  bytes: Uint8Array;
  from: number;
  to: number;
}

/** Check transactions at admission. */
export interface TxCheckRequest {
  kind: "txs";
  id: number;
  txs: unknown[];
}

/** Per transaction: its hash and size, or why checkTransaction refused it. */
export interface TxCheckAnswer {
  id: number;
  results: Array<{ hash: string; bytes: number } | { code: ErrorCode; message: string; details?: Record<string, unknown> }>;
}

/** Per block of the range: each transaction's hash and size when it passed (null: failed), and whether the certificate verified. */
export interface PrecheckAnswer {
  id: number;
  blocks: Array<{ txs: Array<{ hash: string; bytes: number } | null>; sealsVerified: boolean }>;
}

const spec = new ChainSpec(workerData as Genesis);
const utf8 = new TextDecoder();

function checkTxs(req: TxCheckRequest): TxCheckAnswer {
  const results = req.txs.map((tx) => {
    const r = statelessCheck(spec, tx);
    if (!(r instanceof LedgerError)) return { hash: r.hash, bytes: r.bytes };
    return r.details === undefined ? { code: r.code, message: r.message } : { code: r.code, message: r.message, details: r.details };
  });
  return { id: req.id, results };
}

parentPort?.on("message", (req: PrecheckRequest | TxCheckRequest) => {
  if (req.kind === "txs") {
    parentPort?.postMessage(checkTxs(req));
    return;
  }
  const out: PrecheckAnswer["blocks"] = [];
  let items: unknown[] = [];
  try {
    const parsed = JSON.parse(utf8.decode(req.bytes)) as { blocks?: unknown };
    if (Array.isArray(parsed?.blocks)) items = parsed.blocks;
  } catch {
    // not JSON: nothing passes here; the main thread refuses the answer itself
  }
  for (let i = req.from; i < req.to && i < items.length; i++) {
    const item = items[i] as { block?: { header?: unknown; txs?: unknown }; commit?: unknown } | null;
    const txs = Array.isArray(item?.block?.txs) ? (item.block.txs as unknown[]) : [];
    const results = txs.map((tx) => {
      try {
        const checked = checkTransaction(spec, tx);
        return { hash: checked.hash, bytes: checked.bytes };
      } catch {
        return null;
      }
    });
    let sealsVerified = false;
    try {
      checkCommitCertificate(spec, item?.commit, item?.block?.header as BlockHeader);
      sealsVerified = true;
    } catch {
      // checked again on the main thread, which names the problem
    }
    out.push({ txs: results, sealsVerified });
  }
  parentPort?.postMessage({ id: req.id, blocks: out } satisfies PrecheckAnswer);
});
