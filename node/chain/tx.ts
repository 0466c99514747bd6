/**
 * Transactions: hashing, signing and the stateless checks every node makes at the edge (RPC and
 * gossip) and again when it executes a block. Stateful checks live in state.ts.
 */
import { LedgerError, describeValue, shownValue } from "../errors.js";
import { bytesToHex } from "../crypto/bytes.js";
import { canonicalBytes } from "../crypto/hash.js";
import { Domain, isHash, taggedHash } from "../crypto/hash.js";
import { isPublicKeyHex, isSignatureHex, signBytes, verifyBytes } from "../crypto/keys.js";
import type { ChainSpec } from "./genesis.js";
import { MAX_TX_BYTES, TX_ENVELOPE_BYTES } from "./limits.js";
import { checkFields } from "./schema.js";
import { describeDuration, inTimeRange, isoDay } from "./time.js";
import { checkGovTransaction } from "./governance.js";
import type { CertificateType, Department, GovTxKind, IssuePayload, RevokePayload, Transaction, TxBody } from "./types.js";

/** Largest canonical transaction accepted. */
export const CERTIFICATE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{3,63}$/;
const NONCE = /^[0-9a-f]{32}$/;
const MAX_REASON = 500;
const DAY_MS = 86_400_000;

/**
 * The bytes an issuer signs: H(TX, canonical(body)); a validator signs a governance body under its own
 * tag, H(GOV_TX, canonical(body)). The body carries the chain id.
 */
export function txSigningBytes(body: TxBody): Uint8Array {
  return taggedHash(isGovKind(body.kind) ? Domain.GOV_TX : Domain.TX, canonicalBytes(body));
}

/** Whether a transaction kind is a governance one (gov-propose, gov-vote). */
export function isGovKind(kind: unknown): kind is GovTxKind {
  return kind === "gov-propose" || kind === "gov-vote";
}

/** The transaction hash (hex): the same digest the issuer signs, so it is unique by content. */
export function txHash(tx: Transaction): string {
  return bytesToHex(txSigningBytes(tx.body));
}

/** Sign a body with an issuer key. */
export function signTx(body: TxBody, privateKey: string): Transaction {
  return { body, signature: signBytes(privateKey, txSigningBytes(body)) };
}

/** A transaction that passed the stateless checks, with its hash and encoded size. */
export interface CheckedTx {
  tx: Transaction;
  hash: string;
  bytes: number;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function onlyKeys(obj: Record<string, unknown>, allowed: readonly string[], what: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw new LedgerError("TX_MALFORMED", `${what}: unexpected member "${k}"`);
  }
}

/** A time a transaction carries must lie in the chain's range (genesis minTime..maxTime, chain/time.ts). */
function checkTime(spec: ChainSpec, name: string, ms: number): void {
  const limits = spec.timeLimits;
  if (!inTimeRange(limits, ms)) {
    throw new LedgerError("TX_BAD_TIME", `${name} ${ms} is outside this chain's time range ${isoDay(limits.minTime)} .. ${isoDay(limits.maxTime)}`, {
      field: name,
      minTime: limits.minTime,
      maxTime: limits.maxTime,
    });
  }
}

/**
 * The validity period of an issue or renewal: integer milliseconds inside the chain's time range,
 * at least genesis's minValidityMs and at most the type's maxValidityDays. Throws TX_BAD_TIME or
 * TX_BAD_VALIDITY. The CLI runs it before it builds a document.
 */
export function checkValidityPeriod(spec: ChainSpec, type: CertificateType, validFrom: unknown, validUntil: unknown): void {
  if (!Number.isSafeInteger(validFrom) || !Number.isSafeInteger(validUntil) || (validFrom as number) < 0) {
    throw new LedgerError("TX_BAD_VALIDITY", "validFrom and validUntil must be integer milliseconds");
  }
  const from = validFrom as number;
  const until = validUntil as number;
  // [REJECT] both ends inside the chain's time range (genesis minTime..maxTime)
  checkTime(spec, "validFrom", from);
  checkTime(spec, "validUntil", until);
  if (until <= from) throw new LedgerError("TX_BAD_VALIDITY", "validUntil must be after validFrom");
  // [REJECT] at least the chain's shortest validity (genesis minValidityMs), at most the type's longest
  const { minValidityMs } = spec.timeLimits;
  if (until - from < minValidityMs) throw new LedgerError("TX_BAD_VALIDITY", `a certificate is valid for at least ${describeDuration(minValidityMs)}`);
  if (until - from > type.maxValidityDays * DAY_MS) throw new LedgerError("TX_BAD_VALIDITY", `${type.id} is valid for at most ${type.maxValidityDays} days`);
}

function checkIssuePayload(spec: ChainSpec, department: Department, height: number | undefined, p: unknown): IssuePayload {
  if (!isObject(p)) throw new LedgerError("TX_MALFORMED", "payload must be an object");
  onlyKeys(
    p,
    ["certificateId", "certificateType", "holderCommitment", "documentDigest", "publicFields", "validFrom", "validUntil", "links", "supersedes"],
    "issue payload",
  );
  // [REJECT] certificate id well-formed
  if (typeof p.certificateId !== "string" || !CERTIFICATE_ID.test(p.certificateId)) {
    throw new LedgerError("TX_MALFORMED", "certificateId must be 4-64 characters of [A-Za-z0-9._-]");
  }
  // [REJECT] type exists and this department may issue it
  const type =
    typeof p.certificateType === "string"
      ? height === undefined
        ? spec.certificateType(p.certificateType)
        : spec.rulesAt(height).certificateTypes.find((t) => t.id === p.certificateType)
      : undefined;
  if (type === undefined) throw new LedgerError("TX_UNKNOWN_TYPE", `unknown certificate type ${shownValue(p.certificateType)}`);
  if (!department.certificateTypes.includes(type.id)) {
    throw new LedgerError("TX_ISSUER_NOT_ALLOWED", `department ${department.id} may not issue ${type.id}`);
  }
  // [REJECT] commitments are digests
  if (!isHash(p.holderCommitment)) throw new LedgerError("TX_MALFORMED", "holderCommitment must be a SHA-256 hex digest");
  if (!isHash(p.documentDigest)) throw new LedgerError("TX_MALFORMED", "documentDigest must be a SHA-256 hex digest");
  // [REJECT] links: only the type's, each a holder commitment
  if (p.links !== undefined) {
    if (!isObject(p.links)) throw new LedgerError("TX_MALFORMED", "links must be an object of holder commitments");
    for (const [name, commitment] of Object.entries(p.links)) {
      if (!(type.links ?? []).some((l) => l.name === name)) throw new LedgerError("TX_SCHEMA", `${type.id} has no link "${name}"`);
      if (!isHash(commitment)) throw new LedgerError("TX_MALFORMED", `link ${name} must be a SHA-256 hex digest (a holder commitment)`);
    }
  }
  // [REJECT] a renewal names another well-formed certificate id
  if (p.supersedes !== undefined && (typeof p.supersedes !== "string" || !CERTIFICATE_ID.test(p.supersedes) || p.supersedes === p.certificateId)) {
    throw new LedgerError("TX_MALFORMED", "supersedes must be the id of another certificate");
  }
  // [REJECT] only the type's public fields, each well-typed
  checkFields(type, p.publicFields, true);
  // [REJECT] a validity period that makes sense
  checkValidityPeriod(spec, type, p.validFrom, p.validUntil);
  return p as unknown as IssuePayload;
}

function checkRevokePayload(p: unknown): RevokePayload {
  if (!isObject(p)) throw new LedgerError("TX_MALFORMED", "payload must be an object");
  onlyKeys(p, ["certificateId", "reason"], "revoke payload");
  if (typeof p.certificateId !== "string" || !CERTIFICATE_ID.test(p.certificateId)) {
    throw new LedgerError("TX_MALFORMED", "certificateId must be 4-64 characters of [A-Za-z0-9._-]");
  }
  if (typeof p.reason !== "string" || p.reason.trim().length === 0 || p.reason.length > MAX_REASON) {
    throw new LedgerError("TX_MALFORMED", `reason must be a non-empty string of at most ${MAX_REASON} characters`);
  }
  return p as unknown as RevokePayload;
}

/**
 * Validation of an untrusted value as a transaction against the rules in force at `height` (a
 * block's height; head + 1 at admission; absent: the newest rules this node knows, for tools):
 * structure, sizes, chain id, issuer authority and signature. A governance transaction gets its
 * stateless checks (governance.ts); who signed it is judged when it executes. Throws a LedgerError
 * naming the first problem.
 */
export function checkTransaction(spec: ChainSpec, value: unknown, height?: number, verifiedSignature?: string): CheckedTx {
  // [REJECT] shape
  if (!isObject(value) || !isObject(value.body)) throw new LedgerError("TX_MALFORMED", "a transaction is {body, signature}");
  if (isGovKind(value.body.kind)) return checkGovTransaction(spec.chainId, spec.timeLimits, value, verifiedSignature);
  onlyKeys(value, ["body", "signature"], "transaction");
  const body = value.body;
  onlyKeys(body, ["chainId", "kind", "department", "signer", "nonce", "createdAt", "payload"], "transaction body");
  let bodyBytes: Uint8Array;
  try {
    bodyBytes = canonicalBytes(body);
  } catch {
    throw new LedgerError("TX_MALFORMED", "transaction is not canonical JSON");
  }
  // canonical({body, signature}) adds the member names, braces and the 128 hex digits
  const bytes = bodyBytes.length + TX_ENVELOPE_BYTES;
  // [REJECT] size
  if (bytes > MAX_TX_BYTES) throw new LedgerError("TX_TOO_LARGE", `transaction is ${bytes} bytes; the limit is ${MAX_TX_BYTES}`);
  // [REJECT] signed for this chain
  if (body.chainId !== spec.chainId) throw new LedgerError("TX_WRONG_CHAIN", `transaction is for chain ${describeValue(body.chainId)}, not ${spec.chainId}`);
  if (typeof body.nonce !== "string" || !NONCE.test(body.nonce)) throw new LedgerError("TX_MALFORMED", "nonce must be 16 bytes of hex");
  if (!Number.isSafeInteger(body.createdAt) || (body.createdAt as number) < 0) throw new LedgerError("TX_MALFORMED", "createdAt must be integer milliseconds");
  // [REJECT] createdAt inside the chain's time range (its freshness is checked at admission only: mempool.ts)
  checkTime(spec, "createdAt", body.createdAt as number);
  // [REJECT] signer is an issuer key of the named department, in force at this height
  const department =
    typeof body.department !== "string"
      ? undefined
      : height === undefined
        ? spec.department(body.department)
        : spec.rulesAt(height).departments.find((d) => d.id === body.department);
  if (department === undefined) throw new LedgerError("TX_UNKNOWN_ISSUER", `unknown department ${shownValue(body.department)}`);
  if (!isPublicKeyHex(body.signer) || spec.departmentOfIssuerKey(body.signer) !== department.id) {
    throw new LedgerError("TX_UNKNOWN_ISSUER", `signer is not an issuer key of ${department.id}`);
  }
  // Authority is judged at the height of the block that holds the transaction: a revoked key's
  // earlier certificates stay valid, new ones are refused.
  if (height !== undefined ? !spec.issuerKeyInForce(department.id, body.signer, height) : !department.issuerKeys.includes(body.signer)) {
    throw new LedgerError(
      "TX_ISSUER_KEY_NOT_VALID",
      `this issuer key of ${department.id} is not in force${height === undefined ? "" : ` at height ${height}`}`,
    );
  }
  if (body.kind === "issue") checkIssuePayload(spec, department, height, body.payload);
  else if (body.kind === "revoke") checkRevokePayload(body.payload);
  else throw new LedgerError("TX_MALFORMED", `unknown transaction kind ${shownValue(body.kind)}`);
  // [REJECT] signature (last: the most expensive check)
  if (!isSignatureHex(value.signature)) throw new LedgerError("TX_MALFORMED", "signature must be 64 bytes of hex");
  const tx = value as unknown as Transaction;
  const digest = taggedHash(Domain.TX, bodyBytes);
  // (A signature this node verified before over this very body, e.g. at admission, is not verified again.)
  if (tx.signature !== verifiedSignature && !verifyBytes(body.signer, digest, tx.signature))
    throw new LedgerError("TX_BAD_SIGNATURE", "issuer signature does not verify");
  return { tx, hash: bytesToHex(digest), bytes };
}
