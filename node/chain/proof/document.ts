/**
 * Checking a holder's certificate document against what a proof bundle proves, offline and in the
 * browser (chain/document.ts documentMismatch is the node's twin; unit tests keep them in step).
 */
import { shownValue } from "../../errors.js";
import { publicFieldsOf } from "../schema.js";
import type { Genesis, PublicFieldValue } from "../types.js";
import { Domain, hashCanonical } from "../../crypto/hash.js";
import { canonicalize } from "../../crypto/jcs.js";
import type { ProvenCertificate } from "./verify.js";

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Why a presented document is not the proven certificate's, or null when it is. */
export function documentMismatchProven(genesis: Genesis, proven: ProvenCertificate, doc: unknown): string | null {
  if (!isObj(doc)) return "a certificate document is a JSON object";
  if (doc.chainId !== proven.chainId) return `document is for chain ${shownValue(doc.chainId)}, not ${proven.chainId}`;
  if (doc.certificateId !== proven.certificateId) return `document is of certificate ${shownValue(doc.certificateId)}, not ${proven.certificateId}`;
  let digest: string;
  try {
    digest = hashCanonical(Domain.DOCUMENT, doc);
  } catch {
    return "document is not canonical JSON";
  }
  if (digest !== proven.documentDigest) return "document digest does not match the proven record (tampered or not this certificate)";
  if (!isObj(doc.holder) || hashCanonical(Domain.HOLDER, { holder: doc.holder, salt: doc.holderSalt }) !== proven.holderCommitment) {
    return "holder does not match the proven commitment";
  }
  if (doc.certificateType !== proven.certificateType || doc.department !== proven.department) return "type or issuer does not match the proven record";
  const type = genesis.certificateTypes.find((t) => t.id === proven.certificateType);
  if (type === undefined || !isObj(doc.fields)) return "document fields do not fit the certificate type";
  const publicFields = publicFieldsOf(type, doc.fields as Record<string, PublicFieldValue>);
  if (canonicalize(publicFields) !== canonicalize(proven.publicFields)) return "public fields do not match the proven record";
  if (doc.validFrom !== proven.validFrom || doc.validUntil !== proven.validUntil) return "validity period does not match the proven record";
  return null;
}
