/**
 * Liveness and readiness for load balancers and orchestrators (Fabric's operations service, Kubernetes
 * probes): `GET /healthz` answers 200 whenever the process serves HTTP; `GET /readyz` answers 200 only
 * when the node is synced, connected to enough validators and not stalled, else 503 naming each failed
 * check. The backend reports facts (RpcBackend.readiness); the verdict is judged here, from the options.
 */
import type { FastifyInstance } from "fastify";
import { quorum, roundTimeout } from "../../consensus/quorum.js";
import type { Readiness, ReadinessFacts } from "../api/views.js";
import type { RpcBackend } from "./backend.js";
import { healthSchema, readinessSchema } from "./route-schemas.js";

export interface ReadinessOptions {
  /** Blocks the head may trail the highest head a connected peer reported and still count as synced. */
  maxBlocksBehind: number;
  /**
   * Pending transactions may wait this many round timers (round 0, 1, … of genesis: min(base·2^r, max))
   * for a commit before the node counts as stalled.
   */
  stallRounds: number;
}

export const defaultReadinessOptions: ReadinessOptions = {
  maxBlocksBehind: 2,
  stallRounds: 3,
};

/** How long pending transactions may wait for a commit: the first `stallRounds` round timers, summed. */
export function stallBoundMs(facts: Pick<ReadinessFacts, "roundTimeoutMs" | "maxRoundTimeoutMs">, options: ReadinessOptions): number {
  let total = 0;
  for (let r = 0; r < options.stallRounds; r++) total += roundTimeout(facts.roundTimeoutMs, facts.maxRoundTimeoutMs, r);
  return total;
}

/**
 * The verdict. Synced: a connected peer has reported its head and this node trails the highest by at
 * most `maxBlocksBehind`. Connected: a validator sees enough other validators to make a quorum with
 * itself (it can take part in commits); a follower sees at least one validator. Progressing: nothing
 * waits in the mempool, or a block was committed (or the wait began) within the stall bound.
 */
export function judgeReadiness(facts: ReadinessFacts, options: ReadinessOptions): Readiness {
  const reasons: string[] = [];

  let synced = true;
  if (facts.peersHead === null && facts.connectedPeers > 0) {
    synced = false;
    reasons.push("sync: no connected peer has reported its head yet");
  } else if (facts.peersHead !== null && facts.peersHead - facts.head > options.maxBlocksBehind) {
    synced = false;
    reasons.push(
      `sync: head ${facts.head} is ${facts.peersHead - facts.head} blocks behind a peer's ${facts.peersHead}${facts.syncing ? " (catching up)" : ""}`,
    );
  }

  const q = quorum(facts.validators);
  const needed = facts.validator ? q - 1 : 1;
  const connected = facts.connectedValidators >= needed;
  if (!connected) {
    reasons.push(
      facts.validator
        ? `validators: connected to ${facts.connectedValidators} other validators; a quorum of ${q} of ${facts.validators} counting this one needs ${needed}`
        : `validators: connected to no validator (${facts.validators} in genesis)`,
    );
  }

  const bound = stallBoundMs(facts, options);
  const progressing = facts.pendingTxs === 0 || facts.waitingMs <= bound;
  if (!progressing) {
    reasons.push(
      `stalled: ${facts.pendingTxs} transactions pending and no block committed for ${Math.round(facts.waitingMs / 1000)} s (bound ${Math.round(bound / 1000)} s)`,
    );
  }
  return { ready: reasons.length === 0, reasons, checks: { synced, connected, progressing }, facts };
}

/** GET /healthz and GET /readyz. */
export function registerHealthRoutes(app: FastifyInstance, backend: RpcBackend, options: ReadinessOptions): void {
  app.get("/healthz", { schema: healthSchema }, async () => ({ alive: true }));
  const facts = backend.readiness?.bind(backend);
  if (facts === undefined) return;
  app.get("/readyz", { schema: readinessSchema }, async (_req, reply) => {
    const verdict = judgeReadiness(await facts(), options);
    return reply.code(verdict.ready ? 200 : 503).send(verdict);
  });
}
