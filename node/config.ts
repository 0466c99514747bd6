/**
 * A node's home directory and configuration file. Layout (the home is 0700):
 *   <home>/config.toml        NodeConfig (TOML, smol-toml)
 *   <home>/card.json          the node card: its public facts, signed (ceremony/)
 *   <home>/genesis.json       the chain's genesis (installed by `node join`)
 *   <home>/consensus.key      Ed25519 consensus key (validators only; mode 0600; keys/key-file.ts)
 *   <home>/issuer.key         the department's Ed25519 issuer key (validators only; mode 0600; the node never reads it)
 *   <home>/p2p.key            libp2p identity (mode 0600; a key file of role p2p)
 *   <home>/signing-state.json what the validator signed at the height in progress (outside data/ on purpose)
 *   <home>/data/              LevelDB
 *
 * Besides the node's own fields (files, addresses, peers: `nodeFieldExamples`), config.toml may carry
 * partial options per module, each laid over that module's defaults (`defaultModuleOptions`):
 *   name = "node1"  …
 *   [rpc]     host = "127.0.0.1"  port = 26700  requestTimeoutMs = 10000
 *   [mempool] maxTxs = 20000
 *   [network.penalties] threshold = 5
 * Both are checked by one generic walk over `configSchema` (every known key, each value of its
 * default's or example's type): an unknown key or a mistyped value stops the node with one CONFIG
 * error naming the key. The environment and `--set` layers over the file are in config-layers.ts.
 * A running node re-reads it on SIGHUP or POST /admin/reload (reload.ts): p2p.peers and log.level change
 * live, everything else at the next start.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse as parseToml, stringify as stringifyToml, TomlError } from "smol-toml";
import { defaultDriverOptions } from "./consensus/driver.js";
import { LedgerError, shownValue } from "./errors.js";
import { defaultMempoolOptions } from "./ledger/mempool.js";
import { defaultTxGossipOptions } from "./ledger/tx-gossip.js";
import { WRITE_BUFFER_RANGE, defaultStoreTunables } from "./db/level-store.js";
import { LOG_LEVELS, defaultLogOptions, isLogLevel } from "./logger.js";
import { type NetworkPeer, defaultNetworkOptions } from "./network/network.js";
import { type RpcServerOptions, defaultRpcServerOptions } from "./rpc/server.js";
import { defaultSyncOptions } from "./sync/sync.js";

/** The RPC server's tunables a config may set: all but the start flag that serves the admin routes. */
const { enableAdmin: _startFlagOnly, ...defaultRpcTunables } = defaultRpcServerOptions;

/** The network's tunables: the request names are the protocol's, not an operator's to change. */
const { requestNames: _protocolRequestNames, ...defaultNetworkTunables } = defaultNetworkOptions;

/**
 * Every module's tunables with their defaults, under the table name config.toml uses for it. A config
 * is checked against these objects (keys and value types), and its partial options are laid over them.
 */
export const defaultModuleOptions = {
  mempool: defaultMempoolOptions,
  txGossip: defaultTxGossipOptions,
  sync: defaultSyncOptions,
  rpc: defaultRpcTunables satisfies Omit<RpcServerOptions, "enableAdmin">,
  consensus: defaultDriverOptions,
  network: defaultNetworkTunables,
  log: defaultLogOptions,
  store: defaultStoreTunables,
};

/** The options of every module, resolved. */
export type ModuleOptions = { [M in keyof typeof defaultModuleOptions]: Widen<(typeof defaultModuleOptions)[M]> };

/** A module's options with any member left out, nested objects too. */
export type PartialOptions<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? PartialOptions<T[K]> : T[K] };

/** Literal types of a default object (from `satisfies`) widened to what a config may set. */
type Widen<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer E)[] ? E[] : T[K] extends object ? Widen<T[K]> : T[K] };

/** What config.toml holds. Paths are relative to the home directory unless absolute. */
export interface NodeConfig {
  name: string;
  /** The department that runs the node (on its card). */
  department: string;
  genesisFile: string;
  /** Absent for a follower node. */
  consensusKeyFile?: string;
  /** The department's issuer key (validators); the node never reads it, `cert issue --key` does. */
  issuerKeyFile?: string;
  p2pKeyFile: string;
  dataDir: string;
  p2p: {
    /** Where libp2p listens (may be /ip4/0.0.0.0/tcp/PORT). */
    listen: string[];
    /** The public address on the node's card, which other nodes dial (never 0.0.0.0). */
    announce?: string;
    /**
     * This home's own extra peers: the followers a validator admits, a follower's bootstrap peers. The
     * validators of genesis are peers without being listed (configuredPeers); only peers may connect.
     */
    peers: NetworkPeer[];
  };
  /** Where the RPC listens (required), and any of its other tunables. */
  rpc: { host: string; port: number } & PartialOptions<ModuleOptions["rpc"]>;
  /** Partial options per module, laid over its defaults (defaultModuleOptions); all optional. */
  mempool?: PartialOptions<ModuleOptions["mempool"]>;
  txGossip?: PartialOptions<ModuleOptions["txGossip"]>;
  sync?: PartialOptions<ModuleOptions["sync"]>;
  consensus?: PartialOptions<ModuleOptions["consensus"]>;
  network?: PartialOptions<ModuleOptions["network"]>;
  log?: PartialOptions<ModuleOptions["log"]>;
  store?: PartialOptions<ModuleOptions["store"]>;
}

/**
 * The node's own fields (not module options), each with an example value that gives its type (they
 * have no defaults). An array's example item gives its items' type; an item that is a table must have
 * every key of the example. A new field is one line here (and in NodeConfig; in REQUIRED_FIELDS if a
 * config must set it).
 */
export const nodeFieldExamples = {
  name: "node1",
  department: "market-regulation",
  genesisFile: "genesis.json",
  consensusKeyFile: "consensus.key",
  issuerKeyFile: "issuer.key",
  p2pKeyFile: "p2p.key",
  dataDir: "data",
  p2p: {
    listen: ["/ip4/127.0.0.1/tcp/26600"],
    announce: "/ip4/127.0.0.1/tcp/26600",
    peers: [{ peerId: "12D3KooW…", address: "/ip4/127.0.0.1/tcp/26601" }],
  },
};

/** What config.toml must set (dotted paths): the rest has a default or may be absent. */
export const REQUIRED_FIELDS: readonly string[] = [
  "name",
  "department",
  "genesisFile",
  "p2pKeyFile",
  "dataDir",
  "p2p.listen",
  "p2p.peers",
  "rpc.host",
  "rpc.port",
];

/** Every key config.toml may hold, with its type given by a default (module options) or an example (node fields). */
export const configSchema: Readonly<Record<string, unknown>> = { ...nodeFieldExamples, ...defaultModuleOptions };

export const CONFIG_FILE = "config.toml";
export const SIGNING_STATE_FILE = "signing-state.json";

/** Resolve a config path against the home directory. */
export function homePath(home: string, path: string): string {
  return path.startsWith("/") ? path : join(home, path);
}

/** Read and check <home>/config.toml (the file alone; `resolveNodeSettings` adds the environment and flags). */
export async function loadConfig(home: string): Promise<NodeConfig> {
  const file = join(home, CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new LedgerError("CONFIG", `cannot read ${file}: ${code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
  return checkConfig(parseConfigText(text, file), file);
}

/** Parse config.toml's text; a syntax error is one line naming the file, line and column. */
export function parseConfigText(text: string, file: string): unknown {
  try {
    return plainTables(parseToml(text, { unsafeKeyBehaviour: "throw" }));
  } catch (err) {
    if (!(err instanceof TomlError)) throw err;
    const reason = (err.message.split("\n")[0] ?? "").replace(/^Invalid TOML document: /, "");
    throw new LedgerError("CONFIG", `${file}:${err.line}:${err.column}: invalid TOML: ${reason}`);
  }
}

/** The parser's tables (null-prototype objects) as plain objects, all the way down. */
function plainTables(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plainTables);
  if (isTable(value)) return Object.fromEntries(Object.entries(value).map(([key, member]) => [key, plainTables(member)]));
  return value;
}

/** Check a parsed config; `file` names it in errors. Unknown keys, mistyped values and missing fields are refused. */
export function checkConfig(raw: unknown, file: string): NodeConfig {
  const bad = (what: string): never => {
    throw new LedgerError("CONFIG", `${file}: ${what}`);
  };
  if (!isTable(raw)) return bad("not a table of settings");
  const problem = tableProblem("", configSchema, raw);
  if (problem !== null) bad(problem);
  for (const path of REQUIRED_FIELDS) {
    if (valueAt(raw, path) === undefined) bad(`missing "${path}" (${typeName(valueAt(configSchema, path))})`);
  }
  if (raw.name === "") bad("name must not be empty");
  if (raw.department === "") bad("department must be a department id");
  const cfg = raw as unknown as NodeConfig;
  if (cfg.log?.level !== undefined && !isLogLevel(cfg.log.level))
    bad(`log.level must be one of ${LOG_LEVELS.join(", ")}, not ${JSON.stringify(cfg.log.level)}`);
  const store = storeOptionProblem(cfg.store?.writeBufferBytes);
  if (store !== null) bad(store);
  return cfg;
}

/** What is wrong with a store.writeBufferBytes value (undefined: unset), or null; for every layer that sets it. */
export function storeOptionProblem(wb: unknown): string | null {
  if (wb === undefined || (Number.isSafeInteger(wb) && (wb as number) >= WRITE_BUFFER_RANGE.min && (wb as number) <= WRITE_BUFFER_RANGE.max)) return null;
  return `store.writeBufferBytes must be a whole number of bytes from ${WRITE_BUFFER_RANGE.min} (1 MiB) to ${WRITE_BUFFER_RANGE.max} (1 GiB), not ${shownValue(wb)}`;
}

/**
 * What is wrong with `value` as a partial table at `path` ("" for the top) of the schema `expected`,
 * or null: every key known, every value of its expected type. Generic: new options need nothing here.
 */
export function tableProblem(path: string, expected: Readonly<Record<string, unknown>>, value: unknown, required = false): string | null {
  if (!isTable(value)) return `${path} must be a table of options, not ${shown(value)}`;
  const where = path === "" ? "" : `${path}.`;
  for (const [key, member] of Object.entries(value)) {
    if (!Object.hasOwn(expected, key))
      return `unknown key "${where}${key}" (${path === "" ? "known" : `known in ${path}`}: ${Object.keys(expected).join(", ")})`;
    const problem = valueProblem(`${where}${key}`, expected[key], member);
    if (problem !== null) return problem;
  }
  if (required) {
    const missing = Object.keys(expected).find((key) => !Object.hasOwn(value, key));
    if (missing !== undefined) return `missing "${where}${missing}" (${typeName(expected[missing])})`;
  }
  return null;
}

/** What is wrong with `value` as the setting at `path` whose default or example is `expected`, or null. */
export function valueProblem(path: string, expected: unknown, value: unknown): string | null {
  if (isTable(expected)) return tableProblem(path, expected, value);
  if (Array.isArray(expected)) {
    if (!Array.isArray(value)) return `${path} must be ${typeName(expected)}, not ${shown(value)}`;
    const item: unknown = expected[0];
    if (item === undefined) return null;
    for (const [i, member] of value.entries()) {
      const problem = isTable(item) ? tableProblem(`${path}[${i}]`, item, member, true) : valueProblem(`${path}[${i}]`, item, member);
      if (problem !== null) return problem;
    }
    return null;
  }
  if (typeof value !== typeof expected || (typeof value === "number" && !Number.isFinite(value)))
    return `${path} must be ${typeName(expected)}, not ${shown(value)}`;
  return null;
}

/** "a number", "an array of strings", "a table": the type of a default or example value, for errors. */
export function typeName(expected: unknown): string {
  if (isTable(expected)) return "a table";
  if (Array.isArray(expected)) {
    const item: unknown = expected[0];
    if (item === undefined) return "an array";
    return isTable(item) ? `an array of tables {${Object.keys(item).join(", ")}}` : `an array of ${typeof item}s`;
  }
  return `a ${typeof expected}`;
}

function shown(value: unknown): string {
  if (value instanceof Date) return "a date";
  if (isTable(value)) return "a table";
  return shownValue(value); // bounded, and never a RangeError on an array nested too deep (found by fuzzing)
}

/** The value at a dotted path of a table, or undefined. */
export function valueAt(table: unknown, path: string): unknown {
  let at: unknown = table;
  for (const key of path.split(".")) {
    if (!isTable(at) || !Object.hasOwn(at, key)) return undefined;
    at = at[key];
  }
  return at;
}

/**
 * Every module's options: its defaults with each layer's partial options laid over them, later layers
 * winning (config.toml, then the environment and --set layers: see config-resolve.ts).
 */
export function resolveModuleOptions(...layers: Array<PartialOptions<ModuleOptions>>): ModuleOptions {
  const resolved = structuredClone(defaultModuleOptions) as ModuleOptions;
  const modules = Object.keys(resolved) as Array<keyof ModuleOptions>;
  for (const layer of layers) {
    for (const module of modules) {
      const partial = layer[module];
      if (partial !== undefined) (resolved as Record<string, object>)[module] = mergeSettings(resolved[module], partial);
    }
  }
  return resolved;
}

/** `base` with `over`'s members laid over it; tables merge member by member, anything else (arrays too) is replaced. */
export function mergeSettings<T extends object>(base: T, over: PartialOptions<T>): T {
  const merged: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const current = merged[key];
    merged[key] = isTable(current) && isTable(value) ? mergeSettings(current, value) : value;
  }
  return merged as T;
}

/** A TOML table or plain object: not an array, a date or any other class instance. */
export function isTable(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The comment config.toml starts with: where the options are documented and how to see effective values. */
function configHeader(): string {
  const tables = Object.keys(defaultModuleOptions)
    .map((m) => `[${m}]`)
    .join(" ");
  return [
    "# certchain node configuration (TOML), read by `certchain start --home <this directory>`.",
    "# Paths are relative to this directory. Any module option may be set in its table:",
    `#   ${tables}`,
    '# Every option, its type and default: README "Configuration". Effective values and where each',
    "# came from (default | config.toml | env | flag): certchain config show --home <this directory>",
    "# Later layers win: this file < environment CERTCHAIN_<MODULE>__<OPTION> (e.g. CERTCHAIN_MEMPOOL__MAX_TXS=20000)",
    "#   < flags (certchain start --set mempool.maxTxs=20000).",
  ].join("\n");
}

/** The text saveConfig writes: the header comment, then the config as TOML. */
export function configText(cfg: NodeConfig): string {
  return `${configHeader()}\n\n${stringifyToml(cfg)}`;
}

/** Write <home>/config.toml, after checking it as loadConfig will. */
export async function saveConfig(home: string, cfg: NodeConfig): Promise<void> {
  const file = join(home, CONFIG_FILE);
  const text = configText(cfg);
  checkConfig(parseConfigText(text, file), file);
  await writeFile(file, text);
}
