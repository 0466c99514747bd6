/**
 * The node's HTTP RPC (design.md §6): fastify with JSON schemas on params and bodies, body-size
 * limits, and every error answered as `{"error": {"code", "message"}}` (mapped in http-errors.ts).
 * It calls only the RpcBackend contract, so tests run it against an in-memory backend.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { SubmitResult } from "../api/views.js";
import type { RpcBackend } from "./backend.js";
import { type ErrorBody, httpError, notFound, sendHttpError, toHttpError } from "./http-errors.js";
import { registerEvidenceRoutes } from "./routes/evidence.js";
import { registerProofRoutes } from "./routes/proof.js";
import { registerAuditRoutes } from "./routes/audit.js";
import { registerAdminRoutes } from "./routes/admin.js";
import { blockHeightParams, certificateIdParams, formatSchemaErrors, submitBody, txHashParams } from "./schemas.js";

export interface RpcServerOptions {
  /** Where the node listens (it passes them to `listen`). */
  host: string;
  port: number;
  /** Largest body of POST /txs (a batch of transactions). */
  txBodyLimit: number;
  /** Largest body of POST /verify (one certificate document). */
  verifyBodyLimit: number;
  /** Time a client has to send a whole request (bounds slow uploads; fastify's default is none). */
  requestTimeoutMs: number;
  /** Serve the fault-injection admin routes (routes/admin.ts); only `certchain start --enable-admin`. */
  enableAdmin: boolean;
  /** Called for server-side failures (5xx other than 503); the node passes its logger. The server never prints. */
  log?: (msg: string, ctx: Record<string, unknown>) => void;
}

export const defaultRpcServerOptions: RpcServerOptions = {
  host: "127.0.0.1",
  port: 26700,
  txBodyLimit: 1024 * 1024,
  verifyBodyLimit: 256 * 1024,
  requestTimeoutMs: 30_000,
  enableAdmin: false,
};

/** One item of a batch submission's answer. */
export type BatchItemResult = SubmitResult | ErrorBody;

/** Build (not start) the RPC server; the caller `listen`s and `close`s it. */
export function createRpcServer(backend: RpcBackend, options: Partial<RpcServerOptions> = {}): FastifyInstance {
  const opts: RpcServerOptions = { ...defaultRpcServerOptions, ...options };
  const app = Fastify({
    logger: false,
    bodyLimit: opts.verifyBodyLimit,
    requestTimeout: opts.requestTimeoutMs,
    // Schemas check, never repair: no type coercion, no defaults, no silently dropped members.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
    schemaErrorFormatter: formatSchemaErrors,
    frameworkErrors: (err, _req, reply) => sendError(reply, err),
  });
  // JSON only: a text/plain body is an unsupported media type (415), not a string to validate.
  app.removeContentTypeParser("text/plain");

  const sendError = (reply: FastifyReply, err: unknown, req?: FastifyRequest): FastifyReply => {
    const answer = toHttpError(err, { bodyLimit: req?.routeOptions.bodyLimit });
    if (answer.internal) opts.log?.("rpc request failed", { method: req?.method, url: req?.url, err });
    return sendHttpError(reply, answer);
  };
  app.setErrorHandler((err, req, reply) => sendError(reply, err, req));
  app.setNotFoundHandler((req, reply) => sendHttpError(reply, httpError("NOT_FOUND", `no route ${req.method} ${(req.url.split("?")[0] ?? "").slice(0, 200)}`)));

  app.get("/status", async () => backend.status());
  app.get("/genesis", async () => backend.genesis());

  app.post("/txs", { bodyLimit: opts.txBodyLimit, schema: { body: submitBody } }, async (req, reply) => {
    const body = req.body as Record<string, unknown>;
    if (!Array.isArray(body.txs)) {
      const result = await backend.submitTransaction(body);
      return reply.code(202).send(result);
    }
    // Batch: in order (a revoke may follow its issue), each item admitted or refused on its own.
    const results: BatchItemResult[] = [];
    if (backend.submitTransactions !== undefined) {
      for (const r of await backend.submitTransactions(body.txs as unknown[])) {
        if (!(r instanceof Error)) {
          results.push(r);
          continue;
        }
        const answer = toHttpError(r);
        if (answer.internal) opts.log?.("batch item failed", { url: req.url, err: r });
        results.push(answer.body);
      }
      return { results };
    }
    for (const tx of body.txs as unknown[]) {
      try {
        results.push(await backend.submitTransaction(tx));
      } catch (err) {
        const answer = toHttpError(err);
        if (answer.internal) opts.log?.("batch item failed", { url: req.url, err });
        results.push(answer.body);
      }
    }
    return { results };
  });

  app.get<{ Params: { hash: string } }>("/txs/:hash", { schema: { params: txHashParams } }, async (req, reply) => {
    const view = await backend.getTransaction(req.params.hash.toLowerCase());
    return view ?? sendHttpError(reply, notFound(`transaction ${req.params.hash}`));
  });

  app.get<{ Params: { height: string } }>("/blocks/:height", { schema: { params: blockHeightParams } }, async (req, reply) => {
    const raw = req.params.height;
    const height = raw === "latest" ? "latest" : Number(raw);
    if (height !== "latest" && !Number.isSafeInteger(height)) {
      return sendHttpError(reply, httpError("BAD_REQUEST", "height must be a positive integer or latest"));
    }
    const view = await backend.getBlock(height);
    return view ?? sendHttpError(reply, notFound(`block ${raw}`));
  });

  app.get<{ Params: { id: string } }>("/certificates/:id", { schema: { params: certificateIdParams } }, async (req, reply) => {
    const view = await backend.getCertificate(req.params.id);
    return view ?? sendHttpError(reply, notFound(`certificate ${req.params.id}`));
  });

  // A verification is an answer, valid or not: 200 either way; 400 DOC_MALFORMED for a non-document.
  app.post("/verify", { bodyLimit: opts.verifyBodyLimit }, async (req) => backend.verifyDocument(req.body));

  // GET /verify/:id (JSON, or the HTML page for browsers), GET /certificates/:id/proof, page assets.
  registerProofRoutes(app, backend);

  registerEvidenceRoutes(app, backend);

  registerAuditRoutes(app, backend);
  registerAdminRoutes(app, backend, opts);

  const metrics = backend.metrics?.bind(backend);
  if (metrics !== undefined) {
    app.get("/metrics", async (_req, reply) => reply.type("text/plain; version=0.0.4").send(await metrics()));
  }
  return app;
}
