/**
 * One error base class with typed codes, and the one table (ERRORS) that gives each code its HTTP
 * status, its gossip verdict and its CLI exit code (style.md §5). The RPC (rpc/http-errors.ts), gossip
 * validation (gossipVerdictFor) and the CLI (cli/errors.ts exitCodeFor) all read it; ARCHITECTURE.md
 * "Operator-facing contracts" lists it.
 */

/** Exit codes of the CLI: 0 success/valid, 1 generic failure, 2 usage, 3 certificate not valid, 4 unreachable. */
export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2, INVALID: 3, UNREACHABLE: 4 } as const;

/** How gossip validation treats a message that failed with an error (libp2p's verdicts). */
export type GossipVerdict = "accept" | "ignore" | "reject";

/** What one error code means at each edge. */
export interface ErrorSpec {
  /** HTTP status the RPC answers with (400–599). */
  readonly status: number;
  /**
   * Gossip verdict of a message refused with this code; never "accept". `reject` (the relaying peer is
   * scored down and, if it persists, boxed — network/penalties.ts) for content no honest node ever
   * sends, whatever its view of the chain; `ignore` for everything that depends on state or timing
   * (already committed, unknown yet, refused by review rules against this node's view, mempool full):
   * an honest peer may relay it a moment before or after this node's view changes.
   */
  readonly verdict: "ignore" | "reject";
  /** CLI exit code when a command ends with this code. */
  readonly exit: (typeof EXIT)[keyof typeof EXIT];
  /** One line: what the code means. */
  readonly meaning: string;
}

const { FAILURE, USAGE, INVALID, UNREACHABLE } = EXIT;

/** Every error code the ledger can raise. */
export const ERRORS = {
  // request shape (RPC edge)
  BAD_REQUEST: { status: 400, verdict: "ignore", exit: FAILURE, meaning: "the request does not match the route's parameters or schema" },
  BAD_JSON: { status: 400, verdict: "reject", exit: FAILURE, meaning: "a body is not valid JSON" },
  BODY_TOO_LARGE: { status: 413, verdict: "reject", exit: FAILURE, meaning: "a body is larger than the route's limit" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, verdict: "ignore", exit: FAILURE, meaning: "a body is not sent as application/json" },
  UNAUTHORIZED: { status: 401, verdict: "ignore", exit: FAILURE, meaning: "an admin request without the node's admin token as its bearer token" },
  NOT_FOUND: { status: 404, verdict: "ignore", exit: FAILURE, meaning: "no such route, transaction, block, certificate, department or asset" },
  REQUEST_TIMEOUT: { status: 408, verdict: "ignore", exit: FAILURE, meaning: "a request was not sent in time (headers or body)" },
  HEADERS_TOO_LARGE: { status: 431, verdict: "ignore", exit: FAILURE, meaning: "a request's headers are over the limit" },
  // RPC protection (node/rpc/): concurrency limits, load shedding, abusive clients
  RPC_BUSY: { status: 503, verdict: "ignore", exit: FAILURE, meaning: "too many expensive reads or submissions in flight; retry after Retry-After" },
  RPC_OVERLOADED: { status: 503, verdict: "ignore", exit: FAILURE, meaning: "the node sheds load (event-loop lag or heap); retry after Retry-After" },
  RPC_CLIENT_THROTTLED: { status: 429, verdict: "ignore", exit: FAILURE, meaning: "this client sent bad signatures: one submission at a time" },
  RPC_CLIENT_BANNED: { status: 429, verdict: "ignore", exit: FAILURE, meaning: "this client sent too many bad signatures: refused until Retry-After" },
  RATE_LIMITED: {
    status: 429,
    verdict: "ignore",
    exit: FAILURE,
    meaning: "this client sent more writes or expensive reads than its limit per window; retry after Retry-After",
  },
  // transactions
  TX_MALFORMED: { status: 400, verdict: "reject", exit: FAILURE, meaning: "a transaction does not have the transaction structure" },
  TX_TOO_LARGE: { status: 413, verdict: "reject", exit: FAILURE, meaning: "a transaction is larger than the maximum" },
  TX_WRONG_CHAIN: { status: 400, verdict: "reject", exit: FAILURE, meaning: "a transaction names another chain id" },
  TX_BAD_SIGNATURE: { status: 400, verdict: "reject", exit: FAILURE, meaning: "the issuer signature does not verify" },
  TX_UNKNOWN_ISSUER: { status: 403, verdict: "reject", exit: FAILURE, meaning: "the signing key is no issuer key of genesis" },
  TX_ISSUER_NOT_ALLOWED: { status: 403, verdict: "reject", exit: FAILURE, meaning: "the issuer's department may not issue this certificate type" },
  TX_UNKNOWN_TYPE: { status: 400, verdict: "reject", exit: FAILURE, meaning: "the certificate type is not in genesis" },
  TX_SCHEMA: { status: 400, verdict: "reject", exit: FAILURE, meaning: "the certificate fields do not match the type's schema" },
  TX_DUPLICATE: { status: 409, verdict: "ignore", exit: FAILURE, meaning: "the transaction was already committed" },
  TX_CERT_EXISTS: { status: 409, verdict: "ignore", exit: FAILURE, meaning: "a certificate with this id already exists" },
  TX_CERT_UNKNOWN: { status: 404, verdict: "ignore", exit: FAILURE, meaning: "the transaction names a certificate the chain does not hold" },
  TX_NOT_ISSUER: { status: 403, verdict: "ignore", exit: FAILURE, meaning: "only the issuing department may revoke or renew the certificate" },
  TX_ALREADY_REVOKED: { status: 409, verdict: "ignore", exit: FAILURE, meaning: "the certificate is already revoked" },
  TX_BAD_VALIDITY: { status: 400, verdict: "reject", exit: FAILURE, meaning: "the validity window is empty or longer than the type allows" },
  TX_BAD_TIME: {
    status: 400,
    verdict: "reject",
    exit: FAILURE,
    meaning: "a time in a transaction is outside the chain's time range (genesis minTime..maxTime)",
  },
  TX_NOT_FRESH: {
    status: 400,
    verdict: "ignore",
    exit: FAILURE,
    meaning: "a new transaction's createdAt is too far from this node's clock (checked at admission only)",
  },
  TX_CERT_NOT_VALID: { status: 409, verdict: "ignore", exit: FAILURE, meaning: "a renewal names a certificate revoked, expired or superseded at block time" },
  TX_SUPERSEDE_MISMATCH: { status: 409, verdict: "ignore", exit: FAILURE, meaning: "a renewal changes the certificate's type or holder" },
  // governance (chain/governance.ts)
  TX_ISSUER_KEY_NOT_VALID: {
    status: 403,
    verdict: "ignore",
    exit: FAILURE,
    meaning: "the issuer key is not in force at the transaction's height (added later, or revoked by governance)",
  },
  TX_GOV_NOT_VALIDATOR: {
    status: 403,
    verdict: "ignore",
    exit: FAILURE,
    meaning: "a governance transaction is not signed by a validator in force (and, for a vote, of the proposal's electorate)",
  },
  TX_GOV_NO_VALIDATOR: { status: 403, verdict: "ignore", exit: FAILURE, meaning: "a proposal names a department that has no validator" },
  TX_GOV_PROPOSAL_UNKNOWN: { status: 404, verdict: "ignore", exit: FAILURE, meaning: "a vote names a proposal the chain does not hold" },
  TX_GOV_PROPOSAL_EXPIRED: { status: 409, verdict: "ignore", exit: FAILURE, meaning: "a vote on a proposal past its expiry height" },
  TX_GOV_PROPOSAL_CLOSED: { status: 409, verdict: "ignore", exit: FAILURE, meaning: "a vote on a proposal already decided (passed, rejected or failed)" },
  TX_GOV_DUPLICATE_VOTE: { status: 409, verdict: "ignore", exit: FAILURE, meaning: "this validator already voted on the proposal" },
  TX_GOV_TOO_FEW_VALIDATORS: { status: 409, verdict: "ignore", exit: FAILURE, meaning: "a removal would leave fewer than 4 validators" },
  TX_GOV_BAD_CARD: { status: 400, verdict: "reject", exit: FAILURE, meaning: "a proposed validator's node card is malformed or its signature does not verify" },
  TX_GOV_BAD_ACTION: {
    status: 409,
    verdict: "ignore",
    exit: FAILURE,
    meaning: "a proposed action does not fit the chain's rules in force (unknown department, key in use, invalid rules)",
  },
  MEMPOOL_FULL: { status: 503, verdict: "ignore", exit: FAILURE, meaning: "the mempool is full; retry later" },
  // automatic review (chain/rules.ts): a genesis rule refused the certificate
  REVIEW_NO_IDENTITY_PROOF: { status: 422, verdict: "ignore", exit: FAILURE, meaning: "a review rule refused: the holder has no valid identity proof" },
  REVIEW_PREREQUISITE_MISSING: { status: 422, verdict: "ignore", exit: FAILURE, meaning: "a review rule refused: a required certificate is not valid" },
  REVIEW_DUPLICATE_QUALIFICATION: { status: 422, verdict: "ignore", exit: FAILURE, meaning: "a review rule refused: the holder holds this qualification" },
  REVIEW_DUPLICATE_CERTIFICATE: { status: 422, verdict: "ignore", exit: FAILURE, meaning: "a review rule refused: the holder holds a valid one of this type" },
  // blocks and consensus
  BLOCK_INVALID: { status: 400, verdict: "reject", exit: FAILURE, meaning: "a block fails a check against genesis and its parent" },
  COMMIT_CERT_INVALID: { status: 400, verdict: "reject", exit: FAILURE, meaning: "a commit certificate lacks a valid quorum of seals" },
  MESSAGE_INVALID: { status: 400, verdict: "reject", exit: FAILURE, meaning: "a consensus message is malformed or badly signed" },
  EVIDENCE_INVALID: { status: 400, verdict: "reject", exit: FAILURE, meaning: "equivocation evidence does not prove two conflicting votes" },
  // documents and proofs
  DOC_MALFORMED: { status: 400, verdict: "ignore", exit: INVALID, meaning: "not a certificate document of this chain" },
  /** A proof bundle fails an offline check (proof/verify.ts); the message names the check. */
  PROOF_INVALID: { status: 400, verdict: "ignore", exit: INVALID, meaning: "a proof bundle fails an offline check" },
  // node, tools and the CLI
  NOT_READY: { status: 503, verdict: "ignore", exit: FAILURE, meaning: "the node, or the part asked, is not running (yet or any more); retry later" },
  TIMEOUT: { status: 504, verdict: "ignore", exit: FAILURE, meaning: "something awaited did not happen in time (a commit, a peer request, a drain)" },
  BAD_ARGUMENT: { status: 400, verdict: "ignore", exit: USAGE, meaning: "an option or argument is out of range" },
  UNREACHABLE: { status: 502, verdict: "ignore", exit: UNREACHABLE, meaning: "a node did not answer (refused, DNS, timeout)" },
  BAD_ANSWER: { status: 502, verdict: "ignore", exit: FAILURE, meaning: "a node answered outside the contract (unexpected status or body)" },
  CONFIG: { status: 500, verdict: "ignore", exit: FAILURE, meaning: "a config, key, genesis or testnet file is missing or invalid" },
  STORE_CORRUPT: { status: 500, verdict: "ignore", exit: FAILURE, meaning: "the data directory or signing state is unreadable" },
  INTERNAL: { status: 500, verdict: "ignore", exit: FAILURE, meaning: "an unexpected fault; its message is not shown over RPC" },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** Every code, in table order. */
export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

/** Whether a string (e.g. a code a node answered with) is a code of the table. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.hasOwn(ERRORS, code);
}

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
    return ERRORS[this.code].status;
  }
}

/**
 * The gossip verdict for anything a validator threw: the table's verdict for a LedgerError; REJECT
 * for anything else (a message that crashes a check is not one an honest node sends).
 */
export function gossipVerdictFor(err: unknown): GossipVerdict {
  if (!(err instanceof LedgerError)) return "reject";
  return ERRORS[err.code].verdict;
}

/** The JSON body of every error answer: `{"error": {"code", "message"}}`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

/** The one constructor of an error body (RPC answers, batch items). */
export function errorBody(code: ErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}

/** A short, never-throwing description of an untrusted value, for error messages. */
export function describeValue(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v.slice(0, 80)) : typeof v;
}

/**
 * An untrusted value as JSON for an error message, at most about 80 characters, never throwing: a value
 * nested too deep for JSON.stringify (a RangeError, found by fuzzing) or a huge one must not turn a
 * refusal into a crash or a megabyte message.
 */
export function shownValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v);
  try {
    const s = JSON.stringify(v) ?? String(v);
    return s.length > 80 ? `${s.slice(0, 80)}…` : s;
  } catch {
    return Array.isArray(v) ? "an array nested too deep to show" : `${typeof v} that cannot be shown`;
  }
}
