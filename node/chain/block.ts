/**
 * Blocks and commit certificates: hashing, building, and the checks anyone holding genesis can make
 * (a block's finality is proven by its commit certificate alone; design.md §2).
 */
import { LedgerError, shownValue } from "../errors.js";
import { canonicalBytes } from "../crypto/hash.js";
import { Domain, hashCanonical, isHash, taggedHash } from "../crypto/hash.js";
import { isSignatureHex, verifyBytes } from "../crypto/keys.js";
import { heartbeatIntervalOf } from "./freshness.js";
import type { ChainSpec } from "./genesis.js";
import { merkleRoot } from "./merkle.js";
import { type CheckedTx, checkTransaction, txHash } from "./tx.js";
import type { Block, BlockHeader, CommitCertificate, Receipt, Transaction } from "./types.js";

/** Block hash = H(BLOCK, canonical(header)). */
export function blockHash(header: BlockHeader): string {
  return hashCanonical(Domain.BLOCK, header);
}

/** The chain head a new block builds on; for height 0 this is genesis. */
export interface ChainTip {
  height: number;
  hash: string;
  time: number;
}

/** The tip before the first block. */
export function genesisTip(spec: ChainSpec): ChainTip {
  return { height: 0, hash: spec.genesisHash, time: spec.genesis.genesisTime };
}

/** Receipt hash = H(RECEIPT, canonical(receipt)): the whole receipt, whatever members it carries. */
export function receiptHash(receipt: Receipt): string {
  return hashCanonical(Domain.RECEIPT, receipt);
}

/** Merkle root of a block's receipts, in transaction order. */
export function resultsRoot(receipts: Receipt[]): string {
  return merkleRoot(receipts.map(receiptHash));
}

/** The time of a block built on `parent` at local time `now`: strictly after the parent's. */
export function nextBlockTime(parent: ChainTip, now: number): number {
  return Math.max(now, parent.time + 1);
}

/**
 * Assemble a block on `parent` from already-checked transactions, the receipts their execution
 * against committed state produced and the state root after it (at height parent+1 and time `nextBlockTime(parent, now)`).
 */
export function buildBlock(
  spec: ChainSpec,
  parent: ChainTip,
  proposer: number,
  now: number,
  txs: CheckedTx[],
  results: { receipts: Receipt[]; stateRoot: string },
): Block {
  const header: BlockHeader = {
    chainId: spec.chainId,
    height: parent.height + 1,
    previousHash: parent.hash,
    proposer,
    time: nextBlockTime(parent, now),
    txRoot: merkleRoot(txs.map((t) => t.hash)),
    txCount: txs.length,
    resultsRoot: resultsRoot(results.receipts),
    validatorsHash: spec.validatorSetAt(parent.height + 1).hash,
    stateRoot: results.stateRoot,
  };
  return { header, txs: txs.map((t) => t.tx) };
}

/** The bytes a validator signs for a consensus message (its commit signature is the commit seal). */
export function consensusSigningBytes(chainId: string, fields: Record<string, unknown>): Uint8Array {
  return taggedHash(Domain.CONSENSUS, canonicalBytes({ chainId, ...fields }));
}

/** The signed fields of a COMMIT vote, which the commit certificate's seals cover. */
export function commitSealBytes(chainId: string, height: number, round: number, hash: string): Uint8Array {
  return consensusSigningBytes(chainId, { kind: "commit", height, round, blockHash: hash });
}

/** Looks up already-checked transactions so signatures are verified once per node. */
export interface TxCheckCache {
  get(hash: string): CheckedTx | undefined;
  /** The checked form of this very object, if it is one the cache saw checked (spares hashing it to look it up). */
  checkedObject?(tx: object): CheckedTx | undefined;
}

export interface BlockCheckOptions {
  /** Reject headers more than this far ahead of `now` (clock drift allowance). */
  maxFutureMs?: number;
  now?: number;
  cache?: TxCheckCache;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Full stateless check of an untrusted block on top of `parent`: header linkage, limits, Merkle root
 * and every transaction's stateless validity. Returns the checked transactions. Throws BLOCK_INVALID.
 * The results root needs committed state: `executeChecked` (apply.ts) checks it.
 */
export function checkBlock(spec: ChainSpec, value: unknown, parent: ChainTip, opts: BlockCheckOptions = {}): { block: Block; hash: string; txs: CheckedTx[] } {
  const fail = (msg: string): never => {
    throw new LedgerError("BLOCK_INVALID", msg);
  };
  if (!isObj(value) || !isObj(value.header) || !Array.isArray(value.txs)) return fail("a block is {header, txs}");
  const h = value.header as unknown as BlockHeader;
  const keys = Object.keys(h).sort().join(",");
  if (keys !== "chainId,height,previousHash,proposer,resultsRoot,stateRoot,time,txCount,txRoot,validatorsHash") fail("header members");
  // [REJECT] linkage: this chain, next height, parent hash, later time
  if (h.chainId !== spec.chainId) fail("wrong chain id");
  if (h.height !== parent.height + 1) fail(`height ${shownValue(h.height)} does not follow ${parent.height}`);
  if (h.previousHash !== parent.hash) fail("previousHash is not the parent's hash");
  if (!Number.isSafeInteger(h.time) || h.time <= parent.time) fail("time must be after the parent's");
  if (opts.now !== undefined && h.time > opts.now + (opts.maxFutureMs ?? 10_000)) fail("time is too far in the future");
  // [REJECT] signed by the validator set in force at this height (genesis, or as governance changed it)
  const set = spec.validatorSetAt(h.height);
  if (h.validatorsHash !== set.hash) fail(`validatorsHash is not the validator set in force at height ${shownValue(h.height)}`);
  if (!Number.isInteger(h.proposer) || h.proposer < 0 || h.proposer >= set.size) fail("proposer index");
  if (!isHash(h.txRoot)) fail("txRoot");
  // resultsRoot is checked against execution (apply.ts executeChecked): it needs committed state
  if (!isHash(h.resultsRoot)) fail("resultsRoot");
  // stateRoot too (executeChecked)
  if (!isHash(h.stateRoot)) fail("stateRoot");
  // [REJECT] limits
  const txs = value.txs as unknown[];
  if (h.txCount !== txs.length) fail("txCount does not match");
  const params = spec.rulesAt(h.height).consensus;
  const heartbeat = heartbeatIntervalOf(params);
  if (txs.length > params.maxBlockTxs) fail(`more than ${params.maxBlockTxs} transactions`);
  // [REJECT] an empty block is a heartbeat: only once the chain has been idle for the interval
  if (txs.length === 0 && h.time - parent.time < heartbeat) {
    fail(`an empty block ${h.time - parent.time} ms after its parent; the heartbeat interval is ${heartbeat} ms`);
  }
  const checked: CheckedTx[] = [];
  const seen = new Set<string>();
  let bytes = 0;
  for (const tx of txs) {
    let c: CheckedTx;
    try {
      c = cachedCheck(spec, opts.cache, tx, h.height) ?? checkTransaction(spec, tx, h.height);
    } catch (err) {
      throw new LedgerError("BLOCK_INVALID", `transaction ${checked.length}: ${(err as Error).message}`);
    }
    if (seen.has(c.hash)) fail("a transaction appears twice");
    seen.add(c.hash);
    bytes += c.bytes;
    checked.push(c);
  }
  if (bytes > params.maxBlockBytes) fail(`more than ${params.maxBlockBytes} bytes of transactions`);
  if (merkleRoot(checked.map((c) => c.hash)) !== h.txRoot) fail("txRoot does not match the transactions");
  return { block: value as unknown as Block, hash: blockHash(h), txs: checked };
}

/**
 * A transaction this node already checked (same body and same signature), without verifying its
 * signature again. It was checked against the rules of another height (admission's): where governance
 * changed the rules since genesis, the rest of the check runs again at this height.
 */
function cachedCheck(spec: ChainSpec, cache: TxCheckCache | undefined, tx: unknown, height: number): CheckedTx | undefined {
  if (cache === undefined || !isObj(tx) || !isObj(tx.body)) return undefined;
  const same = cache.checkedObject?.(tx);
  if (same !== undefined && (same.tx as unknown) === tx) return spec.rulesUnchangedAt(height) ? same : checkTransaction(spec, tx, height, same.tx.signature);
  let hash: string;
  try {
    hash = txHash(tx as unknown as Transaction);
  } catch {
    return undefined;
  }
  const hit = cache.get(hash);
  // Same hash means the same body; the signature must be the very one that verified.
  if (hit === undefined || hit.tx.signature !== tx.signature) return undefined;
  return spec.rulesUnchangedAt(height) ? hit : checkTransaction(spec, tx, height, hit.tx.signature);
}

/**
 * Check a commit certificate for a header: the right height and hash, the proposer of its round,
 * and a quorum of valid seals from distinct validators of the set in force at its height (a seal's
 * `validator` is an index into that set). Throws COMMIT_CERT_INVALID.
 */
export function checkCommitCertificate(spec: ChainSpec, commit: unknown, header: BlockHeader): void {
  const fail = (msg: string): never => {
    throw new LedgerError("COMMIT_CERT_INVALID", msg);
  };
  if (!isObj(commit) || !Array.isArray(commit.seals)) fail("a commit certificate is {height, round, blockHash, seals}");
  const c = commit as unknown as CommitCertificate;
  const hash = blockHash(header);
  if (c.height !== header.height || c.blockHash !== hash) fail("certificate is for another block");
  if (!Number.isSafeInteger(c.round) || c.round < 0) fail("round");
  const set = spec.validatorSetAt(header.height);
  // [REJECT] the header names the set that must sign it
  if (header.validatorsHash !== set.hash) fail(`the header's validatorsHash is not the set in force at height ${shownValue(header.height)}`);
  // [REJECT] the header names the proposer of the deciding round or of an earlier one (a re-proposal)
  if (!set.proposerFitsRound(header.height, header.proposer, c.round)) fail("header proposer is not a proposer of the deciding round or an earlier one");
  const message = commitSealBytes(spec.chainId, c.height, c.round, hash);
  const signers = new Set<number>();
  for (const seal of c.seals as unknown[]) {
    // A seal is {validator, signature}; anything else (found by fuzzing: a seal that is null, or whose
    // signature is not a string, made verifyBytes throw a TypeError) is refused, not crashed on.
    if (!isObj(seal) || !Number.isSafeInteger(seal.validator) || !isSignatureHex(seal.signature))
      fail("a seal is {validator, signature} with a 64-byte hex signature");
    const v = set.validators[(seal as { validator: number }).validator];
    if (v === undefined || signers.has((seal as { validator: number }).validator)) fail("seal from an unknown or repeated validator");
    const { validator, signature } = seal as { validator: number; signature: string };
    if (!verifyBytes((v as { publicKey: string }).publicKey, message, signature)) fail(`seal of validator ${validator} does not verify`);
    signers.add(validator);
  }
  if (signers.size < set.quorum) fail(`${signers.size} seals; a quorum is ${set.quorum} (of the ${set.size} validators at height ${c.height})`);
}
