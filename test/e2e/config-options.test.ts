/**
 * A node takes its modules' options from config.json: a one-validator chain whose config caps the
 * mempool at one transaction refuses the second of a batch (MEMPOOL_FULL), and a config with an
 * unknown option does not start.
 */
import { identityProofTx } from "../helpers/identity-proof.js";
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChainSpec } from "../../node/chain/genesis.js";
import type { Transaction } from "../../node/chain/types.js";
import { CONFIG_FILE, type NodeConfig } from "../../node/config.js";
import { LedgerError } from "../../node/errors.js";
import { type InitResult, initNetwork } from "../../node/init.js";
import { type KeyFile, loadKeyFile } from "../../node/keys/key-file.js";
import { loadGenesis } from "../../node/ledger/genesis-file.js";
import { setLogLevel } from "../../node/logger.js";
import { type CertchainNode, startNode } from "../../node/node.js";
import { freeBasePort } from "../helpers/ports.js";
import { rpc } from "../helpers/rpc.js";

describe("e2e: a node takes its module options from config.json", function () {
  this.timeout(60_000);
  let dir: string;
  let net: InitResult;
  let spec: ChainSpec;
  let issuer: KeyFile;
  let home: string;
  let node: CertchainNode | undefined;

  let seq = 0;
  function identityProof(): Transaction {
    seq++;
    return identityProofTx(spec, issuer, `ID-CONFIG-${seq}`, `Holder ${seq}`);
  }

  const editConfig = async (edit: (cfg: NodeConfig & Record<string, unknown>) => void): Promise<void> => {
    const file = join(home, CONFIG_FILE);
    const cfg = JSON.parse(await readFile(file, "utf8")) as NodeConfig & Record<string, unknown>;
    edit(cfg);
    await writeFile(file, JSON.stringify(cfg));
  };

  before(async () => {
    setLogLevel("error");
    dir = await mkdtemp(join(tmpdir(), "certchain-config-"));
    net = await initNetwork({
      dir,
      validators: 1,
      chainName: "config",
      host: "127.0.0.1",
      basePort: await freeBasePort(1),
      genesisTime: Date.now(),
      keys: { plaintext: true },
    });
    spec = await loadGenesis(net.genesisFile);
    issuer = await loadKeyFile(net.issuers.find((k) => k.department === "public-security")?.keyFile as string, { allowPlaintext: true });
    home = net.nodes[0]?.home as string;
  });

  after(async () => {
    await node?.close();
    setLogLevel("info");
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("does not start with an unknown option, and names it", async () => {
    await editConfig((cfg) => {
      cfg.mempool = { maxTransactions: 1 } as never;
    });
    await assert.rejects(
      startNode({ home, plaintextKeys: true }),
      (err: unknown) => err instanceof LedgerError && err.code === "CONFIG" && err.message.includes('"mempool.maxTransactions"'),
    );
  });

  it("caps its mempool at config.json's mempool.maxTxs", async () => {
    await editConfig((cfg) => {
      cfg.mempool = { maxTxs: 1 };
    });
    node = await startNode({ home, plaintextKeys: true });
    const url = net.nodes[0]?.rpcUrl as string;
    const reply = await rpc<{ results: Array<{ hash?: string; error?: { code: string } }> }>(url, "/txs", {
      body: { txs: [identityProof(), identityProof()] },
    });
    const codes = reply.body.results.map((r) => r.error?.code ?? "accepted");
    assert.deepEqual(codes, ["accepted", "MEMPOOL_FULL"], JSON.stringify(reply.body));
  });
});
