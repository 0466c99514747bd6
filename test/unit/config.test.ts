/** config.toml: parsed as TOML, checked against the node fields and module defaults, partial options laid over them. */
import assert from "node:assert/strict";
import { CONFIG_FILE, type NodeConfig, checkConfig, configText, defaultModuleOptions, parseConfigText, resolveModuleOptions } from "../../node/config.js";
import { LedgerError } from "../../node/errors.js";

const base = {
  name: "node1",
  department: "public-security",
  genesisFile: "genesis.json",
  consensusKeyFile: "consensus.key",
  p2pKeyFile: "p2p.key",
  dataDir: "data",
  p2p: { listen: ["/ip4/127.0.0.1/tcp/26600"], peers: [] },
  rpc: { host: "127.0.0.1", port: 26700 },
};

const withModules = (extra: Record<string, unknown>): unknown => ({ ...base, ...extra });

/** base as TOML; lines appended to it land in its last table, [rpc]. */
const BASE_TOML = `name = "node1"
department = "public-security"
genesisFile = "genesis.json"
consensusKeyFile = "consensus.key"
p2pKeyFile = "p2p.key"
dataDir = "data"

[p2p]
listen = ["/ip4/127.0.0.1/tcp/26600"]
peers = []

[rpc]
host = "127.0.0.1"
port = 26700
`;

/** Expect a CONFIG error that starts with `prefix` and contains `named`, on one line. */
function refusesWith(fn: () => unknown, prefix: string, named: string, what: string): void {
  assert.throws(
    fn,
    (err: unknown) =>
      err instanceof LedgerError && err.code === "CONFIG" && err.message.startsWith(prefix) && err.message.includes(named) && !err.message.includes("\n"),
    `${what}: expected one CONFIG line starting ${prefix} naming ${named}`,
  );
}

describe("node config: config.toml", () => {
  it("parses a TOML config into a NodeConfig", () => {
    const cfg = checkConfig(parseConfigText(`${BASE_TOML}\n[mempool]\nmaxTxs = 20000\n\n[network.penalties]\nthreshold = 5\n`, "c.toml"), "c.toml");
    assert.equal(cfg.name, "node1");
    assert.deepEqual(cfg.p2p, base.p2p);
    assert.equal(cfg.mempool?.maxTxs, 20000);
    assert.equal(cfg.network?.penalties?.threshold, 5);
    assert.equal(CONFIG_FILE, "config.toml");
  });

  it("takes a TOML integer for a fractional option and a float for a whole one (both are numbers)", () => {
    const cfg = checkConfig(parseConfigText(`${BASE_TOML}shedHeapUsedFraction = 1\nrequestTimeoutMs = 2.5e4\n`, "c.toml"), "c.toml");
    assert.equal(cfg.rpc.shedHeapUsedFraction, 1);
    assert.equal(cfg.rpc.requestTimeoutMs, 25_000);
  });

  // [what, TOML text, line:column the error must name]
  const badToml: Array<[string, string, string]> = [
    ["a value missing", 'name = "node1"\ndataDir = \n', "c.toml:2:11: invalid TOML"],
    ["an unfinished string", 'name = "node1\n', "c.toml:1:14: invalid TOML"],
    ["a key defined twice", 'name = "a"\nname = "b"\n', "c.toml:2:1: invalid TOML"],
    ["a table defined twice", "[rpc]\n[rpc]\n", "c.toml:2:"],
    ["a prototype key", "__proto__ = 1\n", "c.toml:1:1: invalid TOML"],
  ];
  for (const [what, text, where] of badToml) {
    it(`refuses bad TOML (${what}) with one line naming file, line and column`, () => {
      refusesWith(() => parseConfigText(text, "c.toml"), where, "invalid TOML", what);
    });
  }

  it("writes a header comment that says where options are documented and how to see effective values, and reads back what it wrote", () => {
    const cfg: NodeConfig = {
      ...base,
      p2p: { listen: ["/ip4/127.0.0.1/tcp/26600"], peers: [{ peerId: "12D3KooWA", address: "/ip4/127.0.0.1/tcp/26601" }] },
      mempool: { maxTxs: 7 },
      network: { penalties: { threshold: 3 } },
    };
    const text = configText(cfg);
    const comments = text.split("\n").filter((line) => line.startsWith("#"));
    assert.ok(
      comments.some((line) => line.includes("certchain config show --home")),
      text,
    );
    assert.ok(
      comments.some((line) => line.includes('README "Configuration"')),
      text,
    );
    assert.ok(
      comments.some((line) => line.includes("CERTCHAIN_MEMPOOL__MAX_TXS")),
      text,
    );
    assert.deepEqual(checkConfig(parseConfigText(text, "c.toml"), "c.toml"), cfg);
  });
});

describe("node config: checked against the node fields and the module defaults", () => {
  // [what, config, the key the error must name]
  const refused: Array<[string, unknown, string]> = [
    ["an unknown module", withModules({ mempol: { maxTxs: 1 } }), 'unknown key "mempol"'],
    ["an unknown option", withModules({ mempool: { maxTx: 1 } }), 'unknown key "mempool.maxTx" (known in mempool: maxTxs'],
    ["an unknown nested option", withModules({ network: { penalties: { treshold: 1 } } }), '"network.penalties.treshold"'],
    ["a string for a number", withModules({ mempool: { maxTxs: "50000" } }), 'mempool.maxTxs must be a number, not "50000"'],
    ["a non-finite number", withModules({ sync: { pollIntervalMs: null } }), "sync.pollIntervalMs must be a number"],
    ["a boolean for a number", withModules({ consensus: { blockIntervalMs: true } }), "consensus.blockIntervalMs must be a number, not true"],
    ["a protocol constant, not an option (the sync request names)", withModules({ network: { requestNames: ["blocks"] } }), '"network.requestNames"'],
    ["a module that is not a table", withModules({ consensus: 20 }), "consensus must be a table of options, not 20"],
    ["a nested table that is not a table", withModules({ network: { penalties: 5 } }), "network.penalties must be a table of options"],
    ["the admin switch (a start flag, not an option)", withModules({ rpc: { ...base.rpc, enableAdmin: true } }), '"rpc.enableAdmin"'],
    ["a mistyped rpc tunable", withModules({ rpc: { ...base.rpc, txBodyLimit: "1mb" } }), "rpc.txBodyLimit must be a number"],
    ["an unknown node field", withModules({ dataDirectory: "data" }), 'unknown key "dataDirectory"'],
    ["a mistyped node field", withModules({ dataDir: 5 }), "dataDir must be a string, not 5"],
    ["a mistyped nested node field", withModules({ p2p: { listen: "/ip4/127.0.0.1/tcp/1", peers: [] } }), "p2p.listen must be an array of strings"],
    ["a mistyped array item", withModules({ p2p: { listen: [7], peers: [] } }), "p2p.listen[0] must be a string, not 7"],
    ["a peer without an address", withModules({ p2p: { listen: [], peers: [{ peerId: "x" }] } }), 'missing "p2p.peers[0].address" (a string)'],
    ["a peer with an unknown key", withModules({ p2p: { listen: [], peers: [{ peerId: "x", address: "y", port: 1 }] } }), 'unknown key "p2p.peers[0].port"'],
    ["an unknown key under p2p", withModules({ p2p: { ...base.p2p, lisen: [] } }), 'unknown key "p2p.lisen" (known in p2p: listen, announce, peers)'],
    ["a missing required field", { ...base, dataDir: undefined }, 'missing "dataDir" (a string)'],
    ["a missing rpc port", { ...base, rpc: { host: "127.0.0.1" } }, 'missing "rpc.port" (a number)'],
    ["a config without rpc", { ...base, rpc: undefined }, 'missing "rpc.host" (a string)'],
    ["an empty name", { ...base, name: "" }, "name must not be empty"],
    ["a TLS file that is not a path", withModules({ rpc: { ...base.rpc, tls: { certFile: 5 } } }), "rpc.tls.certFile must be a string"],
    ["an unknown TLS option", withModules({ rpc: { ...base.rpc, tls: { caFile: "ca.pem" } } }), '"rpc.tls.caFile"'],
    ["CORS origins as one string", withModules({ rpc: { ...base.rpc, corsOrigins: "*" } }), "rpc.corsOrigins must be an array of strings"],
    ["a rate limit as a string", withModules({ rpc: { ...base.rpc, rateLimit: { writes: "600" } } }), "rpc.rateLimit.writes must be a number"],
    ["a public URL that is not a string", withModules({ rpc: { ...base.rpc, publicUrl: true } }), "rpc.publicUrl must be a string"],
    ["a config without its department", { ...base, department: undefined }, 'missing "department" (a string)'],
    ["an empty department", { ...base, department: "" }, "department must be a department id"],
    ["an unknown p2p key", withModules({ p2p: { ...base.p2p, bootstrap: [] } }), 'unknown key "p2p.bootstrap"'],
    ["a non-string announce address", withModules({ p2p: { ...base.p2p, announce: 5 } }), "p2p.announce must be a string, not 5"],
    ["an unknown log level", withModules({ log: { level: "verbose" } }), "log.level must be one of debug, info, warn, error, silent"],
    [
      "a write buffer too small",
      withModules({ store: { writeBufferBytes: 4096 } }),
      "store.writeBufferBytes must be a whole number of bytes from 1048576 (1 MiB)",
    ],
    ["a write buffer too large", withModules({ store: { writeBufferBytes: 2 ** 31 } }), "to 1073741824 (1 GiB), not 2147483648"],
    ["a fractional write buffer", withModules({ store: { writeBufferBytes: 33554432.5 } }), "store.writeBufferBytes must be a whole number"],
    ["a write buffer as a string", withModules({ store: { writeBufferBytes: "32MB" } }), 'store.writeBufferBytes must be a number, not "32MB"'],
    ["a string for the access log switch", withModules({ log: { accessLog: "yes" } }), "log.accessLog must be a boolean"],
    ["an unknown log option", withModules({ log: { file: "node.log" } }), '"log.file"'],
    ["not a table", [base], "not a table of settings"],
  ];
  for (const [what, config, named] of refused) {
    it(`refuses ${what}, naming the key in one line`, () => {
      refusesWith(() => checkConfig(JSON.parse(JSON.stringify(config)), "home/config.toml"), "home/config.toml: ", named, what);
    });
  }

  it("refuses a TOML date where a number belongs", () => {
    const text = `${BASE_TOML}\n[mempool]\nmaxTxs = 1979-05-27\n`;
    refusesWith(() => checkConfig(parseConfigText(text, "c.toml"), "c.toml"), "c.toml: ", "mempool.maxTxs must be a number, not a date", "a date");
  });

  it("a follower's config (no consensus key) is valid", () => {
    const { consensusKeyFile: _key, ...follower } = base;
    assert.equal(checkConfig(follower, "c").consensusKeyFile, undefined);
  });
});

describe("node config: partial options per module", () => {
  it("a config without module options resolves to the defaults", () => {
    const resolved = resolveModuleOptions(checkConfig(base, "config.toml"));
    assert.deepEqual(resolved.mempool, defaultModuleOptions.mempool);
    assert.deepEqual(resolved.sync, defaultModuleOptions.sync);
    assert.deepEqual(resolved.network, defaultModuleOptions.network);
    assert.deepEqual(resolved.rpc, { ...defaultModuleOptions.rpc, host: "127.0.0.1", port: 26700 });
  });

  it("valid partials merge over the defaults, nested ones member by member", () => {
    const cfg = checkConfig(
      withModules({
        mempool: { maxTxs: 7 },
        txGossip: { flushIntervalMs: 5 },
        sync: { pollIntervalMs: 250 },
        rpc: { host: "0.0.0.0", port: 8080, requestTimeoutMs: 5000 },
        consensus: { blockIntervalMs: 50 },
        network: { redialIntervalMs: 2000, penalties: { threshold: 3 } },
        log: { level: "warn", accessLog: true },
      }),
      "config.toml",
    );
    const resolved = resolveModuleOptions(cfg);
    assert.deepEqual(resolved.mempool, { ...defaultModuleOptions.mempool, maxTxs: 7 });
    assert.deepEqual(resolved.txGossip, { ...defaultModuleOptions.txGossip, flushIntervalMs: 5 });
    assert.deepEqual(resolved.sync, { ...defaultModuleOptions.sync, pollIntervalMs: 250 });
    assert.deepEqual(resolved.rpc, { ...defaultModuleOptions.rpc, host: "0.0.0.0", port: 8080, requestTimeoutMs: 5000 });
    assert.deepEqual(resolved.consensus, { ...defaultModuleOptions.consensus, blockIntervalMs: 50 });
    assert.deepEqual(resolved.network.penalties, { ...defaultModuleOptions.network.penalties, threshold: 3 });
    assert.equal(resolved.network.redialIntervalMs, 2000);
    assert.deepEqual(resolved.log, { level: "warn", accessLog: true });
    assert.equal(defaultModuleOptions.mempool.maxTxs, 10_000, "the defaults themselves are untouched");
  });

  it("the RPC's public-internet options: TLS, public URL, CORS, rate limits and readiness, each partial", () => {
    const cfg = checkConfig(
      withModules({
        rpc: {
          ...base.rpc,
          publicUrl: "https://certs.example.gov.cn",
          tls: { certFile: "rpc.crt", keyFile: "rpc.key" },
          corsOrigins: [],
          rateLimit: { expensiveReads: 30 },
          readiness: { stallRounds: 5 },
        },
      }),
      "config.toml",
    );
    const rpc = resolveModuleOptions(cfg).rpc;
    assert.equal(rpc.publicUrl, "https://certs.example.gov.cn");
    assert.deepEqual(rpc.tls, { certFile: "rpc.crt", keyFile: "rpc.key" });
    assert.deepEqual(rpc.corsOrigins, []);
    assert.deepEqual(rpc.rateLimit, { ...defaultModuleOptions.rpc.rateLimit, expensiveReads: 30 });
    assert.deepEqual(rpc.readiness, { ...defaultModuleOptions.rpc.readiness, stallRounds: 5 });
  });

  it("a later layer wins over an earlier one", () => {
    const resolved = resolveModuleOptions({ mempool: { maxTxs: 7 } }, { mempool: { maxTxs: 9 } }, { sync: {} });
    assert.equal(resolved.mempool.maxTxs, 9);
  });

  it("a config checked is a NodeConfig", () => {
    const cfg: NodeConfig = checkConfig(withModules({ mempool: { maxTxs: 1 } }), "c");
    assert.equal(cfg.mempool?.maxTxs, 1);
  });
});
