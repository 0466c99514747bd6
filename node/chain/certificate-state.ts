/**
 * What the state tree holds of a certificate (docs/proof-format.md §7): its current state as a
 * verifier needs it, keyed by H(STATE_KEY, id). A proof bundle's events replay into exactly this
 * value, so a bundle that leaves out a later transaction (a revocation, a renewal, a suspension) cannot match the
 * newest block's state root.
 */
import { utf8Bytes, bytesToHex } from "../crypto/bytes.js";
import { Domain, hashCanonical, taggedHash } from "../crypto/hash.js";
import type { CertificateRecord } from "./types.js";

/** A certificate's leaf in the state tree. */
export interface CertificateState {
  id: string;
  department: string;
  certificateType: string;
  holderCommitment: string;
  documentDigest: string;
  /** Unix milliseconds. */
  validFrom: number;
  validUntil: number;
  revoked: boolean;
  /** Suspended automatically when a certificate its approval rested on was revoked (chain/suspension.ts). */
  suspended: boolean;
  /** The certificate that renewed it, or null. */
  supersededBy: string | null;
  /** The hash of every transaction that touched it (issue, renewal by another, revocation, the revocation that suspended it), in chain order. */
  events: string[];
}

/** The state-tree key of a certificate id: H(STATE_KEY, UTF-8 id). */
export function stateKey(id: string): string {
  return bytesToHex(taggedHash(Domain.STATE_KEY, utf8Bytes(id)));
}

/**
 * The state-tree value of a certificate state: H(STATE_VALUE, canonical(state)). Every block hashes
 * one per changed record, so the canonical text is written directly: JSON.stringify of the members in
 * RFC 8785 order (sorted by UTF-16 code units, fixed here) gives the JCS bytes, since JCS serialises
 * strings and finite numbers as ECMAScript's JSON does (a unit test compares it with canonicalize).
 * A state with a non-finite number, which JCS refuses, takes the general path and is refused there.
 */
export function stateValue(state: CertificateState): string {
  if (!Number.isFinite(state.validFrom) || !Number.isFinite(state.validUntil)) return hashCanonical(Domain.STATE_VALUE, state);
  const sorted = {
    certificateType: state.certificateType,
    department: state.department,
    documentDigest: state.documentDigest,
    events: state.events,
    holderCommitment: state.holderCommitment,
    id: state.id,
    revoked: state.revoked,
    supersededBy: state.supersededBy,
    suspended: state.suspended,
    validFrom: state.validFrom,
    validUntil: state.validUntil,
  };
  return bytesToHex(taggedHash(Domain.STATE_VALUE, utf8Bytes(JSON.stringify(sorted))));
}

/** A stored record's state. */
export function certificateState(record: CertificateRecord): CertificateState {
  return {
    id: record.id,
    department: record.department,
    certificateType: record.certificateType,
    holderCommitment: record.holderCommitment,
    documentDigest: record.documentDigest,
    validFrom: record.validFrom,
    validUntil: record.validUntil,
    revoked: record.revoked,
    suspended: record.suspended === true,
    supersededBy: record.supersededBy ?? null,
    events: record.history.map((e) => e.txHash),
  };
}

/** The tree updates of a block: each changed record's key and value digest. */
export function stateUpdates(records: Iterable<CertificateRecord>): Map<string, string> {
  const updates = new Map<string, string>();
  for (const r of records) updates.set(stateKey(r.id), stateValue(certificateState(r)));
  return updates;
}
