/**
 * The connection gater: permissioned (only configured peers, authenticated by Noise, in both
 * directions), closed while the admin isolation switch is on or while a peer sits in the penalty box,
 * and with a per-address budget of pending inbound handshakes (inbound-admission.ts). A configured
 * peer at an IP address is dialled only at that address.
 */
import type { ConnectionGater, MultiaddrConnection, PeerId } from "@libp2p/interface";
import type { Clock } from "../clock.js";
import type { Logger } from "../logger.js";
import type { InboundAdmission } from "./inbound-admission.js";
import type { PeerPenalties } from "./penalties.js";
import { type ConfiguredPeers, hostOf, P2P_CODE } from "./peers.js";

/** What the gater consults. */
export interface GaterModules {
  peers: ConfiguredPeers;
  penalties: PeerPenalties;
  admission: InboundAdmission;
  clock: Clock;
  log: Logger;
  /** true while the admin isolation switch is on */
  isIsolated(): boolean;
}

/** Build the gater libp2p calls before and after each handshake. */
export function createConnectionGater(modules: GaterModules): ConnectionGater {
  const { peers, penalties, admission, clock, log } = modules;
  /** Pending inbound connections admitted by address, until upgraded or closed. */
  const pending = new Map<MultiaddrConnection, string>();
  const release = (maConn: MultiaddrConnection): void => {
    const host = pending.get(maConn);
    if (host === undefined) return;
    pending.delete(maConn);
    admission.release(host);
  };
  // Only configured peers, none while isolated (admin), and none while it sits in the penalty box.
  const isAllowed = (id: PeerId): boolean => !modules.isIsolated() && peers.has(id.toString()) && !penalties.banned(id.toString(), clock.now());
  return {
    // Before the handshake only the address is known: refuse everything while isolated, and refuse an
    // address over its budget of pending handshakes so silent sockets cannot hold every slot.
    denyInboundConnection: (maConn) => {
      if (modules.isIsolated()) return true;
      const host = hostOf(maConn.remoteAddr);
      if (host === null) return false;
      if (!admission.admit(host)) {
        // Over its budget: the oldest pending handshake from this address gives way. A real peer's handshake
        // takes milliseconds, so the one that has waited longest is a silent socket, not a peer.
        const oldest = [...pending].find(([, h]) => h === host)?.[0];
        if (oldest !== undefined) {
          release(oldest);
          oldest.abort(new Error("evicted: too many pending handshakes from its address"));
        }
        if (!admission.admit(host)) {
          log.debug("inbound connection refused: too many pending handshakes", { host, pending: admission.pendingFrom(host) });
          return true;
        }
      }
      pending.set(maConn, host);
      maConn.addEventListener("close", () => release(maConn), { once: true });
      return false;
    },
    denyDialPeer: (id) => !isAllowed(id),
    // A configured peer with an IP address is dialled only there. Identify replaces the stored address
    // with the ones the peer announces, and libp2p's own reconnects dial those: they would bypass a
    // private route (or the testnet's fault proxy). DNS addresses are resolved before this check, so
    // they are left alone; the redial loop always dials the configured address.
    denyDialMultiaddr: (addr) => {
      const id = addr.getComponents().findLast((c) => c.code === P2P_CODE)?.value;
      const peer = id === undefined ? undefined : peers.get(id);
      if (peer === undefined || peer.host === null) return false;
      return !peer.dialAddr.equals(addr);
    },
    // The peer id is authenticated by Noise, so gate on it in both directions.
    denyInboundEncryptedConnection: (id, maConn) => {
      release(maConn); // the handshake is over: its slot is free whatever the verdict
      return !isAllowed(id);
    },
    denyOutboundEncryptedConnection: (id) => !isAllowed(id),
  };
}
