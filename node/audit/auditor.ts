/**
 * The chain auditor (`certchain audit`): re-checks a node's whole chain from genesis and trusts
 * nothing the node stored. For every block: the header's link to the previous block's computed hash,
 * the transaction root, every transaction's signature and issuer authorisation (checkBlock), the
 * commit certificate against the genesis validators (checkCommitCertificate), and the stored hash.
 * Then every block is replayed through the real applyBlock into a fresh in-memory store, and the
 * stored receipts, transaction index, certificate records and issuance index are compared with what
 * the replay produced. The first inconsistency stops the audit, named with its height.
 */
import { applyBlock } from "../ledger/apply.js";
import { type ChainTip, type TxCheckCache, checkBlock, checkCommitCertificate, genesisTip } from "../chain/block.js";
import { holderKeyString } from "../chain/state.js";
import type { ChainSpec } from "../chain/genesis.js";
import type { CertificateRecord, Receipt } from "../chain/types.js";
import type { StoredBlock } from "../ledger/store.js";
import { brief, sameJson } from "./compare.js";
import { ReplayStore } from "./replay.js";
import type { AuditSource } from "./source.js";
import { VerifyPool } from "./verify-pool.js";
import { type AuditOptions, defaultAuditOptions } from "./options.js";

export { type AuditOptions, defaultAuditOptions } from "./options.js";

/** Which check found an inconsistency. */
export type AuditCheck =
  | "block" // missing, malformed, mislinked, bad tx root or a bad transaction (checkBlock)
  | "commit" // the commit certificate does not prove the block final (checkCommitCertificate)
  | "block-hash" // the stored hash is not the header's hash
  | "receipts" // stored receipts differ from the replay's
  | "stored-block" // another stored member of the block differs from what applyBlock stores
  | "tx-index" // a transaction's stored location differs from the replay's
  | "record" // a stored certificate record differs from the replay's, is missing, or has no transaction behind it
  | "issuance-index" // a department's issuance index differs from the replay's
  | "holder-index" // the certificates stored under a holder commitment and type differ from the replay's
  | "head"; // the stored head is not the last block

/** The first inconsistency: where it is and what is wrong. */
export interface AuditFinding {
  height: number;
  check: AuditCheck;
  message: string;
}

export interface AuditProgress {
  /** Blocks are checked and replayed first, then the stored records compared with the replay's. */
  phase: "blocks" | "records";
  /** Last block checked and replayed. */
  height: number;
  total: number;
  txs: number;
  /** Records compared (or skipped) so far, of the replay's. */
  records: number;
  recordsTotal: number;
  elapsedMs: number;
}

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

export interface AuditReport {
  chainId: string;
  /** The head the source claimed: blocks 1..height were audited (up to the finding, if any). */
  height: number;
  blocks: number;
  txs: number;
  certificates: number;
  /** Records left out because a live node changed them after the audited head. */
  skippedRecords: number;
  /** Checks the source could not serve (e.g. the transaction index over RPC). */
  notChecked: string[];
  elapsedMs: number;
  finding: AuditFinding | null;
}

/** Thrown inside the audit to stop at the first finding. */
class Inconsistency extends Error {
  constructor(readonly finding: AuditFinding) {
    super(finding.message);
  }
}

const stop = (height: number, check: AuditCheck, message: string): never => {
  throw new Inconsistency({ height, check, message });
};

const short = (hash: unknown): string => (typeof hash === "string" ? `${hash.slice(0, 16)}…` : String(hash));

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
    notChecked: [],
    elapsedMs: 0,
    finding: null,
  };
  const replay = new ReplayStore();
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

/** Every replayed record must be stored exactly; with a full listing, every stored record must be replayed. */
async function auditRecords(source: AuditSource, replay: ReplayStore, report: AuditReport, batch: number, progress: () => void): Promise<void> {
  if (source.listCertificates !== undefined) {
    await mergeRecords(source.listCertificates.bind(source), replay, report, batch, progress);
    return;
  }
  report.notChecked.push("records without a transaction");
  let after: string | undefined;
  for (;;) {
    const replayed = await replay.listCertificates(batch, after);
    if (replayed.length === 0) return;
    const stored = await source.certificates(replayed.map((r) => r.id));
    for (const [i, r] of replayed.entries()) {
      const s = stored[i] ?? null;
      // A live node may have changed the record after the audited head.
      if (source.live && s?.history.some((e) => e.height > report.height)) report.skippedRecords++;
      else compareRecord(replay, r, s, report);
    }
    progress();
    after = replayed[replayed.length - 1]?.id;
  }
}

/** Walk the stored and the replayed records together in id order: missing, extra and differing ones. */
async function mergeRecords(
  list: NonNullable<AuditSource["listCertificates"]>,
  replay: ReplayStore,
  report: AuditReport,
  batch: number,
  progress: () => void,
): Promise<void> {
  const pages = (read: (limit: number, after?: string) => Promise<CertificateRecord[]>) => pageThrough(read, batch);
  const storedIt = pages(list);
  const replayIt = pages((limit, after) => replay.listCertificates(limit, after));
  let s = await storedIt.next();
  let r = await replayIt.next();
  while (!s.done || !r.done) {
    const stored = s.done ? null : s.value;
    const replayed = r.done ? null : r.value;
    // compareRecord and stop throw: after these two lines both exist and have the same id
    if (replayed !== null && (stored === null || replayed.id < stored.id)) compareRecord(replay, replayed, null, report);
    if (stored !== null && (replayed === null || stored.id < replayed.id)) {
      const claimed = Math.max(0, ...(Array.isArray(stored.history) ? stored.history.map((e) => Number(e?.height) || 0) : []));
      stop(claimed, "record", `stored certificate ${stored.id} was produced by no transaction (its history claims height ${claimed})`);
    }
    compareRecord(replay, replayed as CertificateRecord, stored, report);
    if (report.certificates % batch === 0) progress();
    s = await storedIt.next();
    r = await replayIt.next();
  }
}

async function* pageThrough(read: (limit: number, after?: string) => Promise<CertificateRecord[]>, batch: number): AsyncGenerator<CertificateRecord> {
  let after: string | undefined;
  for (;;) {
    const page = await read(batch, after);
    yield* page;
    if (page.length < batch) return;
    after = page[page.length - 1]?.id;
  }
}

function compareRecord(replay: ReplayStore, replayed: CertificateRecord, stored: CertificateRecord | null, report: AuditReport): void {
  const last = replayed.history[replayed.history.length - 1]?.height ?? 0;
  if (stored === null) stop(last, "record", `certificate ${replayed.id} is not stored`);
  const s = stored as CertificateRecord;
  if (!sameJson(s, replayed)) {
    const { height, members } = replay.blame(replayed, s);
    const detail = members.map(
      (m) =>
        `${m}: stored ${brief((s as unknown as Record<string, unknown>)[m], 80)}, replay ${brief((replayed as unknown as Record<string, unknown>)[m], 80)}`,
    );
    stop(height, "record", `certificate ${replayed.id} differs from the replay (${detail.join("; ")})`);
  }
  report.certificates++;
}

/** Each department's stored issuance index must list exactly the replay's issues, in order. */
async function auditIssuanceIndex(spec: ChainSpec, source: AuditSource, replay: ReplayStore, report: AuditReport, height: number): Promise<void> {
  const issuedBy = source.issuedBy?.bind(source);
  if (issuedBy === undefined) {
    report.notChecked.push("issuance index");
    return;
  }
  const page = 500; // the department feed's largest page, so an RPC source can serve it
  for (const { id: department } of spec.genesis.departments) {
    let after: { height: number; index: number } | undefined;
    for (;;) {
      const [stored, expected] = await Promise.all([issuedBy(department, page, after), replay.issuedBy(department, page, after)]);
      // A live node may have issued more after the audited head.
      const inRange = source.live ? stored.filter((e) => e.height <= height) : stored;
      for (let i = 0; i < Math.max(inRange.length, expected.length); i++) {
        const s = inRange[i];
        const e = expected[i];
        if (!sameJson(s ?? null, e ?? null)) {
          const at = Math.min(s?.height ?? Number.POSITIVE_INFINITY, e?.height ?? Number.POSITIVE_INFINITY);
          stop(at, "issuance-index", `${department}: stored entry ${brief(s ?? null)}, replay gives ${brief(e ?? null)}`);
        }
      }
      if (expected.length < page) break;
      const lastEntry = expected[expected.length - 1] as { height: number; index: number };
      after = { height: lastEntry.height, index: lastEntry.index };
    }
  }
}

/**
 * The holder index: for every holder commitment and type the replay issued to, the stored list holds
 * the same certificate ids in the same order. (Entries under keys no certificate has are not found:
 * the index cannot be listed whole.) The blame falls on the issue of the first id that differs.
 */
async function auditHolderIndex(source: AuditSource, replay: ReplayStore, report: AuditReport): Promise<void> {
  const holderCertificates = source.holderCertificates?.bind(source);
  if (holderCertificates === undefined) {
    report.notChecked.push("holder index");
    return;
  }
  const page = 500;
  let after: string | undefined;
  for (;;) {
    const records = await replay.listCertificates(page, after);
    const keys = [
      ...new Map(
        records.map((r) => {
          const key = { commitment: r.holderCommitment, certificateType: r.certificateType };
          return [holderKeyString(key), key];
        }),
      ).values(),
    ];
    const [stored, expected] = await Promise.all([holderCertificates(keys), replay.getHolderCertificates(keys)]);
    for (const [i, key] of keys.entries()) {
      const s = stored[i] ?? [];
      const e = expected[i] ?? [];
      if (sameJson(s, e)) continue;
      const first = e.find((id, j) => s[j] !== id) ?? s.find((id, j) => e[j] !== id);
      const record = first === undefined ? null : await replay.getCertificate(first);
      stop(
        record?.history[0]?.height ?? report.height,
        "holder-index",
        `${key.certificateType} of holder ${short(key.commitment)}: stored ${JSON.stringify(s)}, replay gives ${JSON.stringify(e)}`,
      );
    }
    if (records.length < page) break;
    after = records[records.length - 1]?.id;
  }
}
