/**
 * The one function that says which peers a node keeps: node start and reload both call it, so a reload
 * applies exactly what a restart would.
 */
import type { ChainSpec } from "./chain/genesis.js";
import type { NodeConfig } from "./config.js";
import type { NetworkPeer } from "./network/network.js";

/**
 * The peers of a node: the validators of genesis (their public addresses and peer ids), then this
 * home's extra peers (cfg.p2p.peers: admitted followers, bootstrap peers); an extra peer with a
 * validator's peer id replaces that validator's address (e.g. a private route). Itself left out.
 */
export function configuredPeers(cfg: NodeConfig, spec: ChainSpec, selfPeerId: string): NetworkPeer[] {
  const peers = new Map<string, NetworkPeer>();
  for (const v of spec.validators) peers.set(v.peerId, { peerId: v.peerId, address: v.address });
  for (const p of cfg.p2p.peers) peers.set(p.peerId, { peerId: p.peerId, address: p.address });
  peers.delete(selfPeerId);
  return [...peers.values()];
}
