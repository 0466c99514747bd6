/**
 * Governance on a running network (issue 11), real libp2p and LevelDB: four validators from
 * initNetwork (node 1 a `certchain start` process, nodes 2-4 in this process). A fifth department's
 * node is made by `initNode` (what `certchain node init` runs), admitted by the four (config + reload)
 * and syncs as a follower; `certchain gov` adds its department and then its validator card, 3 of 4
 * voting. From the activation height it votes: with node 1 killed (SIGKILL), the five need it for a
 * quorum of 4 and keep committing. Node 2 is voted out: from its activation height no commit
 * certificate holds its seal, and the network of four goes on with node 1 still down. An issuer key
 * is rotated: the old key is refused for new certificates (TX_ISSUER_KEY_NOT_VALID), the certificate
 * it signed before still verifies by id, and the new key issues. Node 2 is voted back in (a third
 * validator change) and seals again. Then the certificate the old key signed before the rotation and
 * one the new key signed after everything verify by id, by document, and offline from the node's proof
 * bundle — which carries the governance chain (docs/proof-format.md §6a) — against genesis alone.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../cli/main.js";
import type { BlockView } from "../../node/api/views.js";
import { initNode } from "../../node/ceremony/node-init.js";
import type { NodeCard } from "../../node/chain/card.js";
import type { ChainSpec } from "../../node/chain/genesis.js";
import type { Proposal } from "../../node/chain/gov-types.js";
import { loadConfig, saveConfig } from "../../node/config.js";
import { type InitResult, initNetwork } from "../../node/init.js";
import { type KeyFile, generateKeyPair, loadKeyFile, saveKeyFile } from "../../node/keys/key-file.js";
import { loadGenesis } from "../../node/ledger/genesis-file.js";
import { setLogLevel } from "../../node/logger.js";
import { type CertchainNode, startNode } from "../../node/node.js";
import { identityProof, identityProofTx } from "../helpers/identity-proof.js";
import { CARD_VERSION, type NodeCardBody, cardSigningBytes } from "../../node/chain/card.js";
import type { CertificateDocument } from "../../node/chain/document.js";
import type { ProofBundle } from "../../node/chain/proof/bundle.js";
import { signBytes } from "../../node/crypto/keys.js";
import { freeBasePort, waitFor } from "../helpers/ports.js";
import { rpc } from "../helpers/rpc.js";

const BIN = new URL("../../../bin/certchain.js", import.meta.url).pathname;

type Status = { head: { height: number; hash: string }; peers: { connected: number } };
type Validators = { height: number; quorum: number; validators: Array<{ index: number; publicKey: string; name: string }> };

describe("e2e: governance — a department joins, a validator leaves, an issuer key rotates", function () {
  this.timeout(240_000);
  let dir: string;
  let net: InitResult;
  let spec: ChainSpec;
  let basePort: number;
  let issuer: KeyFile;
  let node1: ChildProcess | null = null;
  let node5: ChildProcess | null = null;
  const inProcess: CertchainNode[] = [];
  let newcomer: { home: string; card: NodeCard; url: string };
  const url = (i: number): string => net.nodes[i]?.rpcUrl as string;
  const home = (i: number): string => net.nodes[i]?.home as string;
  const consensusKey = (h: string): string => join(h, "consensus.key");
  const status = async (base: string): Promise<Status> => (await rpc<Status>(base, "/status")).body;

  function spawnNode(h: string, name: string): ChildProcess {
    const fd = openSync(join(dir, `${name}.log`), "a");
    const child = spawn(process.execPath, [BIN, "start", "--home", h, "--plaintext-keys"], {
      stdio: ["ignore", fd, fd],
      env: { ...process.env, CERTCHAIN_LOG: "info" },
    });
    closeSync(fd);
    return child;
  }

  async function cli(...argv: string[]): Promise<string[]> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env: {} });
    assert.equal(code, 0, `certchain ${argv.slice(0, 3).join(" ")}: ${err.join("\n")}`);
    return out;
  }

  /** `certchain gov propose|vote` with node i's consensus key, through node `via`'s RPC. */
  const gov = (i: number | string, via: number, ...argv: string[]): Promise<string[]> =>
    cli("gov", ...argv, "--key", typeof i === "number" ? consensusKey(home(i)) : i, "--plaintext-keys", "--rpc", url(via), "--timeout", "60");

  let seq = 0;
  /** The holder's documents of the certificates issued, by id. */
  const documents = new Map<string, CertificateDocument>();
  /** Issue an identity proof through node `via` and wait for its commit; returns its id and block height. */
  async function issue(via: number, key: KeyFile = issuer): Promise<{ id: string; height: number }> {
    seq++;
    const id = `ID-GOV-${seq}`;
    const made = identityProof(spec, key, id, `Holder ${seq}`);
    documents.set(id, made.document);
    const sent = await rpc<{ hash: string }>(url(via), "/txs", { body: made.tx });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    let height = 0;
    await waitFor(
      `commit of ${id}`,
      async () => {
        const t = await rpc<{ status: string; height?: number }>(url(via), `/txs/${sent.body.hash}`);
        height = t.body.height ?? 0;
        return t.body.status === "committed";
      },
      60_000,
    );
    return { id, height };
  }

  /** The proposal as node `via` holds it. */
  /** Proposal `id` as node `via` sees it: ask the node whose commit the CLI waited for (others may lag a block). */
  const proposal = async (via: number, id: number): Promise<Proposal> => (await rpc<Proposal>(url(via), `/governance/proposals/${id}`)).body;

  /** Commit blocks (identity proofs) until node `via`'s head reaches `height`. */
  async function reach(via: number, height: number, key: KeyFile = issuer): Promise<void> {
    while ((await status(url(via))).head.height < height) await issue(via, key);
  }

  /** Keys that sealed block `height`, as node `via` serves it, by the set of that height. */
  async function sealers(via: number, height: number): Promise<string[]> {
    const block = (await rpc<BlockView>(url(via), `/blocks/${height}`)).body;
    const set = (await rpc<Validators>(url(via), `/validators?height=${height}`)).body;
    return block.commit.seals.map((s) => set.validators[s.validator]?.publicKey as string);
  }

  before(async () => {
    setLogLevel("error");
    dir = await mkdtemp(join(tmpdir(), "certchain-gov-"));
    basePort = await freeBasePort(5);
    net = await initNetwork({
      dir,
      validators: 4,
      chainName: "gov",
      host: "127.0.0.1",
      basePort,
      genesisTime: Date.now(),
      consensus: { roundTimeoutMs: 1000 },
      keys: { plaintext: true },
    });
    spec = await loadGenesis(net.genesisFile);
    issuer = await loadKeyFile(net.issuers.find((k) => k.department === "public-security")?.keyFile as string, { allowPlaintext: true });
    node1 = spawnNode(home(0), "node1");
    for (const i of [1, 2, 3]) inProcess.push(await startNode({ home: home(i), plaintextKeys: true }));
    await waitFor(
      "full mesh of the four validators",
      async () => {
        for (let i = 0; i < 4; i++) if ((await rpc<Status>(url(i), "/status")).body?.peers?.connected !== 3) return false;
        return true;
      },
      60_000,
    );
  });

  after(async () => {
    for (const n of inProcess) await n.close().catch(() => undefined);
    for (const child of [node1, node5]) {
      if (child === null || child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    setLogLevel("info");
    await rm(dir, { recursive: true, force: true });
  });

  it("a fifth department's node joins as a follower, syncs, is voted in by 3 of 4, then votes with node 1 killed", async () => {
    const first = await issue(1);
    // The fifth department initialises its node (certchain node init) and installs genesis by hand.
    const h5 = join(dir, "node5");
    const peers = net.nodes.map((n) => ({ peerId: n.peerId, address: n.p2pAddress.split("/p2p/")[0] as string }));
    const made = await initNode({
      home: h5,
      name: "node5",
      department: "water-resources",
      p2p: `/ip4/127.0.0.1/tcp/${basePort + 4}`,
      rpc: { host: "127.0.0.1", port: basePort + 104 },
      bootstrap: peers,
      keys: { plaintext: true },
    });
    await copyFile(net.genesisFile, join(h5, "genesis.json"));
    newcomer = { home: h5, card: made.card, url: `http://127.0.0.1:${basePort + 104}` };
    // The four admit its peer: config, then a reload (SIGHUP for the process, reload() in this one).
    for (let i = 0; i < 4; i++) {
      const cfg = await loadConfig(home(i));
      cfg.p2p.peers.push({ peerId: made.card.peerId, address: made.card.address });
      await saveConfig(home(i), cfg);
    }
    node1?.kill("SIGHUP");
    for (const n of inProcess) await n.reload();
    node5 = spawnNode(h5, "node5");
    await waitFor(
      "node 5 syncs as a follower",
      async () => {
        const s = (await rpc<Status & { validator: unknown }>(newcomer.url, "/status")).body;
        return s?.head?.height >= first.height && s.validator === null;
      },
      60_000,
    );

    // Its department, then its validator: proposed by node 2, voted by nodes 3 and 4 (3 of 4).
    const deptFile = join(dir, "water.json");
    await writeFile(
      deptFile,
      JSON.stringify({ id: "water-resources", name: { en: "Water Resources", zh: "水利厅" }, issuerKeys: [], certificateTypes: ["identity-proof"] }),
    );
    await gov(1, 1, "propose", "add-department", "--file", deptFile, "--note", "the fifth department");
    for (const i of [2, 3]) await gov(i, i, "vote", "1");
    // Read from the node the deciding vote went through: the CLI waited for its commit there, while
    // another node may not have applied that block yet.
    assert.equal((await proposal(3, 1)).status, "passed");
    const cardFile = join(dir, "node5-card.json");
    await writeFile(cardFile, JSON.stringify(made.card));
    await gov(1, 1, "propose", "add-validator", "--card", cardFile);
    await gov(2, 2, "vote", "2");
    const out = await gov(3, 3, "vote", "2");
    const passed = await proposal(3, 2);
    assert.equal(passed.status, "passed", out.join("\n"));
    const activation = passed.activatesAt as number;
    assert.equal(activation, (passed.decidedAt as number) + 2, "in force two heights after the block that passed it");
    assert.match(out.join("\n"), new RegExp(`in force from height ${activation}`));
    const list = await cli("gov", "list", "--rpc", url(0));
    assert.equal(list.length, 2, list.join("\n"));

    // Before activation the four; from it the five.
    await reach(1, activation);
    assert.equal((await rpc<Validators>(url(1), `/validators?height=${activation - 1}`)).body.validators.length, 4);
    const five = (await rpc<Validators>(url(1), `/validators?height=${activation}`)).body;
    assert.deepEqual([five.validators.length, five.quorum, five.validators[4]?.name], [5, 4, "node5"]);
    const depts = (await rpc<{ departments: Array<{ id: string; keys: Array<{ publicKey: string; validFrom: number }> }> }>(url(1), "/departments")).body
      .departments;
    assert.deepEqual(
      depts.find((d) => d.id === "water-resources")?.keys.map((k) => k.validFrom),
      [activation],
      "the card's issuer key, valid from the activation height",
    );

    // Node 1 killed: a quorum of 4 of 5 needs node 5's vote at every height.
    const exited = new Promise((r) => node1?.once("exit", r));
    node1?.kill("SIGKILL");
    await exited;
    const after = await issue(1);
    const more = await issue(2);
    for (const h of [after.height, more.height]) assert.ok((await sealers(1, h)).includes(made.card.consensusKey as string), `node 5 seals height ${h}`);
    const metrics = await (await fetch(`${url(1)}/metrics`)).text();
    assert.match(metrics, /certchain_validators 5/);
    assert.match(metrics, /certchain_governance_proposals\{status="passed"\} 2/);
  });

  it("node 2 is voted out and stops sealing; the network of four goes on with node 1 still down", async () => {
    const leaver = net.nodes[1] as InitResult["nodes"][number];
    const leaverKey = (await rpc<Validators>(url(2), "/validators")).body.validators[1]?.publicKey as string;
    // Four of the five live validators are needed: nodes 3, 4, 5 and node 2 itself.
    await gov(2, 2, "propose", "remove-validator", "--public-key", leaverKey, "--note", `${leaver.name} leaves`);
    await gov(3, 3, "vote", "3");
    await gov(consensusKey(newcomer.home), 2, "vote", "3");
    const out = await gov(1, 1, "vote", "3");
    const passed = await proposal(1, 3);
    assert.equal(passed.status, "passed", out.join("\n"));
    const activation = passed.activatesAt as number;
    await reach(2, activation + 1);
    const four = (await rpc<Validators>(url(2), `/validators?height=${activation}`)).body;
    assert.deepEqual([four.validators.length, four.quorum], [4, 3]);
    assert.ok(!four.validators.some((v) => v.publicKey === leaverKey), "node 2 is out of the set");
    for (let h = activation; h <= activation + 1; h++) assert.ok(!(await sealers(2, h)).includes(leaverKey), `no seal of node 2 at height ${h}`);
    // Nodes 3, 4 and 5 (a quorum of 3 of 4) go on; node 2 follows.
    const next = await issue(2);
    await waitFor("node 2 follows the chain", async () => (await status(url(1))).head.height >= next.height, 30_000);
    assert.equal((await rpc<{ validator: unknown }>(url(1), "/status")).body.validator, null, "node 2 reports itself a follower");
  });

  it("an issuer key is rotated: the old key is refused for new certificates, its earlier certificate still verifies, the new key issues", async () => {
    const before = await issue(2);
    const fresh = generateKeyPair();
    const freshFile = join(dir, "public-security-2.key");
    await saveKeyFile(freshFile, fresh, { plaintext: true }, "issuer:public-security");
    await gov(2, 2, "propose", "add-issuer-key", "--department", "public-security", "--public-key", fresh.publicKey);
    await gov(3, 3, "vote", "4");
    await gov(consensusKey(newcomer.home), 2, "vote", "4");
    await gov(2, 2, "propose", "revoke-issuer-key", "--department", "public-security", "--public-key", issuer.publicKey);
    await gov(3, 3, "vote", "5");
    await gov(consensusKey(newcomer.home), 2, "vote", "5");
    const revoked = await proposal(2, 5);
    assert.equal(revoked.status, "passed");
    const added = await proposal(2, 4);
    assert.ok((added.activatesAt as number) < (revoked.activatesAt as number));
    const key = await loadKeyFile(freshFile, { allowPlaintext: true });
    // The new key issues from its activation height (the blocks up to the revocation's).
    await reach(2, revoked.activatesAt as number, key);
    // Old key: refused at admission with its code.
    const refused = await rpc<{ error: { code: string } }>(url(2), "/txs", { body: identityProofTx(spec, issuer, "ID-GOV-OLD-KEY", "Late Holder") });
    assert.deepEqual([refused.status, refused.body.error?.code], [403, "TX_ISSUER_KEY_NOT_VALID"]);
    // Its earlier certificate still verifies by id, on every live node.
    for (const i of [1, 2, 3]) {
      const v = await rpc<{ valid: boolean; status: string }>(url(i), `/verify/${before.id}`);
      assert.deepEqual([v.body.valid, v.body.status], [true, "valid"], `node ${i + 1} verifies ${before.id}`);
    }
    // The new key still issues.
    await issue(2, key);
    const depts = (
      await rpc<{ departments: Array<{ id: string; issuerKeys: number; keys: Array<{ publicKey: string; validUntil?: number }> }> }>(url(2), "/departments")
    ).body.departments;
    const ps = depts.find((d) => d.id === "public-security");
    assert.equal(ps?.keys.find((k) => k.publicKey === issuer.publicKey)?.validUntil, (revoked.activatesAt as number) - 1);
    assert.equal(ps?.issuerKeys, 1);
    signedByOldKey = before.id;
    newIssuer = key;
  });

  let signedByOldKey = "";
  let newIssuer: KeyFile;

  it("node 2 is voted back in (a third validator change) and seals again", async () => {
    // Its card: same consensus key and peer, a new issuer key (keys are never reused), signed by its consensus key.
    const consensus = await loadKeyFile(consensusKey(home(1)), { allowPlaintext: true });
    const node2 = net.nodes[1] as InitResult["nodes"][number];
    const body: NodeCardBody = {
      version: CARD_VERSION,
      name: node2.name,
      department: node2.department,
      role: "validator",
      consensusKey: consensus.publicKey,
      peerId: node2.peerId,
      address: node2.p2pAddress.split("/p2p/")[0] as string,
      issuerKeys: [generateKeyPair().publicKey],
    };
    const cardFile = join(dir, "node2-card.json");
    await writeFile(cardFile, JSON.stringify({ ...body, signature: signBytes(consensus.privateKey, cardSigningBytes(body)) }));
    // Nodes 3, 4 and 5 are 3 of the 4 in force (node 1 still down).
    await gov(2, 2, "propose", "add-validator", "--card", cardFile, "--note", "node2 returns");
    await gov(3, 3, "vote", "6");
    await gov(consensusKey(newcomer.home), 2, "vote", "6");
    const passed = await proposal(2, 6);
    assert.equal(passed.status, "passed");
    const activation = passed.activatesAt as number;
    // From the activation the five need node 2: 4 of 5 with node 1 down.
    await reach(2, activation + 1, newIssuer);
    const five = (await rpc<Validators>(url(2), `/validators?height=${activation}`)).body;
    assert.deepEqual([five.validators.length, five.quorum], [5, 4]);
    for (let h = activation; h <= activation + 1; h++) assert.ok((await sealers(2, h)).includes(consensus.publicKey), `node 2 seals height ${h}`);
  });

  it("after three validator changes and a key rotation, the old key's earlier certificate and the new key's verify by id, by document and offline from a proof bundle against genesis alone", async () => {
    const fresh = await issue(2, newIssuer);
    for (const id of [signedByOldKey, fresh.id]) {
      const v = await rpc<{ valid: boolean; status: string }>(url(2), `/verify/${id}`);
      assert.deepEqual([v.body.valid, v.body.status], [true, "valid"], `${id} by id`);
      const docFile = join(dir, `${id}.json`);
      await writeFile(docFile, JSON.stringify(documents.get(id)));
      const byDocument = await cli("cert", "verify", "--document", docFile, "--rpc", url(3));
      assert.match(byDocument.join("\n"), /^VALID: /, `${id} by document`);
      // The node's proof bundle carries the six passed changes: department, node 5 in, node 2 out, key added, key revoked, node 2 in.
      const bundle = (await rpc<ProofBundle>(url(3), `/certificates/${id}/proof`)).body;
      assert.deepEqual(
        bundle.governance?.map((c) => (c.proposal.tx.body.kind === "gov-propose" ? c.proposal.tx.body.payload.action.type : "?")),
        ["add-department", "add-validator", "remove-validator", "add-issuer-key", "revoke-issuer-key", "add-validator"],
      );
      const bundleFile = join(dir, `${id}.proof.json`);
      await writeFile(bundleFile, JSON.stringify(bundle));
      // Offline: nothing but the genesis file (a separate copy, as an outsider would hold it).
      const genesisCopy = join(dir, "trusted-genesis.json");
      await copyFile(net.genesisFile, genesisCopy);
      const offline = await cli("cert", "verify", "--offline", bundleFile, "--genesis", genesisCopy, "--document", docFile);
      assert.match(
        offline.join("\n"),
        new RegExp(`^VALID: ${id} identity-proof issued by public-security .*6 governance changes followed from genesis`),
        offline.join("\n"),
      );
    }
  });
});
