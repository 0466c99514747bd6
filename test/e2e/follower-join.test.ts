/**
 * A follower joins a running network without a validator restart (issue 10, item 3). Four validators
 * from initNetwork, no followers: node 1 and node 2 run as `certchain start` processes (pids kept),
 * nodes 3 and 4 in this process. A follower home is made afterwards, by hand (its own p2p key, genesis
 * copied, the validators as its peers; `certchain node init --follower` will make it), and started:
 * the validators refuse it. Then each validator's config gets the follower's peer and is reloaded:
 * node 1 by SIGHUP, node 2 by `certchain node reload`, nodes 3 and 4 by POST /admin/reload. No
 * validator restarts; the follower syncs to the head and serves a certificate issued after it joined.
 * A bad config is refused by a reload (the node keeps its peers), and a wrong token gets 401.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../cli/main.js";
import { adminTokenPath, createAdminToken } from "../../node/admin-token.js";
import type { ChainSpec } from "../../node/chain/genesis.js";
import type { Transaction } from "../../node/chain/types.js";
import { stringify } from "smol-toml";
import { CONFIG_FILE, type NodeConfig, loadConfig, saveConfig } from "../../node/config.js";
import { type InitResult, initNetwork } from "../../node/init.js";
import { type KeyFile, loadKeyFile } from "../../node/keys/key-file.js";
import { loadGenesis } from "../../node/ledger/genesis-file.js";
import { setLogLevel } from "../../node/logger.js";
import { createPeerKeyFile } from "../../node/network/identity.js";
import { type CertchainNode, startNode } from "../../node/node.js";
import { identityProofTx } from "../helpers/identity-proof.js";
import { freeBasePort, waitFor } from "../helpers/ports.js";
import { rpc } from "../helpers/rpc.js";

type Status = { head: { height: number; hash: string }; peers: { connected: number; configured: number } };
type Summary = { applied: string[]; needsRestart: string[]; peers: { added: string[]; removed: string[] } };

const BIN = new URL("../../../bin/certchain.js", import.meta.url).pathname;

/** A validator run as `certchain start` in its own process, its output in a log file. */
interface NodeProc {
  child: ChildProcess;
  pid: number;
  log: string;
}

describe("e2e: a follower joins without a validator restart", function () {
  this.timeout(120_000);
  let dir: string;
  let net: InitResult;
  let spec: ChainSpec;
  let issuer: KeyFile;
  let basePort: number;
  const procs: NodeProc[] = [];
  const inProcess: CertchainNode[] = [];
  let follower: CertchainNode | null = null;
  let followerPeer: { peerId: string; address: string };
  let followerUrl: string;
  const url = (i: number): string => net.nodes[i]?.rpcUrl as string;
  const home = (i: number): string => net.nodes[i]?.home as string;
  const status = async (base: string): Promise<Status> => (await rpc<Status>(base, "/status")).body;
  const token = async (i: number): Promise<string> => (await readFile(adminTokenPath(home(i)), "utf8")).trim();

  /** `certchain start --home` for validator i, as a child process; resolves once its RPC answers. */
  async function spawnValidator(i: number): Promise<NodeProc> {
    const log = join(dir, `node${i + 1}.log`);
    const fd = openSync(log, "a");
    const child = spawn(process.execPath, [BIN, "start", "--home", home(i), "--plaintext-keys"], {
      stdio: ["ignore", fd, fd],
      env: { ...process.env, CERTCHAIN_LOG: "info" },
    });
    closeSync(fd);
    assert.ok(child.pid !== undefined, `node${i + 1} spawned`);
    const proc = { child, pid: child.pid, log };
    procs.push(proc);
    await waitFor(`node${i + 1} RPC`, async () => (await rpc(url(i), "/status")).status === 200);
    return proc;
  }

  const running = (p: NodeProc): boolean => p.child.exitCode === null && p.child.signalCode === null;
  const logOf = (p: NodeProc): Promise<string> => readFile(p.log, "utf8");
  const count = (text: string, needle: string): number => text.split(needle).length - 1;

  /**
   * The follower's home, by hand: its own p2p key, genesis copied, the four validators as its peers,
   * p2p and RPC on the ports after theirs. (The ceremony's `node init --follower` + `node join` replace this.)
   */
  async function makeFollowerHome(): Promise<string> {
    const followerHome = join(dir, "follower1");
    await mkdir(followerHome, { recursive: true });
    const { peerId } = await createPeerKeyFile(join(followerHome, "p2p.key"), { plaintext: true });
    await copyFile(net.genesisFile, join(followerHome, "genesis.json"));
    const address = `/ip4/127.0.0.1/tcp/${basePort + 4}`;
    const cfg: NodeConfig = {
      name: "follower1",
      department: "housing",
      genesisFile: "genesis.json",
      p2pKeyFile: "p2p.key",
      dataDir: "data",
      p2p: { listen: [address], peers: net.nodes.map((n) => ({ peerId: n.peerId, address: n.p2pAddress.split("/p2p/")[0] as string })) },
      rpc: { host: "127.0.0.1", port: basePort + 104 },
    };
    await saveConfig(followerHome, cfg);
    followerPeer = { peerId, address };
    followerUrl = `http://127.0.0.1:${basePort + 104}`;
    return followerHome;
  }

  /** Add the follower to validator i's config (what an operator does before reloading). */
  async function admitInConfig(i: number): Promise<void> {
    const cfg = await loadConfig(home(i));
    cfg.p2p.peers.push(followerPeer);
    await saveConfig(home(i), cfg);
  }

  let seq = 0;
  async function issueOn(i: number): Promise<string> {
    seq++;
    const tx: Transaction = identityProofTx(spec, issuer, `ID-JOIN-${seq}`, `Holder ${seq}`);
    const sent = await rpc<{ hash: string }>(url(i), "/txs", { body: tx });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    await waitFor(`commit of ${sent.body.hash}`, async () => (await rpc<{ status: string }>(url(i), `/txs/${sent.body.hash}`)).body.status === "committed");
    return `ID-JOIN-${seq}`;
  }

  before(async () => {
    setLogLevel("error");
    dir = await mkdtemp(join(tmpdir(), "certchain-join-"));
    basePort = await freeBasePort(5);
    net = await initNetwork({
      dir,
      validators: 4,
      chainName: "join",
      host: "127.0.0.1",
      basePort,
      genesisTime: Date.now(),
      consensus: { roundTimeoutMs: 1000 },
      keys: { plaintext: true },
    });
    spec = await loadGenesis(net.genesisFile);
    issuer = await loadKeyFile(net.issuers.find((k) => k.department === "public-security")?.keyFile as string, { allowPlaintext: true });
    // Node 1 is reloaded by SIGHUP and needs no token; the others by the admin call.
    for (const i of [1, 2, 3]) await createAdminToken(home(i));
    await spawnValidator(0);
    await spawnValidator(1);
    for (const i of [2, 3]) inProcess.push(await startNode({ home: home(i), plaintextKeys: true }));
    await waitFor("full mesh of the four validators", async () => {
      for (let i = 0; i < 4; i++) if ((await status(url(i))).peers.connected < 3) return false;
      return true;
    });
  });

  after(async () => {
    await follower?.close();
    for (const n of inProcess) await n.close();
    for (const p of procs) {
      if (!running(p)) continue;
      const exited = new Promise((r) => p.child.once("exit", r));
      process.kill(p.pid, "SIGTERM");
      await exited;
    }
    setLogLevel("info");
    await rm(dir, { recursive: true, force: true });
  });

  it("the validators refuse a follower they were not told about", async () => {
    await issueOn(0);
    follower = await startNode({ home: await makeFollowerHome(), plaintextKeys: true });
    // It dials the validators at once (as the lower id, or after its fallback interval): watch a while.
    const deadline = Date.now() + 2_500;
    while (Date.now() < deadline) {
      const s = await status(followerUrl);
      assert.equal(s.peers.connected, 0, "no validator accepts the follower");
      assert.equal(s.head.height, 0, "the follower has synced nothing");
      await new Promise((r) => setTimeout(r, 100));
    }
    for (let i = 0; i < 4; i++) assert.equal((await status(url(i))).peers.configured, 3, `node${i + 1} knows 3 peers`);
  });

  it("a bad config is refused by SIGHUP and by the admin call; the nodes keep running with their old peers", async () => {
    // Node 1 (a process): an unknown key next to the follower's peer.
    const cfg1 = await loadConfig(home(0));
    const good1 = structuredClone(cfg1);
    // Written as text: saveConfig refuses a bad config.
    await writeFile(join(home(0), CONFIG_FILE), stringify({ ...cfg1, p2p: { ...cfg1.p2p, peers: [...cfg1.p2p.peers, followerPeer] }, mempol: { maxTxs: 1 } }));
    process.kill(procs[0]?.pid as number, "SIGHUP");
    await waitFor("node 1 refuses the reload", async () => (await logOf(procs[0] as NodeProc)).includes("reload refused, settings unchanged: CONFIG"));
    assert.match(await logOf(procs[0] as NodeProc), /reload refused, settings unchanged: CONFIG: .*config\.toml: unknown key "mempol"/);
    assert.ok(running(procs[0] as NodeProc), "SIGHUP does not stop node 1");
    // Node 3 (in this process): a peer entry that is not one.
    const cfg3 = await loadConfig(home(2));
    const good3 = structuredClone(cfg3);
    await saveConfig(home(2), {
      ...cfg3,
      p2p: { ...cfg3.p2p, peers: [...cfg3.p2p.peers, followerPeer, { peerId: "nobody", address: "/ip4/127.0.0.1/tcp/1" }] },
    });
    const refused = await rpc<{ error: { code: string; message: string } }>(url(2), "/admin/reload", { method: "POST", ...bearer(await token(2)) });
    assert.equal(refused.status, 500);
    assert.equal(refused.body.error.code, "CONFIG");
    assert.match(refused.body.error.message, /nobody/);
    for (const i of [0, 2]) {
      const s = await status(url(i));
      assert.equal(s.peers.configured, 3, `node${i + 1} kept its peer set`);
      assert.equal(s.peers.connected, 3, `node${i + 1} kept its connections`);
    }
    assert.equal((await status(followerUrl)).peers.connected, 0, "the follower is still refused");
    await saveConfig(home(0), good1);
    await saveConfig(home(2), good3);
  });

  it("a wrong admin token gets 401 UNAUTHORIZED and changes nothing", async () => {
    const wrong = await rpc<{ error: { code: string } }>(url(1), "/admin/reload", { method: "POST", ...bearer("00".repeat(32)) });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error.code, "UNAUTHORIZED");
    const none = await rpc<{ error: { code: string } }>(url(3), "/admin/reload", { method: "POST" });
    assert.equal(none.status, 401);
    // Node 1 has no admin token: the route is not served there at all.
    assert.equal((await rpc(url(0), "/admin/reload", { method: "POST", ...bearer(await token(1)) })).status, 404);
  });

  it("admitted by reloads (SIGHUP, node reload, POST /admin/reload), the follower syncs and serves a new certificate; no validator restarted", async () => {
    const pids = procs.map((p) => p.pid);
    for (let i = 0; i < 4; i++) await admitInConfig(i);
    // Node 1: SIGHUP to the process.
    process.kill(procs[0]?.pid as number, "SIGHUP");
    await waitFor("node 1 reloads", async () => (await logOf(procs[0] as NodeProc)).includes("applied        p2p.peers: +1 -0 ~0 (4 configured)"));
    // Node 2: the CLI, reading the token and RPC address from the home.
    const out: string[] = [];
    const errors: string[] = [];
    const code = await runCli(["node", "reload", "--home", home(1)], { out: (l) => out.push(l), err: (l) => errors.push(l), env: {} });
    assert.equal(code, 0, errors.join("\n"));
    assert.ok(out.includes("  applied        p2p.peers: +1 -0 ~0 (4 configured)"), out.join("\n"));
    // Nodes 3 and 4: the admin call.
    for (const i of [2, 3]) {
      const res = await rpc<Summary>(url(i), "/admin/reload", { method: "POST", ...bearer(await token(i)) });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body.peers.added, [followerPeer.peerId], `node${i + 1} added the follower`);
      assert.deepEqual(res.body.needsRestart, [], `node${i + 1}: nothing needs a restart`);
    }
    await waitFor("the follower connects to all four and syncs to their head", async () => {
      const f = await status(followerUrl);
      const v = await status(url(0));
      return f.peers.connected === 4 && f.head.height === v.head.height && f.head.hash === v.head.hash;
    });
    // A certificate issued after the join reaches the follower by consensus gossip.
    const id = await issueOn(0);
    await waitFor("the follower holds the new certificate", async () => (await rpc(followerUrl, `/certificates/${id}`)).status === 200);
    const verdict = await rpc<{ valid: boolean; status: string }>(followerUrl, `/verify/${id}`);
    assert.deepEqual([verdict.status, verdict.body.valid, verdict.body.status], [200, true, "valid"]);
    assert.equal((await rpc(followerUrl, "/certificates/ID-JOIN-1")).status, 200, "and the one issued before it joined");
    // No validator restarted: same processes, each started once; the in-process nodes never stopped.
    assert.deepEqual(
      procs.map((p) => p.pid),
      pids,
    );
    for (const p of procs) {
      assert.ok(running(p), `pid ${p.pid} still runs`);
      assert.equal(count(await logOf(p), '"msg":"node started"'), 1, `pid ${p.pid} started once`);
    }
    for (let i = 0; i < 4; i++) {
      const s = await status(url(i));
      assert.equal(s.peers.configured, 4, `node${i + 1} knows the follower`);
      assert.ok(s.peers.connected >= 4, `node${i + 1} is connected to the three validators and the follower`);
    }
  });
});

/** The request options of a call with `token` as its bearer token. */
function bearer(token: string): { headers: Record<string, string> } {
  return { headers: { authorization: `Bearer ${token}` } };
}
