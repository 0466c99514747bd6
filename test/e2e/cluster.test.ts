/**
 * Four real nodes — libp2p (TCP, Noise, yamux, gossipsub) and LevelDB in temporary directories, on
 * free 127.0.0.1 ports — issue, revoke and verify certificates; one node is stopped, misses blocks,
 * is restarted and catches up to the same head.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CertificateDocument, issuePayloadFor } from "../../node/chain/document.js";
import { newSalt } from "../../node/ledger/fresh.js";
import type { ChainSpec } from "../../node/chain/genesis.js";
import { loadGenesis } from "../../node/ledger/genesis-file.js";
import { signTx } from "../../node/chain/tx.js";
import { newTxEnvelope } from "../../node/ledger/fresh.js";
import type { IssueTxBody, RevokeTxBody, Transaction } from "../../node/chain/types.js";
import { type KeyFile, loadKeyFile } from "../../node/keys/key-file.js";
import { type InitResult, initNetwork } from "../../node/init.js";
import { setLogLevel } from "../../node/logger.js";
import { type CertchainNode, startNode } from "../../node/node.js";
import { freeBasePort, waitFor } from "../helpers/ports.js";
import { rpc } from "../helpers/rpc.js";

const DAY = 86_400_000;

describe("e2e: a 4-validator cluster and a follower over libp2p and LevelDB", function () {
  this.timeout(120_000);
  let dir: string;
  let net: InitResult;
  let spec: ChainSpec;
  let market: KeyFile;
  const nodes: Array<CertchainNode | null> = [];
  const url = (i: number): string => net.nodes[i]?.rpcUrl as string;

  let seq = 0;
  function licence(): CertificateDocument {
    seq++;
    return {
      version: 1,
      chainId: spec.chainId,
      certificateId: `BL-E2E-${Date.now().toString(36)}-${seq}`,
      certificateType: "business-licence",
      department: "market-regulation",
      holder: { name: "Li Si", idType: "resident-id", idNumber: "330106198805051234" },
      holderSalt: newSalt(),
      fields: {
        enterpriseName: `Example Trading ${seq} Co., Ltd.`,
        unifiedSocialCreditCode: "91330106MA2XXXXX1X",
        enterpriseType: "Limited liability company",
        address: "2 Example Road, Hangzhou",
        legalRepresentative: "Li Si",
      },
      validFrom: Date.now() - DAY,
      validUntil: Date.now() + 365 * DAY,
    };
  }
  const issue = (doc: CertificateDocument): Transaction => {
    const body: IssueTxBody = {
      ...newTxEnvelope(spec.chainId, "market-regulation", market.publicKey, Date.now()),
      kind: "issue",
      payload: issuePayloadFor(spec, doc),
    };
    return signTx(body, market.privateKey);
  };
  const revoke = (id: string, reason: string): Transaction => {
    const body: RevokeTxBody = {
      ...newTxEnvelope(spec.chainId, "market-regulation", market.publicKey, Date.now()),
      kind: "revoke",
      payload: { certificateId: id, reason },
    };
    return signTx(body, market.privateKey);
  };
  async function submitAndCommit(i: number, tx: Transaction): Promise<{ height: number }> {
    const sent = await rpc<{ hash: string }>(url(i), "/txs", { body: tx });
    assert.equal(sent.status, 202, `submit: ${JSON.stringify(sent.body)}`);
    let view: { status: string; height: number; receipt: { status: string } } | undefined;
    await waitFor(`commit of ${sent.body.hash}`, async () => {
      const r = await rpc<typeof view>(url(i), `/txs/${sent.body.hash}`);
      view = r.body;
      return r.status === 200 && r.body?.status === "committed";
    });
    assert.equal(view?.receipt.status, "applied", JSON.stringify(view));
    return { height: view?.height as number };
  }
  const start = async (i: number): Promise<void> => {
    nodes[i] = await startNode({ home: net.nodes[i]?.home as string, plaintextKeys: true });
  };

  before(async () => {
    setLogLevel("warn");
    dir = await mkdtemp(join(tmpdir(), "certchain-e2e-"));
    const basePort = await freeBasePort(5);
    net = await initNetwork({
      dir,
      validators: 4,
      followers: 1,
      chainName: "e2e",
      host: "127.0.0.1",
      basePort,
      genesisTime: Date.now(),
      keys: { plaintext: true },
      consensus: { roundTimeoutMs: 1000 },
      reviewRules: null, // licences here have no legal representative's identity proof (stories.test.ts covers review)
    });
    spec = await loadGenesis(net.genesisFile);
    market = await loadKeyFile(net.issuers.find((k) => k.department === "market-regulation")?.keyFile as string, { allowPlaintext: true });
    for (let i = 0; i < 5; i++) await start(i); // 4 validators and a follower
    await waitFor("full mesh", async () => {
      for (let i = 0; i < 5; i++) if ((await rpc<{ peers: { connected: number } }>(url(i), "/status")).body.peers.connected < 4) return false;
      return true;
    });
  });

  after(async () => {
    for (const n of nodes) await n?.close();
    setLogLevel("info");
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("issues on node 1 and every node verifies it, by id and by document; a tampered document fails", async () => {
    const doc = licence();
    await submitAndCommit(0, issue(doc));
    for (let i = 0; i < 4; i++) {
      await waitFor(`node ${i + 1} has the certificate`, async () => (await rpc(url(i), `/certificates/${doc.certificateId}`)).status === 200);
      const byId = await rpc<{ valid: boolean; status: string }>(url(i), `/verify/${doc.certificateId}`, { method: "GET" });
      assert.equal(byId.body.valid, true, `node ${i + 1} by id: ${JSON.stringify(byId.body)}`);
      const byDoc = await rpc<{ valid: boolean }>(url(i), "/verify", { body: doc });
      assert.equal(byDoc.body.valid, true, `node ${i + 1} by document`);
      const forged = { ...doc, fields: { ...doc.fields, enterpriseName: "Forged Holdings" } };
      const bad = await rpc<{ valid: boolean; status: string }>(url(i), "/verify", { body: forged });
      assert.deepEqual([bad.body.valid, bad.body.status], [false, "mismatch"], `node ${i + 1} tampered document`);
    }
  });

  it("revokes, and every node says revoked", async () => {
    const doc = licence();
    await submitAndCommit(1, issue(doc));
    await submitAndCommit(2, revoke(doc.certificateId, "business closed"));
    for (let i = 0; i < 4; i++) {
      await waitFor(`node ${i + 1} sees the revocation`, async () => {
        const r = await rpc<{ valid: boolean; status: string }>(url(i), `/verify/${doc.certificateId}`, { method: "GET" });
        return r.body.status === "revoked" && r.body.valid === false;
      });
    }
  });

  it("answers bad input with 4xx and an error code, and keeps running", async () => {
    const tx = issue(licence());
    const cases: Array<[string, () => Promise<{ status: number; body: unknown }>, number, string]> = [
      ["malformed JSON", () => rpc(url(0), "/txs", { raw: "{not json" }), 400, "BAD_JSON"],
      ["a forged signature", () => rpc(url(0), "/txs", { body: { ...tx, signature: "00".repeat(64) } }), 400, "TX_BAD_SIGNATURE"],
      ["a wrong type", () => rpc(url(0), "/txs", { body: { body: 5, signature: 7 } }), 400, "TX_MALFORMED"],
      ["an unknown certificate", () => rpc(url(0), "/certificates/NO-SUCH-CERT"), 404, "NOT_FOUND"],
      ["an unknown transaction", () => rpc(url(0), `/txs/${"ab".repeat(32)}`), 404, "NOT_FOUND"],
      ["an oversized body", () => rpc(url(0), "/txs", { raw: JSON.stringify({ txs: ["x".repeat(3 * 1024 * 1024)] }) }), 413, "BODY_TOO_LARGE"],
    ];
    for (const [name, call, status, code] of cases) {
      const r = await call();
      assert.equal(r.status, status, `${name}: ${JSON.stringify(r.body)}`);
      assert.equal((r.body as { error: { code: string } }).error.code, code, name);
    }
    assert.equal((await rpc(url(0), "/status")).status, 200, "still up");
  });

  it("keeps committing with node 4 stopped; node 4 restarts and catches up to the same head", async () => {
    await nodes[3]?.close();
    nodes[3] = null;
    const docs = [licence(), licence(), licence()];
    for (const d of docs) await submitAndCommit(0, issue(d));
    const head = (await rpc<{ head: { height: number; hash: string } }>(url(0), "/status")).body.head;
    await start(3);
    await waitFor("node 4 catches up", async () => {
      const s = await rpc<{ head: { height: number; hash: string } }>(url(3), "/status");
      return s.body.head.height >= head.height;
    });
    const block = await rpc<{ hash: string }>(url(3), `/blocks/${head.height}`);
    assert.equal(block.body.hash, head.hash, "same block hash at the head");
    for (const d of docs) {
      const r = await rpc<{ valid: boolean }>(url(3), `/verify/${d.certificateId}`, { method: "GET" });
      assert.equal(r.body.valid, true, `node 4 has ${d.certificateId}`);
    }
    // And it takes part again.
    await submitAndCommit(3, issue(licence()));
  });

  it("exposes Prometheus metrics that follow the chain", async () => {
    const res = await fetch(`${url(0)}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    const value = (name: string): number => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text)?.[1]);
    const height = (await rpc<{ head: { height: number } }>(url(0), "/status")).body.head.height;
    assert.equal(value("certchain_head_height"), height, "head height");
    assert.ok(value("certchain_blocks_committed_total") >= 1, "blocks committed");
    assert.equal(value("certchain_peers_configured"), 4, "configured peers: 3 validators and the follower");
    assert.match(text, /certchain_transactions_committed_total\{status="applied",code=""\} \d+/, "applied transactions by receipt");
    assert.match(text, /certchain_block_store_seconds_bucket/, "store latency histogram");
  });

  it("the follower replicates every block, answers verifiers, and never votes", async () => {
    const status = await rpc<{ validator: unknown }>(url(4), "/status");
    assert.equal(status.body.validator, null, "a follower has no validator index");
    const lead = (await rpc<{ head: { height: number; hash: string } }>(url(0), "/status")).body.head;
    await waitFor("the follower reaches the head", async () => (await rpc<{ head: { hash: string } }>(url(4), "/status")).body.head.hash === lead.hash);
    for (let h = 1; h <= lead.height; h++) {
      const b = await rpc<{ commit: { seals: Array<{ validator: number }> } }>(url(4), `/blocks/${h}`);
      assert.ok(
        b.body.commit.seals.every((s) => s.validator < 4),
        `height ${h}: seals only from validators`,
      );
    }
    const doc = licence();
    await submitAndCommit(4, issue(doc)); // a transaction sent to a follower is gossiped to the validators
    assert.equal((await rpc<{ valid: boolean }>(url(4), `/verify/${doc.certificateId}`)).body.valid, true);
  });

  it("every node holds the same block at every height", async () => {
    const heights = await Promise.all([0, 1, 2, 3, 4].map(async (i) => (await rpc<{ head: { height: number } }>(url(i), "/status")).body.head.height));
    const top = Math.min(...heights);
    assert.ok(top >= 6, `at least 6 blocks, got ${top}`);
    for (let h = 1; h <= top; h++) {
      const hashes = new Set<string>();
      for (let i = 0; i < 5; i++) hashes.add((await rpc<{ hash: string }>(url(i), `/blocks/${h}`)).body.hash);
      assert.equal(hashes.size, 1, `height ${h}: ${[...hashes].join(" vs ")}`);
    }
  });
});
