/**
 * The admin isolation switch (fault injection only: the node exposes it on the admin RPC when started
 * with --enable-admin). While on, the gater refuses every dial and inbound connection and the keeper
 * does not redial; turning it on cuts every connection like a cable, turning it off redials at once.
 */
import type { Logger } from "../logger.js";
import type { Host } from "./host.js";
import type { PeerKeeper } from "./peer-keeper.js";

/** What the switch acts on. */
export interface IsolationModules {
  keeper: PeerKeeper;
  log: Logger;
  /** configured peers now, for the log line */
  peerCount(): number;
}

/** Cuts a node off from all peers and reconnects it. */
export class IsolationSwitch {
  private isolated = false;

  constructor(private readonly modules: IsolationModules) {}

  /** True while the node is cut off. */
  get isOn(): boolean {
    return this.isolated;
  }

  /** Turn isolation on or off; `host` is null when the network is not running (then only the flag changes). */
  set(isolated: boolean, host: Host | null): void {
    this.isolated = isolated;
    if (host === null) return;
    this.modules.log.warn(isolated ? "isolated from all peers" : "isolation lifted; reconnecting", { peers: this.modules.peerCount() });
    if (!isolated) {
      this.modules.keeper.redialNow();
      return;
    }
    // Abrupt, like a cut cable: no graceful stream close that could wait on the peer.
    for (const c of host.getConnections()) c.abort(new Error("isolated by operator"));
  }
}
