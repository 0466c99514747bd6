/**
 * The holder's certificate as an SD-JWT VC (IETF SD-JWT-based Verifiable Credentials, media type
 * application/dc+sd-jwt), issued and checked with the maintained @sd-jwt libraries (docs/sd-jwt-vc.md).
 *
 * In the clear: the certificate's public facts — `vct` (per type), `iss` and `department`, `nbf`/`exp`
 * (the validity period), `certificate_id`, `chain_id`, `supersedes` — and `status`, an entry of the
 * department's Token Status List. Selectively disclosable, each on its own: every member of `holder`
 * (name, idType, idNumber), of `fields` and of `links`. Signed (EdDSA, Ed25519) by the department's
 * issuer key, which `kid` names and genesis lists.
 */
import { SDJwtVcInstance, type SdJwtVcPayload } from "@sd-jwt/sd-jwt-vc";
import type { DisclosureFrame, PresentationFrame } from "@sd-jwt/types";
import { digest, generateSalt } from "@sd-jwt/crypto-nodejs";
import type { CertificateDocument } from "../../../node/chain/document.js";
import type { ChainSpec } from "../../../node/chain/genesis.js";
import { signBytes, verifyBytes } from "../../../node/crypto/keys.js";

/** The media type of an SD-JWT VC. */
export const SD_JWT_VC_MEDIA_TYPE = "application/dc+sd-jwt";

/** The `vct` of a certificate type: one per type, the same on every chain of that type. */
export function vctOf(typeId: string): string {
  return `urn:certchain:certificate-type:${typeId}`;
}

/** The `iss` of a department of a chain (its key is found in genesis, not fetched from the web). */
export function issuerOf(chainId: string, department: string): string {
  return `urn:certchain:${chainId}:department:${department}`;
}

/** The claims of a credential (before the issuer's SD-JWT processing). */
export interface CertificateClaims extends SdJwtVcPayload {
  vct: string;
  iss: string;
  iat: number;
  nbf: number;
  exp: number;
  status: { status_list: { idx: number; uri: string } };
  certificate_id: string;
  chain_id: string;
  department: string;
  supersedes?: string;
  holder: { name: string; idType: string; idNumber: string };
  fields: Record<string, string | number | boolean>;
  links?: Record<string, string>;
}

/** Where a credential's status sits: the department's list at `uri`, entry `idx` (its issuance order). */
export interface StatusReference {
  idx: number;
  uri: string;
}

const seconds = (ms: number): number => Math.floor(ms / 1000);
const b64 = (hex: string): string => Buffer.from(hex, "hex").toString("base64url");
const hexOf = (b64url: string): string => Buffer.from(b64url, "base64url").toString("hex");

/** The claims of `doc`'s credential. */
export function certificateClaims(doc: CertificateDocument, status: StatusReference, issuedAt: number): CertificateClaims {
  return {
    vct: vctOf(doc.certificateType),
    iss: issuerOf(doc.chainId, doc.department),
    iat: seconds(issuedAt),
    nbf: seconds(doc.validFrom),
    exp: seconds(doc.validUntil),
    status: { status_list: { idx: status.idx, uri: status.uri } },
    certificate_id: doc.certificateId,
    chain_id: doc.chainId,
    department: doc.department,
    ...(doc.supersedes === undefined ? {} : { supersedes: doc.supersedes }),
    holder: { ...doc.holder },
    fields: { ...doc.fields },
    ...(doc.links === undefined ? {} : { links: { ...doc.links } }),
  };
}

/** Which claims are disclosable: each member of holder, fields and links. */
function disclosureFrame(claims: CertificateClaims): DisclosureFrame<CertificateClaims> {
  return {
    holder: { _sd: ["name", "idType", "idNumber"] },
    fields: { _sd: Object.keys(claims.fields) },
    ...(claims.links === undefined ? {} : { links: { _sd: Object.keys(claims.links) } }),
  } as DisclosureFrame<CertificateClaims>;
}

/** Issue the SD-JWT VC of `doc`, signed with the department's issuer key (all disclosures attached). */
export async function issueCredential(
  doc: CertificateDocument,
  issuer: { publicKey: string; privateKey: string },
  status: StatusReference,
  issuedAt: number,
): Promise<string> {
  const sdjwt = new SDJwtVcInstance({
    signer: (data: string) => b64(signBytes(issuer.privateKey, new TextEncoder().encode(data))),
    signAlg: "EdDSA",
    hasher: digest,
    hashAlg: "sha-256",
    saltGenerator: generateSalt,
  });
  const claims = certificateClaims(doc, status, issuedAt);
  return sdjwt.issue(claims, disclosureFrame(claims), { header: { kid: issuer.publicKey } });
}

/** A presentation of `credential` that discloses only the claims `frame` names, e.g. { fields: { city: true } }. */
export async function presentCredential(credential: string, frame: PresentationFrame<CertificateClaims>): Promise<string> {
  return new SDJwtVcInstance({ hasher: digest, hashAlg: "sha-256" }).present(credential, frame);
}

/** The decoded JSON of a JWT's header and payload from its signing input (`header.payload`). */
export function signingInputParts(data: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h = "", p = ""] = data.split(".");
  const parse = (part: string): Record<string, unknown> => {
    const v = JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as unknown;
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  };
  return { header: parse(h), payload: parse(p) };
}

/**
 * The verifier of a credential's signature against genesis: `kid` must be an issuer key of the
 * department the credential names, `iss` that department's, and the Ed25519 signature must hold.
 */
export function issuerVerifier(spec: ChainSpec): (data: string, signature: string) => boolean {
  return (data, signature) => {
    const { header, payload } = signingInputParts(data);
    const department = typeof payload.department === "string" ? spec.department(payload.department) : undefined;
    if (department === undefined || typeof header.kid !== "string" || header.alg !== "EdDSA") return false;
    if (!department.issuerKeys.includes(header.kid) || payload.iss !== issuerOf(spec.chainId, department.id) || payload.chain_id !== spec.chainId) return false;
    return verifyBytes(header.kid, new TextEncoder().encode(data), hexOf(signature));
  };
}

/**
 * The verifier of a Status List Token against genesis: signed (EdDSA) by a validator's consensus key
 * (`kid`), for this chain.
 */
export function statusListVerifier(spec: ChainSpec): (data: string, signature: string) => boolean {
  return (data, signature) => {
    const { header, payload } = signingInputParts(data);
    if (header.typ !== "statuslist+jwt" || header.alg !== "EdDSA" || typeof header.kid !== "string") return false;
    if (!spec.validators.some((v) => v.publicKey === header.kid)) return false;
    const basis = payload.certchain as { chainId?: unknown } | undefined;
    if (basis?.chainId !== spec.chainId) return false;
    return verifyBytes(header.kid, new TextEncoder().encode(data), hexOf(signature));
  };
}
