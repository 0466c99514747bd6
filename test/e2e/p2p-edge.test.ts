/**
 * The network edge with real libp2p: a peer not in the configuration cannot connect, and garbage
 * gossiped by a configured but misbehaving peer (random bytes, oversized, forged signatures, stale
 * heights) is rejected while the honest validators keep committing.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair as generateLibp2pKey } from "@libp2p/crypto/keys";
import { issuePayloadFor } from "../../node/chain/document.js";
import { newSalt } from "../../node/ledger/fresh.js";
import type { ChainSpec } from "../../node/chain/genesis.js";
import { loadGenesis } from "../../node/ledger/genesis-file.js";
import { signTx } from "../../node/chain/tx.js";
import { newTxEnvelope } from "../../node/ledger/fresh.js";
import type { IssueTxBody } from "../../node/chain/types.js";
import { systemClock } from "../../node/clock.js";
import { loadConfig } from "../../node/config.js";
import { configuredPeers } from "../../node/configured-peers.js";
import { signMessage } from "../../node/chain/messages.js";
import { generateKeyPair, loadKeyFile } from "../../node/keys/key-file.js";
import { type InitResult, initNetwork } from "../../node/init.js";
import { setLogLevel } from "../../node/logger.js";
import { loadPeerKey, peerIdOf } from "../../node/network/identity.js";
import { Network } from "../../node/network/network.js";
import { type CertchainNode, startNode } from "../../node/node.js";
import { freeBasePort, waitFor } from "../helpers/ports.js";
import { rpc } from "../helpers/rpc.js";

const DAY = 86_400_000;

/** Check `happened` every 10 ms for `ms`; fail the moment it holds. */
async function neverDuring(ms: number, happened: () => boolean, message: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    assert.equal(happened(), false, message);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("e2e: the p2p edge", function () {
  this.timeout(120_000);
  let dir: string;
  let net: InitResult;
  let spec: ChainSpec;
  const nodes: CertchainNode[] = [];
  const extra: Network[] = [];
  const url = (i: number): string => net.nodes[i]?.rpcUrl as string;
  const silent = { onTransactions: () => "accept" as const, onConsensus: () => "accept" as const, onRequest: async () => new Uint8Array() };

  before(async () => {
    setLogLevel((process.env.EDGE_LOG as "info" | undefined) ?? "error");
    dir = await mkdtemp(join(tmpdir(), "certchain-edge-"));
    net = await initNetwork({
      dir,
      validators: 4,
      chainName: "edge",
      host: "127.0.0.1",
      basePort: await freeBasePort(5),
      genesisTime: Date.now(),
      keys: { plaintext: true },
      consensus: { roundTimeoutMs: 1000 },
      reviewRules: null, // licences without a legal representative's identity proof
    });
    spec = await loadGenesis(net.genesisFile);
    // Nodes 1-3 are honest; node 4's identity is taken over by a misbehaving process below.
    // A ban that outlasts the whole file: the garbage of the second test may already box the rogue (how much of
    // it gossipsub validates before graylisting the sender depends on timing), and a 30 s first ban that started
    // there could run out while the third test watches it being refused.
    const overrides = ["network.penalties.banMs=600000", "network.penalties.maxBanMs=600000"];
    for (let i = 0; i < 3; i++) nodes.push(await startNode({ home: net.nodes[i]?.home as string, plaintextKeys: true, overrides }));
  });

  after(async () => {
    for (const n of extra) await n.stop();
    for (const n of nodes) await n.close();
    setLogLevel("info");
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses a peer that is not in the configuration", async () => {
    const outsider = new Network(
      {
        privateKey: await generateLibp2pKey("Ed25519"),
        listen: ["/ip4/127.0.0.1/tcp/0"],
        peers: [{ peerId: net.nodes[0]?.peerId as string, address: (net.nodes[0]?.p2pAddress ?? "").split("/p2p/")[0] as string }],
        topicPrefix: `/certchain/${spec.chainId}`,
        redialIntervalMs: 200,
      },
      { ...silent, clock: systemClock },
    );
    extra.push(outsider);
    await outsider.start();
    // It redials every 200 ms; watch the whole time, not one instant.
    await neverDuring(1500, () => outsider.connectedPeers().length > 0, "the outsider has no connection");
    const status = await rpc<{ peers: { connected: number } }>(url(0), "/status");
    assert.ok(status.body.peers.connected <= 2, `node 1 counts only configured peers: ${status.body.peers.connected}`);
  });

  it("rejects garbage from a configured peer and keeps committing", async () => {
    const home = net.nodes[3]?.home as string;
    const cfg = await loadConfig(home);
    const privateKey = await loadPeerKey(join(home, "p2p.key"), { allowPlaintext: true });
    const rogue = new Network(
      {
        privateKey,
        listen: cfg.p2p.listen,
        peers: configuredPeers(cfg, spec, peerIdOf(privateKey)),
        topicPrefix: `/certchain/${spec.chainId}`,
        redialIntervalMs: 200,
      },
      { ...silent, clock: systemClock },
    );
    extra.push(rogue);
    await rogue.start();
    await waitFor("the rogue peer connects", () => rogue.connectedPeers().length === 3);
    await new Promise((r) => setTimeout(r, 1200)); // let gossipsub exchange subscriptions
    const outsiderKey = generateKeyPair();
    const json = (v: unknown): Uint8Array => Buffer.from(JSON.stringify(v));
    const garbage: Uint8Array[] = [
      randomBytes(512),
      json({ kind: "prepare" }),
      json(signMessage(spec, outsiderKey.privateKey, 3, { kind: "prepare", height: 1, round: 0, blockHash: "ab".repeat(32) })),
      json(signMessage(spec, outsiderKey.privateKey, 0, { kind: "commit", height: 99, round: 5, blockHash: "cd".repeat(32) })),
      json({ kind: "round-change", height: 1, round: 1_000_000, prepared: null, validator: 3, signature: "00".repeat(64) }),
    ];
    for (const g of garbage) {
      await rogue.publishConsensus(g);
      await rogue.publishTransactions(g);
    }
    await rogue.publishTransactions(json({ txs: [{ body: { chainId: spec.chainId }, signature: "00".repeat(64) }] }));
    await assert.rejects(rogue.publishConsensus(randomBytes(5 * 1024 * 1024)), /exceeds/, "the sender refuses oversized gossip too");

    // The honest three still make progress.
    const market = await loadKeyFile(net.issuers.find((k) => k.department === "market-regulation")?.keyFile as string, { allowPlaintext: true });
    const body: IssueTxBody = {
      ...newTxEnvelope(spec.chainId, "market-regulation", market.publicKey, Date.now()),
      kind: "issue",
      payload: issuePayloadFor(spec, {
        version: 1,
        chainId: spec.chainId,
        certificateId: `BL-EDGE-${Date.now()}`,
        certificateType: "business-licence",
        department: "market-regulation",
        holder: { name: "Sun Qi", idType: "resident-id", idNumber: "330106199505051234" },
        holderSalt: newSalt(),
        fields: {
          enterpriseName: "Edge Co.",
          unifiedSocialCreditCode: "91330100MA2XXXXX1X",
          enterpriseType: "LLC",
          address: "4 Road",
          legalRepresentative: "Sun Qi",
        },
        validFrom: Date.now() - DAY,
        validUntil: Date.now() + DAY,
      }),
    };
    const sent = await rpc<{ hash: string }>(url(0), "/txs", { body: signTx(body, market.privateKey) });
    assert.equal(sent.status, 202);
    await waitFor("commit despite garbage", async () => (await rpc<{ status: string }>(url(2), `/txs/${sent.body.hash}`)).body.status === "committed", 30_000);
    for (let i = 0; i < 3; i++) assert.equal((await rpc(url(i), "/status")).status, 200, `node ${i + 1} is up`);
  });

  it("disconnects and refuses a configured peer that keeps sending garbage", async () => {
    const rogue = extra.at(-1) as Network;
    // Each honest node says itself whether the rogue is in its box: the rogue's own view is no proof. It can
    // have no accepted connection for a moment while no node has boxed it (a connection that dropped and is
    // being redialled, or one not yet identified), and it redials at once: that is how this test used to
    // fail under load, with the rogue connected again to all three nodes a moment after the loop ended.
    const banned = async (i: number): Promise<boolean> => /^certchain_peers_banned 1$/m.test(await fetch(`${url(i)}/metrics`).then((r) => r.text()));
    const deadline = Date.now() + 60_000;
    let boxed = [false, false, false];
    while (boxed.includes(false) && Date.now() < deadline) {
      await rogue.publishConsensus(randomBytes(256)).catch(() => {});
      await new Promise((r) => setTimeout(r, 25));
      boxed = await Promise.all([0, 1, 2].map(banned));
    }
    assert.deepEqual(boxed, [true, true, true], "every honest node put the rogue in its penalty box");
    // The hang-up that follows the box is asynchronous (a graceful close): wait for it to complete.
    await waitFor("every honest node hung up on it", () => rogue.connectedPeers().length === 0);
    // It keeps redialling (every 200 ms); the honest nodes' gaters refuse it while it is boxed.
    await neverDuring(2000, () => rogue.connectedPeers().length > 0, "and refuse it while it is boxed");
    for (let i = 0; i < 3; i++) assert.ok(await banned(i), `node ${i + 1} still reports the banned peer`);
  });
});
