/** A signed identity-proof issue transaction for a real node's chain (e2e tests that start nodes from an init'ed home). */
import { type CertificateDocument, issuePayloadFor } from "../../node/chain/document.js";
import type { ChainSpec } from "../../node/chain/genesis.js";
import { signTx } from "../../node/chain/tx.js";
import type { IssueTxBody, Transaction } from "../../node/chain/types.js";
import type { KeyPair } from "../../node/crypto/keys.js";
import { newSalt, newTxEnvelope } from "../../node/ledger/fresh.js";

const DAY = 86_400_000;

/** Public security issues `certificateId` to `holderName`, valid from yesterday for a year. */
export function identityProofTx(spec: ChainSpec, issuer: KeyPair, certificateId: string, holderName: string): Transaction {
  return identityProof(spec, issuer, certificateId, holderName).tx;
}

/** The same, with the holder's document (for checks by document). */
export function identityProof(spec: ChainSpec, issuer: KeyPair, certificateId: string, holderName: string): { tx: Transaction; document: CertificateDocument } {
  const now = Date.now();
  const document: CertificateDocument = {
    version: 1,
    chainId: spec.chainId,
    certificateId,
    certificateType: "identity-proof",
    department: "public-security",
    holder: { name: holderName, idType: "resident-id", idNumber: "110101199003070011" },
    holderSalt: newSalt(),
    fields: { dateOfBirth: "1990-03-07" },
    validFrom: now - DAY,
    validUntil: now + 365 * DAY,
  };
  const body: IssueTxBody = {
    ...newTxEnvelope(spec.chainId, "public-security", issuer.publicKey, now),
    kind: "issue",
    payload: issuePayloadFor(spec, document),
  };
  return { tx: signTx(body, issuer.privateKey), document };
}
