/**
 * Where an audit reads a chain from. The auditor trusts nothing a source returns: a source only
 * fetches, in batches. `storeSource` reads a node's store directly (a stopped node's LevelDB, or a
 * memory store in tests); rpc-source.ts reads a running node over its RPC.
 */
import type { ChainTip } from "../chain/block.js";
import type { HolderKey } from "../chain/rules.js";
import type { CertificateRecord, TxLocation } from "../chain/types.js";
import type { ChainStore, IssuanceEntry, StoredBlock } from "../ledger/store.js";

export interface AuditSource {
  /** What is audited, for messages: a directory or a URL. */
  readonly name: string;
  /** True when the chain may grow while it is audited (a running node): records touched later are skipped. */
  readonly live: boolean;
  /** The head the source claims; the audit covers blocks 1..head. */
  head(): Promise<ChainTip | null>;
  /** Blocks `from`..`to` inclusive, null where one is missing. */
  blocks(from: number, to: number): Promise<Array<StoredBlock | null>>;
  /** Stored certificate records by id, null where one is missing. */
  certificates(ids: string[]): Promise<Array<CertificateRecord | null>>;
  /** Stored transaction locations by hash (the replay index). Absent: not checked. */
  txLocations?(hashes: string[]): Promise<Array<TxLocation | null>>;
  /** A department's stored issuance index, oldest first. Absent: not checked. */
  issuedBy?(department: string, limit: number, after?: { height: number; index: number }): Promise<IssuanceEntry[]>;
  /** Every stored record in id order (finds records no transaction produced). Absent: not checked. */
  listCertificates?(limit: number, after?: string): Promise<CertificateRecord[]>;
  /** The stored holder index (review rules read it): certificate ids per holder commitment and type. Absent: not checked. */
  holderCertificates?(keys: HolderKey[]): Promise<string[][]>;
}

/** Audit a chain store directly: every check, including records and index entries nothing produced. */
export function storeSource(store: ChainStore, name: string): AuditSource {
  return {
    name,
    live: false,
    head: async () => store.head(),
    blocks: (from, to) => store.getBlocks(from, to),
    certificates: (ids) => store.getCertificates(ids),
    txLocations: (hashes) => store.getTxLocations(hashes),
    issuedBy: (department, limit, after) => store.issuedBy(department, limit, after),
    listCertificates: (limit, after) => store.listCertificates(limit, after),
    holderCertificates: (keys) => store.getHolderCertificates(keys),
  };
}
