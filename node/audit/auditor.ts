/**
 * The chain auditor (`certchain audit`): re-checks a node's whole chain from genesis and trusts
 * nothing the node stored. For every block: the header's link to the previous block's computed hash,
 * the transaction root, every transaction's signature and issuer authorisation (checkBlock), the
 * commit certificate against the genesis validators (checkCommitCertificate), and the stored hash.
 * Then every block is replayed through the real applyBlock into a scratch store on disk, and the
 * stored receipts, transaction index, certificate records and issuance index are compared with what
 * the replay produced (indexes.ts). The first inconsistency stops the audit, named with its height.
 */
import { applyBlock } from "../ledger/apply.js";
import { type ChainTip, type TxCheckCache, checkBlock, checkCommitCertificate, genesisTip } from "../chain/block.js";
import type { ChainSpec } from "../chain/genesis.js";
import type { Receipt } from "../chain/types.js";
import type { StoredBlock } from "../ledger/store.js";
import { brief, sameJson } from "./compare.js";
import { ReplayStore } from "./replay.js";
import { auditHolderIndex, auditIssuanceIndex, auditRecords } from "./indexes.js";
import { type AuditProgress, type AuditReport, Inconsistency, short, stop } from "./report.js";
import type { AuditSource } from "./source.js";
import { VerifyPool } from "./verify-pool.js";
import { type AuditOptions, defaultAuditOptions } from "./options.js";

/** What an audit reads and whom it tells of its progress. */
export interface AuditModules {
  /** The genesis the auditor trusts. */
  spec: ChainSpec;
  /** The chain audited: a store or a node's RPC. */
  source: AuditSource;
  onProgress?: (p: AuditProgress) => void;
}

/** The tunables and what auditBlocks reports to. */
type AuditRun = AuditOptions & Pick<AuditModules, "onProgress">;

/** Audit `source` against `spec` (the genesis the auditor trusts). Resolves with the report; never throws for an inconsistency. */
export async function auditChain(options: Partial<AuditOptions>, modules: AuditModules): Promise<AuditReport> {
  const { spec, source } = modules;
  const opts: AuditRun = { ...defaultAuditOptions, ...options, onProgress: modules.onProgress };
  const started = performance.now();
  const head = await source.head();
  const report: AuditReport = {
    chainId: spec.chainId,
    height: head?.height ?? 0,
    blocks: 0,
    txs: 0,
    certificates: 0,
    skippedRecords: 0,
    suspensions: 0,
    notChecked: [],
    elapsedMs: 0,
    finding: null,
  };
  const replay = await ReplayStore.open();
  try {
    const tip = await auditBlocks(spec, source, replay, report, opts, started);
    if (!source.live) await auditHead(source, head, tip);
    const progress = (): void =>
      opts.onProgress?.({
        phase: "records",
        height: report.blocks,
        total: report.height,
        txs: report.txs,
        records: report.certificates + report.skippedRecords,
        recordsTotal: replay.certificateCount,
        elapsedMs: performance.now() - started,
      });
    await auditRecords(source, replay, report, opts.batchRecords, progress);
    await auditIssuanceIndex(spec, source, replay, report, tip.height);
    await auditHolderIndex(source, replay, report);
  } catch (err) {
    if (!(err instanceof Inconsistency)) throw err;
    report.finding = err.finding;
  } finally {
    await replay.close();
  }
  report.elapsedMs = performance.now() - started;
  return report;
}

/** A batch of stored blocks, with the transactions the verify pool already checked. */
interface Batch {
  from: number;
  to: number;
  stored: Array<StoredBlock | null>;
  cache?: TxCheckCache;
}

/** Read blocks from..to and, with a pool, check their transactions in the workers. */
async function readBatch(source: AuditSource, pool: VerifyPool | null, from: number, to: number): Promise<Batch> {
  const stored = await readBlocks(source, from, to);
  if (pool === null) return { from, to, stored };
  const txs = stored.flatMap((b) => (Array.isArray(b?.block?.txs) ? b.block.txs : []));
  return { from, to, stored, cache: await pool.check(txs) };
}

/**
 * Blocks from..to. When a stored block cannot even be decoded (a damaged value on disk), the batch
 * is read again block by block to name the height. A live source's failure is the network's: rethrown.
 */
async function readBlocks(source: AuditSource, from: number, to: number): Promise<Array<StoredBlock | null>> {
  try {
    return await source.blocks(from, to);
  } catch (err) {
    if (source.live) throw err;
  }
  const out: Array<StoredBlock | null> = [];
  for (let h = from; h <= to; h++) {
    try {
      out.push((await source.blocks(h, h))[0] ?? null);
    } catch (err) {
      stop(h, "block", `stored block ${h} cannot be read: ${(err as Error).message}`);
    }
  }
  return out;
}

/** Check and replay blocks 1..report.height in batches; returns the replayed tip. */
async function auditBlocks(spec: ChainSpec, source: AuditSource, replay: ReplayStore, report: AuditReport, opts: AuditRun, started: number): Promise<ChainTip> {
  let tip = genesisTip(spec);
  const total = report.height;
  if (source.txLocations === undefined) report.notChecked.push("transaction index");
  const pool = opts.verifyWorkers > 0 && total > 0 ? new VerifyPool({ workers: opts.verifyWorkers }, { spec }) : null;
  const read = (from: number): Promise<Batch> | null => (from > total ? null : readBatch(source, pool, from, Math.min(total, from + opts.batchBlocks - 1)));
  try {
    let next = read(1);
    while (next !== null) {
      const batch = await next;
      // The next batch is read and its signatures checked while this one is replayed.
      next = read(batch.to + 1);
      next?.catch(() => undefined); // awaited next turn; a finding may end the audit first
      const txHashes: Array<{ hash: string; height: number }> = [];
      for (let height = batch.from; height <= batch.to; height++) {
        const item = batch.stored[height - batch.from] ?? null;
        const checked = await auditBlock(spec, replay, tip, item, height, batch.cache);
        tip = { height, hash: checked.hash, time: checked.block.header.time };
        for (const t of checked.txs) txHashes.push({ hash: t.hash, height });
        report.blocks++;
        report.txs += checked.txs.length;
        // auditBlock compared the stored receipts with the replay's: these are the replay's suspensions too
        for (const r of item?.receipts ?? []) report.suspensions += r.suspended?.length ?? 0;
      }
      if (source.txLocations !== undefined) await auditTxIndex(source.txLocations.bind(source), replay, txHashes);
      opts.onProgress?.({ phase: "blocks", height: batch.to, total, txs: report.txs, records: 0, recordsTotal: 0, elapsedMs: performance.now() - started });
    }
  } finally {
    await pool?.close();
  }
  return tip;
}

/** One block: checks, then replay and comparison of what the node stored for it. */
async function auditBlock(
  spec: ChainSpec,
  replay: ReplayStore,
  tip: ChainTip,
  item: StoredBlock | null,
  height: number,
  cache?: TxCheckCache,
): Promise<ReturnType<typeof checkBlock>> {
  if (item === null || typeof item !== "object") return stop(height, "block", `block ${height} is missing`);
  let checked: ReturnType<typeof checkBlock>;
  try {
    // linkage to the hash we computed for the previous block, tx root, every tx signature and issuer
    checked = checkBlock(spec, item.block, tip, cache === undefined ? {} : { cache });
  } catch (err) {
    return stop(height, "block", (err as Error).message);
  }
  try {
    // a quorum of valid seals from distinct genesis validators over this very header
    checkCommitCertificate(spec, item.commit, checked.block.header);
  } catch (err) {
    return stop(height, "commit", (err as Error).message);
  }
  if (item.hash !== checked.hash) stop(height, "block-hash", `stored hash ${short(item.hash)} is not the header's hash ${short(checked.hash)}`);
  const { stored: replayed } = await applyBlock(spec, replay, checked.block, item.commit, checked.hash, checked.txs);
  compareReceipts(height, item.receipts, replayed.receipts);
  // Whatever else applyBlock stores for a block (e.g. a results root) must match too.
  for (const [key, value] of Object.entries(replayed)) {
    const kept = (item as unknown as Record<string, unknown>)[key];
    if (kept === value) continue; // the very object checked above (block, commit)
    if (!sameJson((item as unknown as Record<string, unknown>)[key], value)) stop(height, "stored-block", `stored ${key} differs from the replay's`);
  }
  return checked;
}

function compareReceipts(height: number, stored: unknown, replayed: Receipt[]): void {
  if (!Array.isArray(stored)) {
    stop(height, "receipts", "stored receipts are missing");
    return;
  }
  if (stored.length !== replayed.length) stop(height, "receipts", `${stored.length} stored receipts for ${replayed.length} transactions`);
  for (const [i, r] of replayed.entries()) {
    if (!sameJson(stored[i], r)) stop(height, "receipts", `receipt ${i} (tx ${short(r.txHash)}): stored ${brief(stored[i])}, replay gives ${brief(r)}`);
  }
}

/** Every transaction's stored location must be the replay's (first occurrence wins, as in executeBlock). */
async function auditTxIndex(
  txLocations: NonNullable<AuditSource["txLocations"]>,
  replay: ReplayStore,
  txs: Array<{ hash: string; height: number }>,
): Promise<void> {
  if (txs.length === 0) return;
  const hashes = txs.map((t) => t.hash);
  const [stored, expected] = await Promise.all([txLocations(hashes), replay.getTxLocations(hashes)]);
  for (const [i, t] of txs.entries()) {
    if (!sameJson(stored[i] ?? null, expected[i] ?? null)) {
      stop(t.height, "tx-index", `tx ${short(t.hash)} is stored at ${brief(stored[i] ?? null)}, the replay puts it at ${brief(expected[i] ?? null)}`);
    }
  }
}

/** The stored head must be the last block, with nothing stored above it. */
async function auditHead(source: AuditSource, head: ChainTip | null, tip: ChainTip): Promise<void> {
  if (head !== null && (head.hash !== tip.hash || head.time !== tip.time)) {
    stop(tip.height, "head", `stored head ${brief(head)} is not block ${tip.height} (${short(tip.hash)})`);
  }
  const [above] = await source.blocks(tip.height + 1, tip.height + 1);
  if (above !== null && above !== undefined) stop(tip.height + 1, "head", `a block is stored at ${tip.height + 1}, above the head ${tip.height}`);
}
