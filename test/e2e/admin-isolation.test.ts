/**
 * The admin isolation switch (routes/admin.ts, Network.setIsolated) on four real nodes: served only
 * with enableAdmin; an isolated node drops every peer and refuses reconnection while the others keep
 * committing; reconnected, it catches up to the same head. Meanwhile the chaos runner's end checks
 * (testnet/chaos-check.ts) must flag the isolated node as behind, missing blocks and transactions.
 */
import { identityProofTx } from "../helpers/identity-proof.js";
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChainSpec } from "../../node/chain/genesis.js";
import { loadGenesis } from "../../node/ledger/genesis-file.js";
import type { Transaction } from "../../node/chain/types.js";
import { type KeyFile, loadKeyFile } from "../../node/keys/key-file.js";
import { type InitResult, initNetwork } from "../../node/init.js";
import { setLogLevel } from "../../node/logger.js";
import { type CertchainNode, startNode } from "../../node/node.js";
import { checkAcknowledged, checkBlockHashes, waitForSameHead } from "../../testnet/chaos-check.js";
import type { AcknowledgedTx } from "../../testnet/chaos-load.js";
import type { Violation } from "../../testnet/chaos-monitor.js";
import { freeBasePort, waitFor } from "../helpers/ports.js";
import { rpc } from "../helpers/rpc.js";

type Status = { head: { height: number; hash: string }; peers: { connected: number } };

describe("e2e: admin route isolates a node from its peers and reconnects it", function () {
  this.timeout(60_000);
  let dir: string;
  let net: InitResult;
  let spec: ChainSpec;
  let issuer: KeyFile;
  const nodes: CertchainNode[] = [];
  const url = (i: number): string => net.nodes[i]?.rpcUrl as string;
  const status = async (i: number): Promise<Status> => (await rpc<Status>(url(i), "/status")).body;

  let seq = 0;
  function identityProof(): Transaction {
    seq++;
    return identityProofTx(spec, issuer, `ID-ISOLATE-${seq}`, `Holder ${seq}`);
  }

  async function commitOn(i: number): Promise<AcknowledgedTx> {
    const tx = identityProof();
    const certificateId = (tx.body.payload as { certificateId: string }).certificateId;
    const sent = await rpc<{ hash: string }>(url(i), "/txs", { body: tx });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    let height = 0;
    await waitFor(`commit of ${sent.body.hash}`, async () => {
      const r = await rpc<{ status: string; height: number }>(url(i), `/txs/${sent.body.hash}`);
      height = r.body.height;
      return r.body.status === "committed";
    });
    return { hash: sent.body.hash, certificateId, height };
  }

  before(async () => {
    setLogLevel("error");
    dir = await mkdtemp(join(tmpdir(), "certchain-isolate-"));
    net = await initNetwork({
      dir,
      validators: 4,
      chainName: "isolate",
      host: "127.0.0.1",
      basePort: await freeBasePort(4),
      genesisTime: Date.now(),
      keys: { plaintext: true },
      consensus: { roundTimeoutMs: 1000 },
    });
    spec = await loadGenesis(net.genesisFile);
    issuer = await loadKeyFile(net.issuers.find((k) => k.department === "public-security")?.keyFile as string, { allowPlaintext: true });
    // Node 4 serves the admin routes; the others do not.
    for (let i = 0; i < 4; i++) nodes.push(await startNode({ home: net.nodes[i]?.home as string, enableAdmin: i === 3, plaintextKeys: true }));
    await waitFor("full mesh", async () => {
      for (let i = 0; i < 4; i++) if ((await status(i)).peers.connected < 3) return false;
      return true;
    });
  });

  after(async () => {
    for (const n of nodes) await n.close();
    setLogLevel("info");
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("is not served without enableAdmin, and checks its body", async () => {
    const off = await rpc<{ error: { code: string } }>(url(0), "/admin/network", { body: { isolated: true } });
    assert.equal(off.status, 404, "node 1 has no admin route");
    for (const body of [{}, { isolated: "yes" }, { isolated: true, extra: 1 }]) {
      const bad = await rpc<{ error: { code: string } }>(url(3), "/admin/network", { body });
      assert.equal(bad.status, 400, `body ${JSON.stringify(body)}`);
      assert.equal(bad.body.error.code, "BAD_REQUEST", `body ${JSON.stringify(body)}`);
    }
    const state = await rpc<{ isolated: boolean; connected: number }>(url(3), "/admin/network");
    assert.deepEqual(state.body, { isolated: false, connected: 3 });
  });

  it("an isolated node keeps no peer while the others commit; reconnected, it catches up", async () => {
    const cut = await rpc<{ isolated: boolean; connected: number }>(url(3), "/admin/network", { body: { isolated: true } });
    assert.equal(cut.status, 200);
    assert.equal(cut.body.isolated, true);
    await waitFor("node 4 has no peer", async () => (await status(3)).peers.connected === 0);
    const before = (await status(3)).head.height;
    const acked = [await commitOn(0), await commitOn(1)];
    // The others redial every second; 2.5 s without a connection shows the gater refuses them.
    await new Promise((r) => setTimeout(r, 2500));
    const cutOff = await status(3);
    assert.equal(cutOff.peers.connected, 0, "nobody reconnected to the isolated node");
    assert.equal(cutOff.head.height, before, "the isolated node committed nothing");
    for (let i = 0; i < 3; i++) assert.equal((await status(i)).peers.connected, 2, `node ${i + 1} sees only the other two`);

    // The chaos runner's end checks see what isolation did.
    const urls = [0, 1, 2, 3].map((i) => ({ name: `node${i + 1}`, rpcUrl: url(i) }));
    const top = Math.max(...acked.map((a) => a.height));
    const seen: Violation[] = [];
    assert.equal(await waitForSameHead(urls, 500, (v) => seen.push(v)), null, "no common head");
    assert.deepEqual(
      seen.map((v) => [v.kind, v.message.split(" ")[0]]),
      [["not-caught-up", "node4"]],
    );
    assert.ok((await checkBlockHashes(urls, top, (v) => seen.push(v))).includes(top), "node 4 lacks the newest block");
    assert.equal(await checkAcknowledged(urls, acked, (v) => seen.push(v)), 2, "both transactions are missing on node 4");
    assert.match(seen.at(-1)?.message ?? "", /not committed there on node4$/);

    const healed = await rpc<{ isolated: boolean }>(url(3), "/admin/network", { body: { isolated: false } });
    assert.equal(healed.body.isolated, false);
    await waitFor("node 4 reconnects and catches up", async () => {
      const s = await status(3);
      return s.peers.connected === 3 && s.head.height >= top;
    });
    const theirs = await rpc<{ hash: string }>(url(0), `/blocks/${top}`);
    const mine = await rpc<{ hash: string }>(url(3), `/blocks/${top}`);
    assert.equal(mine.body.hash, theirs.body.hash, "same block at the height committed while isolated");
    const clean: Violation[] = [];
    const head = await waitForSameHead(urls, 10_000, (v) => clean.push(v));
    assert.deepEqual(await checkBlockHashes(urls, head?.height ?? 0, (v) => clean.push(v)), []);
    assert.equal(await checkAcknowledged(urls, acked, (v) => clean.push(v)), 0);
    assert.deepEqual(clean, [], "healed: the end checks pass");
    await commitOn(3); // and it takes part again
  });
});
