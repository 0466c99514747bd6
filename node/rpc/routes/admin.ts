/**
 * Admin routes for fault injection (the chaos runner): cut a node off from its peers and reconnect it.
 * Registered only when the node is started with --enable-admin; a production node never serves them.
 * They carry no authentication: enable them only on a node whose RPC listens on loopback.
 */
import type { FastifyInstance } from "fastify";
import { LedgerError } from "../../errors.js";
import type { RpcBackend } from "../backend.js";
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
