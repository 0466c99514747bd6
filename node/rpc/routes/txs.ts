/**
 * POST /txs: one transaction `{body, signature}` or a batch `{txs: [...]}`, admitted in order, each item
 * on its own. Verification is what a submission costs the node, so it is bounded (issue 8 #3):
 * submissions run under a concurrency limit; a batch is checked in chunks, and checking stops once a
 * request has carried `maxBadSignaturesPerRequest` bad signatures (the rest are answered unchecked);
 * every bad signature counts against the client's address (client-guard.ts), which gets throttled and
 * then refused (429 RPC_CLIENT_BANNED) before its next body is even read.
 */
import { badSignatureCount } from "../../ledger/mempool.js";
import type { Clock } from "../../clock.js";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { LedgerError, errorBody } from "../../errors.js";
import type { RpcBackend } from "../backend.js";
import type { SubmitResult } from "../../api/views.js";
import type { ClientGuard } from "../client-guard.js";
import { clientKey } from "../connection-guard.js";
import { type ErrorBody, toHttpError } from "../http-errors.js";
import { submitTxSchema } from "../route-schemas.js";
import type { WorkLimit } from "../work-limit.js";

/** One item of a batch submission's answer. */
export type BatchItemResult = SubmitResult | ErrorBody;

export interface TxRouteOptions {
  /** Largest body of POST /txs. */
  txBodyLimit: number;
  /** Transactions checked per step of a batch (the node serves other requests between steps). */
  txCheckChunk: number;
  /** Bad signatures after which the rest of a request's batch is not checked. */
  maxBadSignaturesPerRequest: number;
}

export interface TxRouteModules {
  backend: RpcBackend;
  clock: Pick<Clock, "now">;
  log?: (msg: string, ctx: Record<string, unknown>) => void;
  guard: ClientGuard;
  submissions: WorkLimit;
}

const retryAfter = (until: number, now: number): number => Math.max(1, Math.ceil((until - now) / 1000));

export function registerTxRoutes(app: FastifyInstance, modules: TxRouteModules, opts: TxRouteOptions): void {
  const { backend, guard, submissions } = modules;
  const client = (req: FastifyRequest): string => clientKey(req.socket.remoteAddress);

  // Refuse before the body is read: a banned client or a full queue costs a header parse, not 1 MB.
  const refuseEarly = async (req: FastifyRequest): Promise<void> => {
    const now = modules.clock.now();
    const standing = guard.standing(client(req), now);
    // [REFUSE] this address sent too many bad signatures lately
    if (standing.kind === "banned")
      throw new LedgerError("RPC_CLIENT_BANNED", "too many transactions with bad signatures from this address; refused for a while", {
        retryAfterSeconds: retryAfter(standing.until, now),
      });
    submissions.assertRoom();
  };

  /** Admit `txs` in order; LedgerErrors for the refused ones. */
  const admit = async (txs: unknown[]): Promise<Array<SubmitResult | Error>> => {
    if (backend.submitTransactions !== undefined) return backend.submitTransactions(txs);
    const out: Array<SubmitResult | Error> = [];
    for (const tx of txs) out.push(await backend.submitTransaction(tx).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err)))));
    return out;
  };

  app.post("/txs", { bodyLimit: opts.txBodyLimit, schema: submitTxSchema, onRequest: refuseEarly }, async (req, reply) => {
    const who = client(req);
    // [THROTTLE] a suspicious address gets one submission at a time
    if (!guard.enter(who, modules.clock.now()))
      throw new LedgerError("RPC_CLIENT_THROTTLED", "one submission at a time from this address (recent bad signatures)", { retryAfterSeconds: 1 });
    try {
      return await submissions.run(async () => {
        const body = req.body as Record<string, unknown>;
        if (!Array.isArray(body.txs)) {
          try {
            return reply.code(202).send(await backend.submitTransaction(body));
          } catch (err) {
            guard.badSignatures(who, badSignatureCount([err]), modules.clock.now());
            throw err;
          }
        }
        const txs = body.txs as unknown[];
        const results: BatchItemResult[] = [];
        let bad = 0;
        for (let i = 0; i < txs.length; i += opts.txCheckChunk) {
          const standing = guard.standing(who, modules.clock.now());
          if (bad >= opts.maxBadSignaturesPerRequest || standing.kind === "banned") {
            // [STOP] this request has cost enough verifications for nothing
            const skipped: ErrorBody = errorBody("RPC_CLIENT_THROTTLED", "not checked: this batch carried too many bad signatures");
            for (let j = i; j < txs.length; j++) results.push(skipped);
            break;
          }
          const chunk = await admit(txs.slice(i, i + opts.txCheckChunk));
          const chunkBad = badSignatureCount(chunk);
          bad += chunkBad;
          guard.badSignatures(who, chunkBad, modules.clock.now());
          for (const r of chunk) {
            if (!(r instanceof Error)) {
              results.push(r);
              continue;
            }
            const answer = toHttpError(r);
            if (answer.internal) modules.log?.("batch item failed", { url: req.url, err: r });
            results.push(answer.body);
          }
        }
        return { results };
      });
    } finally {
      guard.leave(who);
    }
  });
}
