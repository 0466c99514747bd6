/**
 * A certificate's history for auditors: every transaction that touched it (issue, revoke, and
 * whatever later kinds the record's history holds), each with the hash of the block it is in, so
 * each event can be checked against that block's commit certificate.
 */
import type { CertificateEvent } from "../chain/types.js";
import { LedgerError } from "../errors.js";
import type { BlockView, CertificateView } from "../api/views.js";

/** One event of a certificate's history, with its block's hash. */
export type CertificateHistoryEvent = CertificateEvent & { blockHash: string };

export interface CertificateHistory {
  id: string;
  certificateType: string;
  department: string;
  status: CertificateView["status"];
  checkedAt: number;
  events: CertificateHistoryEvent[];
}

/** Build the history of `certificate`, reading each block it names once with `getBlock`. */
export async function certificateHistory(certificate: CertificateView, getBlock: (height: number) => Promise<BlockView | null>): Promise<CertificateHistory> {
  const record = certificate.record;
  const heights = [...new Set(record.history.map((e) => e.height))];
  const blocks = new Map(await Promise.all(heights.map(async (h) => [h, await getBlock(h)] as const)));
  return {
    id: record.id,
    certificateType: record.certificateType,
    department: record.department,
    status: certificate.status,
    checkedAt: certificate.checkedAt,
    events: record.history.map((e) => {
      const block = blocks.get(e.height);
      if (block === null || block === undefined)
        throw new LedgerError("STORE_CORRUPT", `certificate ${record.id} names block ${e.height}, which is not stored`);
      return { ...e, blockHash: block.hash };
    }),
  };
}
