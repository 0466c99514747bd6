/**
 * GET /evidence: equivocation evidence this node has seen, oldest first, paged by an opaque cursor.
 * Each item carries both signed votes, so a client can check it against genesis itself
 * (node/consensus/evidence.ts `checkEvidence`).
 */
import type { FastifyInstance } from "fastify";
import type { Evidence } from "../../chain/evidence.js";
import { evidenceKey } from "../../chain/evidence.js";
import type { RpcBackend } from "../backend.js";
import { evidenceSchema } from "../route-schemas.js";
import type { WorkLimit } from "../work-limit.js";

export const MAX_EVIDENCE_PAGE = 100;

const evidenceQuery = {
  type: "object",
  properties: {
    validator: { type: "string", pattern: "^(0|[1-9][0-9]{0,3})$" },
    limit: { type: "string", pattern: "^[1-9][0-9]{0,2}$" },
    cursor: { type: "string", pattern: "^[0-9]{16}![0-9]{8}![a-z-]{1,16}![0-9]{4}$" },
  },
  additionalProperties: false,
} as const;

export interface EvidencePage {
  evidence: Evidence[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  next?: string;
}

export function registerEvidenceRoutes(app: FastifyInstance, backend: RpcBackend, reads: WorkLimit): void {
  const list = backend.listEvidence?.bind(backend);
  if (list === undefined) return;
  app.get<{ Querystring: { validator?: string; limit?: string; cursor?: string } }>(
    "/evidence",
    { schema: { ...evidenceSchema, querystring: evidenceQuery } },
    async (req) => {
      const limit = Math.min(Number(req.query.limit ?? 50), MAX_EVIDENCE_PAGE);
      const validator = req.query.validator === undefined ? undefined : Number(req.query.validator);
      const evidence = await reads.run(() => list({ validator, limit: limit + 1, after: req.query.cursor }));
      const page: EvidencePage = { evidence: evidence.slice(0, limit) };
      const last = page.evidence.at(-1);
      if (evidence.length > limit && last !== undefined) page.next = evidenceKey(last);
      return page;
    },
  );
}
