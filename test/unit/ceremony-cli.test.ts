/**
 * The ceremony's commands as an operator runs them (runCli, the whole CLI in-process): node init,
 * node card, genesis build, node join, node admit and init. Every bad input gets one line on stderr,
 * a non-zero exit, and leaves every file as it was.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type NodeCard, cardSigningBytes } from "../../node/chain/card.js";
import { signBytes } from "../../node/crypto/keys.js";
import { EXIT } from "../../node/errors.js";
import { loadKeyFile } from "../../node/keys/key-file.js";
import type { CliIo } from "../../cli/io.js";
import { runCli } from "../../cli/main.js";
import { loadConfig } from "../../node/config.js";

/**
 * Run the CLI in-process; its stdout and stderr lines. Homes made here keep plaintext keys (scrypt for
 * every key would only slow these tests; test/e2e/ceremony.test.ts runs the ceremony with encrypted keys).
 */
async function certchain(...argv: string[]): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: CliIo = { out: (l) => stdout.push(l), err: (l) => stderr.push(l), env: {} };
  const makesKeys = argv[0] === "init" || (argv[0] === "node" && argv[1] === "init");
  const code = await runCli(makesKeys ? [...argv, "--plaintext-keys"] : argv, io);
  return { code, stdout, stderr };
}

/** Every file under `dir` with its mode and a hash of its bytes: what "writes nothing" compares. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      const mode = ((await stat(path)).mode & 0o777).toString(8);
      if (entry.isDirectory()) {
        out[`${path}/`] = mode;
        await walk(path);
      } else {
        out[path] = `${mode} ${createHash("sha256")
          .update(await readFile(path))
          .digest("hex")}`;
      }
    }
  };
  await walk(dir);
  return out;
}

/** Expect one stderr line matching `line`, exit `code`, and no file under `dir` changed. */
async function refused(dir: string, argv: string[], line: RegExp, code: number): Promise<void> {
  const before = await snapshot(dir);
  const r = await certchain(...argv);
  const what = argv.join(" ");
  assert.equal(r.code, code, `${what}: exit code (stderr: ${r.stderr.join(" | ")})`);
  assert.equal(r.stderr.length, 1, `${what}: one line on stderr: ${r.stderr.join(" | ")}`);
  assert.match(r.stderr[0] as string, line, what);
  assert.deepEqual(await snapshot(dir), before, `${what}: nothing written`);
}

const readCard = async (home: string): Promise<NodeCard> => JSON.parse(await readFile(join(home, "card.json"), "utf8")) as NodeCard;

describe("cli: the key ceremony (node init, card, join, admit; genesis build; init)", function () {
  this.timeout(60_000);
  let dir: string;
  let ex: string; // the files departments exchange
  const home = (name: string): string => join(dir, name);
  const nodeInit = (name: string, department: string, i: number, ...extra: string[]) =>
    certchain(
      "node",
      "init",
      "--home",
      home(name),
      "--department",
      department,
      "--name",
      name,
      "--p2p",
      `/ip4/10.0.0.${i}/tcp/26656`,
      "--rpc",
      `127.0.0.1:${26700 + i}`,
      ...extra,
    );

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "certchain-ceremony-cli-"));
    ex = join(dir, "exchange");
    for (const [i, [name, department]] of [
      ["ps", "public-security"],
      ["mr", "market-regulation"],
      ["hs", "housing"],
      ["tax", "tax-bureau"],
    ].entries()) {
      const r = await nodeInit(name as string, department as string, i + 1);
      assert.equal(r.code, 0, r.stderr.join("\n"));
    }
    const ps = await readCard(home("ps"));
    const f = await certchain(
      "node",
      "init",
      "--home",
      home("fol"),
      "--department",
      "public-security",
      "--name",
      "fol1",
      "--follower",
      "--p2p",
      "/dns4/follower.example.org/tcp/26656",
      "--rpc",
      "0.0.0.0:8080",
      "--public-url",
      "https://verify.example.org",
      "--bootstrap",
      `${ps.address}/p2p/${ps.peerId}`,
    );
    assert.equal(f.code, 0, f.stderr.join("\n"));
    await certchain("node", "card", "--home", home("ps")); // warm the lazy imports
    const { mkdir } = await import("node:fs/promises");
    await mkdir(ex);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("node init makes a 0700 home with 0600 keys, its config and a signed card; node card prints it", async () => {
    assert.equal((await stat(home("ps"))).mode & 0o777, 0o700, "home");
    assert.deepEqual((await readdir(home("ps"))).sort(), ["card.json", "config.toml", "consensus.key", "issuer.key", "p2p.key"]);
    for (const key of ["consensus.key", "issuer.key", "p2p.key"]) assert.equal((await stat(join(home("ps"), key))).mode & 0o777, 0o600, key);
    assert.deepEqual((await readdir(home("fol"))).sort(), ["card.json", "config.toml", "p2p.key"], "a follower has its p2p key only");
    const card = await readCard(home("ps"));
    assert.equal(card.role, "validator");
    assert.equal(card.address, "/ip4/10.0.0.1/tcp/26656");
    const config = await loadConfig(home("ps"));
    assert.deepEqual(config.p2p, { listen: ["/ip4/10.0.0.1/tcp/26656"], announce: "/ip4/10.0.0.1/tcp/26656", peers: [] });
    assert.equal(config.issuerKeyFile, "issuer.key");
    const fol = await loadConfig(home("fol"));
    assert.deepEqual(fol.p2p.listen, ["/ip4/0.0.0.0/tcp/26656"], "a /dns4 address listens on every interface");
    assert.deepEqual(fol.p2p.peers, [{ peerId: card.peerId, address: card.address }], "the bootstrap peer");
    assert.equal(fol.rpc.publicUrl, "https://verify.example.org");
    assert.equal(fol.consensusKeyFile, undefined);
    const shown = await certchain("node", "card", "--home", home("ps"));
    assert.equal(shown.code, 0, shown.stderr.join("\n"));
    assert.deepEqual(JSON.parse(shown.stdout.join("\n")), card);
    assert.ok(!shown.stdout.join("\n").toLowerCase().includes("private"), "nothing private on the card");
  });

  it("node init: each bad input is one line, a non-zero exit, and nothing written", async () => {
    const ps = await readCard(home("ps"));
    const base = ["node", "init", "--home", home("new"), "--department", "housing", "--name", "hs2", "--rpc", "127.0.0.1:1"];
    const cases: Array<[string, string[], RegExp, number]> = [
      [
        "0.0.0.0 as the public address",
        [...base, "--p2p", "/ip4/0.0.0.0/tcp/26656"],
        /BAD_ARGUMENT: p2p address "\/ip4\/0\.0\.0\.0\/tcp\/26656" is the unspecified address/,
        EXIT.USAGE,
      ],
      ["a host:port as the p2p address", [...base, "--p2p", "10.0.0.9:26656"], /is not \/ip4\/A\.B\.C\.D\/tcp\/PORT/, EXIT.USAGE],
      [
        "a department with spaces",
        ["node", "init", "--home", home("new"), "--department", "Public Security", "--name", "x", "--rpc", "127.0.0.1:1", "--p2p", "/ip4/10.0.0.9/tcp/1"],
        /department "Public Security" must be an id/,
        EXIT.USAGE,
      ],
      ["--rpc without a port", [...base, "--p2p", "/ip4/10.0.0.9/tcp/1", "--rpc", "127.0.0.1"], /--rpc must be HOST:PORT/, EXIT.USAGE],
      [
        "a bootstrap peer without /p2p",
        [...base, "--p2p", "/ip4/10.0.0.9/tcp/1", "--bootstrap", ps.address],
        /--bootstrap .* must end in \/p2p\/PEERID/,
        EXIT.USAGE,
      ],
      [
        "a listen address that is not a multiaddr",
        [...base, "--p2p", "/ip4/10.0.0.9/tcp/1", "--listen", "0.0.0.0:1"],
        /listen address "0\.0\.0\.0:1" is not a multiaddr/,
        EXIT.USAGE,
      ],
      [
        "a public URL that is not http(s)",
        [...base, "--p2p", "/ip4/10.0.0.9/tcp/1", "--public-url", "ftp://x"],
        /public URL "ftp:\/\/x" is not an http\(s\) URL/,
        EXIT.USAGE,
      ],
      [
        "a missing --name",
        ["node", "init", "--home", home("new"), "--department", "housing", "--p2p", "/ip4/10.0.0.9/tcp/1", "--rpc", "127.0.0.1:1"],
        /--name is required/,
        EXIT.USAGE,
      ],
      [
        "a home that is not empty",
        ["node", "init", "--home", home("ps"), "--department", "public-security", "--name", "ps", "--p2p", "/ip4/10.0.0.9/tcp/1", "--rpc", "127.0.0.1:1"],
        /ps is not empty; node init makes a new home and never overwrites keys/,
        EXIT.USAGE,
      ],
    ];
    for (const [what, argv, line, code] of cases) {
      await refused(dir, argv, line, code);
      await assert.rejects(stat(home("new")), /ENOENT/, `${what}: no home made`);
    }
  });

  it("genesis build writes the genesis from the cards and names validators in a fixed order", async () => {
    const out = join(ex, "genesis.json");
    const r = await certchain(
      "genesis",
      "build",
      "--cards",
      join(home("hs"), "card.json"),
      join(home("ps"), "card.json"),
      join(home("mr"), "card.json"),
      "--out",
      out,
      "--chain-name",
      "ceremony-cli",
      "--genesis-time",
      "2026-11-01T00:00:00Z",
    );
    assert.equal(r.code, 0, r.stderr.join("\n"));
    assert.match(r.stdout[0] as string, /^chain id {6}ceremony-cli-[0-9a-f]{16}$/);
    assert.ok(
      r.stdout.some((l) => l.includes("no card brought an issuer key for department government-services")),
      r.stdout.join("\n"),
    );
    const genesis = JSON.parse(await readFile(out, "utf8"));
    assert.deepEqual(
      genesis.validators.map((v: { name: string }) => v.name),
      ["ps", "mr", "hs"],
    );
    assert.equal(genesis.genesisTime, Date.parse("2026-11-01T00:00:00Z"));
    // Any department rebuilds the same file from the same cards and time, in any order.
    const again = join(dir, "again.json");
    const r2 = await certchain(
      "genesis",
      "build",
      "--cards",
      join(home("mr"), "card.json"),
      "--cards",
      join(home("hs"), "card.json"),
      "--cards",
      join(home("ps"), "card.json"),
      "--out",
      again,
      "--chain-name",
      "ceremony-cli",
      "--genesis-time",
      String(Date.parse("2026-11-01T00:00:00Z")),
    );
    assert.equal(r2.code, 0, r2.stderr.join("\n"));
    assert.equal(await readFile(again, "utf8"), await readFile(out, "utf8"));
    await rm(again);
  });

  it("genesis build: a tampered card, another department's issuer key, an unknown department … one line naming the card, nothing written", async () => {
    const cardOf = (name: string): string => join(home(name), "card.json");
    const tampered = join(dir, "tampered.json");
    await writeFile(tampered, JSON.stringify({ ...(await readCard(home("mr"))), address: "/ip4/10.6.6.6/tcp/26656" }));
    // The housing operator lists public security's issuer key on its own card, signed with its own key.
    const stolen = join(dir, "stolen.json");
    const { signature: _s, ...hsBody } = await readCard(home("hs"));
    const forged = { ...hsBody, issuerKeys: (await readCard(home("ps"))).issuerKeys };
    const hsKey = await loadKeyFile(join(home("hs"), "consensus.key"), { allowPlaintext: true });
    await writeFile(stolen, JSON.stringify({ ...forged, signature: signBytes(hsKey.privateKey, cardSigningBytes(forged)) }));
    const notJson = join(dir, "not-json.json");
    await writeFile(notJson, "{ this is not json");
    const badTemplate = join(dir, "template.json");
    await writeFile(
      badTemplate,
      JSON.stringify({
        chainName: "x",
        departments: [{ id: "housing", name: { en: "H", zh: "住" }, certificateTypes: [], issuerKeys: [] }],
        certificateTypes: [],
      }),
    );
    const out = join(dir, "out.json");
    const build = (...cards: string[]): string[] => ["genesis", "build", "--out", out, "--cards", ...cards];
    const cases: Array<[string[], RegExp, number]> = [
      [build(cardOf("ps"), tampered), /^certchain: CONFIG: card .*tampered\.json: signature does not verify against its consensus key/, EXIT.FAILURE],
      [
        build(cardOf("ps"), stolen),
        /^certchain: CONFIG: card .*stolen\.json: issuer key [0-9a-f]{16}… is already on card .*ps\/card\.json of department public-security$/,
        EXIT.FAILURE,
      ],
      [
        build(cardOf("ps"), cardOf("tax")),
        /^certchain: CONFIG: card .*tax\/card\.json: department "tax-bureau" is not in the template \(it has public-security, market-regulation, housing, government-services\)$/,
        EXIT.FAILURE,
      ],
      [build(cardOf("ps"), cardOf("fol")), /card .*fol\/card\.json: a follower card; followers are not in genesis/, EXIT.FAILURE],
      [build(cardOf("ps"), cardOf("ps")), /a card file is named twice/, EXIT.USAGE],
      [build(cardOf("ps"), notJson), /card .*not-json\.json: not JSON/, EXIT.FAILURE],
      [build(cardOf("ps"), join(dir, "missing.json")), /card .*missing\.json: cannot read \(ENOENT\)/, EXIT.FAILURE],
      [[...build(cardOf("ps")), "--template", badTemplate], /template .*template\.json: department "housing": unknown member "issuerKeys"/, EXIT.FAILURE],
      [["genesis", "build", "--out", join(ex, "genesis.json"), "--cards", cardOf("ps")], /genesis\.json exists; give --force to replace it/, EXIT.USAGE],
      [["genesis", "build", "--out", out], /--cards is required/, EXIT.USAGE],
      [[...build(cardOf("ps")), "--genesis-time", "yesterday"], /--genesis-time must be Unix milliseconds or an ISO 8601 time/, EXIT.USAGE],
    ];
    for (const [argv, line, code] of cases) await refused(dir, argv, line, code);
  });

  it("node join installs the genesis and prints the chain id and hash every department compares", async () => {
    const genesis = join(ex, "genesis.json");
    const printed = new Set<string>();
    for (const name of ["ps", "mr", "hs", "fol"]) {
      const r = await certchain("node", "join", "--home", home(name), "--genesis", genesis);
      assert.equal(r.code, 0, `${name}: ${r.stderr.join("\n")}`);
      printed.add(r.stdout.slice(0, 2).join("\n"));
      assert.deepEqual(await readFile(join(home(name), "genesis.json")), await readFile(genesis), `${name}: the very file`);
    }
    assert.equal(printed.size, 1, "the same chain id and genesis hash everywhere");
    assert.match([...printed][0] as string, /^chain id {6}ceremony-cli-[0-9a-f]{16}\ngenesis hash {2}[0-9a-f]{64}$/);
    const again = await certchain("node", "join", "--home", home("ps"), "--genesis", genesis);
    assert.equal(again.code, 0, "joining the same genesis again is fine");
    assert.ok(again.stdout.some((l) => l.includes("already held this genesis")));
  });

  it("node join: a genesis without the node's card, another chain's genesis, a broken file … one line, nothing written", async () => {
    const other = join(dir, "other.json");
    const built = await certchain("genesis", "build", "--cards", join(home("ps"), "card.json"), join(home("mr"), "card.json"), "--out", other);
    assert.equal(built.code, 0, built.stderr.join("\n"));
    const broken = join(dir, "broken.json");
    const g = JSON.parse(await readFile(join(ex, "genesis.json"), "utf8"));
    g.validators[2].address = "/ip4/10.6.6.6/tcp/26656";
    await writeFile(broken, JSON.stringify(g));
    await rm(join(home("tax"), "genesis.json"), { force: true });
    const cases: Array<[string[], RegExp]> = [
      [
        ["node", "join", "--home", home("tax"), "--genesis", other],
        /^certchain: CONFIG: genesis .*other\.json: this node's consensus key [0-9a-f]{16}… is not a validator in this genesis$/,
      ],
      [["node", "join", "--home", home("ps"), "--genesis", other], /already holds chain ceremony-cli-[0-9a-f]{16}; a node's genesis never changes/],
      [["node", "join", "--home", home("tax"), "--genesis", broken], /genesis .*broken\.json: this node's consensus key .* is not a validator/],
      [["node", "join", "--home", home("tax"), "--genesis", join(home("tax"), "card.json")], /genesis .*card\.json: /],
      [["node", "join", "--home", home("tax"), "--genesis", join(dir, "none.json")], /genesis .*none\.json: cannot read \(ENOENT\)/],
    ];
    for (const [argv, line] of cases) await refused(dir, argv, line, EXIT.FAILURE);
    // A validator whose entry was changed in transit refuses it too.
    const fresh = join(dir, "hs2");
    const made = await certchain(
      "node",
      "init",
      "--home",
      fresh,
      "--department",
      "housing",
      "--name",
      "hs",
      "--p2p",
      "/ip4/10.0.0.3/tcp/26657",
      "--rpc",
      "127.0.0.1:1",
    );
    assert.equal(made.code, 0);
    await refused(
      dir,
      ["node", "join", "--home", fresh, "--genesis", join(ex, "genesis.json")],
      /this node's consensus key .* is not a validator/,
      EXIT.FAILURE,
    );
  });

  it("node admit adds a follower's card to the home's peers once; a validator's or a tampered card is refused", async () => {
    const folCard = await readCard(home("fol"));
    const r = await certchain("node", "admit", "--home", home("ps"), "--card", join(home("fol"), "card.json"));
    assert.equal(r.code, 0, r.stderr.join("\n"));
    assert.match(r.stdout[0] as string, /^admitted follower fol1 \(public-security\) 12D3KooW\w+ at \/dns4\/follower\.example\.org\/tcp\/26656$/);
    const config = await loadConfig(home("ps"));
    assert.deepEqual(config.p2p.peers, [{ peerId: folCard.peerId, address: folCard.address }]);
    const again = await certchain("node", "admit", "--home", home("ps"), "--card", join(home("fol"), "card.json"));
    assert.match(again.stdout[0] as string, /^already admitted/);
    const tampered = join(dir, "fol-tampered.json");
    await writeFile(tampered, JSON.stringify({ ...folCard, address: "/ip4/10.6.6.6/tcp/1" }));
    await refused(
      dir,
      ["node", "admit", "--home", home("ps"), "--card", tampered],
      /card .*fol-tampered\.json: signature does not verify against its peer id/,
      EXIT.FAILURE,
    );
    await refused(
      dir,
      ["node", "admit", "--home", home("ps"), "--card", join(home("mr"), "card.json")],
      /a validator card; validators are peers through genesis/,
      EXIT.FAILURE,
    );
  });

  it("init: 0.0.0.0 never goes into genesis, and --hosts names one address per node; nothing written", async () => {
    const target = join(dir, "net");
    await refused(
      dir,
      ["init", "--dir", target, "--validators", "2", "--host", "0.0.0.0"],
      /BAD_ARGUMENT: node1: p2p address "\/ip4\/0\.0\.0\.0\/tcp\/26600" is the unspecified address/,
      EXIT.USAGE,
    );
    await refused(dir, ["init", "--dir", target, "--validators", "2", "--hosts", "127.0.0.11"], /--hosts must name 2 addresses/, EXIT.USAGE);
    await refused(dir, ["init", "--dir", target, "--host", "127.0.0.1", "--hosts", "127.0.0.11"], /give --host or --hosts, not both/, EXIT.USAGE);
    const ok = await certchain("init", "--dir", target, "--validators", "2", "--followers", "1", "--hosts", "127.0.0.11,127.0.0.12,127.0.0.13");
    assert.equal(ok.code, 0, ok.stderr.join("\n"));
    const genesis = JSON.parse(await readFile(join(target, "genesis.json"), "utf8"));
    assert.deepEqual(
      genesis.validators.map((v: { address: string }) => v.address),
      ["/ip4/127.0.0.11/tcp/26600", "/ip4/127.0.0.12/tcp/26601"],
    );
    const follower = await loadConfig(join(target, "follower1"));
    assert.deepEqual(follower.rpc, { host: "127.0.0.13", port: 26702 });
    const node1 = await loadConfig(join(target, "node1"));
    assert.deepEqual(
      node1.p2p.peers.map((p: { address: string }) => p.address),
      ["/ip4/127.0.0.13/tcp/26602"],
      "node 1 admitted the follower",
    );
  });
});
