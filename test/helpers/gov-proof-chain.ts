/**
 * A committed chain in a MemoryStore that changes under governance, with real commit certificates by the
 * validator set of each height: a department joins, a validator joins, one leaves, another joins (three
 * validator changes), then an issuer key of market-regulation is rotated (added and the old one revoked,
 * both decided in one block). Certificates: `early` signed by the old key before any change, `old`
 * signed by the old key after the validator changes and before the rotation, `rotated` signed by the new
 * key after it, `water` issued by the department governance added; in the latest block the new key
 * revokes `early`. For the governance-chain tests of
 * proof bundles (test/unit/gov-proof.test.ts) and scripts/proof-vectors.mjs.
 */
import { applyBlock } from "../../node/ledger/apply.js";
import { blockHash, buildBlock, commitSealBytes, nextBlockTime } from "../../node/chain/block.js";
import { CARD_VERSION, type NodeCard, type NodeCardBody, cardSigningBytes } from "../../node/chain/card.js";
import type { CertificateDocument } from "../../node/chain/document.js";
import type { GovAction, GovTxBody } from "../../node/chain/gov-types.js";
import { signGovTx } from "../../node/chain/governance.js";
import { executeBlock } from "../../node/chain/state.js";
import { checkTransaction } from "../../node/chain/tx.js";
import type { BlockHeader, CommitCertificate, Transaction } from "../../node/chain/types.js";
import { type KeyPair, signBytes } from "../../node/crypto/keys.js";
import { peerIdOfEd25519Key } from "../../node/crypto/peer-id.js";
import { MemoryStore } from "../../node/db/memory-store.js";
import { generateKeyPair } from "../../node/keys/key-file.js";
import { DAY, T0, type TestChain, issueTx, licenceDocument, makeTestChain, revokeTx } from "./chain.js";
import assert from "node:assert/strict";
import type { GovernanceStep } from "../../node/chain/proof/bundle.js";
import { governanceStep } from "../../node/ledger/proof-build.js";

export interface GovProofChain {
  chain: TestChain;
  store: MemoryStore;
  /** Every validator's consensus key pair (genesis's and the joiners'), by public key. */
  consensusKeys: Map<string, KeyPair>;
  /** Issued by market-regulation's genesis key in block 1, before any change; revoked by the new key in the latest block. */
  early: CertificateDocument;
  /** Issued by market-regulation's genesis key after the three validator changes, before its revocation. */
  old: CertificateDocument;
  /** Issued by market-regulation's new key after the rotation. */
  rotated: CertificateDocument;
  /** Issued by water-resources, the department governance added, with the key it came with. */
  water: CertificateDocument;
  /** market-regulation's genesis key (revoked) and its successor. */
  oldKey: KeyPair;
  newKey: KeyPair;
  /** The genesis validator voted out (node2). */
  removed: string;
  /** A vote that left its proposal open (not a decision): for forgeries. */
  openVote: GovernanceStep;
}

/** A validator card of `department`, signed by its consensus key. */
export function validatorCard(department: string, name: string, consensus: KeyPair, issuerKeys: string[] = [generateKeyPair().publicKey]): NodeCard {
  const body: NodeCardBody = {
    version: CARD_VERSION,
    name,
    department,
    role: "validator",
    consensusKey: consensus.publicKey,
    peerId: peerIdOfEd25519Key(generateKeyPair().publicKey),
    address: "/ip4/10.0.0.5/tcp/26656",
    issuerKeys,
  };
  return { ...body, signature: signBytes(consensus.privateKey, cardSigningBytes(body)) };
}

/** Seal a header with the first quorum of the validator set of its height (keys from `keys`). */
export function sealWith(chain: TestChain, keys: Map<string, KeyPair>, header: BlockHeader, round = 0): CommitCertificate {
  const set = chain.spec.validatorSetAt(header.height);
  const hash = blockHash(header);
  const seals = Array.from({ length: set.quorum }, (_, v) => ({
    validator: v,
    signature: signBytes(
      keys.get(set.validators[v]?.publicKey as string)?.privateKey as string,
      commitSealBytes(chain.spec.chainId, header.height, round, hash),
    ),
  }));
  return { height: header.height, round, blockHash: hash, seals };
}

/** Commit `txs` as the next block at time `now`, sealed by a quorum of the set of its height. */
async function commit(chain: TestChain, store: MemoryStore, keys: Map<string, KeyPair>, txs: Transaction[], now: number): Promise<number> {
  const spec = chain.spec;
  const tip = store.head() ?? { height: 0, hash: spec.genesisHash, time: spec.genesis.genesisTime };
  const height = tip.height + 1;
  const checked = txs.map((t) => checkTransaction(spec, t, height));
  const effects = await executeBlock(spec, store, height, nextBlockTime(tip, now), checked);
  const block = buildBlock(spec, tip, spec.validatorSetAt(height).proposerIndex(height, 0), now, checked, {
    receipts: effects.receipts,
    stateRoot: effects.stateRoot,
  });
  const c = sealWith(chain, keys, block.header);
  await applyBlock(spec, store, block, c, c.blockHash, checked, effects);
  return height;
}

let nonce = 0;

/** The governed chain described above. */
export async function makeGovProofChain(chainName = "gov-proof-chain"): Promise<GovProofChain> {
  const chain = makeTestChain(4, chainName);
  const spec = chain.spec;
  const store = new MemoryStore();
  const keys = new Map(chain.validatorKeys.map((k) => [k.publicKey, k]));
  const v = (i: number): KeyPair => chain.validatorKeys[i] as KeyPair;
  const deptOf = (k: KeyPair): string => spec.rulesAt(Number.MAX_SAFE_INTEGER).validators.find((x) => x.publicKey === k.publicKey)?.department as string;
  const gov = (signer: KeyPair, kind: GovTxBody["kind"], payload: unknown): Transaction => {
    const body = {
      chainId: spec.chainId,
      kind,
      department: deptOf(signer),
      signer: signer.publicKey,
      nonce: (++nonce).toString(16).padStart(32, "0"),
      createdAt: T0,
      payload,
    } as GovTxBody;
    return signGovTx(body, signer.privateKey) as unknown as Transaction;
  };
  const propose = (signer: KeyPair, action: GovAction): Transaction => gov(signer, "gov-propose", { action });
  const vote = (signer: KeyPair, proposal: number): Transaction => gov(signer, "gov-vote", { proposal, approve: true });
  let t = T0 + DAY;
  const next = (txs: Transaction[]): Promise<number> => {
    t += 60_000;
    return commit(chain, store, keys, txs, t);
  };
  const filler = (): Transaction => issueTx(chain, licenceDocument(chain));

  const oldKey = chain.issuers.get("market-regulation") as KeyPair;
  const early = licenceDocument(chain);
  // 1: a department joins (proposal 1), with an issuer key; 4 validators, threshold 3.
  const waterKey = generateKeyPair();
  await next([
    issueTx(chain, early),
    propose(v(0), {
      type: "add-department",
      department: {
        id: "water-resources",
        name: { en: "Water Resources", zh: "水利厅" },
        issuerKeys: [waterKey.publicKey],
        certificateTypes: ["business-licence"],
      },
    }),
  ]);
  await next([vote(v(1), 1), vote(v(2), 1)]); // 2: passed, in force from 4
  // 3: node5 joins (proposal 2), decided at 4 (the first of its two votes there leaves it open), in force from 6.
  const node5 = generateKeyPair();
  keys.set(node5.publicKey, node5);
  await next([propose(v(0), { type: "add-validator", card: validatorCard("market-regulation", "node5", node5) })]);
  await next([vote(v(1), 2), vote(v(2), 2)]);
  await next([filler()]); // 5
  // 6: five validators, threshold 4. node2 leaves (proposal 3): decided at 7, in force from 9.
  const removed = v(1).publicKey;
  await next([propose(v(0), { type: "remove-validator", publicKey: removed })]);
  await next([vote(v(2), 3), vote(v(3), 3), vote(node5, 3)]);
  // 8: node6 of water-resources joins (proposal 4); node2 is out from 9, so nodes 3, 4 and 5 decide it at 9, in force from 11.
  const node6 = generateKeyPair();
  keys.set(node6.publicKey, node6);
  await next([propose(v(0), { type: "add-validator", card: validatorCard("water-resources", "node6", node6) })]);
  await next([vote(v(2), 4), vote(v(3), 4), vote(node5, 4)]);
  // 10: the old key signs a certificate after the validator changes.
  const old = licenceDocument(chain);
  await next([issueTx(chain, old)]);
  // 11: five validators again. The key rotation: add (proposal 5) and revoke (proposal 6), decided in one block (12), in force from 14.
  const newKey = generateKeyPair();
  await next([
    propose(v(0), { type: "add-issuer-key", department: "market-regulation", publicKey: newKey.publicKey }),
    propose(v(0), { type: "revoke-issuer-key", department: "market-regulation", publicKey: oldKey.publicKey }),
  ]);
  await next([vote(v(2), 5), vote(v(2), 6), vote(v(3), 5), vote(v(3), 6), vote(node5, 5), vote(node6, 6)]);
  await next([filler()]); // 13: the old key's last height
  // 14: the new key and the new department issue.
  chain.issuers.set("market-regulation", newKey);
  chain.issuers.set("water-resources", waterKey);
  const rotated = licenceDocument(chain);
  const water = { ...licenceDocument(chain), department: "water-resources" };
  await next([issueTx(chain, rotated), issueTx(chain, water)]);
  // 15, the latest block: the new key revokes the certificate the old key signed first.
  await next([revokeTx(chain, early.certificateId, "market-regulation", "withdrawn after the rotation")]);
  // The first of proposal 2's two votes in block 4: applied, and the proposal still open after it.
  const gov2 = (await store.getGovernance())?.proposals[1];
  const openVote = await governanceStep(store, gov2?.votes[1]?.txHash as string, "the first vote on proposal 2");
  assert.equal(openVote.receipt.governance?.status, "open");
  return { chain, store, consensusKeys: keys, early, old, rotated, water, oldKey, newKey, removed, openVote };
}
