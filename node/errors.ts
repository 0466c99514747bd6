/**
 * One error base class with typed codes, mapped in one place to HTTP status codes, gossip validation
 * results and CLI exit codes (style.md §5).
 */

/** Every error code the ledger can raise, with its HTTP status. */
export const ERROR_STATUS = {
  // request shape (RPC edge)
  BAD_REQUEST: 400,
  BAD_JSON: 400,
  BODY_TOO_LARGE: 413,
  NOT_FOUND: 404,
  // transactions
  TX_MALFORMED: 400,
  TX_TOO_LARGE: 413,
  TX_WRONG_CHAIN: 400,
  TX_BAD_SIGNATURE: 400,
  TX_UNKNOWN_ISSUER: 403,
  TX_ISSUER_NOT_ALLOWED: 403,
  TX_UNKNOWN_TYPE: 400,
  TX_SCHEMA: 400,
  TX_DUPLICATE: 409,
  TX_CERT_EXISTS: 409,
  TX_CERT_UNKNOWN: 404,
  TX_NOT_ISSUER: 403,
  TX_ALREADY_REVOKED: 409,
  TX_BAD_VALIDITY: 400,
  /** A time in the transaction lies outside the chain's range (genesis minTime..maxTime). */
  TX_BAD_TIME: 400,
  /** createdAt is too far from the admitting node's clock (mempool freshness window; never in blocks). */
  TX_NOT_FRESH: 400,
  /** A renewal names a certificate that is revoked, expired or superseded at block time. */
  TX_CERT_NOT_VALID: 409,
  /** A renewal changes the certificate's type or holder. */
  TX_SUPERSEDE_MISMATCH: 409,
  MEMPOOL_FULL: 503,
  // automatic review (chain/rules.ts): a genesis rule refused the certificate
  REVIEW_NO_IDENTITY_PROOF: 422,
  REVIEW_PREREQUISITE_MISSING: 422,
  REVIEW_DUPLICATE_QUALIFICATION: 422,
  REVIEW_DUPLICATE_CERTIFICATE: 422,
  // blocks and consensus
  BLOCK_INVALID: 400,
  COMMIT_CERT_INVALID: 400,
  MESSAGE_INVALID: 400,
  EVIDENCE_INVALID: 400,
  // documents and proofs
  DOC_MALFORMED: 400,
  /** A proof bundle fails an offline check (proof/verify.ts); the message names the check. */
  PROOF_INVALID: 400,
  // node
  NOT_READY: 503,
  TIMEOUT: 504,
  CONFIG: 500,
  STORE_CORRUPT: 500,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The ledger's error: a stable machine-readable code and a human message. */
export class LedgerError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = "LedgerError";
    this.code = code;
    if (details !== undefined) this.details = details;
  }

  /** HTTP status the RPC answers with for this error. */
  get httpStatus(): number {
    return ERROR_STATUS[this.code];
  }
}

/** How gossip validation treats a message that failed with this error. */
export type GossipVerdict = "accept" | "ignore" | "reject";

/**
 * Content no honest node ever sends, whatever its view of the chain: these REJECT (the relaying peer
 * is scored down and, if it persists, boxed — network/penalties.ts).
 */
const PROVABLY_INVALID: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "BAD_JSON",
  "BODY_TOO_LARGE",
  "TX_MALFORMED",
  "TX_TOO_LARGE",
  "TX_WRONG_CHAIN",
  "TX_BAD_SIGNATURE",
  "TX_UNKNOWN_ISSUER",
  "TX_ISSUER_NOT_ALLOWED",
  "TX_UNKNOWN_TYPE",
  "TX_SCHEMA",
  "TX_BAD_VALIDITY",
  "TX_BAD_TIME",
  "BLOCK_INVALID",
  "COMMIT_CERT_INVALID",
  "MESSAGE_INVALID",
  "EVIDENCE_INVALID",
]);

/**
 * REJECT (and penalise the peer) for provably bad content; IGNORE for everything that depends on
 * state or timing (already committed, unknown yet, refused by review rules against this node's view,
 * mempool full): an honest peer may relay it a moment before or after this node's view changes.
 */
export function gossipVerdictFor(err: unknown): GossipVerdict {
  if (!(err instanceof LedgerError)) return "reject";
  return PROVABLY_INVALID.has(err.code) ? "reject" : "ignore";
}

/** Exit codes of the CLI: 0 success/valid, 1 generic failure, 2 usage, 3 certificate not valid, 4 unreachable. */
export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2, INVALID: 3, UNREACHABLE: 4 } as const;

/** A short, never-throwing description of an untrusted value, for error messages. */
export function describeValue(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v.slice(0, 80)) : typeof v;
}
