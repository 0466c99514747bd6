/**
 * A test chain whose keys, documents and transactions all derive from a seed, so a simulated run is
 * the same run byte for byte (block hashes included) every time it is replayed.
 */
import { createHash } from "node:crypto";
import { ChainSpec } from "../../node/chain/genesis.js";
import { issuePayloadFor } from "../../node/chain/document.js";
import { signTx } from "../../node/chain/tx.js";
import type { ConsensusParams, IssueTxBody, Transaction } from "../../node/chain/types.js";
import { type KeyPair, publicKeyOf } from "../../node/crypto/keys.js";
import { licenceDocument, makeTestChain, T0, type TestChain } from "./chain.js";

/** 32 bytes of hex derived from a label: a seed, a salt or a nonce. */
export function derivedHex(label: string, bytes = 32): string {
  return createHash("sha256")
    .update(label)
    .digest("hex")
    .slice(0, bytes * 2);
}

/** The key pair derived from a label. */
export function derivedKeyPair(label: string): KeyPair {
  const privateKey = derivedHex(label);
  return { publicKey: publicKeyOf(privateKey), privateKey };
}

/** makeTestChain with every key derived from `seed`, and these consensus parameters. */
export function makeSeededChain(validators: number, seed: string, consensus: Partial<ConsensusParams> = {}): TestChain {
  const random = makeTestChain(validators, "seeded-chain");
  const validatorKeys = random.validatorKeys.map((_, i) => derivedKeyPair(`${seed}/validator/${i}`));
  const issuers = new Map<string, KeyPair>();
  const genesis = structuredClone(random.spec.genesis);
  genesis.validators.forEach((v, i) => {
    v.publicKey = (validatorKeys[i] as KeyPair).publicKey;
  });
  for (const d of genesis.departments) {
    const key = derivedKeyPair(`${seed}/issuer/${d.id}`);
    issuers.set(d.id, key);
    d.issuerKeys = [key.publicKey];
  }
  genesis.consensus = { ...genesis.consensus, ...consensus };
  return { spec: new ChainSpec(genesis), validatorKeys, issuers };
}

/** A signed issue transaction of business licence `certificateId`, with salt and nonce derived from it. */
export function seededIssueTx(chain: TestChain, certificateId: string): Transaction {
  const doc = { ...licenceDocument(chain, certificateId), holderSalt: derivedHex(`salt/${certificateId}`) };
  const key = chain.issuers.get(doc.department) as KeyPair;
  const body: IssueTxBody = {
    chainId: chain.spec.chainId,
    department: doc.department,
    signer: key.publicKey,
    nonce: derivedHex(`nonce/${certificateId}`, 16),
    createdAt: T0,
    kind: "issue",
    payload: issuePayloadFor(chain.spec, doc),
  };
  return signTx(body, key.privateKey);
}
