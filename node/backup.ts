/**
 * Backup and recovery. A backup is the chain itself: every committed block with its commit
 * certificate, as newline-delimited JSON after a header line naming the chain. It is checked when it
 * is made and again, block by block, when it is restored — the same checks as catch-up: linkage,
 * every transaction, a quorum of valid seals, the results root of replaying it — and every state
 * change is replayed, so a restored
 * store is exactly what consensus would have produced. The file needs no trust in the node it came
 * from, only the genesis.
 */
import { createReadStream } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { applyBlock } from "./ledger/apply.js";
import { openScratchStore } from "./db/scratch-store.js";
import { type ChainTip, checkBlock, checkCommitCertificate, genesisTip } from "./chain/block.js";
import type { ChainSpec } from "./chain/genesis.js";
import type { CommittedBlock } from "./chain/types.js";
import type { ChainStore } from "./ledger/store.js";
import { LedgerError, describeValue } from "./errors.js";

export const BACKUP_FORMAT = "certchain-backup/1";

/** The first line of a backup file. */
export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  chainId: string;
  genesisHash: string;
  /** Height of the last block in the file (blocks 1..height follow, in order). */
  height: number;
  createdAt: string;
}

/** Progress callback: blocks done so far and the total. */
export type Progress = (done: number, total: number) => void;

/** Check a served block against the previous tip; returns the next tip. Throws with the height. */
function verify(spec: ChainSpec, item: CommittedBlock, tip: ChainTip): { tip: ChainTip; checked: ReturnType<typeof checkBlock> } {
  try {
    const checked = checkBlock(spec, item?.block, tip);
    checkCommitCertificate(spec, item.commit, checked.block.header);
    return { tip: { height: tip.height + 1, hash: checked.hash, time: checked.block.header.time }, checked };
  } catch (err) {
    throw new LedgerError((err as LedgerError).code ?? "BLOCK_INVALID", `block ${tip.height + 1}: ${(err as Error).message}`, { height: tip.height + 1 });
  }
}

/**
 * Write blocks 1..height, fetched with `fetchBlock`, to `path` (via a temporary file, renamed when
 * complete, so a failed backup never leaves a truncated file under the final name). Every block is
 * replayed as it is written, so a wrong results root is caught here too — into a scratch store on
 * disk, not memory: the backup streams, in constant memory at any chain length.
 */
export async function writeBackup(
  spec: ChainSpec,
  height: number,
  fetchBlock: (height: number) => Promise<CommittedBlock | null>,
  path: string,
  progress?: Progress,
): Promise<BackupHeader> {
  const header: BackupHeader = { format: BACKUP_FORMAT, chainId: spec.chainId, genesisHash: spec.genesisHash, height, createdAt: new Date().toISOString() };
  const tmp = `${path}.partial`;
  const file = await open(tmp, "w", 0o644);
  const replay = await openScratchStore("backup").catch(async (err: unknown) => {
    await file.close().catch(() => undefined);
    throw err;
  });
  try {
    await file.write(`${JSON.stringify(header)}\n`);
    let tip = genesisTip(spec);
    for (let h = 1; h <= height; h++) {
      const item = await fetchBlock(h);
      if (item === null) throw new LedgerError("NOT_FOUND", `block ${h} is missing on the node`);
      const { tip: next, checked } = verify(spec, item, tip);
      await applyBlock(spec, replay.store, checked.block, item.commit, checked.hash, checked.txs);
      tip = next;
      await file.write(`${JSON.stringify({ block: item.block, commit: item.commit })}\n`);
      progress?.(h, height);
    }
    await file.sync();
    await file.close();
    await rename(tmp, path);
    return header;
  } catch (err) {
    await file.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  } finally {
    await replay.close();
  }
}

/**
 * The file's lines, read as they are consumed: a stream's async iterator reads the next chunk only when
 * asked (readline's iterator buffers lines ahead of a slow consumer — the whole file, in a restore
 * that writes each block with fsync).
 */
async function* readLines(path: string): AsyncGenerator<string> {
  let rest = "";
  for await (const chunk of createReadStream(path, { encoding: "utf8", highWaterMark: 1 << 20 })) {
    const parts = (rest + (chunk as string)).split("\n");
    rest = parts.pop() ?? "";
    for (const line of parts) yield line.endsWith("\r") ? line.slice(0, -1) : line;
  }
  if (rest !== "") yield rest;
}

/**
 * Replay a backup into `store`, which must be empty (a fresh data directory). Every block is checked
 * and executed; the first bad one stops the restore with its height. Returns the restored head.
 */
export async function restoreBackup(spec: ChainSpec, store: ChainStore, path: string, progress?: Progress): Promise<ChainTip> {
  if (store.head() !== null) throw new LedgerError("CONFIG", "restore needs an empty data directory");
  const lines = readLines(path);
  let header: BackupHeader | null = null;
  let tip = genesisTip(spec);
  for await (const line of lines) {
    if (line.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new LedgerError("BAD_JSON", header === null ? "backup header is not JSON" : `block ${tip.height + 1}: not JSON`, { height: tip.height + 1 });
    }
    if (header === null) {
      header = value as BackupHeader;
      if (header.format !== BACKUP_FORMAT) throw new LedgerError("BAD_REQUEST", `not a ${BACKUP_FORMAT} file`);
      if (header.chainId !== spec.chainId || header.genesisHash !== spec.genesisHash) {
        throw new LedgerError("TX_WRONG_CHAIN", `backup is of chain ${describeValue(header.chainId)}, this genesis is ${spec.chainId}`);
      }
      continue;
    }
    const { tip: next, checked } = verify(spec, value as CommittedBlock, tip);
    await applyBlock(spec, store, checked.block, (value as CommittedBlock).commit, checked.hash, checked.txs);
    tip = next;
    progress?.(tip.height, header.height);
  }
  if (header === null) throw new LedgerError("BAD_REQUEST", "empty backup file");
  if (tip.height !== header.height) throw new LedgerError("BAD_REQUEST", `backup ends at block ${tip.height}, its header says ${header.height} (truncated?)`);
  return tip;
}
