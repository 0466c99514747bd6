/**
 * A small committed chain in a MemoryStore, with real commit certificates (a quorum of validator
 * seals), for proof bundle tests: issue, a rejected duplicate issue, revoke, an expiring certificate.
 */
import { applyBlock } from "../../node/ledger/apply.js";
import { blockHash, buildBlock, commitSealBytes, nextBlockTime } from "../../node/chain/block.js";
import type { CertificateDocument } from "../../node/chain/document.js";
import { executeBlock } from "../../node/chain/state.js";
import { checkTransaction } from "../../node/chain/tx.js";
import type { Transaction } from "../../node/chain/types.js";
import { signBytes } from "../../node/crypto/keys.js";
import { MemoryStore } from "../../node/db/memory-store.js";
import type { ConsensusDriver } from "../../node/consensus/driver.js";
import { createLogger } from "../../node/logger.js";
import { BlockSync, defaultSyncOptions } from "../../node/sync/sync.js";
import { ManualClock } from "./manual-clock.js";
import { DAY, DEFAULT_REVIEW_RULES, T0, type TestChain, documentFor, issueTx, licenceDocument, makeTestChain, person, revokeTx } from "./chain.js";

export interface ProofChain {
  chain: TestChain;
  store: MemoryStore;
  /** Issued, valid at the head. */
  valid: CertificateDocument;
  /** Issued, then revoked. */
  revoked: CertificateDocument;
  /** Valid for two days only: expired at the head. */
  expired: CertificateDocument;
  /** Valid from a year after the head. */
  future: CertificateDocument;
  /** The second issue of `valid`'s id, included in block 1 and rejected (TX_CERT_EXISTS). */
  rejectedIssue: Transaction;
}

/** Commit `txs` as the next block at time `now`, sealed by the first quorum of validators. */
export async function commitNext(chain: TestChain, store: MemoryStore, txs: Transaction[], now: number): Promise<void> {
  const spec = chain.spec;
  const tip = store.head() ?? { height: 0, hash: spec.genesisHash, time: spec.genesis.genesisTime };
  const checked = txs.map((t) => checkTransaction(spec, t, tip.height + 1));
  const effects = await executeBlock(spec, store, tip.height + 1, nextBlockTime(tip, now), checked);
  const block = buildBlock(spec, tip, spec.validatorSetAt(tip.height + 1).proposerIndex(tip.height + 1, 0), now, checked, effects);
  const hash = blockHash(block.header);
  const seals = Array.from({ length: spec.validatorSetAt(1).quorum }, (_, v) => ({
    validator: v,
    signature: signBytes(chain.validatorKeys[v]?.privateKey as string, commitSealBytes(spec.chainId, block.header.height, 0, hash)),
  }));
  await applyBlock(spec, store, block, { height: block.header.height, round: 0, blockHash: hash, seals }, hash, checked, effects);
}

/** Three blocks: seven issues (one rejected), a revoke alone, then a block ten days later. */
export async function makeProofChain(chainName = "proof-chain"): Promise<ProofChain> {
  const chain = makeTestChain(4, chainName);
  const store = new MemoryStore();
  const valid = licenceDocument(chain);
  const revoked = licenceDocument(chain);
  const expired = { ...licenceDocument(chain), validUntil: T0 + 2 * DAY };
  const future = { ...licenceDocument(chain), validFrom: T0 + 400 * DAY, validUntil: T0 + 800 * DAY };
  const rejectedIssue = issueTx(chain, { ...valid, holderSalt: "ab".repeat(32) });
  const issues = [issueTx(chain, valid), rejectedIssue, issueTx(chain, revoked), issueTx(chain, expired), issueTx(chain, future)];
  // Two more certificates make block 1 a 7-transaction block (an unbalanced Merkle tree).
  const block1 = [...issues, issueTx(chain, licenceDocument(chain)), issueTx(chain, licenceDocument(chain))];
  await commitNext(chain, store, block1, T0 + DAY);
  await commitNext(chain, store, [revokeTx(chain, revoked.certificateId, "market-regulation", "business closed")], T0 + DAY + 60_000);
  await commitNext(chain, store, [issueTx(chain, licenceDocument(chain))], T0 + 10 * DAY);
  return { chain, store, valid, revoked, expired, future, rejectedIssue };
}

/** A BlockSync that serves a proof chain's store to peers (it dials no one): for request handling tests and fuzzing. */
/** A chain where a qualification was suspended automatically: its identity rule declares it, and its identity proof was revoked. */
export interface SuspensionChain {
  chain: TestChain;
  store: MemoryStore;
  proof: CertificateDocument;
  qualification: CertificateDocument;
}

/**
 * Three blocks: an identity proof IP-P-0001 issued (block 1), a home-purchase qualification HPQ-P-0001
 * approved on it (block 2, under `qualification-holder-identity`, which declares `onBasisRevoked:
 * "suspend"`), and the identity proof revoked (block 3): the revocation's receipt suspends the qualification.
 */
export async function makeSuspensionChain(chainName = "proven-suspension"): Promise<SuspensionChain> {
  const reviewRules = {
    version: "test-suspend",
    rules: DEFAULT_REVIEW_RULES.rules.map((r) =>
      r.id === "qualification-holder-identity" && r.kind === "requires-valid" ? { ...r, onBasisRevoked: "suspend" as const } : r,
    ),
  };
  const chain = makeTestChain(4, chainName, { reviewRules });
  const store = new MemoryStore();
  const zhang = person("Zhang San", "110101199003070011");
  const proof = documentFor(chain, "identity-proof", zhang, { id: "IP-P-0001" });
  const qualification = documentFor(chain, "home-purchase-qualification", zhang, { id: "HPQ-P-0001" });
  await commitNext(chain, store, [issueTx(chain, proof)], T0 + DAY);
  await commitNext(chain, store, [issueTx(chain, qualification)], T0 + DAY + 60_000);
  await commitNext(chain, store, [revokeTx(chain, proof.certificateId, "public-security", "forged papers")], T0 + DAY + 120_000);
  return { chain, store, proof, qualification };
}

export function servingSync(pc: ProofChain, logName: string): BlockSync {
  return new BlockSync(defaultSyncOptions, {
    spec: pc.chain.spec,
    store: pc.store,
    driver: { tip: () => pc.store.head() } as unknown as ConsensusDriver,
    network: { connectedPeers: () => [], request: async () => new Uint8Array() },
    cache: { get: () => undefined },
    clock: new ManualClock(T0),
    log: createLogger(logName),
  });
}
