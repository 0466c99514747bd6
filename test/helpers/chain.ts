/** A small in-memory chain for unit tests: genesis with the default types, keys, and tx builders. */
import { type CertificateDocument, type HolderIdentity, holderCommitment, issuePayloadFor } from "../../node/chain/document.js";
import { newSalt } from "../../node/ledger/fresh.js";
import { ChainSpec, defaultConsensusParams } from "../../node/chain/genesis.js";
import { type CheckedTx, signTx } from "../../node/chain/tx.js";
import { newTxEnvelope } from "../../node/ledger/fresh.js";
import type { Genesis, IssueTxBody, PublicFieldValue, Receipt, ReviewRuleSet, RevokeTxBody, Transaction } from "../../node/chain/types.js";
import type { KeyPair } from "../../node/crypto/keys.js";
import { generateKeyPair } from "../../node/keys/key-file.js";
import { loadDefaultTemplateSync } from "../../node/ledger/template-file.js";
import { EMPTY_STATE_ROOT } from "../../node/chain/state-tree.js";

/** The default genesis template (templates/default.json): the mission's departments, types and review rules. */
export const DEFAULT_TEMPLATE = loadDefaultTemplateSync();
/** The default template's review rules. */
export const DEFAULT_REVIEW_RULES = DEFAULT_TEMPLATE.reviewRules as ReviewRuleSet;

export interface TestChain {
  spec: ChainSpec;
  validatorKeys: KeyPair[];
  /** Issuer key of each department. */
  issuers: Map<string, KeyPair>;
}

export const DAY = 86_400_000;
export const T0 = Date.UTC(2026, 0, 1);

/** A test chain; `reviewRules` goes into genesis (none by default, so licences need no identity proof). */
export function makeTestChain(validators = 4, chainName = "test-chain", options: { reviewRules?: ReviewRuleSet } = {}): TestChain {
  const validatorKeys = Array.from({ length: validators }, () => generateKeyPair());
  const issuers = new Map<string, KeyPair>();
  const genesis: Genesis = {
    chainName,
    genesisTime: T0,
    validators: validatorKeys.map((k, i) => ({
      name: `node${i + 1}`,
      department: (DEFAULT_TEMPLATE.departments[i % DEFAULT_TEMPLATE.departments.length] as { id: string }).id,
      publicKey: k.publicKey,
      peerId: `peer-${i}`,
      address: `/ip4/127.0.0.1/tcp/${20000 + i}`,
    })),
    departments: DEFAULT_TEMPLATE.departments.map((d) => {
      const key = generateKeyPair();
      issuers.set(d.id, key);
      return { id: d.id, name: d.name, issuerKeys: [key.publicKey], certificateTypes: d.certificateTypes };
    }),
    certificateTypes: DEFAULT_TEMPLATE.certificateTypes,
    consensus: { ...defaultConsensusParams },
  };
  if (options.reviewRules !== undefined) genesis.reviewRules = options.reviewRules;
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

/** Results claiming every transaction applied, over the state root given (the empty tree's by default): for blocks that are not executed. */
export function claimedResults(txs: CheckedTx[], stateRoot = EMPTY_STATE_ROOT): { receipts: Receipt[]; stateRoot: string } {
  return { receipts: appliedReceipts(txs), stateRoot };
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

/** A person's identity and the salt of their identity proof: their holder commitment is their pseudonymous handle. */
export interface TestPerson {
  holder: HolderIdentity;
  salt: string;
  commitment: string;
}

/** A person with a fresh salt. */
export function person(name: string, idNumber: string): TestPerson {
  const holder = { name, idType: "resident-id", idNumber };
  const salt = newSalt();
  return { holder, salt, commitment: holderCommitment(holder, salt) };
}

let documentCounter = 0;

/** A document of `type` for `holder`, valid [validFrom, validUntil) (default T0 .. T0 + 180 days). */
export function documentFor(
  chain: TestChain,
  type: "identity-proof" | "home-purchase-qualification" | "business-licence" | "administrative-approval",
  holder: TestPerson,
  extra: {
    id?: string;
    fields?: Record<string, PublicFieldValue>;
    links?: Record<string, string>;
    supersedes?: string;
    validFrom?: number;
    validUntil?: number;
  } = {},
): CertificateDocument {
  documentCounter++;
  const defaults: Record<typeof type, { department: string; prefix: string; fields: Record<string, PublicFieldValue> }> = {
    "identity-proof": { department: "public-security", prefix: "IP", fields: { dateOfBirth: "1990-03-07" } },
    "home-purchase-qualification": { department: "housing", prefix: "HPQ", fields: { city: "Hangzhou", householdType: "family", maxHomes: 1 } },
    "business-licence": {
      department: "market-regulation",
      prefix: "BL",
      fields: {
        enterpriseName: "Hangzhou Example Tech Co., Ltd.",
        unifiedSocialCreditCode: "91330100MA2XXXXX1X",
        enterpriseType: "Limited liability company",
        address: "1 Example Road, Hangzhou",
        legalRepresentative: "Zhang San",
      },
    },
    "administrative-approval": {
      department: "government-services",
      prefix: "AA",
      fields: { matter: "Outdoor advertising", decisionNumber: "HZ-2026-001", applicant: "Zhang San" },
    },
  };
  const d = defaults[type];
  const doc: CertificateDocument = {
    version: 1,
    chainId: chain.spec.chainId,
    certificateId: extra.id ?? `${d.prefix}-TEST-${documentCounter.toString().padStart(6, "0")}`,
    certificateType: type,
    department: d.department,
    holder: holder.holder,
    holderSalt: holder.salt,
    fields: extra.fields ?? d.fields,
    validFrom: extra.validFrom ?? T0,
    validUntil: extra.validUntil ?? T0 + 180 * DAY,
  };
  if (extra.links !== undefined) doc.links = extra.links;
  if (extra.supersedes !== undefined) doc.supersedes = extra.supersedes;
  return doc;
}
