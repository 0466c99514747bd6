/**
 * The testnet's spare validators (`certchain testnet --spares N`, the chaos runner's `reconfigure`
 * fault): nodes made like a new department's node joining a running chain (issue 11's e2e) — a home
 * with consensus, issuer and p2p keys and a signed validator card, genesis installed by hand, its peer
 * admitted by every other node — but not in genesis. They run as followers until governance votes
 * them in from their card; voted out, they follow again. A card can be re-proposed only with a fresh
 * issuer key (keys are never reused), so `freshSpareCard` signs a new one for each join.
 */
import { copyFile } from "node:fs/promises";
import { join } from "node:path";
import { CARD_VERSION, type NodeCard, type NodeCardBody, cardSigningBytes } from "../node/chain/card.js";
import { signBytes } from "../node/crypto/keys.js";
import { cardFileOf, readCardFile, writeCardFile } from "../node/ceremony/card-file.js";
import { KEY_FILES } from "../node/ceremony/keys.js";
import { initNode } from "../node/ceremony/node-init.js";
import { loadConfig, saveConfig } from "../node/config.js";
import { generateKeyPair, loadKeyFile, saveKeyFile } from "../node/keys/key-file.js";
import { loadGenesis } from "../node/ledger/genesis-file.js";

/** A node of the testnet as initNetwork lists it, with the spares' role added. */
export interface PlannedTestnetNode {
  name: string;
  home: string;
  peerId: string;
  p2pAddress: string;
  rpcUrl: string;
  department: string;
  role: "validator" | "follower" | "spare";
}

export interface SpareOptions {
  dir: string;
  genesisFile: string;
  count: number;
  /** Spare j listens on host(first + j), p2p basePort + first + j, RPC basePort + 100 + first + j. */
  first: number;
  basePort: number;
  host: (index: number) => string;
}

/** Add `peer` to a home's p2p.peers (unchanged if it is there already). */
async function addPeer(home: string, peer: { peerId: string; address: string }): Promise<void> {
  const cfg = await loadConfig(home);
  if (cfg.p2p.peers.some((p) => p.peerId === peer.peerId)) return;
  cfg.p2p.peers = [...cfg.p2p.peers, peer];
  await saveConfig(home, cfg);
}

/**
 * Make `count` spare homes beside the testnet's `nodes` (initNetwork's, validators first): each in a
 * department of genesis (round robin; a second validator of that department once voted in), its peer
 * admitted by every node, every node (and every other spare) in its peers.
 */
export async function makeSpares(o: SpareOptions, nodes: readonly PlannedTestnetNode[]): Promise<PlannedTestnetNode[]> {
  if (o.count === 0) return [];
  const spec = await loadGenesis(o.genesisFile);
  const departments = spec.genesis.departments.map((d) => d.id);
  const validatorPeers = nodes.filter((n) => n.role === "validator").map((n) => ({ peerId: n.peerId, address: n.p2pAddress.split("/p2p/")[0] as string }));
  const spares: PlannedTestnetNode[] = [];
  for (let j = 0; j < o.count; j++) {
    const i = o.first + j;
    const host = o.host(i);
    const name = `spare${j + 1}`;
    const home = join(o.dir, name);
    const made = await initNode({
      home,
      name,
      department: departments[j % departments.length] as string,
      p2p: `/ip4/${host}/tcp/${o.basePort + i}`,
      rpc: { host, port: o.basePort + 100 + i },
      bootstrap: validatorPeers,
      keys: { plaintext: true },
    });
    // `node join` refuses a validator card that is not in genesis: a joining node installs it by hand.
    await copyFile(o.genesisFile, join(home, (await loadConfig(home)).genesisFile));
    spares.push({
      name,
      home,
      peerId: made.card.peerId,
      p2pAddress: `${made.card.address}/p2p/${made.card.peerId}`,
      rpcUrl: `http://${host}:${o.basePort + 100 + i}`,
      department: made.card.department,
      role: "spare",
    });
  }
  // Every node admits every spare; every spare knows the followers and the other spares too.
  for (const s of spares) {
    const peer = { peerId: s.peerId, address: s.p2pAddress.split("/p2p/")[0] as string };
    for (const n of [...nodes, ...spares]) if (n !== s) await addPeer(n.home, peer);
    for (const n of nodes) if (n.role === "follower") await addPeer(s.home, { peerId: n.peerId, address: n.p2pAddress.split("/p2p/")[0] as string });
  }
  return spares;
}

/**
 * The card a spare proposes to join with: its card as `node init` signed it the first time, then the
 * same card with a fresh issuer key (written to issuer-<seq>.key in its home) signed again by its
 * consensus key — the chain never grants an issuer key twice, so a card cannot be re-proposed as is.
 */
export async function freshSpareCard(home: string, seq: number): Promise<NodeCard> {
  const card = await readCardFile(cardFileOf(home));
  if (seq === 0) return card;
  const consensus = await loadKeyFile(join(home, KEY_FILES.consensus), { allowPlaintext: true });
  const issuer = generateKeyPair();
  await saveKeyFile(join(home, `issuer-${seq}.key`), issuer, { plaintext: true }, `issuer:${card.department}`);
  const body: NodeCardBody = {
    version: CARD_VERSION,
    name: card.name,
    department: card.department,
    role: "validator",
    ...(card.consensusKey === undefined ? {} : { consensusKey: card.consensusKey }),
    peerId: card.peerId,
    address: card.address,
    issuerKeys: [issuer.publicKey],
  };
  const fresh: NodeCard = { ...body, signature: signBytes(consensus.privateKey, cardSigningBytes(body)) };
  await writeCardFile(join(home, `card-${seq}.json`), fresh);
  return fresh;
}
