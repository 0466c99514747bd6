/** A small in-memory chain for unit tests: genesis with the default types, keys, and tx builders. */
import { DEFAULT_CERTIFICATE_TYPES, DEFAULT_DEPARTMENTS } from "../../node/chain/certificate-types.js";
import { type CertificateDocument, issuePayloadFor, newSalt } from "../../node/chain/document.js";
import { ChainSpec, defaultConsensusParams } from "../../node/chain/genesis.js";
import { type CheckedTx, newTxEnvelope, signTx } from "../../node/chain/tx.js";
import type { Genesis, IssueTxBody, Receipt, RevokeTxBody, Transaction } from "../../node/chain/types.js";
import { type KeyPair, generateKeyPair } from "../../node/crypto/keys.js";

export interface TestChain {
  spec: ChainSpec;
  validatorKeys: KeyPair[];
  /** Issuer key of each department. */
  issuers: Map<string, KeyPair>;
}

export const DAY = 86_400_000;
export const T0 = Date.UTC(2026, 0, 1);

export function makeTestChain(validators = 4, chainName = "test-chain"): TestChain {
  const validatorKeys = Array.from({ length: validators }, () => generateKeyPair());
  const issuers = new Map<string, KeyPair>();
  const genesis: Genesis = {
    chainName,
    genesisTime: T0,
    validators: validatorKeys.map((k, i) => ({
      name: `node${i + 1}`,
      department: (DEFAULT_DEPARTMENTS[i % DEFAULT_DEPARTMENTS.length] as { id: string }).id,
      publicKey: k.publicKey,
      peerId: `peer-${i}`,
      address: `/ip4/127.0.0.1/tcp/${20000 + i}`,
    })),
    departments: DEFAULT_DEPARTMENTS.map((d) => {
      const key = generateKeyPair();
      issuers.set(d.id, key);
      return { id: d.id, name: d.name, issuerKeys: [key.publicKey], certificateTypes: d.certificateTypes };
    }),
    certificateTypes: DEFAULT_CERTIFICATE_TYPES,
    consensus: { ...defaultConsensusParams },
  };
  return { spec: new ChainSpec(genesis), validatorKeys, issuers };
}

let counter = 0;

/** A valid business-licence document for the test chain. */
export function licenceDocument(chain: TestChain, id?: string): CertificateDocument {
  counter++;
  return {
    version: 1,
    chainId: chain.spec.chainId,
    certificateId: id ?? `BL-TEST-${counter.toString().padStart(6, "0")}`,
    certificateType: "business-licence",
    department: "market-regulation",
    holder: { name: "Zhang San", idType: "resident-id", idNumber: "110101199003071234" },
    holderSalt: newSalt(),
    fields: {
      enterpriseName: "Hangzhou Example Tech Co., Ltd.",
      unifiedSocialCreditCode: "91330100MA2XXXXX1X",
      enterpriseType: "Limited liability company",
      address: "1 Example Road, Hangzhou",
      legalRepresentative: "Zhang San",
    },
    validFrom: T0,
    validUntil: T0 + 3650 * DAY,
  };
}

/** Signed issue transaction for a document. */
export function issueTx(chain: TestChain, doc: CertificateDocument, signerDept = doc.department): Transaction {
  const key = chain.issuers.get(signerDept) as KeyPair;
  const body: IssueTxBody = {
    ...newTxEnvelope(chain.spec.chainId, signerDept, key.publicKey, T0),
    kind: "issue",
    payload: issuePayloadFor(chain.spec, doc),
  };
  return signTx(body, key.privateKey);
}

/** The receipts of transactions that all apply (e.g. fresh issues), for building blocks in tests. */
export function appliedReceipts(txs: CheckedTx[]): Receipt[] {
  return txs.map((t) => ({ txHash: t.hash, status: "applied" }));
}

/** Signed revoke transaction. */
export function revokeTx(chain: TestChain, certificateId: string, dept = "market-regulation", reason = "licence withdrawn"): Transaction {
  const key = chain.issuers.get(dept) as KeyPair;
  const body: RevokeTxBody = {
    ...newTxEnvelope(chain.spec.chainId, dept, key.publicKey, T0),
    kind: "revoke",
    payload: { certificateId, reason },
  };
  return signTx(body, key.privateKey);
}
