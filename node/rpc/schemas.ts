/** JSON schemas of the RPC routes' params and bodies, checked by fastify before a handler runs. */
import { CERTIFICATE_ID } from "../chain/tx.js";

/** Most transactions one POST /txs batch may carry. */
export const MAX_BATCH_TXS = 1000;

export const txHashParams = {
  type: "object",
  required: ["hash"],
  properties: { hash: { type: "string", pattern: "^[0-9a-fA-F]{64}$" } },
} as const;

export const blockHeightParams = {
  type: "object",
  required: ["height"],
  properties: { height: { type: "string", pattern: "^(latest|[1-9][0-9]{0,15})$" } },
} as const;

export const certificateIdParams = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", pattern: CERTIFICATE_ID.source } },
} as const;

/**
 * POST /txs: one transaction `{body, signature}` (its inside is checked by the ledger, which names
 * the problem with a TX_* code), or a batch `{txs: [...]}` of 1..MAX_BATCH_TXS transactions.
 */
export const submitBody = {
  type: "object",
  // When `txs` is present, the body is a batch and nothing else.
  dependencies: {
    txs: {
      properties: { txs: { type: "array", minItems: 1, maxItems: MAX_BATCH_TXS } },
      additionalProperties: false,
    },
  },
} as const;

/** What a person should read when a path parameter is malformed. */
const PARAM_HINTS: Record<string, string> = {
  "/hash": "a transaction hash is 64 hex digits",
  "/height": "a block height is a positive integer or latest",
  "/id": "a certificate id is 4-64 characters of A-Z a-z 0-9 . _ - starting with a letter or digit",
};

/** The same for POST /txs bodies (the only route with a body schema). */
const BODY_HINTS: Record<string, string> = {
  "": `the body is one transaction {body, signature} or a batch {txs: [...]} and nothing else`,
  "/txs": `a batch holds 1 to ${MAX_BATCH_TXS} transactions`,
};

/** fastify schemaErrorFormatter: one readable line per request, naming the part that is wrong. */
export function formatSchemaErrors(errors: ReadonlyArray<{ instancePath?: string; message?: string }>, dataVar: string): Error {
  const lines = errors.map((e) => {
    const path = e.instancePath ?? "";
    const hint = dataVar === "params" ? PARAM_HINTS[path] : dataVar === "body" ? BODY_HINTS[path] : undefined;
    return hint ?? `${dataVar}${path} ${e.message ?? "is invalid"}`;
  });
  return new Error([...new Set(lines)].join("; "));
}
