/**
 * The key ceremony end to end, as four departments on four servers would run it (stand-ins: the
 * loopback addresses 127.0.0.11–14, one home each): each runs `node init` in its own home, they
 * exchange only their card files, one builds genesis, each joins (all print the same chain id and
 * hash) and starts; a certificate issued on one node verifies on all four. A follower initialised
 * later is admitted by one validator with a reload (no restart) and replicates. Every department keeps
 * its keys under its own passphrase: no home holds another department's private key, and no file
 * anywhere holds a private key in the clear.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NodeCard } from "../../node/chain/card.js";
import type { ChainSpec } from "../../node/chain/genesis.js";
import { loadKeyFile } from "../../node/keys/key-file.js";
import { loadGenesis } from "../../node/ledger/genesis-file.js";
import { setLogLevel } from "../../node/logger.js";
import { type CertchainNode, startNode } from "../../node/node.js";
import type { CliIo } from "../../cli/io.js";
import { runCli } from "../../cli/main.js";
import { identityProofTx } from "../helpers/identity-proof.js";
import { freeBasePort, waitFor } from "../helpers/ports.js";
import { rpc } from "../helpers/rpc.js";

const DEPARTMENTS = [
  { id: "public-security", name: "ps-node1", host: "127.0.0.11" },
  { id: "market-regulation", name: "mr-node1", host: "127.0.0.12" },
  { id: "housing", name: "hs-node1", host: "127.0.0.13" },
  { id: "government-services", name: "gs-node1", host: "127.0.0.14" },
];
const FOLLOWER_HOST = "127.0.0.15";

async function certchain(...argv: string[]): Promise<string[]> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: CliIo = { out: (l) => stdout.push(l), err: (l) => stderr.push(l), env: {} };
  const code = await runCli(argv, io);
  assert.equal(code, 0, `certchain ${argv.join(" ")}: ${stderr.join("\n")}`);
  return stdout;
}

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath, entry.name));
  }
  return out;
}

/** The private key material of a home, unlocked with its passphrase: each key file's 32-byte seed, as hex. */
async function secretsOf(home: string, passphrase: string): Promise<Map<string, string>> {
  const secrets = new Map<string, string>();
  for (const name of await readdir(home)) {
    if (name.endsWith(".key")) secrets.set(name, (await loadKeyFile(join(home, name), { passphrase })).privateKey);
  }
  return secrets;
}

/** The encodings a seed could be written in: raw bytes, hex, base64, base64url. */
function formsOf(seedHex: string): Buffer[] {
  const raw = Buffer.from(seedHex, "hex");
  return [raw, Buffer.from(seedHex), Buffer.from(raw.toString("base64")), Buffer.from(raw.toString("base64url"))];
}

/** For each seed (hex), the files under `dir` holding it in any of its forms; every file read once. */
async function filesHolding(dir: string, seedsHex: string[]): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>(seedsHex.map((s) => [s, []]));
  const forms = seedsHex.map((s) => [s, formsOf(s)] as const);
  for (const file of await filesUnder(dir)) {
    const bytes = await readFile(file);
    for (const [seed, fs] of forms) if (fs.some((f) => bytes.includes(f))) found.get(seed)?.push(file);
  }
  return found;
}

describe("e2e: the key ceremony, four departments on four addresses", function () {
  this.timeout(180_000);
  let dir: string;
  let exchange: string;
  let basePort: number;
  let spec: ChainSpec;
  const nodes = new Map<string, CertchainNode>();
  const homeOf = (name: string): string => join(dir, name, "home");
  // Each department's own passphrase, in a file beside its home on its "server" (mode 0600).
  const passphraseOf = (name: string): string => `the passphrase of ${name}, known to its operators only`;
  const passphraseFileOf = (name: string): string => join(dir, name, "passphrase");
  const makeServer = async (name: string): Promise<void> => {
    await mkdir(join(dir, name), { mode: 0o700 });
    await writeFile(passphraseFileOf(name), `${passphraseOf(name)}\n`, { mode: 0o600 });
  };
  const rpcOf = (i: number): string => `http://${(DEPARTMENTS[i] ?? { host: FOLLOWER_HOST }).host}:${basePort + 100 + i}`;
  const certificateId = "IP-CEREMONY-0001";

  before(async () => {
    setLogLevel("warn");
    dir = await mkdtemp(join(tmpdir(), "certchain-ceremony-"));
    exchange = join(dir, "exchange"); // what departments send each other: cards, then genesis
    await mkdir(exchange);
    basePort = await freeBasePort(5, [...DEPARTMENTS.map((d) => d.host), FOLLOWER_HOST]);
  });

  after(async () => {
    for (const n of nodes.values()) await n.close();
    setLogLevel("info");
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("each department inits its own node, they exchange cards, one builds genesis, each joins and sees the same chain", async () => {
    for (const [i, d] of DEPARTMENTS.entries()) {
      await makeServer(d.name);
      await certchain(
        "node",
        "init",
        "--home",
        homeOf(d.name),
        "--department",
        d.id,
        "--name",
        d.name,
        "--p2p",
        `/ip4/${d.host}/tcp/${basePort + i}`,
        "--rpc",
        `${d.host}:${basePort + 100 + i}`,
        "--passphrase-file",
        passphraseFileOf(d.name),
      );
      await copyFile(join(homeOf(d.name), "card.json"), join(exchange, `${d.id}.json`));
    }
    const built = await certchain(
      "genesis",
      "build",
      "--cards",
      ...DEPARTMENTS.map((d) => join(exchange, `${d.id}.json`)),
      "--chain-name",
      "ceremony",
      "--out",
      join(exchange, "genesis.json"),
    );
    const printed = new Set<string>();
    for (const d of DEPARTMENTS)
      printed.add((await certchain("node", "join", "--home", homeOf(d.name), "--genesis", join(exchange, "genesis.json"))).slice(0, 2).join("\n"));
    assert.deepEqual([...printed], [built.slice(0, 2).join("\n")], "every department prints the chain id and hash the builder printed");
    spec = await loadGenesis(join(exchange, "genesis.json"));
    assert.deepEqual(
      spec.validators.map((v) => v.address),
      DEPARTMENTS.map((d, i) => `/ip4/${d.host}/tcp/${basePort + i}`),
    );
  });

  it("each starts; a certificate issued on public security's node verifies on all four", async () => {
    for (const d of DEPARTMENTS) nodes.set(d.name, await startNode({ home: homeOf(d.name), passphrase: passphraseOf(d.name) }));
    await waitFor("a full mesh", async () => {
      for (let i = 0; i < DEPARTMENTS.length; i++)
        if ((await rpc<{ peers: { connected: number } }>(rpcOf(i), "/status")).body.peers.connected < 3) return false;
      return true;
    });
    const issuer = await loadKeyFile(join(homeOf("ps-node1"), "issuer.key"), { passphrase: passphraseOf("ps-node1") });
    const sent = await rpc<{ hash: string }>(rpcOf(0), "/txs", { body: identityProofTx(spec, issuer, certificateId, "Wang Wu") });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    for (let i = 0; i < DEPARTMENTS.length; i++) {
      await waitFor(`node ${i + 1} has the certificate`, async () => (await rpc(rpcOf(i), `/certificates/${certificateId}`)).status === 200, 30_000);
      const verdict = await rpc<{ valid: boolean; status: string }>(rpcOf(i), `/verify/${certificateId}`);
      assert.deepEqual([verdict.body.valid, verdict.body.status], [true, "valid"], `${DEPARTMENTS[i]?.name}: ${JSON.stringify(verdict.body)}`);
    }
  });

  it("a follower initialised later is admitted by one validator with a reload, no restart, and replicates", async () => {
    const ps = JSON.parse(await readFile(join(exchange, "public-security.json"), "utf8")) as NodeCard;
    const home = homeOf("follower");
    await makeServer("follower");
    await certchain(
      "node",
      "init",
      "--home",
      home,
      "--department",
      "housing",
      "--name",
      "hs-follower",
      "--follower",
      "--p2p",
      `/ip4/${FOLLOWER_HOST}/tcp/${basePort + 4}`,
      "--rpc",
      `${FOLLOWER_HOST}:${basePort + 104}`,
      "--bootstrap",
      `${ps.address}/p2p/${ps.peerId}`,
      "--passphrase-file",
      passphraseFileOf("follower"),
    );
    await copyFile(join(home, "card.json"), join(exchange, "follower.json"));
    await certchain("node", "admit", "--home", homeOf("ps-node1"), "--card", join(exchange, "follower.json"));
    const validator = nodes.get("ps-node1") as CertchainNode;
    const summary = await validator.reload(); // what SIGHUP or `certchain node reload` runs
    assert.deepEqual(summary.needsRestart, [], "admitting a follower needs no restart");
    await certchain("node", "join", "--home", home, "--genesis", join(exchange, "genesis.json"));
    nodes.set("follower", await startNode({ home, passphrase: passphraseOf("follower") }));
    await waitFor("the follower has the certificate", async () => (await rpc(rpcOf(4), `/certificates/${certificateId}`)).status === 200, 30_000);
    const verdict = await rpc<{ valid: boolean }>(rpcOf(4), `/verify/${certificateId}`);
    assert.equal(verdict.body.valid, true, JSON.stringify(verdict.body));
  });

  it("no file anywhere holds a private key in the clear, and each home unlocks only with its own passphrase", async () => {
    const homes = [...DEPARTMENTS.map((d) => d.name), "follower"];
    const seeds: Array<{ owner: string; file: string; seed: string }> = [];
    for (const owner of homes) {
      const secrets = await secretsOf(homeOf(owner), passphraseOf(owner));
      assert.ok(secrets.size >= (owner === "follower" ? 1 : 3), `${owner}: its keys were read`);
      for (const [file, seed] of secrets) seeds.push({ owner, file, seed });
      const other = homes.find((h) => h !== owner) as string;
      await assert.rejects(secretsOf(homeOf(owner), passphraseOf(other)), /wrong passphrase/, `${owner}'s keys do not open with ${other}'s passphrase`);
    }
    // The scan itself finds a seed where one is written in the clear.
    const planted = join(exchange, "planted.txt");
    await writeFile(planted, seeds.map((s) => `leaked: ${s.seed}\n`).join(""));
    for (const [seed, files] of await filesHolding(
      exchange,
      seeds.map((s) => s.seed),
    ))
      assert.deepEqual(files, [planted], `the scan finds the seed ${seed.slice(0, 8)}… when it is there`);
    await rm(planted);
    // Every server (its own included: keys are encrypted) and the exchanged files, read once for all seeds.
    const holding = await filesHolding(
      dir,
      seeds.map((s) => s.seed),
    );
    let checked = 0;
    for (const { owner, file, seed } of seeds) {
      assert.deepEqual(holding.get(seed), [], `${owner}'s ${file} is in no file in the clear (hex, base64, base64url, raw)`);
      checked++;
    }
    assert.equal(checked, 4 * 3 + 1);
  });
});
