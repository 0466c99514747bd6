/**
 * Forgeries of a bundle's governance chain (docs/proof-format.md §6a), each with the check that refuses
 * it: used by test/unit/gov-proof.test.ts and by scripts/proof-vectors.mjs (docs/vectors/governance-vectors.json).
 * They change a genuine bundle of the governed chain's `old` certificate (test/helpers/gov-proof-chain.ts:
 * changes 0-4 = department added, node5 in, node2 out, node6 in, the new issuer key and the old key's
 * revocation, decided at blocks 2, 4, 7, 9, 12, 12). Some hold a quorum of validator keys and re-seal, so
 * only the rule under test refuses them.
 */
import assert from "node:assert/strict";
import { commitSealBytes, receiptHash } from "../../node/chain/block.js";
import { signGovTx } from "../../node/chain/governance.js";
import { merkleRoot } from "../../node/chain/merkle.js";
import type { GovernanceChange, GovernanceStep, ProofBundle } from "../../node/chain/proof/bundle.js";
import type { ProofCheck } from "../../node/chain/proof/verify.js";
import { txHash } from "../../node/chain/tx.js";
import type { Transaction } from "../../node/chain/types.js";
import { type KeyPair, signBytes } from "../../node/crypto/keys.js";
import { type GovProofChain, sealWith } from "./gov-proof-chain.js";

export type GovForge = (b: ProofBundle, g: GovProofChain) => void;

const change = (b: ProofBundle, k: number): GovernanceChange => (b.governance as GovernanceChange[])[k] as GovernanceChange;
const decision = (b: ProofBundle, k: number): GovernanceStep => change(b, k).decision as GovernanceStep;
const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** Make a step (tx and receipt as the forger left them) the only transaction of its block, re-sealed by a quorum of its set. */
function aloneInResealedBlock(g: GovProofChain, s: GovernanceStep): void {
  const hash = txHash(s.tx as unknown as Transaction);
  s.receipt = { ...s.receipt, txHash: hash };
  s.index = 0;
  s.txProof = [];
  s.receiptProof = [];
  s.header = { ...s.header, txCount: 1, txRoot: merkleRoot([hash]), resultsRoot: merkleRoot([receiptHash(s.receipt)]) };
  s.commit = sealWith(g.chain, g.consensusKeys, s.header);
}

/** [name, forgery, the check that refuses it, the refusal message]. */
export const GOV_FORGERIES: Array<[string, GovForge, ProofCheck, RegExp]> = [
  [
    "a change block's commit certificate one seal short of its set's quorum (node5's joining, decided at block 4 by 4 validators)",
    (b) => {
      assert.equal(decision(b, 1).header.height, 4);
      decision(b, 1).commit.seals = decision(b, 1).commit.seals.slice(0, 2);
    },
    "commit",
    /governance change 1 decision \(block 4\): 2 valid commit seals, a quorum is 3 of 4/,
  ],
  [
    "a change block sealed by the genesis validators after node2 left (block 9: seal 1 is node3's place, signed by node2)",
    (b, g) => {
      const d = decision(b, 3);
      assert.equal(d.header.height, 9);
      const seal = d.commit.seals.find((s) => s.validator === 1);
      assert.ok(seal !== undefined);
      // node2's key signs in index 1's place, as in genesis's set: in the set of block 9 index 1 is node3.
      const node2 = g.chain.validatorKeys[1] as KeyPair;
      seal.signature = signBytes(node2.privateKey, commitSealBytes(g.chain.spec.chainId, d.header.height, d.commit.round, d.commit.blockHash));
    },
    "commit",
    /governance change 3 decision \(block 9\): seal of validator 1 \(node3\) does not verify/,
  ],
  [
    "an omitted validator change (node2's removal left out): block 9 names a set the verifier did not derive",
    (b) => {
      (b.governance as GovernanceChange[]).splice(2, 1);
    },
    "header",
    /governance change 2 decision: block 9 names another validator set than the one derived from genesis and the bundle's governance changes \(a change is missing\)/,
  ],
  [
    "a change applied one height early (the deciding receipt says in force from H + 1; block re-sealed by a quorum)",
    (b, g) => {
      const d = decision(b, 2);
      assert.equal(d.header.height, 7);
      d.receipt = { ...d.receipt, governance: { ...(d.receipt.governance as NonNullable<GovernanceStep["receipt"]["governance"]>), activatesAt: 8 } };
      aloneInResealedBlock(g, d);
    },
    "governance",
    /governance change 2: proposal 3 decided at block 7 must be in force from 9, its receipt says 8/,
  ],
  [
    "a decision whose receipt leaves the proposal open (the first of two votes in block 4)",
    (b, g) => {
      change(b, 1).decision = copy(g.openVote);
    },
    "governance",
    /governance change 1: proposal 2 is "open" after block 4, not passed/,
  ],
  [
    "a tampered action (node2's removal turned into node3's), signature left as it was",
    (b, g) => {
      const body = change(b, 2).proposal.tx.body;
      assert.equal(body.kind, "gov-propose");
      if (body.kind === "gov-propose") body.payload.action = { type: "remove-validator", publicKey: (g.chain.validatorKeys[2] as KeyPair).publicKey };
    },
    "governance",
    /governance change 2 proposal: not a valid governance transaction \(TX_BAD_SIGNATURE: the consensus-key signature does not verify\)/,
  ],
  [
    "a tampered action re-signed by its proposer (a forger holding node1's key)",
    (b, g) => {
      const step = change(b, 2).proposal;
      const body = copy(step.tx.body);
      if (body.kind === "gov-propose") body.payload.action = { type: "remove-validator", publicKey: (g.chain.validatorKeys[2] as KeyPair).publicKey };
      step.tx = signGovTx(body, (g.chain.validatorKeys[0] as KeyPair).privateKey);
    },
    "merkle",
    /governance change 2 proposal: transaction inclusion proof does not lead to the block's txRoot/,
  ],
  [
    "a decision that is a vote on another proposal (changes 0 and 1 swap their decisions)",
    (b) => {
      const d0 = change(b, 0).decision;
      change(b, 0).decision = change(b, 1).decision;
      change(b, 1).decision = d0;
    },
    "governance",
    /governance change 0: the decision is not a yes vote on proposal 1/,
  ],
  [
    "changes out of the order decided (node5's joining before the department's)",
    (b) => {
      const g = b.governance as GovernanceChange[];
      [g[0], g[1]] = [g[1] as GovernanceChange, g[0] as GovernanceChange];
    },
    "governance",
    /governance change 1: not decided after governance change 0/,
  ],
  [
    "the same change twice",
    (b) => {
      (b.governance as GovernanceChange[]).splice(1, 0, copy(change(b, 0)));
    },
    "governance",
    /governance change 1: proposal 1 is in the governance chain twice/,
  ],
  [
    "a change in force after the latest block (latest moved back to block 12, where the rotation was decided)",
    (b) => {
      const d = decision(b, 4);
      assert.equal(d.header.height, 12);
      b.latest = { header: d.header, commit: d.commit };
    },
    "governance",
    /the bundle carries a governance change in force from 14, after its latest block 12/,
  ],
];
