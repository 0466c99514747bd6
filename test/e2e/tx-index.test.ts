/**
 * A node on a generated chain (testnet/long-chain.ts) answers `GET /txs/:hash` and proof bundles from
 * the split block layout (store format 3, kept by format 4): every transaction is the one its block holds, with its
 * receipt, height, index and time, and every proof bundle verifies against genesis — on the first
 * start and after a restart; a copy of the store turned back into format 2 is refused at start.
 * Then a backup from the node restores, through the scratch replay, into a store equal block for block.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../cli/main.js";
import type { CliIo } from "../../cli/io.js";
import type { ChainSpec } from "../../node/chain/genesis.js";
import { verifyBundle } from "../../node/chain/proof/verify.js";
import type { StoredBlock } from "../../node/ledger/store.js";
import { LevelStore, STORE_FORMAT_VERSION } from "../../node/db/level-store.js";
import { LedgerError } from "../../node/errors.js";
import { loadGenesis } from "../../node/ledger/genesis-file.js";
import { loadKeyFile } from "../../node/keys/key-file.js";
import { type InitResult, initNetwork } from "../../node/init.js";
import { setLogLevel } from "../../node/logger.js";
import { type CertchainNode, startNode } from "../../node/node.js";
import { writeLongChain } from "../../testnet/long-chain.js";
import { freeBasePort } from "../helpers/ports.js";
import { rpc } from "../helpers/rpc.js";
import { downgradeToFormat2 } from "../helpers/store-format.js";

const BLOCKS = 6;
const TXS = 7;

describe("e2e: the transaction index and stored proofs on a generated chain", function () {
  this.timeout(120_000);
  let dir: string;
  let net: InitResult;
  let spec: ChainSpec;
  let node: CertchainNode | null = null;
  /** Every block as written, read back from the stopped store. */
  let written: StoredBlock[];
  const home = (): string => net.nodes[0]?.home as string;
  const url = (): string => net.nodes[0]?.rpcUrl as string;

  before(async () => {
    setLogLevel("warn");
    dir = await mkdtemp(join(tmpdir(), "certchain-txindex-"));
    net = await initNetwork({
      dir,
      keys: { plaintext: true },
      validators: 4,
      chainName: "txindex",
      host: "127.0.0.1",
      basePort: await freeBasePort(4),
      genesisTime: Date.now() - 3_600_000,
    });
    spec = await loadGenesis(net.genesisFile);
    const keys = await Promise.all(net.nodes.map((n) => loadKeyFile(join(n.home, "consensus.key"), { allowPlaintext: true })));
    const issuer = await loadKeyFile(net.issuers.find((i) => i.department === "public-security")?.keyFile as string, { allowPlaintext: true });
    await writeLongChain({ spec, validatorKeys: keys, issuer, dataDir: join(home(), "data"), blocks: BLOCKS, txsPerBlock: TXS });
    const store = await LevelStore.open({ path: join(home(), "data") });
    written = (await store.getBlocks(1, BLOCKS)) as StoredBlock[];
    await store.close();
    assert.equal(written.length, BLOCKS);
  });
  afterEach(async () => {
    await node?.close();
    node = null;
  });
  after(async () => {
    setLogLevel("info");
    await rm(dir, { recursive: true, force: true });
  });

  /** Every transaction and every certificate's proof, as the running node serves them. */
  async function assertServed(when: string): Promise<void> {
    for (const b of written) {
      const height = b.block.header.height;
      for (const [index, tx] of b.block.txs.entries()) {
        const hash = b.receipts[index]?.txHash as string;
        const got = await rpc(url(), `/txs/${hash}`);
        assert.equal(got.status, 200, `${when}: tx ${height}/${index}`);
        assert.deepEqual(
          got.body,
          { hash, status: "committed", tx, height, index, time: b.block.header.time, receipt: b.receipts[index] },
          `${when}: tx ${height}/${index} is the one its block holds`,
        );
        const id = `LC-${height}-${index}`;
        const bundle = await rpc(url(), `/certificates/${id}/proof`);
        assert.equal(bundle.status, 200, `${when}: proof of ${id}`);
        const proven = verifyBundle(bundle.body, spec.genesis);
        assert.equal(proven.certificateId, id, `${when}: the bundle proves ${id}`);
        assert.equal(proven.issued.txHash, hash, `${when}: issued by its transaction`);
        assert.equal(proven.status, "valid", `${when}: ${id} is valid`);
      }
    }
    assert.equal((await rpc(url(), `/txs/${"0".repeat(64)}`)).status, 404, `${when}: an unknown hash is not found`);
  }

  it("serves every transaction and proof; again after a restart", async () => {
    node = await startNode({ home: home(), plaintextKeys: true });
    await assertServed("first start");
    await node.close();
    node = await startNode({ home: home(), plaintextKeys: true });
    await assertServed("after a restart");
  });

  it("refuses to start on a copy of its store turned back into format 2 (blocks whole, no state roots)", async () => {
    const copy = join(dir, "downgraded");
    await cp(home(), copy, { recursive: true });
    await downgradeToFormat2(join(copy, "data"));
    await assert.rejects(
      startNode({ home: copy, plaintextKeys: true }),
      (err: unknown) => err instanceof LedgerError && err.code === "CONFIG" && /format version 2: .*no state root/.test(err.message),
    );
    const store = await LevelStore.open({ path: join(home(), "data") }); // the original is untouched
    assert.equal(await store.formatVersion(), STORE_FORMAT_VERSION);
    await store.close();
  });

  it("backs up from the node and restores into an empty home, block for block", async () => {
    node = await startNode({ home: home(), plaintextKeys: true });
    const io: CliIo = { out: () => undefined, err: () => undefined, env: {} };
    const file = join(dir, "chain.backup");
    assert.equal(await runCli(["backup", "--rpc", url(), "--out", file], io), 0, "backup");
    const target = net.nodes[3]?.home as string;
    assert.equal(await runCli(["restore", "--home", target, "--in", file], io), 0, "restore");
    await node.close();
    node = null;
    const source = await LevelStore.open({ path: join(home(), "data") });
    const records = await source.listCertificates(1000);
    await source.close();
    assert.equal(records.length, BLOCKS * TXS);
    const restored = await LevelStore.open({ path: join(target, "data") });
    assert.deepEqual(await restored.getBlocks(1, BLOCKS), written, "the restored store holds the same blocks");
    assert.deepEqual(await restored.listCertificates(1000), records, "and the same records");
    await restored.close();
  });
});
