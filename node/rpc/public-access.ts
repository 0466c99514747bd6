/**
 * What the RPC lets the public internet do: CORS on the public read routes (a web page on another
 * origin may read certificates, proofs, status, blocks …, never write or reach the admin routes) and
 * per-client rate limits on writes and on expensive reads (@fastify/rate-limit's store and keying;
 * 429 RATE_LIMITED with Retry-After). These sit beside the issue-8 guards, which they do not replace:
 * connection-guard.ts caps sockets per client, work-limit.ts bounds expensive work for all clients
 * together (503 RPC_BUSY), client-guard.ts throttles clients that send bad signatures; a rate limit
 * stops one client from taking the whole of work-limit's share, one request at a time.
 */
import cors from "@fastify/cors";
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { LedgerError } from "../errors.js";
import { clientKey } from "./connection-guard.js";

export interface RateLimitOptions {
  /** Length of a rate window, ms. */
  windowMs: number;
  /** Writes (POST /txs) one client may send per window; 0: no limit. */
  writes: number;
  /** Expensive reads (proof bundles, verifications, feeds, history, evidence) one client may send per window; 0: no limit. */
  expensiveReads: number;
  /** Client addresses never limited (an IPv4 address, or an IPv6 /64 written `a:b:c:d::/64`). */
  exemptClients: string[];
  /** Clients tracked at once per class (the least recently seen forgotten first). */
  maxTrackedClients: number;
}

export const defaultRateLimitOptions: RateLimitOptions = {
  windowMs: 60_000,
  writes: 1200,
  expensiveReads: 600,
  exemptClients: [],
  maxTrackedClients: 10_000,
};

export type RateClass = "writes" | "expensiveReads";

/** The routes a client is counted on, by class ("METHOD route"; HEAD counts as GET). Every other route is free. */
export const RATE_CLASSES: Readonly<Record<string, RateClass>> = {
  "POST /txs": "writes",
  "POST /verify": "expensiveReads",
  "GET /verify/:id": "expensiveReads",
  "GET /certificates/:id/proof": "expensiveReads",
  "GET /certificates/:id/history": "expensiveReads",
  "GET /departments/:id/certificates": "expensiveReads",
  "GET /status-lists/:department": "expensiveReads",
  "GET /evidence": "expensiveReads",
  "GET /governance/proposals": "expensiveReads",
};

const RATE_WHAT: Record<RateClass, string> = { writes: "writes", expensiveReads: "expensive reads (proofs, verifications, feeds, history, evidence)" };

/** The rate class of a request's route, if it has one. */
export function rateClassOf(method: string, route: string | undefined): RateClass | undefined {
  if (route === undefined) return undefined;
  return RATE_CLASSES[`${method === "HEAD" ? "GET" : method} ${route}`];
}

/** The client a request is counted against: its socket's address (never a header a client can set). */
export function requestClient(req: FastifyRequest): string {
  return clientKey(req.socket.remoteAddress);
}

/** Register @fastify/rate-limit on the root (no route limited by it directly: see limitRates). */
export function registerRateLimitPlugin(app: FastifyInstance, options: RateLimitOptions): void {
  // (The config check cannot type the items of an array whose default is empty.)
  if (!options.exemptClients.every((c) => typeof c === "string"))
    throw new LedgerError("CONFIG", "rpc.rateLimit.exemptClients must be an array of strings (client addresses)");
  app.register(rateLimit, {
    global: false,
    keyGenerator: requestClient,
    allowList: options.exemptClients,
    cache: options.maxTrackedClients,
  });
}

/**
 * Count every request of a rate-classed route against its client, one budget per class shared by all
 * of the class's routes; past it, 429 RATE_LIMITED with Retry-After (the seconds until the client's
 * window ends), before the body is read. Call inside the plugin that registers the routes, after
 * registerRateLimitPlugin.
 */
export function limitRates(app: FastifyInstance, options: RateLimitOptions): void {
  const windowSeconds = Math.round(options.windowMs / 1000);
  const limiters = new Map<RateClass, ReturnType<FastifyInstance["createRateLimit"]>>();
  for (const rateClass of ["writes", "expensiveReads"] as const) {
    const max = options[rateClass];
    if (max > 0) limiters.set(rateClass, app.createRateLimit({ max, timeWindow: options.windowMs }));
  }
  app.addHook("onRequest", async (req) => {
    const rateClass = rateClassOf(req.method, req.routeOptions.url);
    const limiter = rateClass === undefined ? undefined : limiters.get(rateClass);
    if (rateClass === undefined || limiter === undefined) return;
    const state = await limiter(req);
    // [REFUSE] this client used its budget of the class for the window
    if (!state.isAllowed && state.isExceeded) {
      throw new LedgerError("RATE_LIMITED", `more than ${state.max} ${RATE_WHAT[rateClass]} per ${windowSeconds} s from this address; retry later`, {
        retryAfterSeconds: Math.max(1, state.ttlInSeconds),
      });
    }
  });
}

export interface CorsOptions {
  /** Origins that may read the public routes from a browser: ["*"] any, [] none, else exact origins ("https://verify.example.gov.cn"). */
  corsOrigins: string[];
}

/** The public read routes: GET and HEAD of everything but the admin routes and the metrics. */
export function isPublicRead(method: string, path: string): boolean {
  if (method !== "GET" && method !== "HEAD") return false;
  return !(path === "/metrics" || path === "/admin" || path.startsWith("/admin/"));
}

/** CORS headers on the public read routes only (a preflight is judged by the method it asks for). */
export function registerCors(app: FastifyInstance, options: CorsOptions): void {
  const origins = options.corsOrigins;
  const origin: string | string[] | false = origins.length === 0 ? false : origins.includes("*") ? "*" : origins;
  app.register(cors, {
    hideOptionsRoute: true,
    // A preflight without Origin is not a browser's: answered (204) without CORS headers, not as a 400 text body.
    strictPreflight: false,
    delegator: (req, callback) => {
      const path = (req.url.split("?")[0] ?? "").replace(/\/+$/, "") || "/";
      const preflightFor = req.method === "OPTIONS" ? req.headers["access-control-request-method"] : undefined;
      const method = typeof preflightFor === "string" ? preflightFor.toUpperCase() : req.method;
      const allowed = origin !== false && isPublicRead(method, path);
      callback(null, allowed ? { origin, methods: ["GET", "HEAD"], exposedHeaders: ["retry-after"] } : { origin: false });
    },
  });
}
