/**
 * The holder's certificate document (off chain). Its digest and the holder commitment go on chain;
 * the identity itself never does. A verifier holding the document recomputes both.
 */
import { LedgerError, describeValue, shownValue } from "../errors.js";
import { canonicalize } from "../crypto/jcs.js";
import { Domain, hashCanonical, isHash } from "../crypto/hash.js";
import type { ChainSpec } from "./genesis.js";
import { checkFields, publicFieldsOf } from "./schema.js";
import { CERTIFICATE_ID } from "./tx.js";
import type { CertificateRecord, IssuePayload, PublicFieldValue } from "./types.js";

/** Who the certificate is about. Personal data: stays in the document. */
export interface HolderIdentity {
  /** Person's or enterprise's name. */
  name: string;
  /** e.g. "resident-id", "passport", "uscc". */
  idType: string;
  idNumber: string;
}

/** The document a holder keeps and presents. */
export interface CertificateDocument {
  version: 1;
  chainId: string;
  certificateId: string;
  certificateType: string;
  department: string;
  holder: HolderIdentity;
  /** 32 random bytes (hex): makes the commitment and digest impossible to guess from the identity. */
  holderSalt: string;
  fields: Record<string, PublicFieldValue>;
  validFrom: number;
  validUntil: number;
  /** Holder commitments of other people the certificate names (e.g. legalRepresentative); on chain too. */
  links?: Record<string, string>;
  /** The certificate this one renews; on chain too. */
  supersedes?: string;
}

const MAX_IDENTITY = 200;
/** The members a document may have (links and supersedes only when it has them). */
const DOCUMENT_MEMBERS: readonly string[] = [
  "version",
  "chainId",
  "certificateId",
  "certificateType",
  "department",
  "holder",
  "holderSalt",
  "fields",
  "validFrom",
  "validUntil",
  "links",
  "supersedes",
];

/** Salted commitment to the holder's identity: H(HOLDER, canonical({holder, salt})). */
export function holderCommitment(holder: HolderIdentity, salt: string): string {
  return hashCanonical(Domain.HOLDER, { holder, salt });
}

/** Digest of the whole document. */
export function documentDigest(doc: CertificateDocument): string {
  return hashCanonical(Domain.DOCUMENT, doc);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Check an untrusted value as a document of this chain; throws DOC_MALFORMED / TX_SCHEMA. */
export function checkDocument(spec: ChainSpec, value: unknown): CertificateDocument {
  const fail = (msg: string): never => {
    throw new LedgerError("DOC_MALFORMED", msg);
  };
  if (!isObject(value)) return fail("a certificate document is a JSON object");
  for (const k of Object.keys(value)) {
    if (!DOCUMENT_MEMBERS.includes(k)) {
      fail(`unexpected member "${k}"`);
    }
  }
  if (value.version !== 1) fail("unsupported document version");
  if (value.chainId !== spec.chainId) fail(`document is for chain ${describeValue(value.chainId)}, not ${spec.chainId}`);
  if (typeof value.certificateId !== "string" || !CERTIFICATE_ID.test(value.certificateId)) fail("certificateId is malformed");
  const type = typeof value.certificateType === "string" ? spec.certificateType(value.certificateType) : undefined;
  if (type === undefined) return fail(`unknown certificate type ${shownValue(value.certificateType)}`);
  if (typeof value.department !== "string" || spec.department(value.department) === undefined) fail("unknown department");
  const h = value.holder;
  if (!isObject(h)) return fail("holder must be an object {name, idType, idNumber}");
  for (const k of ["name", "idType", "idNumber"]) {
    const v = h[k];
    if (typeof v !== "string" || v.length === 0 || v.length > MAX_IDENTITY) fail(`holder.${k} must be a non-empty string`);
  }
  if (Object.keys(h).length !== 3) fail("holder has members other than name, idType, idNumber");
  if (!isHash(value.holderSalt)) fail("holderSalt must be 32 bytes of hex");
  checkFields(type, value.fields, false);
  if (value.links !== undefined) {
    if (!isObject(value.links)) fail("links must be an object of holder commitments");
    for (const [name, c] of Object.entries(value.links as Record<string, unknown>)) {
      if (!(type.links ?? []).some((l) => l.name === name) || !isHash(c)) fail(`link ${shownValue(name)} is not a link of ${type.id} with a holder commitment`);
    }
  }
  if (value.supersedes !== undefined && (typeof value.supersedes !== "string" || !CERTIFICATE_ID.test(value.supersedes))) fail("supersedes is malformed");
  if (!Number.isSafeInteger(value.validFrom) || !Number.isSafeInteger(value.validUntil) || (value.validUntil as number) <= (value.validFrom as number)) {
    fail("validity period is malformed");
  }
  return value as unknown as CertificateDocument;
}

/** The on-chain payload of an issue transaction for this document. */
export function issuePayloadFor(spec: ChainSpec, doc: CertificateDocument): IssuePayload {
  const type = spec.certificateType(doc.certificateType);
  if (type === undefined) throw new LedgerError("TX_UNKNOWN_TYPE", `unknown certificate type ${doc.certificateType}`);
  const payload: IssuePayload = {
    certificateId: doc.certificateId,
    certificateType: doc.certificateType,
    holderCommitment: holderCommitment(doc.holder, doc.holderSalt),
    documentDigest: documentDigest(doc),
    publicFields: publicFieldsOf(type, doc.fields),
    validFrom: doc.validFrom,
    validUntil: doc.validUntil,
  };
  if (doc.links !== undefined) payload.links = doc.links;
  if (doc.supersedes !== undefined) payload.supersedes = doc.supersedes;
  return payload;
}

/** Why a presented document does not match its record, or null when it matches. */
export function documentMismatch(spec: ChainSpec, doc: CertificateDocument, record: CertificateRecord): string | null {
  if (documentDigest(doc) !== record.documentDigest) return "document digest does not match the on-chain record (tampered or not this certificate)";
  if (holderCommitment(doc.holder, doc.holderSalt) !== record.holderCommitment) return "holder does not match the on-chain commitment";
  if (doc.certificateType !== record.certificateType || doc.department !== record.department) return "type or issuer does not match the on-chain record";
  const payload = issuePayloadFor(spec, doc);
  if (canonicalize(payload.publicFields) !== canonicalize(record.publicFields)) return "public fields do not match the on-chain record";
  if (doc.validFrom !== record.validFrom || doc.validUntil !== record.validUntil) return "validity period does not match the on-chain record";
  if (canonicalize(doc.links ?? {}) !== canonicalize(record.links ?? {}) || doc.supersedes !== record.supersedes) {
    return "links or renewal do not match the on-chain record";
  }
  return null;
}
