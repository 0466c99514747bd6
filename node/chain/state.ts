/**
 * Certificate state transitions: what an issue or revoke does to the records, and why a transaction
 * is rejected. The same rules run at admission (against committed state plus the mempool) and at
 * execution (every node, deterministically, in block order), so receipts are reproducible by anyone
 * who replays the chain.
 */
import { LedgerError } from "../errors.js";
import type { CheckedTx } from "./tx.js";
import type { CertificateRecord, CertificateStatus, Receipt, TxLocation } from "./types.js";

/** Read access to committed state. */
export interface StateReader {
  getCertificate(id: string): Promise<CertificateRecord | null>;
  getTxLocation(hash: string): Promise<TxLocation | null>;
  /** Batched reads: one round trip for a whole block. */
  getCertificates(ids: string[]): Promise<Array<CertificateRecord | null>>;
  getTxLocations(hashes: string[]): Promise<Array<TxLocation | null>>;
}

/** Everything one block changes, to be written in one atomic batch. */
export interface BlockEffects {
  receipts: Receipt[];
  /** Final state of every certificate the block touched. */
  certificates: Map<string, CertificateRecord>;
  /** Newly issued certificates, in order (for the per-department index). */
  issued: Array<{ department: string; id: string; index: number }>;
  /** Location of every transaction in the block, applied or rejected (so none can be replayed). */
  txLocations: Map<string, TxLocation>;
}

/**
 * Apply one stateless-valid transaction to a certificate record (null: unknown). Returns the new
 * record or throws the LedgerError that becomes the rejection's reason code.
 */
export function transition(record: CertificateRecord | null, checked: CheckedTx, at: { height: number; index: number; time: number }): CertificateRecord {
  const body = checked.tx.body;
  if (body.kind === "issue") {
    const p = body.payload;
    // [RULE] a certificate id is issued once, ever
    if (record !== null) throw new LedgerError("TX_CERT_EXISTS", `certificate ${p.certificateId} already exists`);
    return {
      id: p.certificateId,
      certificateType: p.certificateType,
      department: body.department,
      holderCommitment: p.holderCommitment,
      documentDigest: p.documentDigest,
      publicFields: p.publicFields,
      validFrom: p.validFrom,
      validUntil: p.validUntil,
      revoked: false,
      history: [{ action: "issue", txHash: checked.hash, height: at.height, index: at.index, time: at.time }],
    };
  }
  const p = body.payload;
  // [RULE] only an existing certificate can be revoked
  if (record === null) throw new LedgerError("TX_CERT_UNKNOWN", `certificate ${p.certificateId} does not exist`);
  // [RULE] only the issuing department may revoke
  if (record.department !== body.department) throw new LedgerError("TX_NOT_ISSUER", `certificate ${p.certificateId} was issued by ${record.department}`);
  // [RULE] once
  if (record.revoked) throw new LedgerError("TX_ALREADY_REVOKED", `certificate ${p.certificateId} is already revoked`);
  return {
    ...record,
    revoked: true,
    revocationReason: p.reason,
    history: [...record.history, { action: "revoke", txHash: checked.hash, height: at.height, index: at.index, time: at.time, reason: p.reason }],
  };
}

/** The certificate a transaction touches. */
export function certificateIdOf(checked: CheckedTx): string {
  return checked.tx.body.payload.certificateId;
}

/** Execute a block's transactions in order against committed state. Deterministic. */
export async function executeBlock(reader: StateReader, height: number, time: number, txs: CheckedTx[]): Promise<BlockEffects> {
  const effects: BlockEffects = { receipts: [], certificates: new Map(), issued: [], txLocations: new Map() };
  // Read everything the block touches up front, in two batched reads.
  const ids = [...new Set(txs.map(certificateIdOf))];
  const records = await reader.getCertificates(ids);
  const loaded = new Map<string, CertificateRecord | null>(ids.map((id, i) => [id, records[i] ?? null]));
  const committed = await reader.getTxLocations(txs.map((t) => t.hash));
  for (const [index, checked] of txs.entries()) {
    const id = certificateIdOf(checked);
    try {
      // [RULE] a transaction applies once: not in an earlier block, nor earlier in this one
      if (committed[index] !== null || effects.txLocations.has(checked.hash)) throw new LedgerError("TX_DUPLICATE", "transaction was already committed");
      const next = transition(loaded.get(id) ?? null, checked, { height, index, time });
      loaded.set(id, next);
      effects.certificates.set(id, next);
      if (checked.tx.body.kind === "issue") effects.issued.push({ department: next.department, id, index });
      effects.receipts.push({ txHash: checked.hash, status: "applied" });
    } catch (err) {
      if (!(err instanceof LedgerError)) throw err;
      effects.receipts.push({ txHash: checked.hash, status: "rejected", code: err.code, message: err.message });
    }
    // The first occurrence keeps the location: a replay must not move an applied transaction's record.
    if (committed[index] === null && !effects.txLocations.has(checked.hash)) effects.txLocations.set(checked.hash, { height, index });
  }
  return effects;
}

/** A certificate's status at time `at` (ms). */
export function statusAt(record: CertificateRecord, at: number): CertificateStatus {
  if (record.revoked) return "revoked";
  if (at < record.validFrom) return "not-yet-valid";
  if (at >= record.validUntil) return "expired";
  return "valid";
}
