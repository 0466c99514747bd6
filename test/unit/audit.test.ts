/**
 * The chain auditor against a memory-built chain with real commit seals: a clean chain passes with
 * every block, transaction and record counted; each corruption of what a node stores is found, named
 * by its check and blamed on the right height.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { applyBlock } from "../../node/ledger/apply.js";
import { type ChainTip, blockHash, buildBlock, commitSealBytes, genesisTip } from "../../node/chain/block.js";
import { checkTransaction } from "../../node/chain/tx.js";
import type { CertificateRecord, Transaction } from "../../node/chain/types.js";
import { signBytes } from "../../node/crypto/keys.js";
import { MemoryStore } from "../../node/db/memory-store.js";
import type { StoredBlock } from "../../node/ledger/store.js";
import { auditChain } from "../../node/audit/auditor.js";
import type { AuditCheck } from "../../node/audit/report.js";
import { type AuditSource, storeSource } from "../../node/audit/source.js";
import { decodeCursor, encodeCursor } from "../../node/audit/feed.js";
import { executeBlock } from "../../node/chain/state.js";
import { LedgerError } from "../../node/errors.js";
import { issueTx, licenceDocument, makeTestChain, revokeTx, T0 } from "../helpers/chain.js";

const chain = makeTestChain(4);
const spec = chain.spec;

/** Commit `txs` on top of the store's head with a quorum of real seals (validators 0-2). */
async function commit(store: MemoryStore, txs: Transaction[]): Promise<void> {
  const tip: ChainTip = store.head() ?? genesisTip(spec);
  const h = tip.height + 1;
  const checked = txs.map((t) => checkTransaction(spec, t));
  const effects = await executeBlock(spec, store, h, T0 + h * 1000, checked);
  const block = buildBlock(spec, tip, spec.validatorSetAt(h).proposerIndex(h, 0), T0 + h * 1000, checked, effects);
  const hash = blockHash(block.header);
  const seals = [0, 1, 2].map((v) => ({
    validator: v,
    signature: signBytes(chain.validatorKeys[v]?.privateKey as string, commitSealBytes(spec.chainId, h, 0, hash)),
  }));
  await applyBlock(spec, store, block, { height: h, round: 0, blockHash: hash, seals }, hash, checked, effects);
}

/**
 * Five blocks: 1 issues A and B; 2 revokes A twice (the second is rejected); 3 issues C; 4 revokes B
 * and issues D; 5 replays block 1's first transaction (rejected as a duplicate).
 */
async function buildChain(): Promise<{ store: MemoryStore; ids: string[] }> {
  const store = new MemoryStore();
  const docs = ["A", "B", "C", "D"].map((x) => licenceDocument(chain, `AUDIT-${x}-0001`));
  const [a, b, c, d] = docs.map((doc) => issueTx(chain, doc)) as [Transaction, Transaction, Transaction, Transaction];
  const ids = docs.map((doc) => doc.certificateId);
  await commit(store, [a, b]);
  await commit(store, [revokeTx(chain, ids[0] as string, "market-regulation", "fraud"), revokeTx(chain, ids[0] as string, "market-regulation", "again")]);
  await commit(store, [c]);
  await commit(store, [revokeTx(chain, ids[1] as string), d]);
  await commit(store, [a]);
  return { store, ids };
}

/** A source that hands out what `store` holds, altered the way a corrupted disk would be. */
function tampered(
  store: MemoryStore,
  alter: { block?: (b: StoredBlock) => void; record?: (r: CertificateRecord) => void; at?: number } & Partial<AuditSource>,
): AuditSource {
  const base = storeSource(store, "memory");
  const { block, record, at, ...overrides } = alter;
  return {
    ...base,
    async blocks(from, to) {
      const blocks = await base.blocks(from, to);
      for (const b of blocks) if (b !== null && b.block.header.height === at) block?.(b);
      return blocks;
    },
    async listCertificates(limit, after) {
      const records = await store.listCertificates(limit, after);
      for (const r of records) record?.(r);
      return records;
    },
    ...overrides,
  };
}

describe("audit: the whole chain re-checked from genesis", () => {
  it("passes a clean chain and counts every block, transaction and record", async () => {
    const { store } = await buildChain();
    const progress: string[] = [];
    const report = await auditChain(
      { batchBlocks: 2, batchRecords: 2 },
      {
        spec,
        source: storeSource(store, "memory"),
        onProgress: (p) => progress.push(p.phase === "blocks" ? `block ${p.height}/${p.total}` : `record ${p.records}/${p.recordsTotal}`),
      },
    );
    assert.equal(report.finding, null, JSON.stringify(report.finding));
    assert.deepEqual([report.height, report.blocks, report.txs, report.certificates], [5, 5, 8, 4]);
    assert.deepEqual(report.notChecked, []);
    assert.deepEqual(progress, ["block 2/5", "block 4/5", "block 5/5", "record 2/4", "record 4/4"], "progress after each batch");
  });

  it("checks transactions in worker threads the same way: a clean chain passes, a forged transaction is named", async () => {
    const { store } = await buildChain();
    const clean = await auditChain({ batchBlocks: 2, verifyWorkers: 2 }, { spec, source: storeSource(store, "memory") });
    assert.equal(clean.finding, null, JSON.stringify(clean.finding));
    assert.deepEqual([clean.blocks, clean.txs, clean.certificates], [5, 8, 4]);
    const forged = tampered(store, {
      at: 4,
      block: (b) => {
        (b.block.txs[1] as { body: { payload: { publicFields: Record<string, unknown> } } }).body.payload.publicFields.enterpriseName = "Forged Co.";
      },
    });
    const report = await auditChain({ batchBlocks: 2, verifyWorkers: 2 }, { spec, source: forged });
    assert.deepEqual([report.finding?.height, report.finding?.check], [4, "block"], report.finding?.message);
    assert.match(report.finding?.message ?? "", /transaction 1: issuer signature does not verify/);
  });

  it("passes an empty chain", async () => {
    const report = await auditChain({}, { spec, source: storeSource(new MemoryStore(), "memory") });
    assert.equal(report.finding, null);
    assert.equal(report.blocks, 0);
  });

  const rows: Array<{
    name: string;
    alter: (ids: string[], base: AuditSource) => Parameters<typeof tampered>[1];
    height: number;
    check: AuditCheck;
    message: RegExp;
  }> = [
    {
      name: "a transaction field changed after commit",
      alter: () => ({
        at: 3,
        block: (b) => {
          (b.block.txs[0] as { body: { payload: { publicFields: Record<string, unknown> } } }).body.payload.publicFields.enterpriseName = "Forged Co.";
        },
      }),
      height: 3,
      check: "block",
      message: /signature does not verify/,
    },
    {
      name: "a header linked to the wrong parent",
      alter: () => ({
        at: 4,
        block: (b) => {
          b.block.header.previousHash = "00".repeat(32);
        },
      }),
      height: 4,
      check: "block",
      message: /previousHash/,
    },
    {
      name: "a stored block hash that is not the header's",
      alter: () => ({
        at: 2,
        block: (b) => {
          b.hash = "ab".repeat(32);
        },
      }),
      height: 2,
      check: "block-hash",
      message: /stored hash/,
    },
    {
      name: "a commit seal with a bad signature",
      alter: () => ({
        at: 2,
        block: (b) => {
          const seal = b.commit.seals[1] as { signature: string };
          seal.signature = signBytes(chain.validatorKeys[1]?.privateKey as string, Buffer.from("something else"));
        },
      }),
      height: 2,
      check: "commit",
      message: /seal of validator 1 does not verify/,
    },
    {
      name: "a commit certificate one seal short of a quorum",
      alter: () => ({ at: 5, block: (b) => void b.commit.seals.pop() }),
      height: 5,
      check: "commit",
      message: /quorum is 3/,
    },
    {
      name: "a missing block",
      alter: (_, base) => ({ blocks: async (from, to) => (await base.blocks(from, to)).map((b, i) => (from + i === 3 ? null : b)) }),
      height: 3,
      check: "block",
      message: /block 3 is missing/,
    },
    {
      name: "a stored receipt changed",
      alter: () => ({
        at: 2,
        block: (b) => {
          b.receipts[1] = { txHash: b.receipts[1]?.txHash as string, status: "applied" };
        },
      }),
      height: 2,
      check: "receipts",
      message: /receipt 1 .*TX_ALREADY_REVOKED/,
    },
    {
      name: "a public field of a stored record changed (blamed on its issue, not its later revocation)",
      alter: (ids) => ({
        record: (r) => {
          if (r.id === ids[0]) r.publicFields.enterpriseName = "Forged Co.";
        },
      }),
      height: 1,
      check: "record",
      message: /AUDIT-A-0001 differs.*publicFields/,
    },
    {
      name: "a revocation erased from a stored record",
      alter: (ids) => ({
        record: (r) => {
          if (r.id === ids[1]) {
            r.revoked = false;
            delete r.revocationReason;
          }
        },
      }),
      height: 4,
      check: "record",
      message: /AUDIT-B-0001 differs.*revoked/,
    },
    {
      name: "a stored record no transaction produced",
      alter: (_, base) => ({
        // a copy of A (issued in block 1, revoked in block 2) under an id no transaction issued
        listCertificates: async (limit, after) => {
          const real = (await base.listCertificates?.(limit, after)) ?? [];
          return after === undefined ? [{ ...(real[0] as CertificateRecord), id: "AUDIT-0-FAKE" }, ...real] : real;
        },
      }),
      height: 2,
      check: "record",
      message: /AUDIT-0-FAKE was produced by no transaction/,
    },
    {
      name: "a transaction's stored location moved",
      alter: () => ({ txLocations: async (hashes) => hashes.map((_, i) => ({ height: 1, index: i + 7 })) }),
      height: 1,
      check: "tx-index",
      message: /stored at/,
    },
    {
      name: "an issuance index entry dropped",
      alter: (_, base) => ({
        issuedBy: async (department, limit, after) => (await base.issuedBy?.(department, limit, after))?.filter((e) => e.height !== 3) ?? [],
      }),
      height: 3,
      check: "issuance-index",
      message: /market-regulation/,
    },
    {
      name: "a holder index entry dropped",
      alter: (ids, base) => ({
        holderCertificates: async (keys) => (await base.holderCertificates?.(keys))?.map((list) => list.filter((id) => id !== ids[2])) ?? [],
      }),
      height: 3,
      check: "holder-index",
      message: /business-licence of holder/,
    },
    {
      name: "a head that is not the last block",
      alter: () => ({ head: async () => ({ height: 4, hash: "cd".repeat(32), time: T0 + 4000 }) }),
      height: 4,
      check: "head",
      message: /stored head/,
    },
  ];
  for (const row of rows) {
    it(`finds ${row.name}`, async () => {
      const { store, ids } = await buildChain();
      const report = await auditChain({ batchBlocks: 3 }, { spec, source: tampered(store, row.alter(ids, storeSource(store, "memory"))) });
      assert.ok(report.finding !== null, `${row.name}: not found`);
      assert.deepEqual([report.finding.height, report.finding.check], [row.height, row.check], `${row.name}: ${report.finding.message}`);
      assert.match(report.finding.message, row.message, row.name);
    });
  }
});

describe("audit: the department feed's cursor", () => {
  it("round-trips positions and refuses anything it did not produce", () => {
    for (const p of [
      { height: 1, index: 0 },
      { height: 123456, index: 999 },
    ]) {
      assert.deepEqual(decodeCursor(encodeCursor(p)), p, JSON.stringify(p));
    }
    const bad = [
      "",
      "!!",
      Buffer.from("c1.01.2").toString("base64url"),
      Buffer.from("c2.1.2").toString("base64url"),
      Buffer.from("c1.1.-2").toString("base64url"),
      `${encodeCursor({ height: 1, index: 2 })}A`,
    ];
    for (const cursor of bad) {
      assert.throws(
        () => decodeCursor(cursor),
        (err: unknown) => err instanceof LedgerError && err.code === "BAD_REQUEST",
        JSON.stringify(cursor),
      );
    }
  });
});
