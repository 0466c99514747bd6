/**
 * A node's home directory and configuration file. Layout:
 *   <home>/config.json        NodeConfig
 *   <home>/genesis.json       the chain's genesis
 *   <home>/consensus.key      Ed25519 consensus key (validators only; mode 0600)
 *   <home>/p2p.key            libp2p identity (mode 0600)
 *   <home>/signing-state.json what the validator signed at the height in progress (outside data/ on purpose)
 *   <home>/data/              LevelDB
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { LedgerError } from "./errors.js";

/** What config.json holds. Paths are relative to the home directory unless absolute. */
export interface NodeConfig {
  name: string;
  genesisFile: string;
  /** Absent for a follower node. */
  consensusKeyFile?: string;
  p2pKeyFile: string;
  dataDir: string;
  p2p: {
    listen: string[];
    /** Static peers; only these may connect. */
    peers: Array<{ peerId: string; address: string }>;
  };
  rpc: {
    host: string;
    port: number;
  };
}

export const CONFIG_FILE = "config.json";
export const SIGNING_STATE_FILE = "signing-state.json";

/** Resolve a config path against the home directory. */
export function homePath(home: string, path: string): string {
  return path.startsWith("/") ? path : join(home, path);
}

/** Read and check <home>/config.json. */
export async function loadConfig(home: string): Promise<NodeConfig> {
  const file = join(home, CONFIG_FILE);
  let cfg: NodeConfig;
  try {
    cfg = JSON.parse(await readFile(file, "utf8")) as NodeConfig;
  } catch (err) {
    throw new LedgerError("CONFIG", `cannot read ${file}: ${(err as Error).message}`);
  }
  const bad = (what: string): never => {
    throw new LedgerError("CONFIG", `${file}: ${what}`);
  };
  if (typeof cfg.name !== "string" || cfg.name.length === 0) bad("name");
  if (typeof cfg.genesisFile !== "string" || typeof cfg.p2pKeyFile !== "string" || typeof cfg.dataDir !== "string") bad("file paths");
  if (!cfg.p2p || !Array.isArray(cfg.p2p.listen) || !Array.isArray(cfg.p2p.peers)) bad("p2p.listen and p2p.peers");
  if (!cfg.rpc || typeof cfg.rpc.host !== "string" || !Number.isInteger(cfg.rpc.port)) bad("rpc.host and rpc.port");
  return cfg;
}

/** Write <home>/config.json. */
export async function saveConfig(home: string, cfg: NodeConfig): Promise<void> {
  await writeFile(join(home, CONFIG_FILE), `${JSON.stringify(cfg, null, 2)}\n`);
}
