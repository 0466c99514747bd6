/**
 * The connection gater: permissioned (only configured peers, authenticated by Noise, in both
 * directions), closed while the admin isolation switch is on or while a peer sits in the penalty box.
 */
import type { ConnectionGater, PeerId } from "@libp2p/interface";
import type { Clock } from "../clock.js";
import type { PeerPenalties } from "./penalties.js";
import type { ConfiguredPeers } from "./peers.js";

/** What the gater consults. */
export interface GaterModules {
  peers: ConfiguredPeers;
  penalties: PeerPenalties;
  clock: Clock;
  /** true while the admin isolation switch is on */
  isIsolated(): boolean;
}

/** Build the gater libp2p calls before and after each handshake. */
export function createConnectionGater(modules: GaterModules): ConnectionGater {
  const { peers, penalties, clock } = modules;
  // Only configured peers, none while isolated (admin), and none while it sits in the penalty box.
  const isAllowed = (id: PeerId): boolean => !modules.isIsolated() && peers.has(id.toString()) && !penalties.banned(id.toString(), clock.now());
  return {
    // While isolated, raw inbound connections are refused too.
    denyInboundConnection: () => modules.isIsolated(),
    denyDialPeer: (id) => !isAllowed(id),
    // The peer id is authenticated by Noise, so gate on it in both directions.
    denyInboundEncryptedConnection: (id) => !isAllowed(id),
    denyOutboundEncryptedConnection: (id) => !isAllowed(id),
  };
}
