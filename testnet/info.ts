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

/** A node as the runners' checks reach and name it. */
export type NodeRef = Pick<TestnetNodeInfo, "name" | "rpcUrl">;

/**
 * The name of the node at `i` in a list of nodes. A testnet's list is in genesis validator order (node1,
 * node5, node2, … for seven), so a position is not a name.
 */
export function nameOf(nodes: readonly (Pick<TestnetNodeInfo, "name"> | string)[], i: number): string {
  const node = nodes[i];
  return node === undefined ? `the node at position ${i}` : typeof node === "string" ? node : node.name;
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
