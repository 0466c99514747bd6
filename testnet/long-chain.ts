/**
 * A long, fully valid chain built offline, straight into a node's data directory: every block signed
 * into a commit certificate by a quorum of the genesis validators' real keys, every transaction a
 * real signed issuance. Used to measure catch-up (`npm run bench`) and to test it (test/e2e): a node
 * that syncs it checks every certificate and transaction exactly as it would from live peers.
 */
import { blockHash, buildBlock, commitSealBytes, genesisTip } from "../node/chain/block.js";
import { applyBlock } from "../node/ledger/apply.js";
import { type CertificateDocument, issuePayloadFor } from "../node/chain/document.js";
import { newSalt } from "../node/ledger/fresh.js";
import type { ChainSpec } from "../node/chain/genesis.js";
import { executeBlock } from "../node/chain/state.js";
import type { CheckedTx } from "../node/chain/tx.js";
import { bytesToHex } from "../node/crypto/bytes.js";
import { Domain, canonicalBytes, taggedHash } from "../node/crypto/hash.js";
import { newTxEnvelope } from "../node/ledger/fresh.js";
import type { CommitCertificate, IssueTxBody } from "../node/chain/types.js";
import { type KeyPair, signBytes } from "../node/crypto/keys.js";
import { LevelStore } from "../node/db/level-store.js";
import { LedgerError } from "../node/errors.js";

export interface LongChainOptions {
  spec: ChainSpec;
  /** Consensus keys of the validators, in genesis order (a quorum of them signs every block). */
  validatorKeys: KeyPair[];
  /** The public-security department's issuer key: the chain is made of identity proofs. */
  issuer: KeyPair;
  dataDir: string;
  blocks: number;
  txsPerBlock: number;
  /** Called every 1,000 blocks. */
  onProgress?(height: number): void;
  /** Called after each block with what executing it and committing it to the store took (ms). */
  onBlockTimed?(height: number, executeMs: number, applyMs: number): void;
}

export interface LongChain {
  height: number;
  hash: string;
  txs: number;
}

/**
 * Sign a body and return it as checkTransaction would, without verifying the signature just made
 * (the check costs more than the signing; the node that loads the chain checks everything anyway).
 */
function signedChecked(body: IssueTxBody, privateKey: string): CheckedTx {
  const bodyBytes = canonicalBytes(body);
  const digest = taggedHash(Domain.TX, bodyBytes); // txSigningBytes
  const signature = signBytes(privateKey, digest);
  // checkTransaction's size: the canonical {body, signature}
  const bytes = bodyBytes.length + '{"body":,"signature":""}'.length + signature.length;
  return { tx: { body, signature }, hash: bytesToHex(digest), bytes };
}

/** Write `blocks` blocks after genesis; block times step evenly from genesis time up to now. */
export async function writeLongChain(opts: LongChainOptions): Promise<LongChain> {
  const { spec } = opts;
  const quorum = spec.validatorSetAt(1).quorum;
  if (opts.validatorKeys.length < quorum) throw new LedgerError("BAD_ARGUMENT", `need ${quorum} validator keys, got ${opts.validatorKeys.length}`);
  const department = "public-security";
  const start = spec.genesis.genesisTime;
  const step = Math.max(1, Math.min(1000, Math.floor((Date.now() - start) / (opts.blocks + 1))));
  const store = await LevelStore.open({ path: opts.dataDir, syncWrites: false });
  let tip = store.head() ?? genesisTip(spec);
  let txCount = 0;
  try {
    for (let n = 0; n < opts.blocks; n++) {
      const height = tip.height + 1;
      const time = start + height * step;
      const txs = Array.from({ length: opts.txsPerBlock }, (_, i) => {
        const doc: CertificateDocument = {
          version: 1,
          chainId: spec.chainId,
          certificateId: `LC-${height}-${i}`,
          certificateType: "identity-proof",
          department,
          holder: { name: `Holder ${height}-${i}`, idType: "resident-id", idNumber: `LC${height}X${i}` },
          holderSalt: newSalt(),
          fields: { dateOfBirth: "1990-01-01" },
          validFrom: time,
          validUntil: time + 3650 * 86_400_000,
        };
        const body: IssueTxBody = {
          ...newTxEnvelope(spec.chainId, department, opts.issuer.publicKey, time),
          kind: "issue",
          payload: issuePayloadFor(spec, doc),
        };
        return signedChecked(body, opts.issuer.privateKey);
      });
      const t0 = performance.now();
      const effects = await executeBlock(spec, store, height, time, txs);
      const executeMs = performance.now() - t0;
      const block = buildBlock(spec, tip, spec.validatorSetAt(height).proposerIndex(height, 0), time, txs, effects);
      const hash = blockHash(block.header);
      const seals = opts.validatorKeys.slice(0, quorum).map((k, validator) => ({
        validator,
        signature: signBytes(k.privateKey, commitSealBytes(spec.chainId, height, 0, hash)),
      }));
      const commit: CommitCertificate = { height, round: 0, blockHash: hash, seals };
      const t1 = performance.now();
      await applyBlock(spec, store, block, commit, hash, txs, effects);
      opts.onBlockTimed?.(height, executeMs, performance.now() - t1);
      tip = { height, hash, time };
      txCount += txs.length;
      if (height % 1000 === 0) opts.onProgress?.(height);
    }
  } finally {
    await store.close();
  }
  return { height: tip.height, hash: tip.hash, txs: txCount };
}
