/**
 * Catch-up at scale: a validator whose data directory is empty (wiped) joins a node holding 10,000
 * committed blocks and syncs all of them over libp2p, checking every commit certificate and every
 * transaction on the way, to the same head hash. Then it serves a certificate from deep in the chain.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadGenesis } from "../../node/ledger/genesis-file.js";
import { loadKeyFile } from "../../node/keys/key-file.js";
import { initNetwork } from "../../node/init.js";
import { setLogLevel } from "../../node/logger.js";
import { type CertchainNode, startNode } from "../../node/node.js";
import { writeLongChain } from "../../testnet/long-chain.js";
import { freeBasePort, waitFor } from "../helpers/ports.js";
import { rpc } from "../helpers/rpc.js";

const BLOCKS = 10_000;

describe("e2e: catch-up of a wiped validator over 10,000 blocks", function () {
  // 300 s: the state root roughly halved this sync's block rate on this loaded 2-core machine (201 → 93
  // blocks/s, same minute, README "Benchmarks"); under the full suite's load 180 s was no longer enough.
  this.timeout(300_000);
  let dir: string;
  const nodes: CertchainNode[] = [];

  before(async () => {
    setLogLevel("warn");
    dir = await mkdtemp(join(tmpdir(), "certchain-catchup-"));
  });
  after(async () => {
    for (const n of nodes) await n.close();
    setLogLevel("info");
    await rm(dir, { recursive: true, force: true });
  });

  it("syncs every block, checking each commit certificate, to the same head", async () => {
    const net = await initNetwork({
      dir,
      keys: { plaintext: true },
      validators: 4,
      chainName: "catchup",
      host: "127.0.0.1",
      basePort: await freeBasePort(4),
      genesisTime: Date.now() - 3_600_000,
    });
    const spec = await loadGenesis(net.genesisFile);
    const keys = await Promise.all(net.nodes.map((n) => loadKeyFile(join(n.home, "consensus.key"), { allowPlaintext: true })));
    const issuer = await loadKeyFile(net.issuers.find((i) => i.department === "public-security")?.keyFile as string, { allowPlaintext: true });
    const source = net.nodes[0] as (typeof net.nodes)[number];
    const wiped = net.nodes[3] as (typeof net.nodes)[number];
    const tBuild = performance.now();
    const chain = await writeLongChain({ spec, validatorKeys: keys, issuer, dataDir: join(source.home, "data"), blocks: BLOCKS, txsPerBlock: 1 });
    assert.equal(chain.height, BLOCKS);
    console.log(`      built ${BLOCKS} blocks in ${((performance.now() - tBuild) / 1000).toFixed(1)} s`);

    nodes.push(await startNode({ home: source.home, plaintextKeys: true }));
    const t0 = performance.now();
    nodes.push(await startNode({ home: wiped.home, plaintextKeys: true }));
    await waitFor(
      "the wiped validator to reach the source's head",
      async () => ((await rpc(wiped.rpcUrl, "/status")).body as { head: { height: number } }).head.height >= BLOCKS,
      150_000,
      200,
    );
    const seconds = (performance.now() - t0) / 1000;
    const status = (await rpc(wiped.rpcUrl, "/status")).body as { head: { height: number; hash: string } };
    assert.deepEqual(status.head.height, BLOCKS);
    assert.equal(status.head.hash, chain.hash, "same head hash as the source");
    const deep = await rpc(wiped.rpcUrl, "/certificates/LC-1234-0");
    assert.equal(deep.status, 200);
    assert.equal((deep.body as { status: string }).status, "valid");
    console.log(`      synced ${BLOCKS} blocks in ${seconds.toFixed(1)} s (${Math.round(BLOCKS / seconds)} blocks/s)`);
  });
});
