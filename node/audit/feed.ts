/**
 * A department's issuance feed: the certificates it issued, oldest first, each with its status, paged
 * with an opaque cursor. The cursor encodes the (height, index) of the last item served; the issuance
 * index is append-only in that order, so a cursor stays valid and a page never repeats or skips an
 * item, however much is issued between requests.
 */
import { statusAt } from "../chain/state.js";
import type { FeedPosition, IssuedCertificate } from "../api/views.js";
import type { ChainStore } from "../ledger/store.js";
import { LedgerError } from "../errors.js";

const CURSOR_VERSION = "c1";
const CURSOR = /^[A-Za-z0-9_-]{1,64}$/;

/** The opaque cursor after `position` (base64url of a versioned "height.index"). */
export function encodeCursor(position: FeedPosition): string {
  return Buffer.from(`${CURSOR_VERSION}.${position.height}.${position.index}`, "utf8").toString("base64url");
}

/** Decode a client's cursor; BAD_REQUEST for anything encodeCursor did not produce. */
export function decodeCursor(cursor: string): FeedPosition {
  const bad = (): never => {
    throw new LedgerError("BAD_REQUEST", "cursor is not one this node gave out (use nextCursor from the previous page)");
  };
  if (!CURSOR.test(cursor)) return bad();
  const parts = /^c1\.(0|[1-9][0-9]{0,15})\.(0|[1-9][0-9]{0,7})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (parts === null) return bad();
  const position = { height: Number(parts[1]), index: Number(parts[2]) };
  if (!Number.isSafeInteger(position.height) || encodeCursor(position) !== cursor) return bad();
  return position;
}

/** Up to `limit` certificates `department` issued after `after`, with their status at `now`. */
export async function issuedCertificates(
  store: ChainStore,
  now: number,
  department: string,
  limit: number,
  after?: FeedPosition,
): Promise<IssuedCertificate[]> {
  const entries = await store.issuedBy(department, limit, after);
  const records = await store.getCertificates(entries.map((e) => e.certificateId));
  return entries.map((e, i) => {
    const record = records[i];
    if (record === null || record === undefined)
      throw new LedgerError("STORE_CORRUPT", `issuance index names certificate ${e.certificateId}, which is not stored`);
    const issue = record.history.find((h) => h.action === "issue");
    return {
      id: record.id,
      certificateType: record.certificateType,
      status: statusAt(record, now),
      validFrom: record.validFrom,
      validUntil: record.validUntil,
      height: e.height,
      index: e.index,
      issuedAt: issue?.time ?? 0,
      txHash: issue?.txHash ?? "",
    };
  });
}
