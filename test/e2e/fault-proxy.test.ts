/**
 * A 4-node testnet whose every link goes through the fault proxy at a 50 ms round trip (25 ms each
 * way): the nodes' peers point at the proxy, certificates commit, and after every connection is reset
 * the nodes reconnect through the proxy again (never directly) and keep committing.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../node/config.js";
import type { KeyPair } from "../../node/crypto/keys.js";
import { loadKeyFile } from "../../node/keys/key-file.js";
import { loadGenesis } from "../../node/ledger/genesis-file.js";
import { linkPort } from "../../testnet/links.js";
import { type Testnet, startTestnet } from "../../testnet/testnet.js";
import { identityProofTx } from "../helpers/identity-proof.js";
import { freeBasePort, waitFor } from "../helpers/ports.js";
import { rpc } from "../helpers/rpc.js";

describe("e2e: a 4-node testnet through the fault proxy at a 50 ms round trip", function () {
  this.timeout(60_000);
  let dir: string;
  let net: Testnet;
  let basePort: number;
  let issuer: KeyPair;
  let issued = 0;
  const names = (): string[] => net.info.nodes.map((n) => n.name);

  /** Issue `count` identity proofs through node `via` and wait until each is committed on every node. */
  async function issueAndCommit(count: number, via: number): Promise<void> {
    const spec = await loadGenesis(net.info.genesisFile);
    const txs = Array.from({ length: count }, () => identityProofTx(spec, issuer, `PROXY-${++issued}`, `Holder ${issued}`));
    const url = net.info.nodes[via]?.rpcUrl as string;
    const posted = await rpc<{ results: Array<{ hash: string }> }>(url, "/txs", { method: "POST", body: { txs } });
    assert.equal(posted.status, 200, JSON.stringify(posted.body));
    for (const { hash } of posted.body.results) {
      for (const node of net.info.nodes) {
        await waitFor(
          `${hash} committed on ${node.name}`,
          async () => (await rpc<{ status: string }>(node.rpcUrl, `/txs/${hash}`)).body.status === "committed",
          20_000,
          50,
        );
      }
    }
  }

  /** Every pair of nodes has a connection open through the proxy (on the dialler's link). */
  function everyPairThroughProxy(): boolean {
    const n = names();
    return n.every((a, i) => n.slice(i + 1).every((b) => net.proxy?.openConnections(a, b) !== 0 || net.proxy?.openConnections(b, a) !== 0));
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "certchain-proxy-e2e-"));
    basePort = await freeBasePort(4, undefined, true);
    net = await startTestnet({ nodes: 4, dir: join(dir, "net"), basePort, quiet: true, reviewRules: null, link: { latencyMs: 25 } });
    const ps = net.info.issuers.find((i) => i.department === "public-security");
    issuer = await loadKeyFile(ps?.keyFile as string, { allowPlaintext: true });
  });

  after(async () => {
    await net?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("points every node's peers at the proxy's listener for that link", async () => {
    assert.ok(net.proxy !== null);
    for (const [i, node] of net.info.nodes.entries()) {
      const cfg = await loadConfig(node.home);
      assert.equal(cfg.p2p.peers.length, 3, `${node.name}: one entry per other node`);
      for (const p of cfg.p2p.peers) {
        const j = net.info.nodes.findIndex((m) => m.peerId === p.peerId);
        assert.equal(p.address, `/ip4/127.0.0.1/tcp/${linkPort(basePort, 4, i, j)}`, `${node.name} → node${j + 1}`);
      }
    }
    assert.equal(net.info.links?.length, 12, "one link per ordered pair");
  });

  it("commits certificates with every pair connected through the proxy", async () => {
    await issueAndCommit(5, 1);
    await waitFor("a proxied connection between every pair", everyPairThroughProxy, 10_000, 50);
    for (const a of names())
      for (const b of names()) if (a !== b) assert.ok((net.proxy?.bytesFrom(a, b) ?? 0) > 0, `traffic ${a} → ${b} went through the proxy`);
  });

  it("after every connection is reset, reconnects through the proxy and keeps committing", async () => {
    const proxy = net.proxy;
    assert.ok(proxy !== null);
    let reset = 0;
    for (const name of names()) reset += proxy.reset(name);
    assert.ok(reset >= 6, `reset ${reset} connections`);
    await waitFor("every pair reconnected through the proxy", everyPairThroughProxy, 20_000, 50);
    await issueAndCommit(3, 2);
  });
});
