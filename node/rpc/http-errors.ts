/**
 * The one place where anything thrown while answering a request becomes an HTTP status and an
 * `{"error": {"code", "message"}}` body. LedgerErrors keep their code and the table's status
 * (errors.ts ERRORS); fastify's own errors (body parsing, limits, schemas) get codes of the table;
 * anything else is INTERNAL and its message is not shown (it may hold paths or internals).
 */
import type { FastifyReply } from "fastify";
import { ERRORS, type ErrorBody, type ErrorCode, LedgerError, errorBody } from "../errors.js";

export type { ErrorBody } from "../errors.js";

/** What an error becomes on the wire; `internal` marks server-side faults, worth logging. */
export interface HttpError {
  statusCode: number;
  body: ErrorBody;
  internal: boolean;
}

/** fastify error code → ledger code and the message shown (fastify's own when absent). */
const FASTIFY_ERRORS: Record<string, { code: ErrorCode; message?: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: "BAD_JSON", message: "request body is not valid JSON" },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: "BAD_JSON", message: "request body is empty; JSON was expected" },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: "BODY_TOO_LARGE" },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: "UNSUPPORTED_MEDIA_TYPE", message: "unsupported content type; send application/json" },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: "BAD_REQUEST", message: "content-length does not match the body" },
  FST_ERR_VALIDATION: { code: "BAD_REQUEST" },
  FST_ERR_BAD_URL: { code: "BAD_REQUEST", message: "malformed URL" },
  FST_ERR_NOT_FOUND: { code: "NOT_FOUND", message: "no such route" },
};

/** Longest piece of a fastify message passed on (they may quote the request). */
const MAX_ECHO = 200;

/** The answer for a code of the table: its status and the shared body. */
export function httpError(code: ErrorCode, message: string): HttpError {
  const statusCode = ERRORS[code].status;
  // A 5xx (e.g. STORE_CORRUPT) is worth logging; 503 (NOT_READY, MEMPOOL_FULL) is load, not a fault.
  return { statusCode, body: errorBody(code, message), internal: statusCode >= 500 && statusCode !== 503 };
}

/** Map anything thrown by a route, a hook or fastify itself to the answer the client gets. */
export function toHttpError(err: unknown, limits?: { bodyLimit?: number }): HttpError {
  if (err instanceof LedgerError) return httpError(err.code, err.message);
  const e = (typeof err === "object" && err !== null ? err : {}) as { code?: unknown; statusCode?: unknown; message?: unknown; validation?: unknown };
  const known = typeof e.code === "string" ? FASTIFY_ERRORS[e.code] : undefined;
  if (known !== undefined) {
    let message = known.message ?? (typeof e.message === "string" ? e.message : known.code);
    if (known.code === "BODY_TOO_LARGE")
      message = limits?.bodyLimit === undefined ? "request body is too large" : `request body is larger than ${limits.bodyLimit} bytes`;
    return httpError(known.code, message);
  }
  // A JSON parser failure that reached us as a bare SyntaxError (e.g. prototype poisoning).
  if (err instanceof SyntaxError) return httpError("BAD_JSON", "request body is not valid JSON");
  if (e.validation !== undefined) return httpError("BAD_REQUEST", typeof e.message === "string" ? e.message : "request does not match the schema");
  // Other 4xx errors raised by fastify or its parsers (e.g. 414): the one place a table code is
  // answered with another status — fastify's, which says more than 400; the message is bounded.
  if (typeof e.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 500) {
    const message = typeof e.message === "string" ? e.message.slice(0, MAX_ECHO) : "bad request";
    const code: ErrorCode = e.statusCode === 404 ? "NOT_FOUND" : "BAD_REQUEST";
    return { statusCode: e.statusCode, body: errorBody(code, message), internal: false };
  }
  return httpError("INTERNAL", "internal error");
}

/** A 404 NOT_FOUND for `unknown <what>` (a transaction, block, certificate, department, asset). */
export function notFound(what: string): HttpError {
  return httpError("NOT_FOUND", `unknown ${what}`);
}

/** Answer with an error: status, JSON type and the shared body (the one way routes send one). */
export function sendHttpError(reply: FastifyReply, answer: HttpError): FastifyReply {
  return reply.code(answer.statusCode).type("application/json").send(answer.body);
}
