/**
 * The one function that says which peers a node keeps (design: node start and reload both call it, so
 * a reload applies exactly what a restart would).
 */
import type { ChainSpec } from "./chain/genesis.js";
import type { NodeConfig } from "./config.js";
import type { NetworkPeer } from "./network/network.js";

/**
 * The peers of a node: today its config's `p2p.peers` (every validator and follower it talks to),
 * itself left out. `spec` is the chain's genesis: when the validators' peers come from genesis (their
 * public addresses) and the config lists only the home's own followers and bootstrap peers, this is the
 * one place that joins the two. A peer listed twice at two addresses is refused by the network
 * (parsePeerList), at start and at reload alike.
 */
export function configuredPeers(cfg: NodeConfig, spec: ChainSpec, selfPeerId: string): NetworkPeer[] {
  void spec; // not read yet: the peer list is the config's alone
  return cfg.p2p.peers.filter((p) => p.peerId !== selfPeerId).map((p) => ({ peerId: p.peerId, address: p.address }));
}
