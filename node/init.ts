/**
 * `certchain init`: keys, genesis and one home directory per validator, for a new chain. Also used by
 * the testnet and by tests.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_CERTIFICATE_TYPES, DEFAULT_DEPARTMENTS, DEFAULT_REVIEW_RULES } from "./chain/certificate-types.js";
import { ChainSpec, defaultConsensusParams } from "./chain/genesis.js";
import type { ConsensusParams, Department, Genesis, ReviewRuleSet, ValidatorInfo } from "./chain/types.js";
import { LedgerError } from "./errors.js";
import { type NodeConfig, saveConfig } from "./config.js";
import { type KeyProtection, generateKeyPair, saveKeyFile } from "./keys/key-file.js";
import { makePrivateDir } from "./keys/private-file.js";
import { createPeerKeyFile } from "./network/identity.js";

export interface InitOptions {
  /** Where to write: <dir>/genesis.json, <dir>/node<i>/, <dir>/issuers/<department>.key */
  dir: string;
  validators: number;
  /** Follower nodes: replicate and serve queries, never vote (no consensus key). */
  followers?: number;
  chainName: string;
  host: string;
  /** Node i (validators first, then followers) listens for p2p on basePort + i and RPC on basePort + 100 + i. */
  basePort: number;
  genesisTime: number;
  consensus?: Partial<ConsensusParams>;
  /** Automatic review rules of genesis (default DEFAULT_REVIEW_RULES; null: none). */
  reviewRules?: ReviewRuleSet | null;
  /** How every private key is written: under one passphrase, or in plaintext (local testnets and tests only). */
  keys: KeyProtection;
}

export const defaultInitOptions: Omit<InitOptions, "dir" | "genesisTime" | "keys"> = {
  validators: 4,
  followers: 0,
  chainName: "certchain-local",
  host: "127.0.0.1",
  basePort: 26600,
};

/** What init produced, for the testnet and tests. */
export interface InitResult {
  genesisFile: string;
  chainId: string;
  /** Validators first (in genesis order), then followers (department "follower"). */
  nodes: Array<{ name: string; home: string; peerId: string; p2pAddress: string; rpcUrl: string; department: string }>;
  issuers: Array<{ department: string; keyFile: string; publicKey: string }>;
}

/** Generate keys, genesis and node homes for a new chain of `validators` nodes. */
export async function initNetwork(opts: InitOptions): Promise<InitResult> {
  if (!Number.isInteger(opts.validators) || opts.validators < 1 || opts.validators > 64) {
    throw new LedgerError("BAD_ARGUMENT", "validators must be an integer from 1 to 64");
  }
  const followers = opts.followers ?? 0;
  if (!Number.isInteger(followers) || followers < 0 || followers > 32) throw new LedgerError("BAD_ARGUMENT", "followers must be an integer from 0 to 32");
  await mkdir(opts.dir, { recursive: true });
  // Directories that hold private keys: 0700 (key files themselves are 0600).
  await makePrivateDir(join(opts.dir, "issuers"));
  const issuers: InitResult["issuers"] = [];
  const departments: Department[] = [];
  for (const d of DEFAULT_DEPARTMENTS) {
    const key = generateKeyPair();
    const keyFile = join(opts.dir, "issuers", `${d.id}.key`);
    await saveKeyFile(keyFile, key, opts.keys, `issuer:${d.id}`);
    issuers.push({ department: d.id, keyFile, publicKey: key.publicKey });
    departments.push({ id: d.id, name: d.name, issuerKeys: [key.publicKey], certificateTypes: d.certificateTypes });
  }
  const validators: ValidatorInfo[] = [];
  const homes: Array<{ home: string; name: string; p2pPort: number; rpcPort: number; peerId: string; validator: boolean }> = [];
  for (let i = 0; i < opts.validators; i++) {
    const name = `node${i + 1}`;
    const home = join(opts.dir, name);
    await makePrivateDir(home);
    const consensusKey = generateKeyPair();
    await saveKeyFile(join(home, "consensus.key"), consensusKey, opts.keys, "consensus");
    const { peerId } = await createPeerKeyFile(join(home, "p2p.key"), opts.keys);
    const p2pPort = opts.basePort + i;
    const rpcPort = opts.basePort + 100 + i;
    const department = (DEFAULT_DEPARTMENTS[i % DEFAULT_DEPARTMENTS.length] as { id: string }).id;
    validators.push({ name, department, publicKey: consensusKey.publicKey, peerId, address: `/ip4/${opts.host}/tcp/${p2pPort}` });
    homes.push({ home, name, p2pPort, rpcPort, peerId, validator: true });
  }
  for (let j = 0; j < followers; j++) {
    const i = opts.validators + j;
    const name = `follower${j + 1}`;
    const home = join(opts.dir, name);
    await makePrivateDir(home);
    const { peerId } = await createPeerKeyFile(join(home, "p2p.key"), opts.keys);
    homes.push({ home, name, p2pPort: opts.basePort + i, rpcPort: opts.basePort + 100 + i, peerId, validator: false });
  }
  const address = (h: { p2pPort: number }): string => `/ip4/${opts.host}/tcp/${h.p2pPort}`;
  const genesis: Genesis = {
    chainName: opts.chainName,
    genesisTime: opts.genesisTime,
    validators,
    departments,
    certificateTypes: DEFAULT_CERTIFICATE_TYPES,
    consensus: { ...defaultConsensusParams, ...opts.consensus },
  };
  const reviewRules = opts.reviewRules === undefined ? DEFAULT_REVIEW_RULES : opts.reviewRules;
  if (reviewRules !== null) genesis.reviewRules = reviewRules;
  const spec = new ChainSpec(genesis);
  const genesisText = `${JSON.stringify(genesis, null, 2)}\n`;
  const genesisFile = join(opts.dir, "genesis.json");
  await writeFile(genesisFile, genesisText);
  const nodes: InitResult["nodes"] = [];
  for (const [i, h] of homes.entries()) {
    await writeFile(join(h.home, "genesis.json"), genesisText);
    const cfg: NodeConfig = {
      name: h.name,
      genesisFile: "genesis.json",
      p2pKeyFile: "p2p.key",
      dataDir: "data",
      p2p: {
        listen: [address(h)],
        // Every node of this network, validators and followers: only these may connect.
        peers: homes.filter((_, j) => j !== i).map((o) => ({ peerId: o.peerId, address: address(o) })),
      },
      rpc: { host: opts.host, port: h.rpcPort },
    };
    if (h.validator) cfg.consensusKeyFile = "consensus.key";
    await saveConfig(h.home, cfg);
    nodes.push({
      name: h.name,
      home: h.home,
      peerId: h.peerId,
      p2pAddress: `/ip4/${opts.host}/tcp/${h.p2pPort}/p2p/${h.peerId}`,
      rpcUrl: `http://${opts.host}:${h.rpcPort}`,
      department: h.validator ? (validators[i] as ValidatorInfo).department : "follower",
    });
  }
  return { genesisFile, chainId: spec.chainId, nodes, issuers };
}
