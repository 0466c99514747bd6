/**
 * A node's home directory and configuration file. Layout (the home is 0700):
 *   <home>/config.json        NodeConfig
 *   <home>/card.json          the node card: its public facts, signed (ceremony/)
 *   <home>/genesis.json       the chain's genesis (installed by `node join`)
 *   <home>/consensus.key      Ed25519 consensus key (validators only; mode 0600)
 *   <home>/issuer.key         the department's Ed25519 issuer key (validators only; mode 0600; the node never reads it)
 *   <home>/p2p.key            libp2p identity (mode 0600)
 *   <home>/signing-state.json what the validator signed at the height in progress (outside data/ on purpose)
 *   <home>/data/              LevelDB
 *
 * Besides its files, addresses and peers, config.json may carry partial options per module, each laid
 * over that module's defaults (defaultModuleOptions); an unknown module or option, or a value of
 * another type than the default's, stops the node with a CONFIG error naming the key:
 *   { ..., "rpc": { "host": "127.0.0.1", "port": 26700, "requestTimeoutMs": 10000 },
 *     "mempool": { "maxTxs": 20000 }, "sync": { "pollIntervalMs": 500 },
 *     "consensus": { "blockIntervalMs": 50 }, "network": { "penalties": { "threshold": 5 } } }
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ChainSpec } from "./chain/genesis.js";
import { defaultDriverOptions } from "./consensus/driver.js";
import { LedgerError } from "./errors.js";
import { defaultMempoolOptions } from "./ledger/mempool.js";
import { defaultTxGossipOptions } from "./ledger/tx-gossip.js";
import { type NetworkPeer, defaultNetworkOptions } from "./network/network.js";
import { type RpcServerOptions, defaultRpcServerOptions } from "./rpc/server.js";
import { defaultSyncOptions } from "./sync/sync.js";

/** The RPC server's tunables a config may set: all but the start flag that serves the admin routes. */
const { enableAdmin: _startFlagOnly, ...defaultRpcTunables } = defaultRpcServerOptions;

/** The network's tunables: the request names are the protocol's, not an operator's to change. */
const { requestNames: _protocolRequestNames, ...defaultNetworkTunables } = defaultNetworkOptions;

/**
 * Every module's tunables with their defaults, under the key config.json uses for it. A config is
 * checked against these objects (keys and value types), and its partial options are laid over them.
 */
export const defaultModuleOptions = {
  mempool: defaultMempoolOptions,
  txGossip: defaultTxGossipOptions,
  sync: defaultSyncOptions,
  rpc: defaultRpcTunables satisfies Omit<RpcServerOptions, "enableAdmin">,
  consensus: defaultDriverOptions,
  network: defaultNetworkTunables,
};

/** The options of every module, resolved. */
export type ModuleOptions = { [M in keyof typeof defaultModuleOptions]: Widen<(typeof defaultModuleOptions)[M]> };

/** A module's options with any member left out, nested objects too. */
export type PartialOptions<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? PartialOptions<T[K]> : T[K] };

/** Literal types of a default object (from `satisfies`) widened to what a config may set. */
type Widen<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer E)[] ? E[] : T[K] extends object ? Widen<T[K]> : T[K] };

/** What config.json holds. Paths are relative to the home directory unless absolute. */
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
}

/** The members of config.json that are not module options, and what each must be. */
const NODE_KEYS = ["name", "department", "genesisFile", "consensusKeyFile", "issuerKeyFile", "p2pKeyFile", "dataDir", "p2p"];
const P2P_KEYS = ["listen", "announce", "peers"];

export const CONFIG_FILE = "config.json";
export const SIGNING_STATE_FILE = "signing-state.json";

/** Resolve a config path against the home directory. */
export function homePath(home: string, path: string): string {
  return path.startsWith("/") ? path : join(home, path);
}

/** Read and check <home>/config.json. */
export async function loadConfig(home: string): Promise<NodeConfig> {
  const file = join(home, CONFIG_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new LedgerError("CONFIG", `cannot read ${file}: ${(err as Error).message}`);
  }
  return checkConfig(raw, file);
}

/** Check a parsed config.json; `file` names it in errors. Unknown keys and mistyped options are refused. */
export function checkConfig(raw: unknown, file: string): NodeConfig {
  const bad = (what: string): never => {
    throw new LedgerError("CONFIG", `${file}: ${what}`);
  };
  if (!isPlainObject(raw)) return bad("not a JSON object");
  const cfg = raw as unknown as NodeConfig;
  if (typeof cfg.name !== "string" || cfg.name.length === 0) bad("name");
  if (typeof cfg.department !== "string" || cfg.department.length === 0) bad("department must be a department id");
  if (typeof cfg.genesisFile !== "string" || typeof cfg.p2pKeyFile !== "string" || typeof cfg.dataDir !== "string") bad("file paths");
  for (const key of ["consensusKeyFile", "issuerKeyFile"] as const) if (cfg[key] !== undefined && typeof cfg[key] !== "string") bad(`${key} must be a path`);
  if (!isPlainObject(cfg.p2p) || !Array.isArray(cfg.p2p.listen) || !cfg.p2p.listen.every((a) => typeof a === "string"))
    bad("p2p.listen must be an array of multiaddrs");
  const unknownP2p = Object.keys(cfg.p2p).find((k) => !P2P_KEYS.includes(k));
  if (unknownP2p !== undefined) bad(`unknown key "p2p.${unknownP2p}" (known: ${P2P_KEYS.join(", ")})`);
  if (cfg.p2p.announce !== undefined && typeof cfg.p2p.announce !== "string") bad("p2p.announce must be a multiaddr");
  if (!Array.isArray(cfg.p2p.peers) || !cfg.p2p.peers.every((p) => isPlainObject(p) && typeof p.peerId === "string" && typeof p.address === "string"))
    bad("p2p.peers must be an array of {peerId, address}");
  if (!cfg.rpc || typeof cfg.rpc.host !== "string" || !Number.isInteger(cfg.rpc.port)) bad("rpc.host and rpc.port");
  const modules = Object.keys(defaultModuleOptions);
  for (const [key, value] of Object.entries(raw)) {
    if (NODE_KEYS.includes(key)) continue;
    if (!modules.includes(key)) bad(`unknown key "${key}" (a module is one of ${modules.join(", ")})`);
    checkOptions(key, defaultModuleOptions[key as keyof ModuleOptions], value, bad);
  }
  return cfg;
}

/** Check partial options at `path` against the default object: known keys, each of its default's type. */
function checkOptions(path: string, defaults: object, value: unknown, bad: (what: string) => never): void {
  if (!isPlainObject(value)) bad(`${path} must be an object of options`);
  for (const [key, member] of Object.entries(value as object)) {
    const at = `${path}.${key}`;
    if (!Object.hasOwn(defaults, key)) bad(`unknown option "${at}" (known: ${Object.keys(defaults).join(", ")})`);
    const expected: unknown = (defaults as Record<string, unknown>)[key];
    if (isPlainObject(expected)) {
      checkOptions(at, expected, member, bad);
    } else if (Array.isArray(expected)) {
      const itemType = expected.length > 0 ? typeof expected[0] : undefined;
      if (!Array.isArray(member) || (itemType !== undefined && member.some((item) => typeof item !== itemType)))
        bad(`${at} must be an array${itemType === undefined ? "" : ` of ${itemType}s`}`);
    } else if (typeof member !== typeof expected || (typeof member === "number" && !Number.isFinite(member))) {
      bad(`${at} must be a ${typeof expected}, not ${JSON.stringify(member)}`);
    }
  }
}

/**
 * Every module's options: its defaults with each layer's partial options laid over them, later layers
 * winning (today one layer, config.json; a file, environment or flag layer goes after it).
 */
export function resolveModuleOptions(...layers: Array<PartialOptions<ModuleOptions>>): ModuleOptions {
  const resolved = structuredClone(defaultModuleOptions) as ModuleOptions;
  const modules = Object.keys(resolved) as Array<keyof ModuleOptions>;
  for (const layer of layers) {
    for (const module of modules) {
      const partial = layer[module];
      if (partial !== undefined) (resolved as Record<string, object>)[module] = mergeOptions(resolved[module], partial);
    }
  }
  return resolved;
}

/** `base` with `over`'s members laid over it; plain objects merge member by member, anything else is replaced. */
function mergeOptions<T extends object>(base: T, over: PartialOptions<T>): T {
  const merged: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? mergeOptions(current, value) : value;
  }
  return merged as T;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The peers of a node: the validators of genesis (their public addresses and peer ids), then this
 * home's extra peers (cfg.p2p.peers: admitted followers, bootstrap peers); an extra peer with a
 * validator's peer id replaces that validator's address (e.g. a private route). Itself left out. The
 * one place the list is made: the node at start and on reload.
 */
export function configuredPeers(cfg: NodeConfig, spec: ChainSpec, selfPeerId: string): NetworkPeer[] {
  const peers = new Map<string, NetworkPeer>();
  for (const v of spec.validators) peers.set(v.peerId, { peerId: v.peerId, address: v.address });
  for (const p of cfg.p2p.peers) peers.set(p.peerId, { peerId: p.peerId, address: p.address });
  peers.delete(selfPeerId);
  return [...peers.values()];
}

/** Write <home>/config.json. */
export async function saveConfig(home: string, cfg: NodeConfig): Promise<void> {
  await writeFile(join(home, CONFIG_FILE), `${JSON.stringify(cfg, null, 2)}\n`);
}
