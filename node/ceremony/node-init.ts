/**
 * `certchain node init`: one department makes its node's home on its own server — keys (never
 * leaving the home), config, and the signed node card it hands the other departments.
 */
import { multiaddr } from "@multiformats/multiaddr";
import { CARD_VERSION, DEPARTMENT_ID, NODE_NAME, type NodeCard, type NodeCardBody, cardSigningBytes, publicAddressProblem } from "../chain/card.js";
import { type NodeConfig, saveConfig } from "../config.js";
import { LedgerError } from "../errors.js";
import type { NetworkPeer } from "../network/network.js";
import { parsePeer } from "../network/peers.js";
import { cardFileOf, writeCardFile } from "./card-file.js";
import { isNewOrEmptyDir } from "./files.js";
import type { KeyProtection } from "../keys/key-file.js";
import { makePrivateDir } from "../keys/private-file.js";
import { KEY_FILES, writeNodeKeys } from "./keys.js";

export interface NodeInitOptions {
  home: string;
  department: string;
  name: string;
  /** The public p2p address on the card and in genesis: /ip4/A.B.C.D/tcp/PORT or /dns4/HOST/tcp/PORT. */
  p2p: string;
  /** Where libp2p listens (default: the public address; /ip4/0.0.0.0/tcp/PORT of its port for a /dns4 one). */
  listen?: string;
  /** Where the RPC listens. */
  rpc: { host: string; port: number };
  /** The URL the public reaches the RPC at (rpc.publicUrl). */
  publicUrl?: string;
  /** A follower: replicates and answers queries, never votes (p2p key only). */
  follower?: boolean;
  /** Extra peers to dial and admit (a follower's bootstrap peers). */
  bootstrap?: NetworkPeer[];
  /** How the private keys are written: under a passphrase, or in plaintext (local testnets and tests only). */
  keys: KeyProtection;
}

export interface NodeInitResult {
  home: string;
  card: NodeCard;
  cardFile: string;
}

/** Check every input of a node init; a BAD_ARGUMENT error naming the first problem. Writes nothing. */
export function checkNodeInitOptions(o: NodeInitOptions): void {
  const bad = (msg: string): never => {
    throw new LedgerError("BAD_ARGUMENT", msg);
  };
  if (!NODE_NAME.test(o.name)) bad(`node name "${o.name}" must be 1-64 characters of A-Z a-z 0-9 . _ -`);
  if (!DEPARTMENT_ID.test(o.department)) bad(`department "${o.department}" must be an id of a-z 0-9 - (as in the genesis template)`);
  const addressProblem = publicAddressProblem(o.p2p);
  if (addressProblem !== null) bad(addressProblem);
  if (o.listen !== undefined) {
    try {
      const tcp = multiaddr(o.listen).getComponents();
      if (tcp.length !== 2 || tcp[1]?.name !== "tcp") throw new Error("not HOST/tcp/PORT");
    } catch {
      bad(`listen address "${o.listen}" is not a multiaddr like /ip4/0.0.0.0/tcp/PORT`);
    }
  }
  if (o.rpc.host.length === 0 || !Number.isInteger(o.rpc.port) || o.rpc.port < 1 || o.rpc.port > 65535) bad("the RPC address must be HOST:PORT, port 1-65535");
  if (o.publicUrl !== undefined) {
    let url: URL | null = null;
    try {
      url = new URL(o.publicUrl);
    } catch {
      // refused below
    }
    if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) bad(`public URL "${o.publicUrl}" is not an http(s) URL`);
  }
  for (const p of o.bootstrap ?? []) {
    try {
      parsePeer(p);
    } catch (err) {
      bad(`bootstrap peer ${p.address}: ${(err as Error).message}`);
    }
  }
}

/** The listen address when none is given: the public one, or all interfaces on its port for a DNS name. */
function defaultListen(p2p: string): string {
  return p2p.startsWith("/dns4/") ? `/ip4/0.0.0.0/tcp/${p2p.split("/")[4]}` : p2p;
}

/**
 * Make a node home: refuse a home that exists and is not empty, create it 0700, write the keys, the
 * config (no genesis yet: `node join` installs it) and the signed card.
 */
export async function initNode(o: NodeInitOptions): Promise<NodeInitResult> {
  checkNodeInitOptions(o);
  if (!(await isNewOrEmptyDir(o.home))) throw new LedgerError("BAD_ARGUMENT", `${o.home} is not empty; node init makes a new home and never overwrites keys`);
  await makePrivateDir(o.home);
  const role = o.follower === true ? "follower" : "validator";
  const keys = await writeNodeKeys(o.home, role, o.department, o.keys);

  const validatorKeys = role === "validator" ? { consensusKeyFile: KEY_FILES.consensus, issuerKeyFile: KEY_FILES.issuer } : {};
  const cfg: NodeConfig = {
    name: o.name,
    department: o.department,
    genesisFile: "genesis.json",
    ...validatorKeys,
    p2pKeyFile: KEY_FILES.p2p,
    dataDir: "data",
    p2p: { listen: [o.listen ?? defaultListen(o.p2p)], announce: o.p2p, peers: o.bootstrap ?? [] },
    rpc: { host: o.rpc.host, port: o.rpc.port, ...(o.publicUrl === undefined ? {} : { publicUrl: o.publicUrl }) },
  };
  await saveConfig(o.home, cfg);

  const body: NodeCardBody = {
    version: CARD_VERSION,
    name: o.name,
    department: o.department,
    role,
    ...(keys.consensusKey === undefined ? {} : { consensusKey: keys.consensusKey }),
    peerId: keys.peerId,
    address: o.p2p,
    issuerKeys: keys.issuerKey === undefined ? [] : [keys.issuerKey],
  };
  const card: NodeCard = { ...body, signature: await keys.signCard(cardSigningBytes(body)) };
  const cardFile = cardFileOf(o.home);
  await writeCardFile(cardFile, card);
  return { home: o.home, card, cardFile };
}
