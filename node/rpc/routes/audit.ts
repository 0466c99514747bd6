/**
 * Audit and transparency routes (issue 4 item 6):
 *   GET /certificates/:id/history           every event of a certificate, with its block's hash
 *   GET /departments                         the departments, with their issuer keys' valid heights
 *   GET /departments/:id/certificates        a department's issuance feed, paged (?limit=&cursor=)
 *   GET /status-lists/:department            a department's Status List Token (status-list.ts)
 */
import type { FastifyInstance } from "fastify";
import { decodeCursor, encodeCursor } from "../../audit/feed.js";
import type { FeedPosition } from "../../api/views.js";
import { certificateHistory } from "../../audit/history.js";
import { LedgerError } from "../../errors.js";
import type { RpcBackend } from "../backend.js";
import { httpError, notFound, sendHttpError } from "../http-errors.js";
import { departmentsSchema, feedSchema, historySchema, statusListSchema } from "../route-schemas.js";
import { STATUS_LIST_MEDIA_TYPE } from "../status-list.js";
import type { WorkLimit } from "../work-limit.js";

export interface AuditRouteOptions {
  /** Page size of the feed when the client gives none. */
  defaultFeedLimit: number;
  /** Largest page a client may ask for. */
  maxFeedLimit: number;
}

export const defaultAuditRouteOptions: AuditRouteOptions = { defaultFeedLimit: 50, maxFeedLimit: 500 };

const DEPARTMENT_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** The feed's query: only limit and cursor, each at most once, well-formed. */
function feedQuery(query: unknown, opts: AuditRouteOptions): { limit: number; after?: FeedPosition } {
  const q = (query ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(q)) {
    if (key !== "limit" && key !== "cursor")
      throw new LedgerError("BAD_REQUEST", `unknown query parameter ${JSON.stringify(key.slice(0, 40))}; use limit and cursor`);
    if (typeof q[key] !== "string") throw new LedgerError("BAD_REQUEST", `${key} must be given once`);
  }
  let limit = opts.defaultFeedLimit;
  if (q.limit !== undefined) {
    const raw = q.limit as string;
    limit = /^[0-9]{1,6}$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(limit >= 1 && limit <= opts.maxFeedLimit)) throw new LedgerError("BAD_REQUEST", `limit must be an integer from 1 to ${opts.maxFeedLimit}`);
  }
  if (q.cursor === undefined || q.cursor === "") return { limit };
  return { limit, after: decodeCursor(q.cursor as string) };
}

/** Register the audit routes on the RPC server. */
export function registerAuditRoutes(
  app: FastifyInstance,
  backend: RpcBackend,
  reads: WorkLimit,
  options: Partial<AuditRouteOptions> = {},
  publicUrl: () => string = () => "",
): void {
  const opts: AuditRouteOptions = { ...defaultAuditRouteOptions, ...options };
  registerStatusListRoute(app, backend, reads, publicUrl);

  app.get<{ Params: { id: string } }>("/certificates/:id/history", { schema: historySchema }, async (req, reply) => {
    const certificate = await backend.getCertificate(req.params.id);
    if (certificate === null) return sendHttpError(reply, notFound(`certificate ${req.params.id}`));
    return reads.run(() => certificateHistory(certificate, (h) => backend.getBlock(h)));
  });

  app.get("/departments", { schema: departmentsSchema }, async () => ({
    departments:
      backend.departments?.().map((d) => ({ id: d.id, name: d.name, certificateTypes: d.certificateTypes, issuerKeys: d.keysInForce, keys: d.keys })) ??
      backend.genesis().departments.map((d) => ({
        id: d.id,
        name: d.name,
        certificateTypes: d.certificateTypes,
        issuerKeys: d.issuerKeys.length,
        keys: d.issuerKeys.map((publicKey) => ({ publicKey, validFrom: 1 })),
      })),
  }));

  const issued = backend.issuedCertificates?.bind(backend);
  if (issued === undefined) return;
  app.get<{ Params: { id: string } }>("/departments/:id/certificates", { schema: feedSchema }, async (req, reply) => {
    if (!DEPARTMENT_ID.test(req.params.id))
      throw new LedgerError("BAD_REQUEST", "a department id is 1-64 characters of a-z 0-9 - starting with a letter or digit");
    const department = (backend.departments?.() ?? backend.genesis().departments).find((d) => d.id === req.params.id);
    if (department === undefined) return sendHttpError(reply, notFound(`department ${req.params.id}`));
    const { limit, after } = feedQuery(req.query, opts);
    // One more than asked: whether a next page exists, without an empty last page.
    const page = await reads.run(() => issued(department.id, limit + 1, after));
    const items = page.items.slice(0, limit);
    const last = items[items.length - 1];
    const nextCursor = page.items.length > limit && last !== undefined ? encodeCursor({ height: last.height, index: last.index }) : null;
    return { department: department.id, checkedAt: page.checkedAt, items, nextCursor };
  });
}

/** GET /status-lists/:department: on a validator, the department's token; on a follower, 404 saying why. */
function registerStatusListRoute(app: FastifyInstance, backend: RpcBackend, reads: WorkLimit, publicUrl: () => string): void {
  app.get<{ Params: { department: string } }>("/status-lists/:department", { schema: statusListSchema }, async (req, reply) => {
    if (!DEPARTMENT_ID.test(req.params.department))
      throw new LedgerError("BAD_REQUEST", "a department id is 1-64 characters of a-z 0-9 - starting with a letter or digit");
    const department = (backend.departments?.() ?? backend.genesis().departments).find((d) => d.id === req.params.department);
    if (department === undefined) return sendHttpError(reply, notFound(`department ${req.params.department}`));
    const token = backend.statusListToken?.bind(backend);
    if (token === undefined)
      return sendHttpError(reply, httpError("NOT_FOUND", "this node is a follower: it holds no key of genesis to sign a status list; ask a validator"));
    const jwt = await reads.run(() => token(department.id, `${publicUrl()}/status-lists/${department.id}`));
    return reply.type(STATUS_LIST_MEDIA_TYPE).send(jwt);
  });
}
