/**
 * `certchain init`: a new chain on one machine, made by the very steps departments on their own
 * servers take (ceremony/): a `node init` per node, a genesis built from the validators' cards, a
 * `node join` per home, and each follower admitted by the validators (and the other followers). Also
 * used by the testnet and by tests, so every run exercises the ceremony.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { publicAddressProblem } from "./chain/card.js";
import type { GenesisTemplate } from "./chain/template.js";
import type { ConsensusParams, ReviewRuleSet } from "./chain/types.js";
import { LedgerError } from "./errors.js";
import { admitFollower } from "./ceremony/admit.js";
import { buildGenesisFile } from "./ceremony/genesis-build.js";
import { joinChain } from "./ceremony/join.js";
import { type NodeInitResult, initNode } from "./ceremony/node-init.js";
import { KEY_FILES } from "./ceremony/keys.js";
import type { KeyProtection } from "./keys/key-file.js";
import { loadTemplate } from "./ledger/template-file.js";

export interface InitOptions {
  /** Where to write: <dir>/genesis.json and one home per node, <dir>/node<i>/ and <dir>/follower<j>/. */
  dir: string;
  validators: number;
  /** Follower nodes: replicate and serve queries, never vote (no consensus key). */
  followers?: number;
  chainName: string;
  /** The address every node listens on and announces, unless `hosts` names one per node. */
  host: string;
  /** One address per node (validators first, then followers), e.g. 127.0.0.11, 127.0.0.12, …. */
  hosts?: string[];
  /** Node i (validators first, then followers) listens for p2p on basePort + i and RPC on basePort + 100 + i. */
  basePort: number;
  genesisTime: number;
  /** Genesis template file (default templates/default.json). */
  templateFile?: string;
  /** Validator i's department (default: the template's departments in order, repeating). */
  departments?: string[];
  /** Consensus parameters laid over the template's. */
  consensus?: Partial<ConsensusParams>;
  /** Automatic review rules of genesis (default: the template's; null: none). */
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
  /** Validators first (in genesis order), then followers. */
  nodes: Array<{ name: string; home: string; peerId: string; p2pAddress: string; rpcUrl: string; department: string; role: "validator" | "follower" }>;
  /** Per department with a validator: the issuer key of its first validator in genesis order. */
  issuers: Array<{ department: string; keyFile: string; publicKey: string }>;
}

/** A node init of the plan, before it runs. */
interface PlannedNode {
  name: string;
  department: string;
  host: string;
  p2pPort: number;
  rpcPort: number;
  follower: boolean;
}

/** The template with init's overrides of consensus parameters and review rules. */
function withOverrides(template: GenesisTemplate, opts: InitOptions): GenesisTemplate {
  const t: GenesisTemplate = { ...template, consensus: { ...template.consensus, ...opts.consensus } };
  if (opts.reviewRules === null) delete t.reviewRules;
  else if (opts.reviewRules !== undefined) t.reviewRules = opts.reviewRules;
  return t;
}

/** Plan every node and check the whole plan before anything is written. */
function planNodes(opts: InitOptions, template: GenesisTemplate): PlannedNode[] {
  const bad = (msg: string): never => {
    throw new LedgerError("BAD_ARGUMENT", msg);
  };
  if (!Number.isInteger(opts.validators) || opts.validators < 1 || opts.validators > 64) bad("validators must be an integer from 1 to 64");
  const followers = opts.followers ?? 0;
  if (!Number.isInteger(followers) || followers < 0 || followers > 32) bad("followers must be an integer from 0 to 32");
  const total = opts.validators + followers;
  if (opts.hosts !== undefined && opts.hosts.length !== total) bad(`hosts names ${opts.hosts.length} addresses for ${total} nodes`);
  const departments = template.departments.map((d) => d.id);
  if (opts.departments !== undefined) {
    if (opts.departments.length !== opts.validators) bad(`departments names ${opts.departments.length} departments for ${opts.validators} validators`);
    const unknown = opts.departments.find((d) => !departments.includes(d));
    if (unknown !== undefined) bad(`department "${unknown}" is not in the template (it has ${departments.join(", ")})`);
  }
  const plan: PlannedNode[] = [];
  for (let i = 0; i < total; i++) {
    const follower = i >= opts.validators;
    const j = follower ? i - opts.validators : i;
    const host = opts.hosts?.[i] ?? opts.host;
    const problem = publicAddressProblem(`/ip4/${host}/tcp/${opts.basePort + i}`);
    const name = follower ? `follower${j + 1}` : `node${j + 1}`;
    if (problem !== null) bad(`${name}: ${problem}`);
    plan.push({
      name,
      department: (follower ? departments[j % departments.length] : (opts.departments?.[j] ?? departments[j % departments.length])) as string,
      host,
      p2pPort: opts.basePort + i,
      rpcPort: opts.basePort + 100 + i,
      follower,
    });
  }
  return plan;
}

/** Make a new chain of `validators` nodes (and followers) in `dir` through the ceremony's steps. */
export async function initNetwork(opts: InitOptions): Promise<InitResult> {
  const template = withOverrides(await loadTemplate(opts.templateFile), opts);
  const plan = planNodes(opts, template);
  await mkdir(opts.dir, { recursive: true });

  // 1. Each node inits its own home: keys, config, card.
  const inits: Array<{ plan: PlannedNode; init: NodeInitResult }> = [];
  for (const p of plan) {
    const init = await initNode({
      home: join(opts.dir, p.name),
      department: p.department,
      name: p.name,
      p2p: `/ip4/${p.host}/tcp/${p.p2pPort}`,
      rpc: { host: p.host, port: p.rpcPort },
      follower: p.follower,
      keys: opts.keys,
    });
    inits.push({ plan: p, init });
  }
  const validators = inits.filter((n) => !n.plan.follower);
  const followers = inits.filter((n) => n.plan.follower);

  // 2. Genesis from the validators' cards (public facts only).
  const genesisFile = join(opts.dir, "genesis.json");
  const built = await buildGenesisFile({
    cardFiles: validators.map((n) => n.init.cardFile),
    template,
    chainName: opts.chainName,
    genesisTime: opts.genesisTime,
    out: genesisFile,
  });
  const spec = built.spec;

  // 3. Every home checks its card is in genesis and installs it; followers are admitted.
  for (const n of inits) await joinChain(n.init.home, genesisFile);
  for (const n of inits) {
    for (const f of followers) if (f !== n) await admitFollower(n.init.home, f.init.cardFile);
  }

  const byPeer = new Map(validators.map((n) => [n.init.card.peerId, n]));
  const ordered = [...spec.validators.map((v) => byPeer.get(v.peerId) as (typeof inits)[number]), ...followers];
  const issuers: InitResult["issuers"] = [];
  for (const n of ordered) {
    const key = n.init.card.issuerKeys[0];
    if (key === undefined || issuers.some((i) => i.department === n.plan.department)) continue;
    issuers.push({ department: n.plan.department, keyFile: join(n.init.home, KEY_FILES.issuer), publicKey: key });
  }
  return {
    genesisFile,
    chainId: spec.chainId,
    nodes: ordered.map(({ plan: p, init }) => ({
      name: p.name,
      home: init.home,
      peerId: init.card.peerId,
      p2pAddress: `${init.card.address}/p2p/${init.card.peerId}`,
      rpcUrl: `http://${p.host}:${p.rpcPort}`,
      department: p.department,
      role: p.follower ? "follower" : "validator",
    })),
    issuers,
  };
}
