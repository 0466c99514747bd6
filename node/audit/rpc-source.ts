/**
 * Audit a running node through its RPC: blocks from GET /blocks/:height, records from
 * GET /certificates/:id, the issuance index from GET /departments/:id/certificates. Requests of a
 * batch go out together. The node's transaction index and records no transaction produced cannot be
 * listed over RPC, so those two checks need the offline source.
 */
import type { ChainTip } from "../chain/block.js";
import type { IssuanceEntry, StoredBlock } from "../ledger/store.js";
import type { CertificateView, NodeStatus } from "../api/views.js";
import type { AuditSource } from "./source.js";
import { encodeCursor } from "./feed.js";
import type { FeedPosition, IssuedCertificate } from "../api/views.js";

/** GET a JSON path of the node: the parsed answer, or null for 404 NOT_FOUND. */
export type FetchJson = (path: string) => Promise<unknown | null>;

/** Most requests in flight at once. */
const CONCURRENCY = 32;

async function inParallel<T, R>(items: T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
  return out;
}

/** An audit source over a node's RPC at `url`; `hasFeed`: the node serves the department feed. */
export function rpcSource(url: string, get: FetchJson, hasFeed: boolean): AuditSource {
  const source: AuditSource = {
    name: url,
    live: true,
    async head(): Promise<ChainTip | null> {
      const status = (await get("/status")) as NodeStatus;
      return status.head.height === 0 ? null : status.head;
    },
    async blocks(from, to) {
      const heights = Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
      return inParallel(heights, async (h) => (await get(`/blocks/${h}`)) as StoredBlock | null);
    },
    async certificates(ids) {
      return inParallel(ids, async (id) => ((await get(`/certificates/${encodeURIComponent(id)}`)) as CertificateView | null)?.record ?? null);
    },
  };
  if (hasFeed) {
    source.issuedBy = async (department: string, limit: number, after?: FeedPosition): Promise<IssuanceEntry[]> => {
      const cursor = after === undefined ? "" : `&cursor=${encodeCursor(after)}`;
      const page = (await get(`/departments/${encodeURIComponent(department)}/certificates?limit=${limit}${cursor}`)) as { items: IssuedCertificate[] } | null;
      return (page?.items ?? []).map((c) => ({ certificateId: c.id, height: c.height, index: c.index }));
    };
  }
  return source;
}
