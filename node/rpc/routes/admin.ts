/**
 * Admin routes. Fault injection (the chaos runner): cut a node off from its peers and reconnect it;
 * registered only when the node is started with --enable-admin, a production node never serves them,
 * and they carry no authentication: enable them only on a node whose RPC listens on loopback.
 * Operations: POST /admin/reload, served only while the node has an admin token (admin-auth.ts), to a
 * client that presents it; --enable-admin has nothing to do with it.
 */
import type { FastifyInstance } from "fastify";
import { LedgerError } from "../../errors.js";
import type { AdminAuth } from "../admin-auth.js";
import type { RpcBackend } from "../backend.js";
import { httpError, sendHttpError } from "../http-errors.js";
import { adminIsolateSchema, adminStateSchema } from "../route-schemas.js";

export interface AdminRouteOptions {
  /** Serve the admin routes (off unless the operator asks). */
  enableAdmin: boolean;
}

/** POST /admin/network body. */
const networkBody = {
  type: "object",
  required: ["isolated"],
  properties: { isolated: { type: "boolean" } },
  additionalProperties: false,
} as const;

/** GET and POST /admin/network, when enabled and the backend can isolate. */
export function registerAdminRoutes(app: FastifyInstance, backend: RpcBackend, opts: AdminRouteOptions): void {
  if (!opts.enableAdmin) return;
  const isolate = backend.setNetworkIsolated?.bind(backend);
  const state = backend.networkAdminState?.bind(backend);
  if (isolate === undefined || state === undefined) throw new LedgerError("CONFIG", "admin routes enabled but the backend cannot isolate the node");
  app.get("/admin/network", { schema: adminStateSchema }, async () => state());
  app.post("/admin/network", { schema: { ...adminIsolateSchema, body: networkBody } }, async (req) => isolate((req.body as { isolated: boolean }).isolated));
}

/**
 * POST /admin/reload: re-read the config and apply what can change live (CertchainNode.reload). While
 * the node has no admin token it answers as if there were no such route; a request without the token
 * as its bearer token gets 401 UNAUTHORIZED.
 */
export function registerReloadRoute(app: FastifyInstance, backend: RpcBackend, auth: AdminAuth | undefined): void {
  const reload = backend.reload?.bind(backend);
  if (reload === undefined || auth === undefined) return;
  app.post("/admin/reload", async (req, reply) => {
    if (!auth.enabled) return sendHttpError(reply, httpError("NOT_FOUND", "no route POST /admin/reload"));
    if (!auth.check(req.headers.authorization)) {
      reply.header("www-authenticate", 'Bearer realm="certchain admin"');
      return sendHttpError(reply, httpError("UNAUTHORIZED", "POST /admin/reload needs the node's admin token (<home>/admin.token) as a bearer token"));
    }
    return reload();
  });
}
