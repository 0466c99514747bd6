/**
 * Freshness on a real cluster: with a short heartbeat in genesis, an idle chain still makes (empty)
 * blocks, so a certificate passes its validUntil and every node answers "expired" with no transaction
 * sent after its issue; answers say how old their newest block is, and an offline check of the
 * proof bundle does too.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { offlineVerdict } from "../../cli/commands/cert/verify-offline.js";
import type { CertificateView, VerificationResult } from "../../node/api/views.js";
import { type CertificateDocument, issuePayloadFor } from "../../node/chain/document.js";
import { staleAfterMs } from "../../node/chain/freshness.js";
import type { ChainSpec } from "../../node/chain/genesis.js";
import { signTx } from "../../node/chain/tx.js";
import type { BlockHeader, IssueTxBody } from "../../node/chain/types.js";
import { type InitResult, initNetwork } from "../../node/init.js";
import { type KeyFile, loadKeyFile } from "../../node/keys/key-file.js";
import { newSalt, newTxEnvelope } from "../../node/ledger/fresh.js";
import { loadGenesis } from "../../node/ledger/genesis-file.js";
import { setLogLevel } from "../../node/logger.js";
import { type CertchainNode, startNode } from "../../node/node.js";
import { freeBasePort, waitFor } from "../helpers/ports.js";
import { rpc } from "../helpers/rpc.js";

const HEARTBEAT_MS = 1_000;
const VALIDITY_MS = 4_000;

describe("e2e: the heartbeat of an idle chain", function () {
  // A hang guard only: the issue is tried with validities of 4 to 64 s until one is valid when committed.
  this.timeout(300_000);
  let dir: string;
  let net: InitResult;
  let spec: ChainSpec;
  let market: KeyFile;
  const nodes: CertchainNode[] = [];
  const url = (i: number): string => net.nodes[i]?.rpcUrl as string;

  before(async () => {
    setLogLevel("warn");
    dir = await mkdtemp(join(tmpdir(), "certchain-heartbeat-"));
    net = await initNetwork({
      dir,
      validators: 4,
      chainName: "heartbeat",
      host: "127.0.0.1",
      basePort: await freeBasePort(4),
      genesisTime: Date.now(),
      keys: { plaintext: true },
      consensus: { roundTimeoutMs: 1000, heartbeatIntervalMs: HEARTBEAT_MS, minValidityMs: 1000 },
      reviewRules: null,
    });
    spec = await loadGenesis(net.genesisFile);
    market = await loadKeyFile(net.issuers.find((k) => k.department === "market-regulation")?.keyFile as string, { allowPlaintext: true });
    for (const n of net.nodes) nodes.push(await startNode({ home: n.home, plaintextKeys: true }));
  });

  after(async () => {
    for (const n of nodes) await n.close();
    setLogLevel("info");
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("a certificate passes its validUntil and every node says expired, with no transaction sent; answers and the offline check give the newest block's age", async () => {
    assert.equal(spec.heartbeatIntervalMs, HEARTBEAT_MS, "the heartbeat is in genesis");
    // The certificate must still be valid in the block that commits it, however long the commit takes
    // on this machine: a first validity of 4 s, doubled for a new certificate whenever the issue's block
    // came at or after its validUntil (the property under test starts only once one was valid when issued).
    let validity = VALIDITY_MS;
    let doc: CertificateDocument | undefined;
    let issuedAt = 0;
    let issueBlock: BlockHeader | undefined;
    for (let attempt = 0; attempt < 5 && issueBlock === undefined; attempt++, validity *= 2) {
      const now = Date.now();
      const candidate: CertificateDocument = {
        version: 1,
        chainId: spec.chainId,
        certificateId: `BL-HB-${now.toString(36)}`,
        certificateType: "business-licence",
        department: "market-regulation",
        holder: { name: "Li Si", idType: "resident-id", idNumber: "330106198805051234" },
        holderSalt: newSalt(),
        fields: {
          enterpriseName: "Short Lived Co., Ltd.",
          unifiedSocialCreditCode: "91330106MA2XXXXX1X",
          enterpriseType: "Limited liability company",
          address: "2 Example Road, Hangzhou",
          legalRepresentative: "Li Si",
        },
        validFrom: now - 1_000,
        validUntil: now + validity,
      };
      const body: IssueTxBody = {
        ...newTxEnvelope(spec.chainId, "market-regulation", market.publicKey, now),
        kind: "issue",
        payload: issuePayloadFor(spec, candidate),
      };
      const sent = await rpc<{ hash: string }>(url(0), "/txs", { body: signTx(body, market.privateKey) });
      assert.equal(sent.status, 202, JSON.stringify(sent.body));
      await waitFor(
        "the issue is committed",
        async () => {
          const r = await rpc<{ status: string; height: number }>(url(0), `/txs/${sent.body.hash}`);
          issuedAt = r.body.height;
          return r.body.status === "committed";
        },
        validity + 20_000,
      );
      const header = (await rpc<{ block: { header: BlockHeader } }>(url(0), `/blocks/${issuedAt}`)).body.block.header;
      if (header.time < candidate.validUntil) {
        doc = candidate;
        issueBlock = header;
      }
    }
    assert.ok(doc !== undefined && issueBlock !== undefined, `no issue committed within its validity (last tried ${validity / 2} ms)`);
    const waitMs = doc.validUntil - Date.now() + 20_000;

    // No transaction from here on: only the heartbeat moves the chain past validUntil.
    for (let i = 0; i < 4; i++) {
      await waitFor(
        `node ${i + 1} says expired`,
        async () => (await rpc<CertificateView>(url(i), `/certificates/${doc?.certificateId}`)).body.status === "expired",
        waitMs,
      );
    }
    const expired = await rpc<CertificateView>(url(2), `/certificates/${doc.certificateId}`);
    const head = expired.body.checkedAtHeight;
    assert.ok(expired.body.checkedAt >= doc.validUntil, "expired as of a block at or after validUntil");
    let parent = issueBlock;
    let firstAfterExpiry: BlockHeader | undefined;
    for (let h = issuedAt + 1; h <= head; h++) {
      const header = (await rpc<{ block: { header: BlockHeader } }>(url(0), `/blocks/${h}`)).body.block.header;
      assert.equal(header.txCount, 0, `block ${h} after the issue is an empty heartbeat block`);
      assert.ok(header.time - parent.time >= HEARTBEAT_MS, `block ${h} comes ${header.time - parent.time} ms after its parent`);
      if (firstAfterExpiry === undefined && header.time >= doc.validUntil) firstAfterExpiry = header;
      parent = header;
    }
    assert.ok(firstAfterExpiry !== undefined, "a heartbeat block at or after validUntil");
    // Heartbeats follow each other at the interval: expiry shows within the freshness bound.
    assert.ok(firstAfterExpiry.time - doc.validUntil <= staleAfterMs(spec.consensus), `expiry took effect ${firstAfterExpiry.time - doc.validUntil} ms late`);

    // Answers say how old their newest block is; a live chain's is fresh.
    const f = expired.body.freshness;
    assert.ok(f !== undefined, "GET /certificates/:id has freshness");
    assert.equal(f.newestBlockHeight, head);
    assert.equal(f.staleAfterMs, staleAfterMs(spec.consensus));
    assert.equal(f.stale, false, JSON.stringify(f));
    assert.equal(expired.body.warning, undefined);
    const verify = await rpc<VerificationResult>(url(3), `/verify/${doc.certificateId}`);
    assert.equal(verify.body.status, "expired");
    assert.equal(verify.body.certificate?.freshness?.stale, false, "GET /verify/:id has freshness");

    // Offline: the proof bundle shows expired, with the age of its newest block by this computer's clock.
    const bundle = await rpc<unknown>(url(0), `/certificates/${doc.certificateId}/proof`);
    const verdict = offlineVerdict(bundle.body, spec.genesis, undefined, Date.now());
    assert.match(verdict.line, /^NOT VALID: expired on .*; newest block \d+ s old by this computer's clock$/, verdict.line);
    assert.equal(verdict.freshness?.stale, false);
    const stale = offlineVerdict(bundle.body, spec.genesis, undefined, Date.now() + 10 * staleAfterMs(spec.consensus));
    assert.match(stale.line, /\(STALE\)$/, stale.line);
    assert.match(stale.warning ?? "", /more than the .* a live chain allows/);
  });
});
