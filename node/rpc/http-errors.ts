/**
 * The one place where anything thrown while answering a request becomes an HTTP status and an
 * `{"error": {"code", "message"}}` body. LedgerErrors keep their code and status; fastify's own
 * errors (body parsing, limits, schemas) get the ledger's edge codes; anything else is INTERNAL and
 * its message is not shown (it may hold paths or internals).
 */
import { type ErrorCode, LedgerError } from "../errors.js";

/** The JSON body of every error answer. */
export interface ErrorBody {
  error: { code: string; message: string };
}

/** What an error becomes on the wire; `internal` marks server-side faults, worth logging. */
export interface HttpError {
  statusCode: number;
  body: ErrorBody;
  internal: boolean;
}

/** fastify error code → status, ledger code and the message shown (fastify's own when absent). */
const FASTIFY_ERRORS: Record<string, { statusCode: number; code: ErrorCode; message?: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { statusCode: 400, code: "BAD_JSON", message: "request body is not valid JSON" },
  FST_ERR_CTP_EMPTY_JSON_BODY: { statusCode: 400, code: "BAD_JSON", message: "request body is empty; JSON was expected" },
  FST_ERR_CTP_BODY_TOO_LARGE: { statusCode: 413, code: "BODY_TOO_LARGE" },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { statusCode: 415, code: "BAD_REQUEST", message: "unsupported content type; send application/json" },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { statusCode: 400, code: "BAD_REQUEST", message: "content-length does not match the body" },
  FST_ERR_VALIDATION: { statusCode: 400, code: "BAD_REQUEST" },
  FST_ERR_BAD_URL: { statusCode: 400, code: "BAD_REQUEST", message: "malformed URL" },
  FST_ERR_NOT_FOUND: { statusCode: 404, code: "NOT_FOUND", message: "no such route" },
};

/** Longest piece of a fastify message passed on (they may quote the request). */
const MAX_ECHO = 200;

function errorOf(statusCode: number, code: string, message: string, internal = false): HttpError {
  return { statusCode, body: { error: { code, message } }, internal };
}

/** Map anything thrown by a route, a hook or fastify itself to the answer the client gets. */
export function toHttpError(err: unknown, limits?: { bodyLimit?: number }): HttpError {
  // A ledger 5xx (e.g. STORE_CORRUPT) is worth logging; 503 (NOT_READY, MEMPOOL_FULL) is load, not a fault.
  if (err instanceof LedgerError) return errorOf(err.httpStatus, err.code, err.message, err.httpStatus >= 500 && err.httpStatus !== 503);
  const e = (typeof err === "object" && err !== null ? err : {}) as { code?: unknown; statusCode?: unknown; message?: unknown; validation?: unknown };
  const known = typeof e.code === "string" ? FASTIFY_ERRORS[e.code] : undefined;
  if (known !== undefined) {
    let message = known.message ?? (typeof e.message === "string" ? e.message : known.code);
    if (known.code === "BODY_TOO_LARGE")
      message = limits?.bodyLimit === undefined ? "request body is too large" : `request body is larger than ${limits.bodyLimit} bytes`;
    return errorOf(known.statusCode, known.code, message);
  }
  // A JSON parser failure that reached us as a bare SyntaxError (e.g. prototype poisoning).
  if (err instanceof SyntaxError) return errorOf(400, "BAD_JSON", "request body is not valid JSON");
  if (e.validation !== undefined) return errorOf(400, "BAD_REQUEST", typeof e.message === "string" ? e.message : "request does not match the schema");
  // Other 4xx errors raised by fastify or its parsers (e.g. 414): keep the status, bound the echo.
  if (typeof e.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 500) {
    const message = typeof e.message === "string" ? e.message.slice(0, MAX_ECHO) : "bad request";
    return errorOf(e.statusCode, e.statusCode === 404 ? "NOT_FOUND" : "BAD_REQUEST", message);
  }
  return errorOf(500, "INTERNAL", "internal error", true);
}
