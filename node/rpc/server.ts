/**
 * The node's HTTP RPC (design.md §6): fastify with JSON schemas on params and bodies, body-size
 * limits, and every error answered as `{"error": {"code", "message"}}` (mapped in http-errors.ts).
 * It calls only the RpcBackend contract, so tests run it against an in-memory backend.
 */
import type { Server as HttpServer } from "node:http";
import type { Server as TlsServer } from "node:tls";
import { getHeapStatistics } from "node:v8";
import underPressure from "@fastify/under-pressure";
import Fastify, { type FastifyBaseLogger, type FastifyHttpOptions, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { BlockView } from "../api/views.js";
import { LedgerError } from "../errors.js";
import { type Clock, systemClock } from "../clock.js";
import { RpcLogController } from "./access-log.js";
import type { RpcBackend } from "./backend.js";
import { ClientGuard, type ClientGuardOptions, defaultClientGuardOptions } from "./client-guard.js";
import { onClientError } from "./client-errors.js";
import { type ConnectionStats, effectiveMaxConnections, guardConnections } from "./connection-guard.js";
import { httpError, notFound, sendHttpError, toHttpError } from "./http-errors.js";
import { JsonCache } from "./json-cache.js";
import type { AdminAuth } from "./admin-auth.js";
import { NODE_VERSION } from "./node-backend.js";
import { registerOpenApi, registerOpenApiRoute } from "./openapi.js";
import { checkPublicUrl, listenUrl } from "./public-url.js";
import { type RateLimitOptions, defaultRateLimitOptions, limitRates, registerCors, registerRateLimitPlugin } from "./public-access.js";
import { type ReadinessOptions, defaultReadinessOptions, registerHealthRoutes } from "./readiness.js";
import { blockSchema, certificateSchema, genesisSchema, metricsSchema, statusSchema, txSchema, verifyDocumentSchema } from "./route-schemas.js";
import { registerAdminRoutes, registerReloadRoute } from "./routes/admin.js";
import { registerAuditRoutes } from "./routes/audit.js";
import { registerEvidenceRoutes } from "./routes/evidence.js";
import { registerGovernanceRoutes } from "./routes/governance.js";
import { registerProofRoutes } from "./routes/proof.js";
import { registerTxRoutes } from "./routes/txs.js";
import { formatSchemaErrors } from "./schemas.js";
import { type TlsMaterial, type TlsOptions, defaultTlsOptions, readTlsFiles, readTlsFilesSync, tlsEnabled } from "./tls.js";
import { WorkLimit } from "./work-limit.js";

export type { BatchItemResult } from "./routes/txs.js";

export interface RpcServerOptions {
  /** Where the node listens (it passes them to `listen`). */
  host: string;
  port: number;
  /**
   * The URL the public reaches this RPC at (e.g. https://certs.example.gov.cn, behind a reverse proxy):
   * the base of every verification link and QR code, reported by GET /status. "": the listen address.
   */
  publicUrl: string;
  /** Serve HTTPS with this certificate and key (both "" = plain HTTP); reloaded by `reloadTls()`. */
  tls: TlsOptions;
  /** Origins whose pages may read the public GET routes (CORS): ["*"] any, [] none, else exact origins. */
  corsOrigins: string[];
  /** Per-client rate limits of writes and expensive reads (429 RATE_LIMITED + Retry-After). */
  rateLimit: RateLimitOptions;
  /** What GET /readyz tolerates (blocks behind a peer, round timers without a commit). */
  readiness: ReadinessOptions;
  /** Largest body of POST /txs (a batch of transactions). */
  txBodyLimit: number;
  /** Largest body of POST /verify (one certificate document). */
  verifyBodyLimit: number;
  /** Time a client has to send a whole request (bounds slow uploads; fastify's default is none). */
  requestTimeoutMs: number;
  /** Time a client has to send a request's headers. */
  headersTimeoutMs: number;
  /** How often node checks the two timeouts above (their granularity). */
  timeoutCheckIntervalMs: number;
  /** An idle keep-alive socket is closed after this long. */
  keepAliveTimeoutMs: number;
  /** A socket with no traffic either way (e.g. a client that stopped reading) is closed after this long. */
  idleSocketTimeoutMs: number;
  /** Requests served on one socket before the server closes it. */
  maxRequestsPerSocket: number;
  /** Largest request head (request line and headers), bytes. */
  maxHeaderBytes: number;
  /** Sockets open at once, all clients (never more than half the process's file descriptors). */
  maxConnections: number;
  /** Sockets open at once from one client address (an IPv6 client by its /64). */
  maxConnectionsPerClient: number;
  /** Requests one socket may have waiting for answers (pipelined); one more closes the socket. */
  maxPipelined: number;
  /** Unsent answer bytes a socket may hold before its next request is handled. */
  maxUnsentBytes: number;
  /** Expensive reads (blocks, transactions, proofs, feeds, history, evidence) run at once / may wait. */
  maxConcurrentReads: number;
  maxQueuedReads: number;
  /** Bytes of committed blocks' JSON kept for reuse (an LRU keyed by height). */
  blockCacheBytes: number;
  /** POST /txs requests checked at once / that may wait. */
  maxConcurrentSubmissions: number;
  maxQueuedSubmissions: number;
  /** Expensive reads and submissions that waited longer than this for their turn are answered 503 RPC_BUSY (0: no bound). */
  maxQueueWaitMs: number;
  /** Transactions of a batch checked per step. */
  txCheckChunk: number;
  /** Bad signatures after which the rest of a request's batch is not checked. */
  maxBadSignaturesPerRequest: number;
  /** Throttling and refusing addresses that send bad signatures. */
  clientGuard: ClientGuardOptions;
  /** Shed load (503 RPC_OVERLOADED) while the event loop lags more than this (0: never). */
  shedEventLoopDelayMs: number;
  /** Shed load while the V8 heap in use passes this share of its limit (0: never). */
  shedHeapUsedFraction: number;
  /** Retry-After of 503 answers, seconds. */
  retryAfterSeconds: number;
  /** Serve the fault-injection admin routes (routes/admin.ts); only `certchain start --enable-admin`. */
  enableAdmin: boolean;
}

/** What the server answers from, its clock, and where it reports server-side failures. */
export interface RpcServerModules {
  backend: RpcBackend;
  /** Wall clock for client bans (tests pass a fake one); the system clock by default. */
  clock?: Pick<Clock, "now">;
  /** Called for server-side failures (5xx other than 503); the node passes its logger. The server never prints. */
  log?: (msg: string, ctx: Record<string, unknown>) => void;
  /** The admin token POST /admin/reload asks for; without it the route is not served. */
  adminAuth?: AdminAuth;
  /** The pino logger fastify logs through (the node's, module "rpc"); none: fastify logs nothing. */
  logger?: FastifyBaseLogger;
  /** One access line per request on `logger` (the `log.accessLog` option). */
  accessLog?: boolean;
}

export const defaultRpcServerOptions: RpcServerOptions = {
  host: "127.0.0.1",
  port: 26700,
  publicUrl: "",
  tls: defaultTlsOptions,
  corsOrigins: ["*"],
  rateLimit: defaultRateLimitOptions,
  readiness: defaultReadinessOptions,
  txBodyLimit: 1024 * 1024,
  verifyBodyLimit: 256 * 1024,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  timeoutCheckIntervalMs: 5_000,
  keepAliveTimeoutMs: 5_000,
  idleSocketTimeoutMs: 30_000,
  maxRequestsPerSocket: 10_000,
  maxHeaderBytes: 16 * 1024,
  maxConnections: 1024,
  maxConnectionsPerClient: 64,
  maxPipelined: 16,
  maxUnsentBytes: 256 * 1024,
  maxConcurrentReads: 8,
  maxQueuedReads: 256,
  blockCacheBytes: 64 * 1024 * 1024,
  maxConcurrentSubmissions: 4,
  maxQueuedSubmissions: 16,
  maxQueueWaitMs: 2_000,
  txCheckChunk: 100,
  maxBadSignaturesPerRequest: 16,
  clientGuard: defaultClientGuardOptions,
  shedEventLoopDelayMs: 2_000,
  shedHeapUsedFraction: 0.85,
  retryAfterSeconds: 5,
  enableAdmin: false,
};

/** Routes answered even under load shedding: an operator must see why the node sheds and reload it; probes must not flap. */
const NEVER_SHED = new Set(["/status", "/metrics", "/healthz", "/readyz", "/admin/reload"]);

/** The live counters of a server built by createRpcServer (for tests and the attack script). */
export const rpcConnectionStats = new WeakMap<FastifyInstance, ConnectionStats>();

/** The RPC server: a fastify instance that can re-read its TLS certificate and key. */
export type RpcServer = FastifyInstance & {
  /**
   * Re-read the TLS files and serve new connections with them (no restart); false when TLS is off.
   * Throws CONFIG, naming the file, when they cannot be read or do not form a pair (the old ones stay).
   */
  reloadTls(): Promise<boolean>;
};

/** Build (not start) the RPC server; the caller `listen`s and `close`s it. Throws CONFIG for a bad TLS file or public URL. */
export function createRpcServer(options: Partial<RpcServerOptions>, modules: RpcServerModules): RpcServer {
  const { backend, log } = modules;
  const clock = modules.clock ?? systemClock;
  const opts: RpcServerOptions = { ...defaultRpcServerOptions, ...options };
  const publicBase = checkPublicUrl(opts.publicUrl);
  const tls = tlsEnabled(opts.tls) ? readTlsFilesSync(opts.tls) : null;
  const app = Fastify({
    ...(modules.logger === undefined ? { logger: false } : { loggerInstance: modules.logger }),
    logController: new RpcLogController(modules.accessLog === true),
    bodyLimit: opts.verifyBodyLimit,
    requestTimeout: opts.requestTimeoutMs,
    keepAliveTimeout: opts.keepAliveTimeoutMs,
    connectionTimeout: opts.idleSocketTimeoutMs,
    maxRequestsPerSocket: opts.maxRequestsPerSocket,
    ...transportOptions(opts, tls),
    clientErrorHandler: onClientError,
    // Schemas check, never repair: no type coercion, no defaults, no silently dropped members.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
    schemaErrorFormatter: formatSchemaErrors,
    frameworkErrors: (err, _req, reply) => sendError(reply, err),
    // Typed as HTTP: with TLS the server is an https.Server, which serves the same requests and replies.
  } as FastifyHttpOptions<HttpServer>);
  // JSON only: a text/plain body is an unsupported media type (415), not a string to validate.
  app.removeContentTypeParser("text/plain");

  const sendError = (reply: FastifyReply, err: unknown, req?: FastifyRequest): FastifyReply => {
    const answer = toHttpError(err, { bodyLimit: req?.routeOptions.bodyLimit });
    if (answer.internal) log?.("rpc request failed", { method: req?.method, url: req?.url, err });
    const retryAfter = err instanceof LedgerError ? err.details?.retryAfterSeconds : undefined;
    if (typeof retryAfter === "number") reply.header("retry-after", String(retryAfter));
    return sendHttpError(reply, answer);
  };
  app.setErrorHandler((err, req, reply) => sendError(reply, err, req));
  app.setNotFoundHandler((req, reply) => sendHttpError(reply, httpError("NOT_FOUND", `no route ${req.method} ${(req.url.split("?")[0] ?? "").slice(0, 200)}`)));

  // Sockets: caps in total and per client, pipelined requests answered one at a time (connection-guard.ts).
  // (With TLS, app.server is an https.Server: the same 'connection' events and limits.)
  const connections = guardConnections(app.server as HttpServer, {
    maxConnections: effectiveMaxConnections(opts.maxConnections),
    maxConnectionsPerClient: opts.maxConnectionsPerClient,
    maxPipelined: opts.maxPipelined,
    maxUnsentBytes: opts.maxUnsentBytes,
  });
  rpcConnectionStats.set(app, connections.stats);
  app.addHook("onRequest", connections.onRequest);

  // Load shedding: 503 RPC_OVERLOADED with Retry-After while the event loop lags or the heap is nearly full.
  app.register(underPressure, {
    maxEventLoopDelay: opts.shedEventLoopDelayMs,
    maxHeapUsedBytes: Math.floor(getHeapStatistics().heap_size_limit * opts.shedHeapUsedFraction),
    // Resolving lets the request through; a rejection goes to the error handler (503 + Retry-After).
    pressureHandler: async (req, _reply, type, value) => {
      if (NEVER_SHED.has(req.routeOptions.url ?? "")) return;
      // An infinite delay is under-pressure's "no sample yet" (the histogram is empty when the loop was busy
      // from start-up until the first sampling): nothing measured, nothing shed. Real lag is finite.
      if (value === Number.POSITIVE_INFINITY) return;
      throw new LedgerError("RPC_OVERLOADED", `the node is overloaded (${type}); try again later`, { retryAfterSeconds: opts.retryAfterSeconds });
    },
  });

  const reads = new WorkLimit(
    "reads",
    { concurrency: opts.maxConcurrentReads, maxQueued: opts.maxQueuedReads, retryAfterSeconds: 1, maxQueueWaitMs: opts.maxQueueWaitMs },
    clock,
  );
  const submissions = new WorkLimit(
    "transaction submissions",
    { concurrency: opts.maxConcurrentSubmissions, maxQueued: opts.maxQueuedSubmissions, retryAfterSeconds: 1, maxQueueWaitMs: opts.maxQueueWaitMs },
    clock,
  );
  const blockJson = new JsonCache<number>(opts.blockCacheBytes);
  const guard = new ClientGuard(opts.clientGuard);

  // Before any route: the OpenAPI document sees every route; CORS on the public reads; rate-limit store.
  registerOpenApi(app, { version: NODE_VERSION });
  registerCors(app, opts);
  registerRateLimitPlugin(app, opts.rateLimit);
  const publicUrl = (): string => publicBase ?? listenUrl(app.server.address(), opts, tls !== null);

  // Routes inside a plugin registered after under-pressure, so its onRequest hook covers all of them.
  const adminAuth = modules.adminAuth;
  app.register(async (api) => {
    limitRates(api, opts.rateLimit);
    registerRoutes(api, backend, opts, { reads, submissions, blockJson, guard, clock, log, publicUrl, adminAuth });
  });
  app.decorate("reloadTls", async (): Promise<boolean> => {
    if (tls === null) return false;
    (app.server as unknown as TlsServer).setSecureContext(await readTlsFiles(opts.tls));
    return true;
  });
  return app as unknown as RpcServer;
}

/** How fastify builds the node server: HTTP, or HTTPS with the same timeouts and header limit. */
function transportOptions(opts: RpcServerOptions, tls: TlsMaterial | null): { http: object } | { https: object } {
  const http = { headersTimeout: opts.headersTimeoutMs, connectionsCheckingInterval: opts.timeoutCheckIntervalMs, maxHeaderSize: opts.maxHeaderBytes };
  return tls === null ? { http } : { https: { ...http, ...tls } };
}

interface RouteModules {
  reads: WorkLimit;
  submissions: WorkLimit;
  blockJson: JsonCache<number>;
  guard: ClientGuard;
  clock: Pick<Clock, "now">;
  log?: (msg: string, ctx: Record<string, unknown>) => void;
  adminAuth: AdminAuth | undefined;
  /** The base of verification links (rpc.publicUrl or the listen address). */
  publicUrl: () => string;
}

function registerRoutes(app: FastifyInstance, backend: RpcBackend, opts: RpcServerOptions, m: RouteModules): void {
  const { reads, blockJson } = m;

  app.get("/status", { schema: statusSchema }, async () => ({ ...(await backend.status()), publicUrl: m.publicUrl() }));
  registerHealthRoutes(app, backend, opts.readiness);
  registerOpenApiRoute(app, m.publicUrl);
  // Genesis never changes: serialize it once.
  const genesisJson = JSON.stringify(backend.genesis());
  app.get("/genesis", { schema: genesisSchema }, async (_req, reply) => reply.type("application/json; charset=utf-8").send(genesisJson));

  registerTxRoutes(app, { backend, guard: m.guard, submissions: m.submissions, clock: m.clock, log: m.log }, opts);

  app.get<{ Params: { hash: string } }>("/txs/:hash", { schema: txSchema }, async (req, reply) => {
    const view = await reads.run(() => backend.getTransaction(req.params.hash.toLowerCase()));
    return view ?? sendHttpError(reply, notFound(`transaction ${req.params.hash}`));
  });

  app.get<{ Params: { height: string } }>("/blocks/:height", { schema: blockSchema }, async (req, reply) => {
    const raw = req.params.height;
    const height = raw === "latest" ? "latest" : Number(raw);
    if (height !== "latest" && !Number.isSafeInteger(height)) {
      return sendHttpError(reply, httpError("BAD_REQUEST", "height must be a positive integer or latest"));
    }
    // A committed block never changes: its JSON is cached by height.
    const cached = height === "latest" ? undefined : blockJson.get(height);
    const json = cached ?? (await reads.run(async () => blockAnswer(await backend.getBlock(height), blockJson)));
    if (json === null) return sendHttpError(reply, notFound(`block ${raw}`));
    return reply.type("application/json; charset=utf-8").send(json);
  });

  app.get<{ Params: { id: string } }>("/certificates/:id", { schema: certificateSchema }, async (req, reply) => {
    const view = await backend.getCertificate(req.params.id);
    return view ?? sendHttpError(reply, notFound(`certificate ${req.params.id}`));
  });

  // A verification is an answer, valid or not: 200 either way; 400 DOC_MALFORMED for a non-document.
  app.post("/verify", { bodyLimit: opts.verifyBodyLimit, schema: verifyDocumentSchema }, async (req) => backend.verifyDocument(req.body));

  // GET /verify/:id (JSON, or the HTML page for browsers), GET /certificates/:id/proof, page assets.
  registerProofRoutes(app, backend, reads, { publicUrl: m.publicUrl });

  registerEvidenceRoutes(app, backend, reads);
  registerGovernanceRoutes(app, backend, reads);

  registerAuditRoutes(app, backend, reads, {}, m.publicUrl);
  registerAdminRoutes(app, backend, opts);
  registerReloadRoute(app, backend, m.adminAuth);

  const metrics = backend.metrics?.bind(backend);
  if (metrics !== undefined) {
    app.get("/metrics", { schema: metricsSchema }, async (_req, reply) => reply.type("text/plain; version=0.0.4").send(await metrics()));
  }
}

/** A block's answer as JSON, cached under its height; null for no such block. */
function blockAnswer(view: BlockView | null, cache: JsonCache<number>): string | null {
  return view === null ? null : cache.put(view.block.header.height, view);
}
