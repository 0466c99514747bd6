/**
 * How fresh an answer is. An idle chain still makes a block every `heartbeatIntervalMs` (genesis; the
 * proposer's empty block, checked by every validator in block.ts), so the newest block of a live
 * chain is never much older than that: an answer whose newest block is older than `staleAfterMs`
 * comes from a node that is cut off or from a stalled chain, and says so. Pure: the caller passes
 * its clock's time.
 */
import type { ConsensusParams } from "./types.js";

/** The heartbeat for genesis files without one (written before the parameter existed). */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 300_000;

/** Genesis's heartbeat interval, the default filled in. */
export function heartbeatIntervalOf(params: Pick<ConsensusParams, "heartbeatIntervalMs">): number {
  return params.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
}

/**
 * The age beyond which the newest block is stale: two heartbeat intervals (one may be lost to a
 * round change) plus the longest round timeout.
 */
export function staleAfterMs(params: Pick<ConsensusParams, "heartbeatIntervalMs" | "maxRoundTimeoutMs">): number {
  return 2 * heartbeatIntervalOf(params) + params.maxRoundTimeoutMs;
}

/** The age of the newest block an answer rests on, by the answerer's clock. */
export interface Freshness {
  newestBlockHeight: number;
  newestBlockTime: number;
  /** now − newestBlockTime (0 when the block's time is ahead of the clock). */
  ageMs: number;
  /** Older than this is stale (staleAfterMs). */
  staleAfterMs: number;
  stale: boolean;
}

/** The freshness of an answer resting on block (height, time), at `now`. */
export function freshnessOf(
  params: Pick<ConsensusParams, "heartbeatIntervalMs" | "maxRoundTimeoutMs">,
  newest: { height: number; time: number },
  now: number,
): Freshness {
  const ageMs = Math.max(0, now - newest.time);
  const limit = staleAfterMs(params);
  return { newestBlockHeight: newest.height, newestBlockTime: newest.time, ageMs, staleAfterMs: limit, stale: ageMs > limit };
}

/** "42 s", "7 min", "3 h", "2 d": a rounded age for people. */
export function describeAge(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 172_800_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.round(ms / 86_400_000)} d`;
}

/** The warning an answer carries when its newest block is stale, or null. */
export function staleWarning(f: Freshness): string | null {
  if (!f.stale) return null;
  return `the newest block (${f.newestBlockHeight}) is ${describeAge(f.ageMs)} old, more than the ${describeAge(f.staleAfterMs)} a live chain allows: this answer may miss later changes (a revocation, an expiry)`;
}
