/**
 * The forgery classes a proof verifier must refuse (docs/proof-format.md §6), each with the check that
 * catches it: used by test/unit/proof.test.ts (CLI path and page check) and by scripts/proof-vectors.mjs
 * (the vectors in docs/vectors/proof-vectors.json). Some forgeries hold a quorum of validator keys (more
 * than f), so they pass every signature check and only the rule under test refuses them.
 */
import assert from "node:assert/strict";
import { blockHash, commitSealBytes, receiptHash } from "../../node/chain/block.js";
import { merkleRoot } from "../../node/chain/merkle.js";
import type { ProofBundle, ProofEvent } from "../../node/chain/proof/bundle.js";
import type { ProofCheck } from "../../node/chain/proof/verify.js";
import { txHash } from "../../node/chain/tx.js";
import type { BlockHeader, CommitCertificate, Receipt } from "../../node/chain/types.js";
import { canonicalBytes } from "../../node/crypto/hash.js";
import { Domain, taggedHash } from "../../node/crypto/hash.js";
import { signBytes } from "../../node/crypto/keys.js";
import { makeTestChain } from "./chain.js";
import type { ProofChain } from "./proof-chain.js";

/** Re-seal a header the forger changed with a quorum of validator keys (a forgery holding more than f keys). */
function reseal(p: ProofChain, proven: { header: BlockHeader; commit: CommitCertificate }): void {
  const spec = p.chain.spec;
  const hash = blockHash(proven.header);
  const seals = Array.from({ length: spec.validatorSetAt(1).quorum }, (_, v) => ({
    validator: v,
    signature: signBytes(p.chain.validatorKeys[v]?.privateKey as string, commitSealBytes(spec.chainId, proven.header.height, 0, hash)),
  }));
  proven.commit = { height: proven.header.height, round: 0, blockHash: hash, seals };
}

/** Make an event (tx and receipt as the forger left them) the only transaction of its block, re-sealed. */
function aloneInResealedBlock(p: ProofChain, e: ProofEvent): void {
  e.receipt = { ...e.receipt, txHash: txHash(e.tx) };
  e.index = 0;
  e.txProof = [];
  e.receiptProof = [];
  e.header = { ...e.header, txCount: 1, txRoot: merkleRoot([txHash(e.tx)]), resultsRoot: merkleRoot([receiptHash(e.receipt)]) };
  reseal(p, e);
}

/** Re-sign a transaction body with the department's own issuer key. */
function resign(p: ProofChain, e: ProofEvent, department: string): void {
  e.tx.signature = signBytes(p.chain.issuers.get(department)?.privateKey as string, taggedHash(Domain.TX, canonicalBytes(e.tx.body)));
}

/** Changes a genuine bundle of `revoked` (issued in 7-tx block 1 at index 2, revoked alone in block 2). */
export type Forge = (b: ProofBundle, p: ProofChain) => void;
const event0 = (b: ProofBundle) => b.events[0] as ProofBundle["events"][number];
const event1 = (b: ProofBundle) => b.events[1] as ProofBundle["events"][number];
/** [name, forgery, the check that refuses it, the refusal message]. */
export const FORGERIES: Array<[string, Forge, ProofCheck, RegExp]> = [
  [
    "an event index changed from 2 to 3 in a 7-transaction block",
    (b) => {
      assert.equal(event0(b).header.txCount, 7, "block 1 has 7 transactions");
      assert.equal(event0(b).index, 2);
      event0(b).index = 3;
    },
    "merkle",
    /event 0 txProof: the proof's path is not the path of index 3 in a block of 7/,
  ],
  [
    "an event index changed from 0 to 5 in a 1-transaction block",
    (b) => {
      assert.equal(event1(b).header.txCount, 1, "block 2 has 1 transaction");
      event1(b).index = 5;
    },
    "merkle",
    /event 1 txProof: index 5 is not a position in a block of 1 transactions/,
  ],
  [
    "an issue whose supersedes names its own id (re-signed, in a re-sealed block)",
    (b, p) => {
      (event0(b).tx.body.payload as { supersedes?: string }).supersedes = b.certificateId;
      resign(p, event0(b), "market-regulation");
      aloneInResealedBlock(p, event0(b));
    },
    "transaction",
    /event 0: the issue of "BL-[^"]+" names itself in supersedes/,
  ],
  [
    "two different sealed blocks at one height",
    (b, p) => {
      b.latest = structuredClone({ header: event1(b).header, commit: event1(b).commit });
      b.latest.header.time += 1;
      reseal(p, b.latest);
    },
    "conflict",
    /latest block: two different sealed blocks at height 2/,
  ],
  [
    "an embedded genesis swapped while its hash was kept",
    (b) => {
      b.genesis = makeTestChain(4, "proof-chain").spec.genesis;
    },
    "chain",
    /embedded genesis hashes to [0-9a-f]{64}, not to the genesisHash it names/,
  ],
  [
    "a number that is not an integer (a receipt member 1.5e-7, in a re-sealed block)",
    (b, p) => {
      event1(b).receipt = { ...event1(b).receipt, fee: 1.5e-7 } as Receipt;
      aloneInResealedBlock(p, event1(b));
    },
    "format",
    /bundle\.events\[1\]\.receipt\.fee: 1\.5e-7 is not an integer of magnitude below 2\^53/,
  ],
  [
    "a rejected receipt without a message (in a re-sealed block)",
    (b, p) => {
      event1(b).receipt = { txHash: "", status: "rejected", code: "TX_ALREADY_REVOKED" } as Receipt;
      aloneInResealedBlock(p, event1(b));
    },
    "receipt",
    /event 1: the revoke transaction was rejected in block 2 \(TX_ALREADY_REVOKED\)$/,
  ],
  [
    "a tampered public field",
    (b) => {
      (event0(b).tx.body.payload as { publicFields: Record<string, unknown> }).publicFields.enterpriseName = "Forged Co.";
    },
    "transaction",
    /signature does not verify/,
  ],
  [
    "a tampered validity period in the transaction",
    (b) => {
      (event0(b).tx.body.payload as { validUntil: number }).validUntil += 1;
    },
    "transaction",
    /signature does not verify/,
  ],
  [
    "a transaction re-signed by a key that is not the department's",
    (b, p) => {
      const other = p.chain.issuers.get("public-security")?.privateKey as string;
      event0(b).tx.signature = signBytes(other, taggedHash(Domain.TX, canonicalBytes(event0(b).tx.body)));
    },
    "transaction",
    /signature does not verify/,
  ],
  [
    "a tampered block time",
    (b) => {
      b.latest.header.time += 1;
    },
    "commit",
    /another block/,
  ],
  [
    "one commit seal too few",
    (b) => {
      b.latest.commit.seals.pop();
    },
    "commit",
    /2 valid commit seals, a quorum is 3/,
  ],
  [
    "a repeated commit seal",
    (b) => {
      const seals = event0(b).commit.seals;
      seals[2] = seals[0] as (typeof seals)[number];
    },
    "commit",
    /two seals from validator 0/,
  ],
  [
    "a commit seal with a wrong signature",
    (b, p) => {
      const seal = event0(b).commit.seals[1] as { signature: string };
      seal.signature = signBytes(p.chain.validatorKeys[3]?.privateKey as string, commitSealBytes(p.chain.spec.chainId, 1, 0, event0(b).commit.blockHash));
    },
    "commit",
    /seal of validator 1 .* does not verify/,
  ],
  [
    "a wrong sibling in the transaction's Merkle proof",
    (b) => {
      const step = event0(b).txProof[0] as { sibling: string };
      step.sibling = `${step.sibling.slice(0, 63)}${step.sibling.endsWith("0") ? "1" : "0"}`;
    },
    "merkle",
    /transaction inclusion proof/,
  ],
  [
    "a receipt Merkle proof with a step dropped",
    (b) => {
      event0(b).receiptProof.pop();
    },
    "merkle",
    /event 0 receiptProof: the proof's path is not the path of index 2/,
  ],
  [
    "a receipt changed to another status",
    (b) => {
      event0(b).receipt = { ...event0(b).receipt, status: "rejected", code: "TX_CERT_EXISTS" } as Receipt;
    },
    "merkle",
    /resultsRoot/,
  ],
  [
    "the issue event left out",
    (b) => {
      b.events.shift();
    },
    "history",
    /does not start with the certificate's issue/,
  ],
  [
    "an event for another certificate",
    (b) => {
      b.certificateId = "BL-OTHER-0001";
    },
    "transaction",
    /not BL-OTHER-0001/,
  ],
  [
    "another format",
    (b) => {
      (b as { format: string }).format = "x";
    },
    "format",
    /not a certchain-proof\/2 bundle/,
  ],
  [
    "a later revocation left out (the issue alone, as of the newest block)",
    (b) => {
      b.events = [event0(b)];
    },
    "state",
    /the certificate's state at block 3 is not what the bundle's 1 event\(s\) give: a later transaction \(a revocation, a renewal or a suspension\) is left out/,
  ],
  [
    "a state proof with a changed sibling",
    (b) => {
      const first = b.state.siblings[0] as string;
      b.state.siblings[0] = `${first.slice(0, -1)}${first.endsWith("0") ? "1" : "0"}`;
    },
    "state",
    /state: the proof does not lead to the state root of block 3/,
  ],
  [
    "a state proof that claims the certificate absent",
    (b) => {
      b.state.leaf = null;
    },
    "state",
    /state: the proof does not lead to the state root of block 3/,
  ],
];

/** The classes an independent verifier found accepted (issue 12): the browser test runs these in Chromium too. */
export const INDEPENDENT_FINDINGS = FORGERIES.slice(0, 7);
