/**
 * Governance routes (issue 11):
 *   GET /governance/proposals        proposals, oldest first, paged (?limit=&cursor=)
 *   GET /governance/proposals/:id    one proposal with its votes
 *   GET /governance/schedule         the rules of every height governance changed, and every issuer key's valid heights
 *   GET /validators?height=H         the validator set in force at a height (default: the next)
 * A proposal's status is read at the head: an open one past its expiry height reads "expired".
 */
import type { FastifyInstance } from "fastify";
import type { Proposal } from "../../chain/gov-types.js";
import { proposalStatusAt } from "../../chain/governance.js";
import type { RpcBackend } from "../backend.js";
import { httpError, notFound, sendHttpError } from "../http-errors.js";
import { proposalSchema, proposalsSchema, scheduleSchema, validatorsSchema } from "../route-schemas.js";
import type { WorkLimit } from "../work-limit.js";

export const MAX_PROPOSAL_PAGE = 100;

const pageQuery = {
  type: "object",
  properties: {
    limit: { type: "string", pattern: "^[1-9][0-9]{0,2}$" },
    cursor: { type: "string", pattern: "^(0|[1-9][0-9]{0,8})$" },
  },
  additionalProperties: false,
} as const;
const heightQuery = {
  type: "object",
  properties: { height: { type: "string", pattern: "^(0|[1-9][0-9]{0,14})$" } },
  additionalProperties: false,
} as const;
const idParams = { type: "object", properties: { id: { type: "string", pattern: "^[1-9][0-9]{0,8}$" } }, required: ["id"] } as const;

/** A proposal as answered: its status read at the head. */
function atHead(p: Proposal, head: number): Proposal {
  return { ...p, status: proposalStatusAt(p, head) as Proposal["status"] };
}

export function registerGovernanceRoutes(app: FastifyInstance, backend: RpcBackend, reads: WorkLimit): void {
  const governance = backend.governance?.bind(backend);
  if (governance !== undefined) {
    app.get<{ Querystring: { limit?: string; cursor?: string } }>(
      "/governance/proposals",
      { schema: { ...proposalsSchema, querystring: pageQuery } },
      async (req, reply) => {
        const limit = Number(req.query.limit ?? 50);
        if (limit > MAX_PROPOSAL_PAGE) return sendHttpError(reply, httpError("BAD_REQUEST", `limit must be an integer from 1 to ${MAX_PROPOSAL_PAGE}`));
        const after = Number(req.query.cursor ?? 0);
        const { head, state } = await reads.run(() => governance());
        const page = state.proposals.slice(after, after + limit).map((p) => atHead(p, head));
        const last = page.at(-1);
        return { head, proposals: page, ...(last !== undefined && last.id < state.proposals.length ? { next: last.id } : {}) };
      },
    );
    app.get("/governance/schedule", { schema: scheduleSchema }, async () => {
      const { head, state } = await governance();
      return { head, epochs: state.epochs, issuerKeys: state.issuerKeys };
    });
    app.get<{ Params: { id: string } }>("/governance/proposals/:id", { schema: { ...proposalSchema, params: idParams } }, async (req, reply) => {
      const { head, state } = await governance();
      const p = state.proposals[Number(req.params.id) - 1];
      if (p === undefined) return sendHttpError(reply, notFound(`proposal ${req.params.id}`));
      return atHead(p, head);
    });
  }
  const validatorsAt = backend.validatorsAt?.bind(backend);
  if (validatorsAt !== undefined) {
    app.get<{ Querystring: { height?: string } }>("/validators", { schema: { ...validatorsSchema, querystring: heightQuery } }, async (req, reply) => {
      const status = await backend.status();
      const height = req.query.height === undefined ? status.head.height + 1 : Math.max(1, Number(req.query.height));
      const known = validatorsAt(height);
      if (known === null)
        return sendHttpError(reply, httpError("NOT_FOUND", `the set of height ${height} is not fixed yet (known up to head + 2 = ${status.head.height + 2})`));
      const { set, from } = known;
      return {
        height,
        from,
        hash: set.hash,
        quorum: set.quorum,
        validators: set.validators.map((v, index) => ({
          index,
          name: v.name,
          department: v.department,
          publicKey: v.publicKey,
          peerId: v.peerId,
          address: v.address,
        })),
      };
    });
  }
}
