/**
 * The documentation half of every route's schema — summary, tags, response shapes — from which
 * GET /openapi.json is generated (openapi.ts). Request parts (params, query, bodies) are in schemas.ts
 * and checked by fastify. Responses are documentation only: the server serializes with JSON.stringify
 * (openapi.ts sets the serializer), so a schema can never drop a member of an answer; a unit test
 * checks live answers against them. Error answers (4xx, 5xx: `ErrorBody`) are added to every route.
 */
import { ERROR_CODES } from "../errors.js";
import { blockHeightParams, certificateIdParams, submitBody, txHashParams } from "./schemas.js";

const obj = (properties: Record<string, unknown>, required: string[] = Object.keys(properties), extra: Record<string, unknown> = {}) =>
  ({ type: "object", properties, required, ...extra }) as const;
const str = { type: "string" } as const;
const int = { type: "integer" } as const;
const bool = { type: "boolean" } as const;
const hex64 = { type: "string", pattern: "^[0-9a-f]{64}$" } as const;
/** Unix milliseconds. */
const ms = { type: "integer", description: "Unix time, ms" } as const;
const localized = obj({ zh: str, en: str });
/** Any JSON object (its shape is another document's: genesis, docs/proof-format.md). */
const anyObject = (description: string) => ({ type: "object", description, additionalProperties: true }) as const;
const text = (mediaType: string, description: string) => ({ description, content: { [mediaType]: { schema: str } } }) as const;

export const errorBodySchema = obj({ error: obj({ code: { type: "string", enum: ERROR_CODES }, message: str }) }, ["error"], {
  description: "every error answer: a code of the error table (README, RPC reference) and a message",
});

const certificateStatus = { type: "string", enum: ["valid", "revoked", "superseded", "suspended", "expired", "not-yet-valid"] } as const;

const nodeStatus = obj(
  {
    chainId: str,
    genesisHash: hex64,
    node: obj({ name: str, peerId: str }),
    validator: { anyOf: [obj({ index: int, name: str, department: str }), { type: "null" }], description: "null for a follower" },
    head: obj({ height: int, hash: hex64, time: ms }),
    consensus: obj({ height: int, round: int, active: bool }),
    peers: obj({ connected: int, configured: int }),
    mempool: obj({ size: int }),
    syncing: bool,
    version: str,
    publicUrl: { type: "string", description: "base URL of verification links and QR codes (rpc.publicUrl, else the listen address)" },
  },
  undefined,
  { description: "the node's chain, head, consensus position, peers and mempool" },
);

const readinessFacts = obj({
  head: int,
  syncing: bool,
  peersHead: { anyOf: [int, { type: "null" }] },
  connectedPeers: int,
  validator: bool,
  validators: int,
  connectedValidators: int,
  pendingTxs: int,
  waitingMs: int,
  roundTimeoutMs: int,
  maxRoundTimeoutMs: int,
});

const readiness = obj({
  ready: bool,
  reasons: { type: "array", items: str, description: "one line per failed check" },
  checks: obj({ synced: bool, connected: bool, progressing: bool }),
  facts: readinessFacts,
});

const submitResult = obj({ hash: hex64, status: { type: "string", enum: ["accepted", "known"] } });

const receipt = obj(
  {
    txHash: hex64,
    status: { type: "string", enum: ["applied", "rejected"] },
    code: str,
    message: str,
    review: { type: "object", additionalProperties: true },
    suspended: {
      type: "array",
      description: "on a revocation: the certificates it suspended automatically (a rule with onBasisRevoked: suspend), in order",
      items: obj({ certificateId: str, rule: str, basis: str }),
    },
    suspensionsCut: { type: "boolean", description: "the cascade stopped at its bound (256); the rest were not suspended" },
  },
  ["txHash", "status"],
);

const transaction = obj({ body: { type: "object", additionalProperties: true }, signature: str }, ["body", "signature"], {
  description: "a signed transaction: body {chainId, kind, department, signer, nonce, createdAt, payload} and an Ed25519 signature",
});

const txView = obj({ hash: hex64, status: { type: "string", enum: ["pending", "committed"] }, tx: transaction, height: int, index: int, time: ms, receipt }, [
  "hash",
  "status",
  "tx",
]);

const blockView = obj(
  {
    block: obj({ header: { type: "object", additionalProperties: true }, txs: { type: "array", items: transaction } }),
    commit: obj({ height: int, round: int, blockHash: hex64, seals: { type: "array", items: { type: "object" } } }),
    hash: hex64,
    receipts: { type: "array", items: receipt },
  },
  undefined,
  { description: "a committed block with its commit certificate and receipts" },
);

const blockEvent = obj({ height: int, time: ms, txHash: hex64 });

const certificateView = obj(
  {
    record: {
      type: "object",
      additionalProperties: true,
      required: ["id", "department", "certificateType", "holderCommitment", "documentDigest", "validFrom", "validUntil", "revoked", "history"],
      description: "the certificate's on-chain record: public facts and commitments only, no personal data",
    },
    status: certificateStatus,
    checkedAt: ms,
    checkedAtHeight: int,
    department: obj({ id: str, name: localized }),
    type: obj({ id: str, name: localized }),
    issued: blockEvent,
    revoked: obj({ height: int, time: ms, txHash: hex64, reason: str }),
    superseded: obj({ height: int, time: ms, txHash: hex64, by: str }),
    suspended: obj({ height: int, time: ms, txHash: hex64, rule: str, basis: str }, ["height", "time", "txHash", "rule", "basis"], {
      description: "suspended automatically: the revocation txHash of basis, on which rule rule had approved it",
    }),
    basis: {
      type: "array",
      description:
        "what its automatic review rested on: the certificates that satisfied each requires-valid rule of genesis at its issue, with their status now (absent when no such rule reviewed its type)",
      items: obj({ rule: str, id: str, certificateType: str, status: certificateStatus }),
    },
    basisRevoked: { type: "boolean", description: "a certificate of its basis was revoked or suspended since" },
    freshness: obj(
      { newestBlockHeight: int, newestBlockTime: ms, ageMs: int, staleAfterMs: int, stale: bool },
      ["newestBlockHeight", "newestBlockTime", "ageMs", "staleAfterMs", "stale"],
      { description: "how old the newest block (checkedAtHeight) is by this node's clock; stale past 2 heartbeat intervals + the longest round timeout" },
    ),
    warning: { type: "string", description: "set when the newest block is stale: the answer may miss later changes" },
  },
  ["record", "status", "checkedAt", "checkedAtHeight", "department", "type", "issued"],
);

const verificationResult = obj(
  {
    valid: bool,
    status: { type: "string", enum: [...certificateStatus.enum, "unknown", "mismatch"] },
    reason: str,
    certificate: certificateView,
  },
  ["valid", "status", "reason"],
  { description: "valid only when the certificate exists, matches (for a document) and its status is valid" },
);

const networkAdminState = obj({ isolated: bool, connected: int });

const idParams = (name: string, description: string) => obj({ [name]: { type: "string", description } });
const assetParams = (extra: Record<string, unknown> = {}) => obj({ ...extra, "*": { type: "string", description: "module path" } });

const read = (summary: string, tags: string[], response: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  summary,
  tags,
  ...extra,
  response,
});

export const statusSchema = read("the node's status", ["node"], { 200: nodeStatus });
export const healthSchema = read("liveness: 200 whenever the process serves HTTP", ["node"], {
  200: obj({ alive: { type: "boolean", const: true } }),
});
export const readinessSchema = read("readiness: 200 when synced, connected to enough validators and not stalled; 503 naming each failed check", ["node"], {
  200: readiness,
  503: readiness,
});
export const genesisSchema = read("the chain's genesis document", ["chain"], {
  200: anyObject("the genesis document (chain id = name + first 16 hex of its hash)"),
});
export const openApiSchema = read("this document: the RPC's OpenAPI 3.1 description", ["node"], { 200: anyObject("an OpenAPI 3.1 document") });
export const metricsSchema = read("Prometheus metrics", ["node"], { 200: text("text/plain", "Prometheus text exposition format 0.0.4") });

export const submitTxSchema = {
  summary: "submit one transaction, or a batch {txs: [...]} of 1 to 1000",
  tags: ["transactions"],
  body: { ...submitBody, description: "one transaction {body, signature}, or {txs: [...]} and nothing else" },
  response: {
    202: { ...submitResult, description: "one transaction: accepted (new) or known (already pending or committed)" },
    200: obj({ results: { type: "array", items: { anyOf: [submitResult, errorBodySchema] } } }, ["results"], {
      description: "a batch: one result per item, in order",
    }),
  },
};
export const txSchema = read("a transaction, pending or committed", ["transactions"], { 200: txView }, { params: txHashParams });
export const blockSchema = read("a committed block by height, or latest", ["chain"], { 200: blockView }, { params: blockHeightParams });
export const certificateSchema = read(
  "a certificate's record and status at the latest block",
  ["certificates"],
  { 200: certificateView },
  {
    params: certificateIdParams,
  },
);
export const verifyDocumentSchema = {
  summary: "verify a holder's certificate document (200 whatever the verdict; 400 DOC_MALFORMED for a non-document)",
  tags: ["certificates"],
  // No type: a non-object is the backend's DOC_MALFORMED, not a schema error.
  body: { description: "the holder's certificate document (a JSON object), as `cert issue` saved it" },
  response: { 200: verificationResult },
};
export const verifyByIdSchema = read(
  "verify a certificate by id: JSON, or the verification page for a browser (Accept prefers text/html)",
  ["certificates"],
  {
    200: { description: "the verdict", content: { "application/json": { schema: verificationResult }, "text/html": { schema: str } } },
    404: text("text/html", "the verification page for an unknown certificate (browsers only; JSON clients get 200 with status unknown)"),
  },
  { params: certificateIdParams },
);
export const proofSchema = read(
  "the certificate's proof bundle (docs/proof-format.md), checkable offline against genesis",
  ["certificates"],
  {
    200: anyObject(
      "a proof bundle: genesis, the certificate's transactions with receipts, Merkle proofs, headers and commit certificates, and its state under the newest block's state root",
    ),
    404: anyObject(
      "an unknown id: a proof of absence (a bundle without events whose state proof shows the id absent under the newest block's state root), or before the first block the error",
    ),
  },
  { params: certificateIdParams },
);
export const historySchema = read(
  "every event of a certificate, with its block's hash",
  ["audit"],
  {
    200: obj({
      id: str,
      certificateType: str,
      department: str,
      status: certificateStatus,
      checkedAt: ms,
      events: {
        type: "array",
        items: obj(
          {
            action: { type: "string", enum: ["issue", "revoke", "supersede"] },
            txHash: hex64,
            height: int,
            index: int,
            time: ms,
            reason: str,
            by: str,
            blockHash: hex64,
          },
          ["action", "txHash", "height", "index", "time", "blockHash"],
        ),
      },
    }),
  },
  { params: certificateIdParams },
);
const issuerKeyGrant = obj(
  { publicKey: hex64, validFrom: int, validUntil: { type: "integer", description: "absent while in force" } },
  ["publicKey", "validFrom"],
  { description: "an issuer key and the block heights it may sign at (inclusive)" },
);
export const departmentsSchema = read("the departments (genesis's and those governance added), with their issuer keys' valid heights", ["audit"], {
  200: obj({
    departments: {
      type: "array",
      items: obj(
        {
          id: str,
          name: localized,
          certificateTypes: { type: "array", items: str },
          issuerKeys: { type: "integer", description: "how many are in force at the next height" },
          keys: { type: "array", items: issuerKeyGrant },
        },
        ["id", "name", "certificateTypes", "issuerKeys", "keys"],
      ),
    },
  }),
});
const proposalStatus = { type: "string", enum: ["open", "passed", "rejected", "failed", "expired"] } as const;
const proposal = obj(
  {
    id: int,
    txHash: hex64,
    action: anyObject("the proposed action: {type, …} (README, Governance)"),
    note: str,
    department: str,
    proposer: hex64,
    height: int,
    expiresAt: int,
    electorate: { type: "array", items: hex64 },
    threshold: int,
    votes: { type: "array", items: obj({ validator: hex64, approve: bool, height: int, txHash: hex64 }) },
    status: proposalStatus,
    decidedAt: int,
    activatesAt: int,
    failure: obj({ code: str, message: str }),
  },
  ["id", "txHash", "action", "department", "proposer", "height", "expiresAt", "electorate", "threshold", "votes", "status"],
);
export const proposalsSchema = read("governance proposals, oldest first, paged (limit 1-100, default 50; cursor: the previous page's next)", ["governance"], {
  200: obj({ head: int, proposals: { type: "array", items: proposal }, next: { type: "integer", description: "absent on the last page" } }, [
    "head",
    "proposals",
  ]),
});
export const proposalSchema = read(
  "one governance proposal with its votes",
  ["governance"],
  { 200: proposal },
  { params: idParams("id", "proposal id (1, 2, …)") },
);
export const scheduleSchema = read(
  "the rules (validators, departments, types, review rules, consensus parameters) from each height governance changed them, and every issuer key's valid heights",
  ["governance"],
  {
    200: obj({
      head: int,
      epochs: { type: "array", items: obj({ from: int, rules: anyObject("the rules in force from `from`: genesis's members less its name and time") }) },
      issuerKeys: {
        type: "array",
        items: obj({ department: str, publicKey: hex64, validFrom: int, validUntil: int }, ["department", "publicKey", "validFrom"]),
      },
    }),
  },
);
export const validatorsSchema = read("the validator set in force at a height (default: the next one); known up to head + 2", ["governance"], {
  200: obj({
    height: int,
    from: { type: "integer", description: "first height of this set" },
    hash: hex64,
    quorum: int,
    validators: { type: "array", items: obj({ index: int, name: str, department: str, publicKey: hex64, peerId: str, address: str }) },
  }),
});
export const feedSchema = read(
  "a department's issuance feed, oldest first, paged (limit 1-500, default 50; cursor: the previous page's nextCursor)",
  ["audit"],
  {
    200: obj({
      department: str,
      checkedAt: ms,
      items: {
        type: "array",
        items: obj({
          id: str,
          certificateType: str,
          status: certificateStatus,
          validFrom: ms,
          validUntil: ms,
          height: int,
          index: int,
          issuedAt: ms,
          txHash: hex64,
        }),
      },
      nextCursor: { anyOf: [str, { type: "null" }], description: "null on the last page" },
    }),
  },
  {
    // Checked by the handler (one message per mistake), so documented here without constraints.
    params: idParams("id", "department id: 1-64 of a-z 0-9 - starting with a letter or digit"),
    querystring: { type: "object", properties: { limit: { description: "page size, 1-500" }, cursor: { description: "nextCursor of the previous page" } } },
  },
);
export const statusListSchema = read(
  "a department's IETF Token Status List (draft-ietf-oauth-status-list) as a Status List Token: entry i is the department's i-th issued certificate (2 bits), 1 revoked or superseded, 2 suspended; signed (EdDSA) by this validator's consensus key of genesis (kid); a follower answers 404 (docs/sd-jwt-vc.md)",
  ["audit"],
  { 200: text("application/statuslist+jwt", "a compact JWT, typ statuslist+jwt") },
  { params: idParams("department", "department id: 1-64 of a-z 0-9 - starting with a letter or digit") },
);
export const evidenceSchema = read("equivocation evidence this node holds, oldest first, paged", ["audit"], {
  200: obj({ evidence: { type: "array", items: anyObject("two conflicting signed votes of one validator") }, next: str }, ["evidence"]),
});
export const pageCssSchema = read("the verification page's stylesheet", ["verification page"], { 200: text("text/css", "stylesheet") });
export const pageModuleSchema = read(
  "a module of the verification page's in-browser verifier",
  ["verification page"],
  {
    200: text("text/javascript", "an ES module"),
  },
  { params: assetParams() },
);
export const nobleModuleSchema = read(
  "a module of @noble/curves or @noble/hashes for the verification page",
  ["verification page"],
  {
    200: text("text/javascript", "an ES module"),
  },
  { params: assetParams({ pkg: { type: "string", description: "curves or hashes" } }) },
);
export const adminStateSchema = read("admin (fault injection, --enable-admin only): whether the node is isolated", ["admin"], { 200: networkAdminState });
export const adminIsolateSchema = {
  summary: "admin (fault injection, --enable-admin only): isolate the node from all peers, or reconnect it",
  tags: ["admin"],
  response: { 200: networkAdminState },
};
