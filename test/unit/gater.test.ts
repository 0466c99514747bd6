/** The connection gater before the handshake: isolation, per-address budgets, and the oldest pending handshake giving way. */
import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { MultiaddrConnection } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { systemClock } from "../../node/clock.js";
import { createLogger } from "../../node/logger.js";
import { createConnectionGater } from "../../node/network/gater.js";
import { peerIdOf } from "../../node/network/identity.js";
import { InboundAdmission } from "../../node/network/inbound-admission.js";
import { PeerPenalties } from "../../node/network/penalties.js";
import { ConfiguredPeers } from "../../node/network/peers.js";

/** A pending inbound connection from `host`: records whether it was aborted; `close()` fires its close event. */
function pendingFrom(host: string): MultiaddrConnection & { aborted: boolean; close(): void } {
  const target = new EventTarget();
  const conn = {
    remoteAddr: multiaddr(`/ip4/${host}/tcp/40000`),
    aborted: false,
    addEventListener: target.addEventListener.bind(target),
    abort() {
      conn.aborted = true;
      target.dispatchEvent(new Event("close"));
    },
    close() {
      target.dispatchEvent(new Event("close"));
    },
  };
  return conn as unknown as MultiaddrConnection & { aborted: boolean; close(): void };
}

describe("connection gater, before the handshake", () => {
  let isolated = false;
  let gater: ReturnType<typeof createConnectionGater>;
  let peer: string;
  let dnsPeer: string;

  beforeEach(async () => {
    isolated = false;
    const self = peerIdOf(await generateKeyPair("Ed25519"));
    peer = peerIdOf(await generateKeyPair("Ed25519"));
    dnsPeer = peerIdOf(await generateKeyPair("Ed25519"));
    const peers = new ConfiguredPeers(self, [
      { peerId: peer, address: "/ip4/10.0.0.1/tcp/7700" },
      { peerId: dnsPeer, address: "/dns4/peer.example/tcp/7700" },
    ]);
    const admission = new InboundAdmission({ maxPendingPerUnknownAddress: 2, maxPendingUnknown: 8, maxPendingPerPeer: 2 }, peers.hostCounts());
    gater = createConnectionGater({
      peers,
      penalties: new PeerPenalties(),
      admission,
      clock: systemClock,
      log: createLogger("test"),
      isIsolated: () => isolated,
    });
  });

  const deny = (conn: MultiaddrConnection): boolean => gater.denyInboundConnection?.(conn) as boolean;

  it("admits a pending handshake per budget and lets the newest push out the oldest of one address", () => {
    const [a, b, c] = [pendingFrom("9.9.9.9"), pendingFrom("9.9.9.9"), pendingFrom("9.9.9.9")];
    assert.equal(deny(a), false);
    assert.equal(deny(b), false);
    assert.equal(deny(c), false, "the third is admitted…");
    assert.deepEqual([a.aborted, b.aborted, c.aborted], [true, false, false], "…and the oldest is evicted");
  });

  it("a closed or finished handshake frees its slot", () => {
    const [a, b, c] = [pendingFrom("10.0.0.1"), pendingFrom("10.0.0.1"), pendingFrom("10.0.0.1")];
    assert.equal(deny(a), false);
    assert.equal(deny(b), false);
    a.close();
    assert.equal(deny(c), false);
    assert.equal(b.aborted, false, "nothing had to give way");
  });

  it("refuses everything while isolated", () => {
    isolated = true;
    const conn = pendingFrom("10.0.0.1");
    assert.equal(deny(conn), true);
  });

  it("dials a configured peer at an IP address only there, not at addresses it announced (identify)", async () => {
    const dialDenied = (addr: string): boolean => gater.denyDialMultiaddr?.(multiaddr(addr)) as boolean;
    const other = peerIdOf(await generateKeyPair("Ed25519"));
    const table: Array<[string, boolean, string]> = [
      [`/ip4/10.0.0.1/tcp/7700/p2p/${peer}`, false, "the configured address"],
      [`/ip4/10.0.0.1/tcp/7701/p2p/${peer}`, true, "another port it announced"],
      [`/ip4/127.0.0.1/tcp/7700/p2p/${peer}`, true, "another host it announced"],
      [`/ip4/10.0.0.9/tcp/7700/p2p/${dnsPeer}`, false, "a peer configured by DNS name: resolved, left alone"],
      [`/ip4/10.0.0.9/tcp/7700/p2p/${other}`, false, "not a configured peer: denyDialPeer decides"],
      ["/ip4/10.0.0.9/tcp/7700", false, "no peer id"],
    ];
    for (const [addr, denied, what] of table) assert.equal(dialDenied(addr), denied, what);
  });
});
