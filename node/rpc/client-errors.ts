/**
 * Answers to HTTP that never became a request (node:http's `clientError`: a garbage request line, too
 * many or too large headers, a request not sent in time). fastify's default writes its own body shape;
 * this one keeps the RPC's contract, `{"error": {"code", "message"}}`, then closes the socket.
 */
import type { Socket } from "node:net";
import { ERRORS, type ErrorCode, errorBody } from "../errors.js";

/** node:http / llhttp error code → status, ledger code, message. */
const CLIENT_ERRORS: Record<string, { code: ErrorCode; message: string }> = {
  HPE_HEADER_OVERFLOW: { code: "HEADERS_TOO_LARGE", message: "request headers are too large or too many" },
  ERR_HTTP_REQUEST_TIMEOUT: { code: "REQUEST_TIMEOUT", message: "the request was not sent in time" },
  ERR_HTTP_HEADERS_TIMEOUT: { code: "REQUEST_TIMEOUT", message: "the request headers were not sent in time" },
};

const REASONS: Record<number, string> = { 400: "Bad Request", 408: "Request Timeout", 431: "Request Header Fields Too Large" };

/** The raw HTTP/1.1 answer written for a client error with node's `code` (exported for tests). */
export function clientErrorResponse(code: string | undefined): string {
  const known = code !== undefined && Object.hasOwn(CLIENT_ERRORS, code) ? CLIENT_ERRORS[code] : undefined;
  const { code: ledgerCode, message } = known ?? { code: "BAD_REQUEST", message: "malformed HTTP request" };
  const status = ERRORS[ledgerCode].status;
  const body = JSON.stringify(errorBody(ledgerCode, message));
  return `HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** fastify `clientErrorHandler`: answer with the contract when the socket can still take it, then close. */
export function onClientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  // A response already under way on this socket cannot be followed by another status line.
  if (socket.writable && !(socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
    socket.end(clientErrorResponse(err.code), () => socket.destroy());
    return;
  }
  socket.destroy();
}
