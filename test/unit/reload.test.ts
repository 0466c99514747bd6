/**
 * Reloading a node's config: which differences apply live and which need a restart, a bad config
 * refused whole (nothing half-applied), the admin token file, and POST /admin/reload's bearer check.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { adminTokenPath, createAdminToken, readAdminToken } from "../../node/admin-token.js";
import type { ReloadSummary } from "../../node/api/views.js";
import type { ChainSpec } from "../../node/chain/genesis.js";
import { stringify } from "smol-toml";
import { CONFIG_FILE, type NodeConfig, loadConfig, saveConfig } from "../../node/config.js";
import { MemoryStore } from "../../node/db/memory-store.js";
import { LedgerError } from "../../node/errors.js";
import { type LogLevel, createLogger, logLevel, setLogLevel } from "../../node/logger.js";
import { peerIdOf } from "../../node/network/identity.js";
import type { NetworkPeer, PeerSetDiff } from "../../node/network/network.js";
import { diffPeerSets, parsePeerList } from "../../node/network/peers.js";
import { ConfigReloader, type Reloader, changedPaths } from "../../node/reload.js";
import { AdminAuth } from "../../node/rpc/admin-auth.js";
import { createRpcServer } from "../../node/rpc/server.js";
import { makeTestChain } from "../helpers/chain.js";
import { StoreBackend } from "../helpers/store-backend.js";

const silent = createLogger("test");

describe("config reload", () => {
  describe("changedPaths", () => {
    // [name, before, after, paths]
    const cases: Array<[string, unknown, unknown, string[]]> = [
      ["the same config", { a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 2] } }, []],
      ["a nested member", { rpc: { host: "h", port: 1 } }, { rpc: { host: "h", port: 2 } }, ["rpc.port"]],
      ["an array, as a whole", { p2p: { peers: [{ peerId: "x" }] } }, { p2p: { peers: [] } }, ["p2p.peers"]],
      [
        "a section added, member by member",
        { name: "n" },
        { name: "n", mempool: { maxTxs: 5, admitChunkTxs: 9 } },
        ["mempool.admitChunkTxs", "mempool.maxTxs"],
      ],
      ["a section removed", { log: { level: "debug" } }, {}, ["log.level"]],
      ["a member turned into another type", { a: { b: 1 } }, { a: 3 }, ["a"]],
    ];
    for (const [name, before, after, paths] of cases) it(name, () => assert.deepEqual(changedPaths(before, after), paths, name));
  });

  describe("ConfigReloader", () => {
    let home: string;
    let self: string;
    let peers: NetworkPeer[];
    let base: NodeConfig;
    let levelBefore: LogLevel;

    /** A stand-in for the Network: keeps the set it was given, answers the diff. */
    class FakeNetwork {
      calls = 0;
      private set = new Map<string, ReturnType<typeof parsePeerList> extends Map<string, infer V> ? V : never>();
      constructor(initial: NetworkPeer[]) {
        this.set = parsePeerList(self, initial);
      }
      async updatePeers(list: readonly NetworkPeer[]): Promise<PeerSetDiff> {
        this.calls++;
        const next = parsePeerList(self, list);
        const diff = diffPeerSets(this.set, next);
        this.set = next;
        return diff;
      }
      get configuredPeerCount(): number {
        return this.set.size;
      }
    }

    const write = (cfg: unknown): Promise<void> => writeFile(join(home, CONFIG_FILE), stringify(cfg));
    const make = (network: FakeNetwork, reloaders: Reloader[] = []): ConfigReloader =>
      new ConfigReloader(base, {
        home,
        loadConfig: () => loadConfig(home),
        spec: { validators: [] } as unknown as ChainSpec, // no genesis validators: every peer comes from the config
        peerId: self,
        network,
        log: silent,
        baseLogLevel: "error",
        reloaders,
      });
    const refused = async (promise: Promise<unknown>, code: string, names: RegExp): Promise<void> => {
      await assert.rejects(promise, (err: unknown) => err instanceof LedgerError && err.code === code && names.test(err.message));
    };

    beforeEach(async () => {
      levelBefore = logLevel();
      setLogLevel("error");
      home = await mkdtemp(join(tmpdir(), "certchain-reload-"));
      const ids = await Promise.all(Array.from({ length: 4 }, async () => peerIdOf(await generateKeyPair("Ed25519"))));
      self = ids[0] as string;
      peers = ids.slice(1).map((peerId, i) => ({ peerId, address: `/ip4/127.0.0.1/tcp/${7001 + i}` }));
      base = {
        name: "node1",
        department: "public-security",
        genesisFile: "genesis.json",
        p2pKeyFile: "p2p.key",
        dataDir: "data",
        p2p: { listen: ["/ip4/127.0.0.1/tcp/7000"], peers: peers.slice(0, 2) },
        rpc: { host: "127.0.0.1", port: 26700 },
      };
      await saveConfig(home, base);
    });

    afterEach(async () => {
      setLogLevel(levelBefore);
      await rm(home, { recursive: true, force: true });
    });

    it("an unchanged config applies nothing and needs no restart", async () => {
      const network = new FakeNetwork(base.p2p.peers);
      const summary = await make(network).reload();
      assert.deepEqual(summary, { applied: [], needsRestart: [], peers: { added: [], removed: [], readdressed: [] } });
    });

    it("applies the peer set and log.level live and lists the rest as needing a restart, on every reload until restart", async () => {
      const network = new FakeNetwork(base.p2p.peers);
      const reloader = make(network);
      const added = peers[2] as NetworkPeer;
      await write({
        ...base,
        p2p: { ...base.p2p, peers: [...base.p2p.peers, added] },
        rpc: { ...base.rpc, port: 26800 },
        mempool: { maxTxs: 5 },
        log: { level: "warn" },
      });
      const summary = await reloader.reload();
      assert.deepEqual(summary.peers, { added: [added.peerId], removed: [], readdressed: [] });
      assert.deepEqual(summary.applied, ["p2p.peers: +1 -0 ~0 (3 configured)", "log.level: warn"]);
      assert.deepEqual(summary.needsRestart, ["mempool.maxTxs", "rpc.port"]);
      assert.equal(logLevel(), "warn");
      const again = await reloader.reload();
      assert.deepEqual(again.applied, [], "nothing new to apply");
      assert.deepEqual(again.needsRestart, ["mempool.maxTxs", "rpc.port"], "still not running with them");
      // Taking log.level out of the config goes back to the level the node started with.
      await write({ ...base, p2p: { ...base.p2p, peers: [...base.p2p.peers, added] } });
      assert.deepEqual((await reloader.reload()).applied, ["log.level: error (none in the config)"]);
      assert.equal(logLevel(), "error");
    });

    // [what is wrong, the config file's text, what the error names]
    const bad: Array<[string, (cfg: NodeConfig) => string, RegExp]> = [
      ["not TOML", () => "name = ", /config\.toml/],
      ["an unknown key", (cfg) => stringify({ ...cfg, mempol: { maxTxs: 1 } }), /"mempol"/],
      ["a wrong type", (cfg) => stringify({ ...cfg, mempool: { maxTxs: "many" } }), /mempool\.maxTxs/],
      ["an unknown log level", (cfg) => stringify({ ...cfg, log: { level: "loud" } }), /log\.level/],
      [
        "a bad peer entry",
        (cfg) => stringify({ ...cfg, p2p: { ...cfg.p2p, peers: [...cfg.p2p.peers, { peerId: "nobody", address: "/ip4/1.2.3.4/tcp/1" }] } }),
        /nobody/,
      ],
    ];
    for (const [what, text, names] of bad) {
      it(`refuses ${what} with one CONFIG error and applies nothing`, async () => {
        const network = new FakeNetwork(base.p2p.peers);
        let applied = 0;
        const reloader = make(network, [{ keys: [], prepare: async () => ({ summary: "x", apply: () => applied++ }) }]);
        await writeFile(join(home, CONFIG_FILE), text({ ...base, p2p: { ...base.p2p, peers: peers }, log: { level: "debug" } }));
        await refused(reloader.reload(), "CONFIG", names);
        assert.equal(network.calls, 0, "the peer set was not touched");
        assert.equal(network.configuredPeerCount, 2);
        assert.equal(logLevel(), "error", "the log level was not touched");
        assert.equal(applied, 0, "no reloader applied");
        // Fixed, the next reload goes through.
        await write({ ...base, p2p: { ...base.p2p, peers } });
        assert.deepEqual((await reloader.reload()).peers.added, [(peers[2] as NetworkPeer).peerId]);
      });
    }

    it("a reloader refusing in prepare stops the whole reload; its keys never need a restart", async () => {
      const network = new FakeNetwork(base.p2p.peers);
      let fail = true;
      let applied = 0;
      const tls: Reloader = {
        keys: ["rpc.maxConnections"],
        prepare: async (cfg) => {
          if (fail) throw new LedgerError("CONFIG", "rpc.tls: cannot read cert.pem");
          return cfg.rpc.maxConnections === undefined ? null : { summary: "rpc.maxConnections: live", apply: () => applied++ };
        },
      };
      const reloader = make(network, [tls]);
      await write({ ...base, p2p: { ...base.p2p, peers }, rpc: { ...base.rpc, maxConnections: 5 } });
      await refused(reloader.reload(), "CONFIG", /cert\.pem/);
      assert.equal(network.calls, 0);
      fail = false;
      const summary = await reloader.reload();
      assert.deepEqual(summary.applied, ["p2p.peers: +1 -0 ~0 (3 configured)", "rpc.maxConnections: live"]);
      assert.deepEqual(summary.needsRestart, []);
      assert.equal(applied, 1);
    });

    it("runs reloads one at a time and refuses them once the node closes", async () => {
      const network = new FakeNetwork(base.p2p.peers);
      const reloader = make(network);
      await write({ ...base, p2p: { ...base.p2p, peers } });
      const [first, second] = await Promise.all([reloader.reload(), reloader.reload()]);
      assert.equal(first.peers.added.length, 1);
      assert.equal(second.peers.added.length, 0, "the second saw the first's result");
      reloader.close();
      await refused(reloader.reload(), "NOT_READY", /closing/);
    });
  });

  describe("admin token file", () => {
    let home: string;
    beforeEach(async () => {
      home = await mkdtemp(join(tmpdir(), "certchain-token-"));
    });
    afterEach(() => rm(home, { recursive: true, force: true }));

    it("is 32 random bytes in hex, mode 0600, kept unless rotated", async () => {
      assert.equal(await readAdminToken(home), null, "no file: no token");
      assert.deepEqual(await createAdminToken(home), { path: adminTokenPath(home), written: true });
      const first = await readAdminToken(home);
      assert.match(first ?? "", /^[0-9a-f]{64}$/);
      assert.equal((await stat(adminTokenPath(home))).mode & 0o777, 0o600);
      assert.equal((await createAdminToken(home)).written, false);
      assert.equal(await readAdminToken(home), first, "kept");
      await createAdminToken(home, { rotate: true });
      const second = await readAdminToken(home);
      assert.notEqual(second, first, "rotated");
      assert.equal((await stat(adminTokenPath(home))).mode & 0o777, 0o600);
    });

    it("holds one line", async () => {
      await createAdminToken(home);
      assert.match(await readFile(adminTokenPath(home), "utf8"), /^[0-9a-f]{64}\n$/);
    });

    // [what is wrong, how to make it so, what the error names]
    const bad: Array<[string, (path: string) => Promise<void>, RegExp]> = [
      ["readable by group", (path) => chmod(path, 0o640), /chmod 600/],
      ["not a token", (path) => writeFile(path, "hunter2\n"), /64 hex/],
    ];
    for (const [what, spoil, names] of bad) {
      it(`refuses a token file ${what}, naming it`, async () => {
        await createAdminToken(home);
        await spoil(adminTokenPath(home));
        await assert.rejects(
          readAdminToken(home),
          (err: unknown) => err instanceof LedgerError && err.code === "CONFIG" && names.test(err.message) && err.message.includes(adminTokenPath(home)),
        );
      });
    }
  });

  describe("AdminAuth", () => {
    const token = "ab".repeat(32);
    // [what is presented, Authorization header, accepted]
    const cases: Array<[string, string | undefined, boolean]> = [
      ["the token", `Bearer ${token}`, true],
      ["the token, scheme in lower case", `bearer ${token}`, true],
      ["the token, trailing space", `Bearer ${token} `, true],
      ["no header", undefined, false],
      ["an empty header", "", false],
      ["the token without a scheme", token, false],
      ["the token as Basic", `Basic ${token}`, false],
      ["a prefix of the token", `Bearer ${"ab".repeat(31)}`, false],
      ["the token and one more character", `Bearer ${token}0`, false],
      ["the token in upper case", `Bearer ${token.toUpperCase()}`, false],
      ["the token and another word", `Bearer ${token} extra`, false],
    ];
    for (const [what, header, accepted] of cases) {
      it(`${accepted ? "accepts" : "refuses"} ${what}`, () => {
        assert.equal(new AdminAuth(token).check(header), accepted, String(header));
      });
    }
    it("refuses everything while no token is set", () => {
      const auth = new AdminAuth(null);
      assert.equal(auth.enabled, false);
      assert.equal(auth.check(`Bearer ${token}`), false);
      auth.set(token);
      assert.equal(auth.check(`Bearer ${token}`), true);
    });
  });

  describe("POST /admin/reload", () => {
    const token = "cd".repeat(32);
    const summary: ReloadSummary = { applied: ["p2p.peers: +1 -0 ~0 (4 configured)"], needsRestart: [], peers: { added: ["x"], removed: [], readdressed: [] } };
    let outcome: () => Promise<ReloadSummary>;
    let calls = 0;
    const chain = makeTestChain(1);
    class ReloadingBackend extends StoreBackend {
      reload(): Promise<ReloadSummary> {
        calls++;
        return outcome();
      }
    }
    const auth = new AdminAuth(null);
    const app = createRpcServer({}, { backend: new ReloadingBackend(chain.spec, new MemoryStore(), () => Date.now()), adminAuth: auth });
    const post = (authorization?: string) =>
      app.inject({ method: "POST", url: "/admin/reload", ...(authorization === undefined ? {} : { headers: { authorization } }) });

    beforeEach(() => {
      outcome = async () => summary;
      calls = 0;
      auth.set(token);
    });
    after(() => app.close());

    it("is not served while the node has no admin token", async () => {
      auth.set(null);
      const res = await post(`Bearer ${token}`);
      assert.equal(res.statusCode, 404);
      assert.equal(res.json().error.code, "NOT_FOUND");
      assert.equal(calls, 0);
    });

    it("answers 401 UNAUTHORIZED in the error contract without the token, and never reloads", async () => {
      for (const header of [undefined, `Bearer ${"00".repeat(32)}`, `Bearer ${token.slice(2)}`]) {
        const res = await post(header);
        assert.equal(res.statusCode, 401, `header ${header}`);
        assert.equal(res.json().error.code, "UNAUTHORIZED", `header ${header}`);
        assert.match(String(res.headers["www-authenticate"]), /^Bearer/);
      }
      assert.equal(calls, 0);
    });

    it("reloads with the token and answers the summary", async () => {
      const res = await post(`Bearer ${token}`);
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), summary);
      assert.equal(calls, 1);
    });

    it("answers a refused reload with its CONFIG error", async () => {
      outcome = async () => {
        throw new LedgerError("CONFIG", 'config.toml: unknown key "mempol"');
      };
      const res = await post(`Bearer ${token}`);
      assert.equal(res.statusCode, 500);
      assert.deepEqual(res.json().error, { code: "CONFIG", message: 'config.toml: unknown key "mempol"' });
    });
  });
});
