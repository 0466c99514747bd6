/**
 * What fastify logs about requests through the node's logger (module "rpc"): its own per-request lines
 * ("incoming request", "request completed", "Route … not found") are replaced by at most one access
 * line per answered request, only when the `log.accessLog` option is on. Its warnings about broken
 * streams and failing serializers stay; server-side failures are logged by our error handler.
 */
import { type FastifyReply, type FastifyRequest, LogController } from "fastify";

/** Longest URL an access line carries (a request head may hold 16 KiB of it). */
const MAX_URL_CHARS = 512;

export class RpcLogController extends LogController {
  constructor(private readonly accessLog: boolean) {
    super();
  }

  override incomingRequest(): void {}

  /** [ACCESS] method, url, status, ms, client ip — on the request's logger, so with its reqId. */
  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (!this.accessLog) return;
    const line: Record<string, unknown> = {
      method: request.method,
      url: request.url.length > MAX_URL_CHARS ? `${request.url.slice(0, MAX_URL_CHARS)}…` : request.url,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 100) / 100,
      ip: request.ip,
    };
    if (error) line.err = error;
    reply.log.info(line, "request");
  }

  /** A 404 is an answer in the error contract (and an access line when those are on). */
  override routeNotFound(): void {}

  /** Never reached: the server's own error handler answers every error (and logs the server-side ones). */
  override defaultErrorLog(): void {}
}
