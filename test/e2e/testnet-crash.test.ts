/**
 * The testnet as an operator runs it: separate node processes, the CLI against them, kill -9 of one
 * node and of all four, restarts on the same data directories.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Testnet, startTestnet } from "../../testnet/testnet.js";
import { freeBasePort, waitFor } from "../helpers/ports.js";
import { rpc } from "../helpers/rpc.js";

const BIN = fileURLToPath(new URL("../../../bin/certchain.js", import.meta.url));

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code as number) : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

describe("e2e: testnet processes, the CLI, and kill -9", function () {
  this.timeout(180_000);
  let dir: string;
  let net: Testnet;
  const url = (i: number): string => net.info.nodes[i]?.rpcUrl as string;
  const head = async (i: number): Promise<{ height: number; hash: string }> =>
    (await rpc<{ head: { height: number; hash: string } }>(url(i), "/status")).body.head;
  const issued: string[] = [];

  async function issueLicence(n: number, extra: string[] = []): Promise<string> {
    const r = await cli([
      "cert",
      "issue",
      "--rpc",
      url(0),
      "--testnet",
      dir,
      "--json",
      "--type",
      "business-licence",
      "--holder-name",
      "Zhao Liu",
      "--holder-id-type",
      "resident-id",
      "--holder-id",
      "330106199201011234",
      "--field",
      `enterpriseName=Crash Test ${n} Co., Ltd.`,
      "--field",
      "unifiedSocialCreditCode=91330100MA2XXXXX1X",
      "--field",
      "enterpriseType=Limited liability company",
      "--field",
      "address=3 Example Road",
      "--field",
      "legalRepresentative=Zhao Liu",
      "--out",
      join(dir, `doc-${n}.json`),
      ...extra,
    ]);
    assert.equal(r.code, 0, `cert issue: ${r.stderr}`);
    const id = (JSON.parse(r.stdout) as { certificateId?: string; id?: string }).certificateId ?? (JSON.parse(r.stdout) as { id: string }).id;
    issued.push(id);
    return id;
  }

  async function sameHead(): Promise<{ height: number; hash: string }> {
    let top = { height: 0, hash: "" };
    await waitFor(
      "all nodes at the same head",
      async () => {
        const heads = await Promise.all([0, 1, 2, 3].map(head));
        top = heads[0] as typeof top;
        return heads.every((h) => h.hash === top.hash);
      },
      30_000,
    );
    return top;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "certchain-testnet-e2e-"));
    net = await startTestnet({
      nodes: 4,
      dir: join(dir, "net"),
      basePort: await freeBasePort(4),
      quiet: true,
      consensus: { roundTimeoutMs: 1000 },
      reviewRules: null,
    });
    dir = join(dir, "net");
  });

  after(async () => {
    await net?.stop();
    if (dir !== undefined) await rm(join(dir, ".."), { recursive: true, force: true });
  });

  it("the CLI issues on node 1; nodes 2-4 verify it (exit 0)", async () => {
    const id = await issueLicence(1);
    for (let i = 1; i < 4; i++) {
      const r = await cli(["cert", "verify", "--id", id, "--rpc", url(i)]);
      assert.equal(r.code, 0, `node ${i + 1}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /^VALID: /, `node ${i + 1}`);
    }
    const unknown = await cli(["cert", "verify", "--id", "NO-SUCH-CERT", "--rpc", url(1)]);
    assert.equal(unknown.code, 3, "an unknown certificate is not valid");
  });

  it("cert issue writes QR codes of the link; a proof bundle from node 3 verifies offline with the document", async () => {
    const png = join(dir, "qr.png");
    const svg = join(dir, "qr.svg");
    const id = await issueLicence(9, ["--qr", png, "--qr", svg]);
    assert.deepEqual([...(await readFile(png)).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "a PNG file");
    assert.match(await readFile(svg, "utf8"), /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"[\s\S]*<path /, "an SVG image");
    issued.pop(); // not used by the crash cases below
    const proof = await rpc(url(2), `/certificates/${id}/proof`);
    assert.equal(proof.status, 200);
    const bundle = join(dir, "proof.json");
    await writeFile(bundle, JSON.stringify(proof.body));
    const genesis = net.info.genesisFile;
    const ok = await cli(["cert", "verify", "--offline", bundle, "--genesis", genesis, "--document", join(dir, "doc-9.json")]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, new RegExp(`^VALID: ${id} business-licence issued by market-regulation at block \\d+`));
    const forged = structuredClone(proof.body) as { events: Array<{ receipt: { status: string } }> };
    (forged.events[0] as { receipt: { status: string } }).receipt.status = "rejected";
    await writeFile(bundle, JSON.stringify(forged));
    const refused = await cli(["cert", "verify", "--offline", bundle, "--genesis", genesis]);
    assert.equal(refused.code, 3, refused.stdout + refused.stderr);
    assert.match(refused.stdout, /^NOT VALID: proof refused: event 0: receipt inclusion proof does not lead to the block's resultsRoot/);
  });

  it("issue, revoke, then a bundle leaving out the revocation is refused offline; an unknown id's proof of absence verifies offline", async () => {
    const id = await issueLicence(10);
    issued.pop(); // revoked: not used by the crash cases below
    const revoke = await cli(["cert", "revoke", "--rpc", url(0), "--testnet", dir, "--id", id, "--reason", "business closed"]);
    assert.equal(revoke.code, 0, revoke.stdout + revoke.stderr);
    const genesis = net.info.genesisFile;
    const bundle = join(dir, "revoked-proof.json");
    const proof = await rpc<{ events: unknown[] }>(url(1), `/certificates/${id}/proof`);
    assert.equal(proof.status, 200);
    assert.equal(proof.body.events.length, 2, "the issue and the revocation");
    await writeFile(bundle, JSON.stringify(proof.body));
    const honest = await cli(["cert", "verify", "--offline", bundle, "--genesis", genesis]);
    assert.equal(honest.code, 3, honest.stdout + honest.stderr);
    assert.match(honest.stdout, /^NOT VALID: revoked at block \d+: business closed/);
    // A node that leaves out the revocation: the issue alone no longer matches the newest block's state root.
    await writeFile(bundle, JSON.stringify({ ...proof.body, events: proof.body.events.slice(0, 1) }));
    const omitted = await cli(["cert", "verify", "--offline", bundle, "--genesis", genesis]);
    assert.equal(omitted.code, 3, omitted.stdout + omitted.stderr);
    assert.match(
      omitted.stdout,
      /^NOT VALID: proof refused: the certificate's state at block \d+ is not what the bundle's 1 event\(s\) give: a later transaction \(a revocation, a renewal or a suspension\) is left out/,
    );
    // An unknown id: 404, and the body proves the absence.
    const absence = await rpc<{ events: unknown[] }>(url(2), "/certificates/NO-SUCH-CERT/proof");
    assert.equal(absence.status, 404);
    assert.deepEqual(absence.body.events, []);
    await writeFile(bundle, JSON.stringify(absence.body));
    const absent = await cli(["cert", "verify", "--offline", bundle, "--genesis", genesis]);
    assert.equal(absent.code, 3, absent.stdout + absent.stderr);
    assert.match(absent.stdout, /^NOT VALID: unknown: the chain holds no certificate "NO-SUCH-CERT" as of block \d+ .*proof of absence checked offline/);
    // The same proof presented for an issued id is refused.
    await writeFile(bundle, JSON.stringify({ ...absence.body, certificateId: id }));
    const claimed = await cli(["cert", "verify", "--offline", bundle, "--genesis", genesis]);
    assert.match(claimed.stdout, /^NOT VALID: proof refused: /, claimed.stdout + claimed.stderr);
  });

  it("kill -9 of one validator: the others commit; restarted, it catches up to the same head", async () => {
    net.kill(2, "SIGKILL");
    await issueLicence(2);
    await issueLicence(3);
    await net.restart(2);
    const top = await sameHead();
    assert.ok(top.height >= 3, `height ${top.height}`);
    for (const id of issued) {
      const r = await cli(["cert", "verify", "--id", id, "--rpc", url(2)]);
      assert.equal(r.code, 0, `restarted node has ${id}: ${r.stdout}${r.stderr}`);
    }
  });

  it("kill -9 of all four: after restart every certificate is there and all report the same head", async () => {
    const before = await sameHead();
    for (let i = 0; i < 4; i++) net.kill(i, "SIGKILL");
    await Promise.all([0, 1, 2, 3].map((i) => net.restart(i)));
    const after = await sameHead();
    assert.deepEqual(after, before, "no committed block lost");
    for (let i = 0; i < 4; i++) {
      for (const id of issued) {
        const r = await rpc<{ valid: boolean }>(url(i), `/verify/${id}`);
        assert.equal(r.body.valid, true, `node ${i + 1} has ${id}`);
      }
    }
    // The network still works: revoke through the CLI, every node says not valid (exit 3).
    const rev = await cli(["cert", "revoke", "--id", issued[0] as string, "--reason", "test revocation", "--rpc", url(3), "--testnet", dir]);
    assert.equal(rev.code, 0, `cert revoke: ${rev.stderr}`);
    for (let i = 0; i < 4; i++) {
      await waitFor(`node ${i + 1} sees the revocation`, async () => (await cli(["cert", "verify", "--id", issued[0] as string, "--rpc", url(i)])).code === 3);
    }
  });

  it("backup from one node, restore a wiped node from it, and it rejoins at the same head", async () => {
    const file = join(dir, "chain.backup");
    const backup = await cli(["backup", "--rpc", url(1), "--out", file]);
    assert.equal(backup.code, 0, `backup: ${backup.stderr}`);
    const top = await sameHead();

    // A tampered backup is refused, naming the block.
    const lines = (await readFile(file, "utf8")).trimEnd().split("\n");
    const forged = lines.map((l, i) => (i === 2 ? l.replace("Crash Test", "Forged Test") : l)).join("\n");
    await writeFile(join(dir, "forged.backup"), `${forged}\n`);
    const node4 = net.info.nodes[3] as { home: string; dataDir: string };
    net.kill(3, "SIGKILL");
    await waitFor("node 4 down", async () => {
      try {
        await rpc(url(3), "/status");
        return false;
      } catch {
        return true;
      }
    });
    await rename(node4.dataDir, `${node4.dataDir}.lost`);
    const bad = await cli(["restore", "--home", node4.home, "--in", join(dir, "forged.backup")]);
    assert.notEqual(bad.code, 0, "a forged backup must not restore");
    assert.match(bad.stderr, /block 2/, `the error names the block: ${bad.stderr}`);
    await rm(node4.dataDir, { recursive: true, force: true });

    const restore = await cli(["restore", "--home", node4.home, "--in", file]);
    assert.equal(restore.code, 0, `restore: ${restore.stderr}`);
    assert.match(restore.stdout, new RegExp(`height ${top.height}, head ${top.hash}`), restore.stdout);
    await net.restart(3);
    const after = await sameHead();
    assert.equal(after.hash, top.hash, "the restored node is at the same head");
    for (const id of issued)
      assert.equal((await rpc<{ valid: boolean; status: string }>(url(3), `/verify/${id}`)).body.status === "unknown", false, `restored node knows ${id}`);
  });
});
