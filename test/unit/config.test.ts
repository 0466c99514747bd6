/** config.json: partial options per module, checked against the defaults and laid over them. */
import assert from "node:assert/strict";
import { type NodeConfig, checkConfig, defaultModuleOptions, resolveModuleOptions } from "../../node/config.js";
import { LedgerError } from "../../node/errors.js";

const base = {
  name: "node1",
  genesisFile: "genesis.json",
  consensusKeyFile: "consensus.key",
  p2pKeyFile: "p2p.key",
  dataDir: "data",
  p2p: { listen: ["/ip4/127.0.0.1/tcp/26600"], peers: [] },
  rpc: { host: "127.0.0.1", port: 26700 },
};

const withModules = (extra: Record<string, unknown>): unknown => ({ ...base, ...extra });

describe("node config: partial options per module", () => {
  it("a config without module options resolves to the defaults", () => {
    const resolved = resolveModuleOptions(checkConfig(base, "config.json"));
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
      }),
      "config.json",
    );
    const resolved = resolveModuleOptions(cfg);
    assert.deepEqual(resolved.mempool, { ...defaultModuleOptions.mempool, maxTxs: 7 });
    assert.deepEqual(resolved.txGossip, { ...defaultModuleOptions.txGossip, flushIntervalMs: 5 });
    assert.deepEqual(resolved.sync, { ...defaultModuleOptions.sync, pollIntervalMs: 250 });
    assert.deepEqual(resolved.rpc, { ...defaultModuleOptions.rpc, host: "0.0.0.0", port: 8080, requestTimeoutMs: 5000 });
    assert.deepEqual(resolved.consensus, { ...defaultModuleOptions.consensus, blockIntervalMs: 50 });
    assert.deepEqual(resolved.network.penalties, { ...defaultModuleOptions.network.penalties, threshold: 3 });
    assert.equal(resolved.network.redialIntervalMs, 2000);
    assert.equal(defaultModuleOptions.mempool.maxTxs, 50_000, "the defaults themselves are untouched");
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
      "config.json",
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

  // [config, the key the error must name]
  const refused: Array<[string, unknown, string]> = [
    ["an unknown module", withModules({ mempol: { maxTxs: 1 } }), '"mempol"'],
    ["an unknown option", withModules({ mempool: { maxTx: 1 } }), '"mempool.maxTx"'],
    ["an unknown nested option", withModules({ network: { penalties: { treshold: 1 } } }), '"network.penalties.treshold"'],
    ["a string for a number", withModules({ mempool: { maxTxs: "50000" } }), "mempool.maxTxs must be a number"],
    ["a non-finite number", withModules({ sync: { pollIntervalMs: null } }), "sync.pollIntervalMs must be a number"],
    ["a protocol constant, not an option (the sync request names)", withModules({ network: { requestNames: ["blocks"] } }), '"network.requestNames"'],
    ["a module that is not an object", withModules({ consensus: 20 }), "consensus must be an object of options"],
    ["a nested object that is not an object", withModules({ network: { penalties: 5 } }), "network.penalties must be an object of options"],
    ["the admin switch (a start flag, not an option)", withModules({ rpc: { ...base.rpc, enableAdmin: true } }), '"rpc.enableAdmin"'],
    ["a mistyped rpc tunable", withModules({ rpc: { ...base.rpc, txBodyLimit: "1mb" } }), "rpc.txBodyLimit must be a number"],
    ["a TLS file that is not a path", withModules({ rpc: { ...base.rpc, tls: { certFile: 5 } } }), "rpc.tls.certFile must be a string"],
    ["an unknown TLS option", withModules({ rpc: { ...base.rpc, tls: { caFile: "ca.pem" } } }), '"rpc.tls.caFile"'],
    ["CORS origins as one string", withModules({ rpc: { ...base.rpc, corsOrigins: "*" } }), "rpc.corsOrigins must be an array of strings"],
    ["a rate limit as a string", withModules({ rpc: { ...base.rpc, rateLimit: { writes: "600" } } }), "rpc.rateLimit.writes must be a number"],
    ["a public URL that is not a string", withModules({ rpc: { ...base.rpc, publicUrl: true } }), "rpc.publicUrl must be a string"],
  ];
  for (const [what, config, named] of refused) {
    it(`refuses ${what}, naming the key`, () => {
      assert.throws(
        () => checkConfig(config, "home/config.json"),
        (err: unknown) => err instanceof LedgerError && err.code === "CONFIG" && err.message.includes(named) && err.message.startsWith("home/config.json: "),
        `${what}: expected a CONFIG error naming ${named}`,
      );
    });
  }

  it("still refuses what it refused before (rpc.host and rpc.port are required)", () => {
    const { rpc: _rpc, ...noRpc } = base;
    assert.throws(() => checkConfig(noRpc, "c"), /rpc\.host and rpc\.port/);
    assert.throws(() => checkConfig({ ...base, rpc: { host: "127.0.0.1" } }, "c"), /rpc\.host and rpc\.port/);
  });

  it("a config checked is a NodeConfig", () => {
    const cfg: NodeConfig = checkConfig(withModules({ mempool: { maxTxs: 1 } }), "c");
    assert.equal(cfg.mempool?.maxTxs, 1);
  });
});
