/**
 * The justification predicates: when a prepare certificate, a round change and a proposal of a
 * later round are valid (IBFT A4 and QBFT's justified ROUND-CHANGE). Pure.
 */
import { type ConsensusState, byValidator } from "./state.js";
import type { Prepare, Proposal, RoundChange } from "./types.js";

/** A quorum of PREPAREs for (height, round, hash) from distinct validators. */
export function validPrepareCertificate<B>(s: ConsensusState<B>, cert: Prepare[] | undefined, round: number, hash: string): cert is Prepare[] {
  if (!Array.isArray(cert)) return false;
  const seen = new Set<number>();
  for (const m of cert) {
    if (m.kind !== "prepare" || m.height !== s.height || m.round !== round || m.blockHash !== hash) return false;
    if (!Number.isInteger(m.validator) || m.validator < 0 || m.validator >= s.config.n) return false;
    seen.add(m.validator);
  }
  return seen.size >= s.quorum;
}

/** A round change reporting a prepared block must carry the block and a valid prepare certificate for it (QBFT's justified ROUND-CHANGE). */
export function validRoundChange<B>(s: ConsensusState<B>, m: RoundChange<B>): boolean {
  if (m.prepared === null) return true;
  if (m.prepared.round >= m.round || m.prepared.round < 0) return false;
  if (m.preparedBlock === undefined) return false;
  return validPrepareCertificate(s, m.preparedCertificate, m.prepared.round, m.prepared.blockHash);
}

/** IBFT A4 JustifyPrePrepare for round > 0: Q ROUND-CHANGEs, and the highest prepared value with its prepare quorum if any was prepared (QBFT carries both in the proposal). */
export function justified<B>(s: ConsensusState<B>, p: Proposal<B>): boolean {
  const j = p.justification;
  if (j === undefined || !Array.isArray(j.roundChanges)) return false;
  const senders = new Set<number>();
  let highest: { round: number; blockHash: string } | null = null;
  for (const rc of j.roundChanges) {
    if (rc.kind !== "round-change" || rc.height !== s.height || rc.round !== p.round) return false;
    if (!Number.isInteger(rc.validator) || rc.validator < 0 || rc.validator >= s.config.n) return false;
    senders.add(rc.validator);
    if (rc.prepared !== null && (highest === null || rc.prepared.round > highest.round)) highest = rc.prepared;
  }
  if (senders.size < s.quorum) return false;
  if (highest === null) return true; // nobody prepared: any block may be proposed
  // The proposer must re-propose the highest prepared block, proven by a prepare certificate.
  return p.blockHash === highest.blockHash && validPrepareCertificate(s, j.preparedCertificate, highest.round, highest.blockHash);
}

/** A quorum of round changes for `round` from distinct validators (IBFT A3 Qrc), or null. */
export function roundChangeQuorum<B>(s: ConsensusState<B>, round: number): Array<RoundChange<B>> | null {
  const b = s.roundChanges.get(round);
  if (b === undefined || b.size < s.quorum) return null;
  return [...b.values()].sort(byValidator);
}

export function stripRoundChange<B>(rc: RoundChange<B>): RoundChange<never> {
  return { kind: "round-change", height: rc.height, round: rc.round, prepared: rc.prepared, validator: rc.validator, signature: rc.signature };
}
