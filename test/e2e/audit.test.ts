/**
 * Audit and transparency on a real node (libp2p, LevelDB, RPC): a one-validator chain issues and
 * revokes certificates; the history and department feed routes and commands answer from it; the
 * auditor passes it over RPC while it runs and from its LevelDB once stopped; then one block, and
 * separately one certificate record, is altered on disk and `certchain audit --home` (the real
 * binary) names the height and exits 3.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Level } from "level";
import { runCli } from "../../cli/main.js";
import type { CliIo } from "../../cli/io.js";
import type { CertificateHistory } from "../../node/audit/history.js";
import type { IssuedCertificate } from "../../node/api/views.js";
import { type CertificateDocument, issuePayloadFor } from "../../node/chain/document.js";
import { newSalt } from "../../node/ledger/fresh.js";
import type { ChainSpec } from "../../node/chain/genesis.js";
import { loadGenesis } from "../../node/ledger/genesis-file.js";
import { signTx } from "../../node/chain/tx.js";
import { newTxEnvelope } from "../../node/ledger/fresh.js";
import type { IssueTxBody, RevokeTxBody, Transaction } from "../../node/chain/types.js";
import { type KeyFile, loadKeyFile } from "../../node/keys/key-file.js";
import type { StoredBlock, StoredTx } from "../../node/ledger/store.js";
import { type InitResult, initNetwork } from "../../node/init.js";
import { setLogLevel } from "../../node/logger.js";
import { type CertchainNode, startNode } from "../../node/node.js";
import { freeBasePort, waitFor } from "../helpers/ports.js";
import { rpc } from "../helpers/rpc.js";

const BIN = fileURLToPath(new URL("../../../bin/certchain.js", import.meta.url));
const DAY = 86_400_000;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real binary, as an operator runs it. */
function bin(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The CLI in-process, for the commands that talk to the running node. */
async function cli(args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), env: {} };
  const code = await runCli(args, io);
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

const pad = (n: number): string => n.toString().padStart(16, "0");

/** Rewrite one value of the stopped node's LevelDB, as a disk fault or a tamperer would. */
async function rewrite(dataDir: string, sublevel: string, key: string, alter: (value: Record<string, unknown>) => void): Promise<() => Promise<void>> {
  const db = new Level<string, Record<string, unknown>>(dataDir, { valueEncoding: "json" });
  const sub = db.sublevel<string, Record<string, unknown>>(sublevel, { valueEncoding: "json" });
  const original = await sub.get(key);
  assert.ok(original !== undefined, `${sublevel}/${key} is stored`);
  const changed = structuredClone(original);
  alter(changed);
  await sub.put(key, changed);
  await db.close();
  // Put the original back.
  return async () => {
    const again = new Level<string, Record<string, unknown>>(dataDir, { valueEncoding: "json" });
    await again.sublevel<string, Record<string, unknown>>(sublevel, { valueEncoding: "json" }).put(key, original);
    await again.close();
  };
}

describe("e2e: certificate history, department feed and certchain audit on a real node", function () {
  this.timeout(120_000);
  let dir: string;
  let net: InitResult;
  let spec: ChainSpec;
  let market: KeyFile;
  let node: CertchainNode | null = null;
  const url = (): string => net.nodes[0]?.rpcUrl as string;
  const home = (): string => net.nodes[0]?.home as string;
  /** Issued certificate ids in order, with the height each was issued at. */
  const issued: Array<{ id: string; height: number }> = [];
  let revoked: { id: string; height: number };

  const document = (n: number): CertificateDocument => ({
    version: 1,
    chainId: spec.chainId,
    certificateId: `BL-AUDIT-${n.toString().padStart(4, "0")}`,
    certificateType: "business-licence",
    department: "market-regulation",
    holder: { name: "Wang Wu", idType: "resident-id", idNumber: "330106198805051234" },
    holderSalt: newSalt(),
    fields: {
      enterpriseName: `Audit Trading ${n} Co., Ltd.`,
      unifiedSocialCreditCode: "91330106MA2XXXXX1X",
      enterpriseType: "Limited liability company",
      address: "3 Example Road, Hangzhou",
      legalRepresentative: "Wang Wu",
    },
    validFrom: Date.now() - DAY,
    validUntil: Date.now() + 365 * DAY,
  });
  const sign = (body: IssueTxBody | RevokeTxBody): Transaction => signTx(body, market.privateKey);
  const envelope = () => newTxEnvelope(spec.chainId, "market-regulation", market.publicKey, Date.now());

  /** Submit a batch and wait until each is committed; returns each transaction's height. */
  async function commitAll(txs: Transaction[]): Promise<number[]> {
    const sent = await rpc<{ results: Array<{ hash: string }> }>(url(), "/txs", { body: { txs } });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    const heights: number[] = [];
    for (const { hash } of sent.body.results) {
      let height = 0;
      await waitFor(`commit of ${hash}`, async () => {
        const r = await rpc<{ status: string; height: number; receipt: { status: string } }>(url(), `/txs/${hash}`);
        height = r.body.height;
        return r.status === 200 && r.body.status === "committed";
      });
      heights.push(height);
    }
    return heights;
  }

  before(async () => {
    setLogLevel("warn");
    dir = await mkdtemp(join(tmpdir(), "certchain-audit-"));
    net = await initNetwork({
      dir,
      keys: { plaintext: true },
      validators: 1,
      departments: ["market-regulation"], // the one validator's department issues the licences
      chainName: "audit",
      host: "127.0.0.1",
      basePort: await freeBasePort(1),
      genesisTime: Date.now() - 1000,
      reviewRules: null,
    });
    spec = await loadGenesis(net.genesisFile);
    market = await loadKeyFile(net.issuers.find((k) => k.department === "market-regulation")?.keyFile as string, { allowPlaintext: true });
    node = await startNode({ home: home(), plaintextKeys: true });
    // Four rounds of three issues: several blocks, several certificates per block.
    for (let round = 0; round < 4; round++) {
      const docs = [0, 1, 2].map((i) => document(round * 3 + i + 1));
      const heights = await commitAll(docs.map((d) => sign({ ...envelope(), kind: "issue", payload: issuePayloadFor(spec, d) })));
      for (const [i, d] of docs.entries()) issued.push({ id: d.certificateId, height: heights[i] as number });
    }
    const target = issued[1] as { id: string };
    const [height] = await commitAll([sign({ ...envelope(), kind: "revoke", payload: { certificateId: target.id, reason: "business closed" } })]);
    revoked = { id: target.id, height: height as number };
  });

  after(async () => {
    await node?.close();
    setLogLevel("info");
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("serves a certificate's history with block hashes, over RPC and the CLI", async () => {
    const r = await rpc<CertificateHistory>(url(), `/certificates/${revoked.id}/history`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(
      r.body.events.map((e) => [e.action, e.height, e.reason]),
      [
        ["issue", issued[1]?.height, undefined],
        ["revoke", revoked.height, "business closed"],
      ],
    );
    assert.equal(r.body.status, "revoked");
    for (const e of r.body.events) {
      const block = await rpc<StoredBlock>(url(), `/blocks/${e.height}`);
      assert.equal(e.blockHash, block.body.hash, `block hash of the ${e.action} event`);
      assert.equal(block.body.receipts[e.index]?.txHash, e.txHash, `the ${e.action} transaction sits at its index`);
    }
    assert.equal((await rpc(url(), "/certificates/NO-SUCH-CERT/history")).status, 404);
    const shown = await cli(["cert", "history", "--id", revoked.id, "--rpc", url()]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`revoke .* block ${revoked.height} .* reason: business closed`), shown.stdout);
  });

  it("pages a department's feed with a stable cursor, with each certificate's status", async () => {
    const seen: IssuedCertificate[] = [];
    let cursor: string | null = null;
    const pages: number[] = [];
    do {
      const query: string = cursor === null ? "?limit=5" : `?limit=5&cursor=${cursor}`;
      const r = await rpc<{ items: IssuedCertificate[]; nextCursor: string | null }>(url(), `/departments/market-regulation/certificates${query}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      pages.push(r.body.items.length);
      seen.push(...r.body.items);
      cursor = r.body.nextCursor;
    } while (cursor !== null);
    assert.deepEqual(pages, [5, 5, 2]);
    assert.deepEqual(
      seen.map((c) => [c.id, c.height]),
      issued.map((c) => [c.id, c.height]),
      "every issue, oldest first, once",
    );
    assert.deepEqual(
      seen.filter((c) => c.status !== "valid").map((c) => [c.id, c.status]),
      [[revoked.id, "revoked"]],
    );
    const empty = await rpc<{ items: unknown[]; nextCursor: unknown }>(url(), "/departments/housing/certificates");
    assert.deepEqual([empty.status, empty.body.items.length, empty.body.nextCursor], [200, 0, null]);
    const departments = await rpc<{ departments: Array<{ id: string }> }>(url(), "/departments");
    assert.deepEqual(
      departments.body.departments.map((d) => d.id),
      spec.genesis.departments.map((d) => d.id),
    );

    const refused: Array<[string, number, string]> = [
      ["/departments/no-such-department/certificates", 404, "NOT_FOUND"],
      ["/departments/Bad_Id/certificates", 400, "BAD_REQUEST"],
      ["/departments/market-regulation/certificates?limit=0", 400, "BAD_REQUEST"],
      ["/departments/market-regulation/certificates?limit=501", 400, "BAD_REQUEST"],
      ["/departments/market-regulation/certificates?limit=ten", 400, "BAD_REQUEST"],
      ["/departments/market-regulation/certificates?limit=1&limit=2", 400, "BAD_REQUEST"],
      ["/departments/market-regulation/certificates?cursor=bm90LWEtY3Vyc29y", 400, "BAD_REQUEST"],
      ["/departments/market-regulation/certificates?page=2", 400, "BAD_REQUEST"],
    ];
    for (const [path, status, code] of refused) {
      const r = await rpc<{ error: { code: string } }>(url(), path);
      assert.deepEqual([r.status, r.body.error?.code], [status, code], path);
    }

    const all = await cli(["feed", "--department", "market-regulation", "--limit", "5", "--all", "--rpc", url()]);
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual(
      all.stdout.split("\n").map((l) => l.split(" ")[0]),
      issued.map((c) => c.id),
    );
    const unknown = await cli(["feed", "--department", "no-such-department", "--rpc", url()]);
    assert.equal(unknown.code, 1, unknown.stderr);
  });

  it("audits the running node through its RPC", async () => {
    const r = await cli(["audit", "--rpc", url()]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /OK, consistent/);
    assert.match(r.stdout, /13 transactions/);
    assert.match(r.stdout, /12 records compared/);
  });

  it("audits the stopped node's LevelDB: clean passes; a block or a record altered on disk is named by height, exit 3", async () => {
    await node?.close();
    node = null;
    const clean = await bin(["audit", "--home", home()]);
    assert.equal(clean.code, 0, `${clean.stdout}\n${clean.stderr}`);
    assert.match(clean.stdout, /OK, consistent/);

    const dataDir = join(home(), "data");
    const victim = issued[7] as { id: string; height: number };
    // A block's transactions are stored one a key (height!index), beside its head.
    const restoreBlock = await rewrite(dataDir, "blocktxs", `${pad(victim.height)}!${"0".padStart(8, "0")}`, (item) => {
      const tx = (item as unknown as StoredTx).tx as unknown as { body: { payload: { publicFields: Record<string, unknown> } } };
      tx.body.payload.publicFields.enterpriseName = "Forged Holdings";
    });
    const forgedBlock = await bin(["audit", "--home", home(), "--quiet"]);
    assert.equal(forgedBlock.code, 3, `${forgedBlock.stdout}\n${forgedBlock.stderr}`);
    assert.match(forgedBlock.stderr, new RegExp(`inconsistency at height ${victim.height} \\(block\\): .*signature does not verify`), forgedBlock.stderr);
    await restoreBlock();

    // A value that is not even JSON any more: named by its height too (the head's is refused on open).
    const middle = issued[4] as { height: number };
    const raw = new Level<string, string>(dataDir, { valueEncoding: "utf8" });
    const blocks = raw.sublevel<string, string>("blocks", { valueEncoding: "utf8" });
    const original = (await blocks.get(pad(middle.height))) as string;
    await blocks.put(pad(middle.height), original.slice(0, 100));
    await raw.close();
    const damaged = await bin(["audit", "--home", home(), "--quiet"]);
    assert.equal(damaged.code, 3, `${damaged.stdout}\n${damaged.stderr}`);
    assert.match(
      damaged.stderr,
      new RegExp(`inconsistency at height ${middle.height} \\(block\\): stored block ${middle.height} cannot be read`),
      damaged.stderr,
    );
    const again = new Level<string, string>(dataDir, { valueEncoding: "utf8" });
    await again.sublevel<string, string>("blocks", { valueEncoding: "utf8" }).put(pad(middle.height), original);
    await again.close();

    await rewrite(dataDir, "certs", victim.id, (r) => {
      (r.publicFields as Record<string, unknown>).enterpriseName = "Forged Holdings";
    });
    const forgedRecord = await bin(["audit", "--home", home(), "--quiet"]);
    assert.equal(forgedRecord.code, 3, `${forgedRecord.stdout}\n${forgedRecord.stderr}`);
    assert.match(forgedRecord.stderr, new RegExp(`inconsistency at height ${victim.height} \\(record\\): certificate ${victim.id}`), forgedRecord.stderr);
  });
});
