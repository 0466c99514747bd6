/**
 * The layers over config.toml: environment names, the environment and --set layers as pure functions
 * (table-driven), and the provenance of every effective value.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { REQUIRED_FIELDS, type NodeConfig, checkConfig, defaultModuleOptions, valueAt } from "../../node/config.js";
import { NON_OPTION_ENV, envLayer, envName, fileLayer, flagLayer, optionLeaves, parseOptionText } from "../../node/config-layers.js";
import { combineLayers, effectiveOptions } from "../../node/config-resolve.js";
import { LedgerError } from "../../node/errors.js";

const cfg: NodeConfig = checkConfig(
  {
    name: "node1",
    department: "public-security",
    genesisFile: "genesis.json",
    p2pKeyFile: "p2p.key",
    dataDir: "data",
    p2p: { listen: ["/ip4/127.0.0.1/tcp/26600"], peers: [] },
    rpc: { host: "127.0.0.1", port: 26700 },
    mempool: { maxTxs: 20000 },
  },
  "config.toml",
);

/** Expect a LedgerError of `code` whose one-line message contains every part of `named`. */
function refuses(fn: () => unknown, code: string, named: string[], what: string): void {
  assert.throws(
    fn,
    (err: unknown) => err instanceof LedgerError && err.code === code && !err.message.includes("\n") && named.every((part) => err.message.includes(part)),
    `${what}: expected one ${code} line naming ${named.join(" … ")}`,
  );
}

describe("config layers: environment names", () => {
  // [option path, its environment variable]
  const names: Array<[string, string]> = [
    ["rpc.port", "CERTCHAIN_RPC__PORT"],
    ["mempool.maxTxs", "CERTCHAIN_MEMPOOL__MAX_TXS"],
    ["network.penalties.threshold", "CERTCHAIN_NETWORK__PENALTIES__THRESHOLD"],
    ["network.inboundAdmission.maxPendingPerPeer", "CERTCHAIN_NETWORK__INBOUND_ADMISSION__MAX_PENDING_PER_PEER"],
    ["txGossip.flushIntervalMs", "CERTCHAIN_TX_GOSSIP__FLUSH_INTERVAL_MS"],
    ["rpc.clientGuard.banMs", "CERTCHAIN_RPC__CLIENT_GUARD__BAN_MS"],
    ["dataDir", "CERTCHAIN_DATA_DIR"],
    ["p2pKeyFile", "CERTCHAIN_P2P_KEY_FILE"],
    ["p2p.listen", "CERTCHAIN_P2P__LISTEN"],
  ];
  for (const [path, env] of names) {
    it(`${path} is ${env}`, () => assert.equal(envName(path), env));
  }

  it("every option has its own variable, none of them one of the non-option variables", () => {
    const leaves = optionLeaves();
    const seen = new Map<string, string>();
    for (const leaf of leaves) {
      assert.equal(seen.get(leaf.env), undefined, `${leaf.path} and ${seen.get(leaf.env)} share ${leaf.env}`);
      seen.set(leaf.env, leaf.path);
      assert.ok(!NON_OPTION_ENV.includes(leaf.env), `${leaf.path}: ${leaf.env} is a non-option variable`);
    }
    assert.ok(seen.has("CERTCHAIN_RPC__CLIENT_GUARD__BAN_MS") || leaves.some((l) => l.path.startsWith("rpc.clientGuard.")), "nested module tables are walked");
    assert.ok(!leaves.some((leaf) => leaf.path === "network.penalties"), "a table is not an option: its members are");
  });

  it("lists every module option and every node field", () => {
    const paths = new Set(optionLeaves().map((leaf) => leaf.path));
    for (const [module, defaults] of Object.entries(defaultModuleOptions)) {
      for (const key of Object.keys(defaults)) {
        assert.ok(
          [...paths].some((p) => p === `${module}.${key}` || p.startsWith(`${module}.${key}.`)),
          `${module}.${key} is listed`,
        );
      }
    }
    for (const field of ["name", "genesisFile", "consensusKeyFile", "p2pKeyFile", "dataDir", "p2p.listen", "p2p.peers"]) assert.ok(paths.has(field), field);
  });
});

describe("config layers: values read by the option's type", () => {
  // [option path, text, the value or the problem it names]
  const cases: Array<[string, string, { value: unknown } | { problem: string }]> = [
    ["mempool.maxTxs", "5000", { value: 5000 }],
    ["mempool.maxTxs", "-3", { value: -3 }],
    ["rpc.shedHeapUsedFraction", "0.5", { value: 0.5 }],
    ["rpc.shedHeapUsedFraction", "1e0", { value: 1 }],
    ["mempool.maxTxs", "5k", { problem: 'mempool.maxTxs must be a number, not "5k"' }],
    ["mempool.maxTxs", "", { problem: 'mempool.maxTxs must be a number, not ""' }],
    ["mempool.maxTxs", "0x10", { problem: 'mempool.maxTxs must be a number, not "0x10"' }],
    ["mempool.maxTxs", "Infinity", { problem: "mempool.maxTxs must be a number" }],
    ["rpc.host", "0.0.0.0", { value: "0.0.0.0" }],
    ["rpc.host", "", { value: "" }],
    ["dataDir", "/var/lib/certchain", { value: "/var/lib/certchain" }],
    ["p2p.listen", '["/ip4/0.0.0.0/tcp/26600"]', { value: ["/ip4/0.0.0.0/tcp/26600"] }],
    ["p2p.listen", "/ip4/0.0.0.0/tcp/26600", { problem: "p2p.listen must be an array of strings in JSON" }],
    ["p2p.listen", "[1]", { problem: "p2p.listen[0] must be a string, not 1" }],
    ["p2p.listen", '{"a":1}', { problem: "p2p.listen must be an array of strings, not a table" }],
    ["p2p.peers", '[{"peerId":"p","address":"a"}]', { value: [{ peerId: "p", address: "a" }] }],
    ["p2p.peers", '[{"peerId":"p"}]', { problem: 'missing "p2p.peers[0].address"' }],
  ];
  for (const [path, text, expected] of cases) {
    it(`${path} = ${JSON.stringify(text)}`, () => {
      const leaf = optionLeaves().find((l) => l.path === path);
      assert.ok(leaf !== undefined, path);
      const parsed = parseOptionText(path, leaf.expected, text);
      if ("value" in expected) assert.deepEqual(parsed, expected);
      else assert.ok("problem" in parsed && parsed.problem.includes(expected.problem), `${JSON.stringify(parsed)} names ${expected.problem}`);
    });
  }

  it("reads booleans as true or false only (checked on a boolean option of a test schema)", () => {
    assert.deepEqual(parseOptionText("x.on", false, "true"), { value: true });
    assert.deepEqual(parseOptionText("x.on", true, "false"), { value: false });
    for (const text of ["1", "yes", "TRUE", ""]) assert.ok("problem" in parseOptionText("x.on", false, text), text);
  });
});

describe("config layers: the environment", () => {
  // [what, environment, the partial settings it gives, their sources]
  const accepted: Array<[string, Record<string, string | undefined>, unknown, Record<string, string>]> = [
    ["nothing", {}, {}, {}],
    [
      "other programs' variables and the non-option ones are left alone",
      { PATH: "/bin", CERTCHAIN_RPC: "http://x", CERTCHAIN_LOG: "debug", CERTCHAIN_DEBUG: "1" },
      {},
      {},
    ],
    ["an unset variable is absent", { CERTCHAIN_MEMPOOL__MAX_TXS: undefined }, {}, {}],
    ["a module option", { CERTCHAIN_MEMPOOL__MAX_TXS: "5000" }, { mempool: { maxTxs: 5000 } }, { "mempool.maxTxs": "env CERTCHAIN_MEMPOOL__MAX_TXS" }],
    [
      "a nested option and a node field",
      { CERTCHAIN_NETWORK__PENALTIES__THRESHOLD: "3", CERTCHAIN_DATA_DIR: "/srv/data" },
      { network: { penalties: { threshold: 3 } }, dataDir: "/srv/data" },
      { "network.penalties.threshold": "env CERTCHAIN_NETWORK__PENALTIES__THRESHOLD", dataDir: "env CERTCHAIN_DATA_DIR" },
    ],
    [
      "two options of one module",
      { CERTCHAIN_RPC__PORT: "1", CERTCHAIN_RPC__HOST: "h" },
      { rpc: { port: 1, host: "h" } },
      { "rpc.port": "env CERTCHAIN_RPC__PORT", "rpc.host": "env CERTCHAIN_RPC__HOST" },
    ],
    [
      "an array as JSON",
      { CERTCHAIN_P2P__LISTEN: '["/ip4/0.0.0.0/tcp/1"]' },
      { p2p: { listen: ["/ip4/0.0.0.0/tcp/1"] } },
      { "p2p.listen": "env CERTCHAIN_P2P__LISTEN" },
    ],
  ];
  for (const [what, env, settings, sources] of accepted) {
    it(`takes ${what}`, () => {
      const layer = envLayer(env);
      assert.deepEqual(JSON.parse(JSON.stringify(layer.settings)), settings);
      assert.deepEqual(Object.fromEntries(layer.sources), sources);
    });
  }

  // [what, environment, what the one CONFIG line must name]
  const refused: Array<[string, Record<string, string>, string[]]> = [
    [
      "an unknown option",
      { CERTCHAIN_MEMPOOL__MAX_TX: "1" },
      ["environment CERTCHAIN_MEMPOOL__MAX_TX: not a certchain option", "CERTCHAIN_<MODULE>__<OPTION>"],
    ],
    ["one underscore where two belong", { CERTCHAIN_MEMPOOL_MAX_TXS: "1" }, ["CERTCHAIN_MEMPOOL_MAX_TXS", "did you mean CERTCHAIN_MEMPOOL__MAX_TXS?"]],
    ["a table, not an option", { CERTCHAIN_NETWORK__PENALTIES: "{}" }, ["CERTCHAIN_NETWORK__PENALTIES: not a certchain option"]],
    ["an unknown variable", { CERTCHAIN_FOO: "1" }, ["CERTCHAIN_FOO", "other variables: CERTCHAIN_RPC"]],
    ["a wrong type", { CERTCHAIN_MEMPOOL__MAX_TXS: "many" }, ['environment CERTCHAIN_MEMPOOL__MAX_TXS: mempool.maxTxs must be a number, not "many"']],
    ["a bad array", { CERTCHAIN_P2P__LISTEN: "/ip4/x" }, ["CERTCHAIN_P2P__LISTEN", "p2p.listen must be an array of strings in JSON"]],
  ];
  for (const [what, env, named] of refused) {
    it(`refuses ${what}, naming the variable`, () => refuses(() => envLayer(env), "CONFIG", named, what));
  }
});

describe("config layers: --set", () => {
  // [what, --set items, the partial settings they give]
  const accepted: Array<[string, string[], unknown]> = [
    ["nothing", [], {}],
    ["module options", ["rpc.port=26701", "mempool.maxTxs=5000"], { rpc: { port: 26701 }, mempool: { maxTxs: 5000 } }],
    ["the later of two", ["mempool.maxTxs=1", "mempool.maxTxs=2"], { mempool: { maxTxs: 2 } }],
    ["a value with '='", ["dataDir=/srv/a=b"], { dataDir: "/srv/a=b" }],
    ["an empty string", ["rpc.host="], { rpc: { host: "" } }],
    ["a nested option", ["network.penalties.banMs=1000"], { network: { penalties: { banMs: 1000 } } }],
  ];
  for (const [what, sets, settings] of accepted) {
    it(`takes ${what}`, () => {
      const layer = flagLayer(sets);
      assert.deepEqual(JSON.parse(JSON.stringify(layer.settings)), settings);
      for (const path of layer.sources.keys()) assert.equal(layer.sources.get(path), "flag --set", path);
      assert.equal(layer.sources.size, new Set(sets.map((s) => s.slice(0, s.indexOf("=")))).size, "one source per option set");
    });
  }

  // [what, --set items, what the one BAD_ARGUMENT line must name]
  const refused: Array<[string, string[], string[]]> = [
    ["no '='", ["rpc.port"], ["--set rpc.port: expected OPTION=VALUE"]],
    ["no option", ["=5"], ["--set =5: expected OPTION=VALUE"]],
    ["an unknown option", ["mempool.maxTx=5"], ["--set mempool.maxTx: not a certchain option", "known under mempool: maxTxs"]],
    ["a table", ["network.penalties=5"], ["network.penalties is a table; set one of its options: threshold"]],
    ["an unknown module", ["mempol.maxTxs=5"], ["--set mempol.maxTxs: not a certchain option", "certchain config show"]],
    ["an admin start flag", ["rpc.enableAdmin=true"], ["--set rpc.enableAdmin: not a certchain option"]],
    ["a wrong type", ["rpc.port=http"], ['--set: rpc.port must be a number, not "http"']],
  ];
  for (const [what, sets, named] of refused) {
    it(`refuses ${what}, naming it`, () => refuses(() => flagLayer(sets), "BAD_ARGUMENT", named, what));
  }
});

describe("config layers: value checks hold for every layer", () => {
  it("refuses a write buffer out of range from --set, naming it and its source", () =>
    refuses(
      () => combineLayers("home/config.toml", [fileLayer(cfg), flagLayer(["store.writeBufferBytes=5"])]),
      "CONFIG",
      ["store.writeBufferBytes", "not 5", "flag --set"],
      "--set",
    ));
  it("refuses one from the environment", () =>
    refuses(
      () => combineLayers("home/config.toml", [fileLayer(cfg), envLayer({ CERTCHAIN_STORE__WRITE_BUFFER_BYTES: "2147483648" })]),
      "CONFIG",
      ["store.writeBufferBytes", "env CERTCHAIN_STORE__WRITE_BUFFER_BYTES"],
      "env",
    ));
  it("takes one in range", () =>
    assert.equal(combineLayers("home/config.toml", [fileLayer(cfg), flagLayer(["store.writeBufferBytes=16777216"])]).modules.store.writeBufferBytes, 16777216));
});

describe("config layers: provenance", () => {
  const settings = combineLayers("home/config.toml", [
    fileLayer(cfg),
    envLayer({ CERTCHAIN_MEMPOOL__MAX_TXS: "5000", CERTCHAIN_RPC__PORT: "26701", CERTCHAIN_SYNC__POLL_INTERVAL_MS: "250" }),
    flagLayer(["rpc.port=26702"]),
  ]);
  const row = (path: string): { value: unknown; source: string } => {
    const found = effectiveOptions(settings).find((r) => r.path === path);
    assert.ok(found !== undefined, path);
    return { value: found.value, source: found.source };
  };

  // [option, effective value, source]
  const expected: Array<[string, unknown, string]> = [
    ["mempool.admitChunkTxs", defaultModuleOptions.mempool.admitChunkTxs, "default"],
    ["name", "node1", "config.toml"],
    ["rpc.host", "127.0.0.1", "config.toml"],
    ["mempool.maxTxs", 5000, "env CERTCHAIN_MEMPOOL__MAX_TXS"],
    ["sync.pollIntervalMs", 250, "env CERTCHAIN_SYNC__POLL_INTERVAL_MS"],
    ["rpc.port", 26702, "flag --set"],
    ["consensusKeyFile", undefined, "unset"],
  ];
  for (const [path, value, source] of expected) {
    it(`${path}: ${source}`, () => assert.deepEqual(row(path), { value, source }));
  }

  it("the modules resolve to the same effective values, and config.toml's other options stay", () => {
    assert.equal(settings.modules.mempool.maxTxs, 5000);
    assert.equal(settings.modules.rpc.port, 26702);
    assert.equal(settings.modules.rpc.host, "127.0.0.1");
    assert.equal(settings.modules.sync.pollIntervalMs, 250);
    assert.equal(settings.config.rpc.port, 26702);
    assert.equal(settings.config.name, "node1");
    assert.equal(cfg.rpc.port, 26700, "the file's config is not changed by the layers over it");
  });

  it("lists every option once", () => {
    const rows = effectiveOptions(settings);
    assert.equal(rows.length, optionLeaves().length);
    assert.equal(new Set(rows.map((r) => r.path)).size, rows.length);
  });
});

describe("config layers: the README's option table", () => {
  it("lists every option with its default and environment variable", () => {
    const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
    for (const leaf of optionLeaves()) {
      const value = valueAt(defaultModuleOptions, leaf.path);
      const shown = value === undefined ? (REQUIRED_FIELDS.includes(leaf.path) ? "required" : "optional") : `\`${JSON.stringify(value)}\``;
      const row = `| \`${leaf.path}\` | ${shown} | \`${leaf.env}\` |`;
      assert.ok(readme.includes(row), `README "Configuration" lacks the row (add it, with what the option is): ${row}`);
    }
  });
});
