/**
 * A node takes its settings from config.toml, the CERTCHAIN_* environment and --set, in that order:
 * the real `certchain start` refuses a bad config, variable or flag with one line and a non-zero exit
 * and writes nothing; `certchain config show` names each option's source; and a one-validator chain
 * whose mempool is capped at one transaction by the last layer refuses the second of a batch.
 */
import { identityProofTx } from "../helpers/identity-proof.js";
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ChainSpec } from "../../node/chain/genesis.js";
import type { Transaction } from "../../node/chain/types.js";
import { CONFIG_FILE, loadConfig, saveConfig } from "../../node/config.js";
import { EXIT } from "../../node/errors.js";
import { type InitResult, initNetwork } from "../../node/init.js";
import { type KeyFile, loadKeyFile } from "../../node/keys/key-file.js";
import { loadGenesis } from "../../node/ledger/genesis-file.js";
import { setLogLevel } from "../../node/logger.js";
import { type CertchainNode, startNode } from "../../node/node.js";
import { freeBasePort } from "../helpers/ports.js";
import { rpc } from "../helpers/rpc.js";

const BIN = fileURLToPath(new URL("../../../bin/certchain.js", import.meta.url));

/** This process's environment without any CERTCHAIN_ variable, plus `extra`. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith("CERTCHAIN_") && value !== undefined) env[name] = value;
  return { ...env, ...extra };
}

/** Run the certchain binary; a command that should fail at once gets 20 s before it counts as hung. */
function certchain(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: cleanEnv(env), timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every file under `dir` with its size and modification time: what "writes nothing" compares. */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { recursive: true })) {
    const s = await stat(join(dir, entry));
    out.push(`${entry} ${s.isDirectory() ? "dir" : s.size} ${s.mtimeMs}`);
  }
  return out.sort();
}

describe("e2e: a node's settings from config.toml, the environment and --set", function () {
  this.timeout(90_000);
  let dir: string;
  let net: InitResult;
  let spec: ChainSpec;
  let issuer: KeyFile;
  let home: string;
  let goodText: string;
  let node: CertchainNode | undefined;

  let seq = 0;
  function identityProof(): Transaction {
    seq++;
    return identityProofTx(spec, issuer, `ID-CONFIG-${seq}`, `Holder ${seq}`);
  }

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
    goodText = await readFile(join(home, CONFIG_FILE), "utf8");
  });

  after(async () => {
    await node?.close();
    setLogLevel("info");
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  // [what, config.toml's text from the good one, environment, extra start arguments, exit code, what the one line names]
  const bad: Array<[string, (good: string) => string, Record<string, string>, string[], number, string | RegExp]> = [
    ["an unknown key", (good) => `${good}\n[mempool]\nmaxTransactions = 1\n`, {}, [], EXIT.FAILURE, 'unknown key "mempool.maxTransactions"'],
    ["a wrong type", (good) => `${good}\n[mempool]\nmaxTxs = "many"\n`, {}, [], EXIT.FAILURE, 'mempool.maxTxs must be a number, not "many"'],
    ["a wrong type of a node field", (good) => good.replace('dataDir = "data"', "dataDir = 5"), {}, [], EXIT.FAILURE, "dataDir must be a string, not 5"],
    ["bad TOML", (good) => `${good}\n[mempool\n`, {}, [], EXIT.FAILURE, /\/config\.toml:\d+:\d+: invalid TOML: /],
    [
      "an unknown CERTCHAIN_ variable",
      (good) => good,
      { CERTCHAIN_MEMPOOL__MAX_TX: "1" },
      [],
      EXIT.FAILURE,
      "environment CERTCHAIN_MEMPOOL__MAX_TX: not a certchain option",
    ],
    [
      "a mistyped variable",
      (good) => good,
      { CERTCHAIN_RPC__PORT: "http" },
      [],
      EXIT.FAILURE,
      'environment CERTCHAIN_RPC__PORT: rpc.port must be a number, not "http"',
    ],
    ["an unknown --set option", (good) => good, {}, ["--set", "mempool.maxTx=1"], EXIT.USAGE, "--set mempool.maxTx: not a certchain option"],
    ["a mistyped --set", (good) => good, {}, ["--set", "rpc.port=http"], EXIT.USAGE, '--set: rpc.port must be a number, not "http"'],
  ];
  for (const [what, edit, env, args, exit, named] of bad) {
    it(`certchain start refuses ${what}: one line, exit ${exit}, nothing written`, async () => {
      await writeFile(join(home, CONFIG_FILE), edit(goodText));
      const before = await snapshot(home);
      const r = certchain(["start", "--home", home, ...args], env);
      assert.equal(r.code, exit, `${what}: exit code; stderr: ${r.stderr}`);
      const lines = r.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, `${what}: one line on stderr: ${r.stderr}`);
      assert.ok(typeof named === "string" ? lines[0]?.includes(named) : named.test(lines[0] ?? ""), `${what}: "${lines[0]}" names ${named}`);
      assert.equal(r.stdout, "", `${what}: nothing on stdout`);
      assert.deepEqual(await snapshot(home), before, `${what}: the home is unchanged`);
      await assert.rejects(stat(join(home, "data")), `${what}: no data directory`);
    });
  }

  it("certchain start names the listener whose port is taken, p2p or RPC, in its error line", async () => {
    await writeFile(join(home, CONFIG_FILE), goodText);
    const p2pPort = Number(/\/tcp\/(\d+)/.exec((await loadConfig(home)).p2p.listen[0] ?? "")?.[1]);
    const rpcPort = Number(new URL(net.nodes[0]?.rpcUrl as string).port);
    for (const [port, named] of [
      [p2pPort, `cannot start libp2p listening on /ip4/127.0.0.1/tcp/${p2pPort}`],
      [rpcPort, `cannot start the RPC server listening on 127.0.0.1:${rpcPort}`],
    ] as const) {
      const squatter = createServer();
      await new Promise<void>((resolve) => squatter.listen(port, "127.0.0.1", resolve));
      try {
        const r = certchain(["start", "--home", home, "--plaintext-keys"]);
        assert.equal(r.code, EXIT.FAILURE, r.stderr);
        // The node's own log lines (stderr) come first; the error is the last line, with its code.
        const last = r.stderr.trimEnd().split("\n").at(-1) ?? "";
        assert.ok(last.startsWith("certchain: CONFIG: ") && last.includes(named) && last.includes("EADDRINUSE"), `"${last}" names ${named}`);
      } finally {
        await new Promise((resolve) => squatter.close(resolve));
      }
    }
  });

  it("certchain config show names each option's source: default, config.toml, env, flag", async () => {
    const cfg = await loadConfig(home);
    await saveConfig(home, { ...cfg, sync: { pollIntervalMs: 250 } });
    const r = certchain(["config", "show", "--home", home, "--set", "rpc.port=26999", "--json"], { CERTCHAIN_MEMPOOL__MAX_TXS: "5000" });
    assert.equal(r.code, EXIT.OK, r.stderr);
    const shown = JSON.parse(r.stdout) as Record<string, { value: unknown; source: string; env: string }>;
    // [option, effective value, source]
    const expected: Array<[string, unknown, string]> = [
      ["mempool.admitChunkTxs", 100, "default"],
      ["sync.pollIntervalMs", 250, "config.toml"],
      ["name", "node1", "config.toml"],
      ["mempool.maxTxs", 5000, "env CERTCHAIN_MEMPOOL__MAX_TXS"],
      ["rpc.port", 26999, "flag --set"],
    ];
    for (const [path, value, source] of expected) assert.deepEqual({ value: shown[path]?.value, source: shown[path]?.source }, { value, source }, path);
    assert.equal(shown["network.penalties.threshold"]?.env, "CERTCHAIN_NETWORK__PENALTIES__THRESHOLD");

    const text = certchain(["config", "show", "--home", home], { CERTCHAIN_MEMPOOL__MAX_TXS: "5000" });
    assert.equal(text.code, EXIT.OK, text.stderr);
    assert.match(text.stdout, /^mempool\.maxTxs +env CERTCHAIN_MEMPOOL__MAX_TXS +5000$/m);
    assert.match(text.stdout, /^sync\.pollIntervalMs +config\.toml +250$/m);
    assert.equal(certchain(["config", "check", "--home", home]).stdout.trim(), `ok: ${join(home, CONFIG_FILE)}`);
  });

  it("starts with config.toml's options under the environment's and --set's: the last layer caps the mempool", async () => {
    const cfg = await loadConfig(home);
    await saveConfig(home, { ...cfg, mempool: { maxTxs: 1000 } });
    node = await startNode({ home, plaintextKeys: true, env: { CERTCHAIN_MEMPOOL__MAX_TXS: "500" }, overrides: ["mempool.maxTxs=1"] });
    const url = net.nodes[0]?.rpcUrl as string;
    const reply = await rpc<{ results: Array<{ hash?: string; error?: { code: string } }> }>(url, "/txs", {
      body: { txs: [identityProof(), identityProof()] },
    });
    const codes = reply.body.results.map((r) => r.error?.code ?? "accepted");
    assert.deepEqual(codes, ["accepted", "MEMPOOL_FULL"], JSON.stringify(reply.body));
  });
});
