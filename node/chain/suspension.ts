/**
 * Automatic suspension (issue 12 item 5): a review rule of kind requires-valid may declare
 * `onBasisRevoked: "suspend"`. A certificate it approved is entered in the dependents index under
 * each certificate its approval rested on (chain/rules.ts suspendableBasis). When a block revokes
 * one of those, every node suspends the dependents in the same block, at the revocation's place in
 * it, and the revocation's receipt names each suspension (certificate, rule, basis) — so the block's
 * resultsRoot commits to them and `certchain audit` replays them.
 *
 * The cascade is breadth first: a suspended certificate is itself a basis gone, so what rested on
 * it is suspended next. Order: the revoked certificate's dependents in issue order, then theirs, and
 * so on; a certificate is suspended once. It cannot loop (a dependent is always issued after its
 * basis) and stops after MAX_SUSPENSIONS_PER_TX suspensions: the rest stay as they are (answers
 * still flag "basis revoked") and the receipt says `suspensionsCut`.
 *
 * Not suspended: a dependent already revoked, superseded, suspended, or expired at block time.
 * Supersession (a renewal) and expiry of a basis do not suspend. A suspended certificate stays
 * suspended; its department may revoke it, or renew it (the renewal is reviewed afresh).
 */
import { LedgerError } from "../errors.js";
import type { DependentEntry } from "./rules.js";
import { statusAt } from "./status.js";
import type { CertificateRecord, Suspension } from "./types.js";

/** At most this many certificates are suspended by one revocation (the cascade's bound). */
export const MAX_SUSPENSIONS_PER_TX = 256;

/** The state the cascade reads and changes (chain/state.ts StateCache). */
export interface SuspensionState {
  certificate(id: string): CertificateRecord | null;
  dependentsOf(basis: string): DependentEntry[];
  loadDependents(reader: DependentsReader, ids: string[]): Promise<void>;
  apply(t: { records: CertificateRecord[] }): void;
}

/** What the cascade reads from committed state (a part of chain/state.ts StateReader). */
export interface DependentsReader {
  getDependents(ids: string[]): Promise<DependentEntry[][]>;
  getCertificates(ids: string[]): Promise<Array<CertificateRecord | null>>;
}

/** Where the causing revocation runs. */
export interface CausePoint {
  height: number;
  index: number;
  time: number;
  txHash: string;
}

export interface Cascade {
  /** The suspended records' new state, in order. */
  records: CertificateRecord[];
  suspensions: Suspension[];
  /** True when MAX_SUSPENSIONS_PER_TX stopped the cascade. */
  cut: boolean;
}

/** Whether a dependent is still in force and so is suspended: not ended, not expired at block time. */
function suspendable(record: CertificateRecord, time: number): boolean {
  const status = statusAt(record, time);
  return status === "valid" || status === "not-yet-valid";
}

/**
 * Suspend, breadth first, what rested on `revoked` (which the revocation at `at` just revoked),
 * applying each suspension to `state` as it is made. Deterministic: it reads only chain state.
 */
export async function suspendDependents(state: SuspensionState, reader: DependentsReader, revoked: string, at: CausePoint): Promise<Cascade> {
  const cascade: Cascade = { records: [], suspensions: [], cut: false };
  let level = [revoked];
  while (level.length > 0) {
    await state.loadDependents(reader, level);
    const next: string[] = [];
    for (const basis of level) {
      for (const entry of state.dependentsOf(basis)) {
        const record = state.certificate(entry.id);
        if (record === null) throw new LedgerError("STORE_CORRUPT", `the dependents index names ${entry.id}, which does not exist`);
        if (!suspendable(record, at.time)) continue;
        if (cascade.suspensions.length >= MAX_SUSPENSIONS_PER_TX) {
          cascade.cut = true;
          return cascade;
        }
        const suspended: CertificateRecord = {
          ...record,
          suspended: true,
          history: [...record.history, { action: "suspend", txHash: at.txHash, height: at.height, index: at.index, time: at.time, rule: entry.rule, basis }],
        };
        state.apply({ records: [suspended] });
        cascade.records.push(suspended);
        cascade.suspensions.push({ certificateId: entry.id, rule: entry.rule, basis });
        next.push(entry.id);
      }
    }
    level = next;
  }
  return cascade;
}
