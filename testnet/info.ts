/** testnet.json: everything needed to use, inspect and restart a running testnet. */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";

export const TESTNET_FILE = "testnet.json";

export interface TestnetNodeInfo {
  name: string;
  department: string;
  /** A validator of genesis, a follower, or a spare validator (not in genesis; testnet/spares.ts). */
  role: "validator" | "follower" | "spare";
  rpcUrl: string;
  p2pAddress: string;
  peerId: string;
  /** Pid of the node's current process; null while it is not running. */
  pid: number | null;
  home: string;
  dataDir: string;
  logFile: string;
  /** argv that restarts the node on its data dir. */
  command: string[];
  /** The same, shell-quoted, to copy and paste. */
  commandLine: string;
}

export interface TestnetIssuerInfo {
  department: string;
  keyFile: string;
  publicKey: string;
}

/** The contents of `<dir>/testnet.json`. All paths are absolute. */
export interface TestnetInfo {
  chainId: string;
  genesisFile: string;
  createdAt: string;
  nodes: TestnetNodeInfo[];
  issuers: TestnetIssuerInfo[];
  /** With the fault proxy: each directed link and the proxy address its dialler uses. */
  links?: Array<{ from: string; to: string; address: string }>;
}

/** Write `<dir>/testnet.json`. */
export async function writeTestnetInfo(dir: string, info: TestnetInfo | { createdAt: string; starting: true }): Promise<string> {
  const file = join(dir, TESTNET_FILE);
  await writeFile(file, `${JSON.stringify(info, null, 2)}\n`);
  return file;
}
