/** A peer set replaced at run time: parsing a whole list, the diff, and the gater and admission budgets following the new set. */
import assert from "node:assert/strict";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromString } from "@libp2p/peer-id";
import { systemClock } from "../../node/clock.js";
import { LedgerError } from "../../node/errors.js";
import { createLogger } from "../../node/logger.js";
import { createConnectionGater } from "../../node/network/gater.js";
import { peerIdOf } from "../../node/network/identity.js";
import { InboundAdmission } from "../../node/network/inbound-admission.js";
import { PeerPenalties } from "../../node/network/penalties.js";
import { ConfiguredPeers, type NetworkPeer, type PeerSetDiff, diffPeerSets, parsePeerList } from "../../node/network/peers.js";

describe("peer set at run time", () => {
  let self: string;
  let ids: string[];
  const at = (id: string, host: string): NetworkPeer => ({ peerId: id, address: `/ip4/${host}/tcp/7700` });

  before(async () => {
    const keys = await Promise.all(Array.from({ length: 5 }, () => generateKeyPair("Ed25519")));
    [self, ...ids] = keys.map(peerIdOf) as [string, ...string[]];
  });
  const id = (i: number): string => ids[i] as string;

  describe("diffPeerSets", () => {
    // [name, current (peer index → host), next, expected diff as peer indexes]
    const cases: Array<[string, Array<[number, string]>, Array<[number, string]>, Record<keyof PeerSetDiff, number[]>]> = [
      ["nothing changes", [[0, "10.0.0.1"]], [[0, "10.0.0.1"]], { added: [], removed: [], readdressed: [], unchanged: [0] }],
      [
        "a follower is added",
        [[0, "10.0.0.1"]],
        [
          [0, "10.0.0.1"],
          [1, "10.0.0.2"],
        ],
        { added: [1], removed: [], readdressed: [], unchanged: [0] },
      ],
      [
        "a peer is removed",
        [
          [0, "10.0.0.1"],
          [1, "10.0.0.2"],
        ],
        [[1, "10.0.0.2"]],
        { added: [], removed: [0], readdressed: [], unchanged: [1] },
      ],
      ["a peer moves", [[0, "10.0.0.1"]], [[0, "10.0.0.9"]], { added: [], removed: [], readdressed: [0], unchanged: [] }],
      [
        "from none to two",
        [],
        [
          [2, "10.0.0.3"],
          [3, "10.0.0.4"],
        ],
        { added: [2, 3], removed: [], readdressed: [], unchanged: [] },
      ],
      [
        "all at once, in any order",
        [
          [3, "10.0.0.4"],
          [0, "10.0.0.1"],
          [1, "10.0.0.2"],
        ],
        [
          [2, "10.0.0.3"],
          [1, "10.0.0.5"],
          [0, "10.0.0.1"],
        ],
        { added: [2], removed: [3], readdressed: [1], unchanged: [0] },
      ],
    ];
    for (const [name, current, next, expected] of cases) {
      it(name, () => {
        const parse = (list: Array<[number, string]>): ReturnType<typeof parsePeerList> =>
          parsePeerList(
            self,
            list.map(([i, host]) => at(id(i), host)),
          );
        const diff = diffPeerSets(parse(current), parse(next));
        const want = Object.fromEntries(Object.entries(expected).map(([k, v]) => [k, v.map(id).sort()]));
        assert.deepEqual(diff, want, name);
      });
    }
  });

  describe("parsePeerList", () => {
    it("leaves this node out and takes a peer listed twice at one address once", () => {
      const list = parsePeerList(self, [at(self, "10.0.0.1"), at(id(0), "10.0.0.2"), { peerId: id(0), address: `/ip4/10.0.0.2/tcp/7700/p2p/${id(0)}` }]);
      assert.deepEqual([...list.keys()], [id(0)]);
    });

    // [name, list, what the error names]
    const bad: Array<[string, () => NetworkPeer[], RegExp]> = [
      ["a peer id that is not one", () => [{ peerId: "not-a-peer-id", address: "/ip4/10.0.0.1/tcp/1" }], /not-a-peer-id/],
      ["an address that is not a multiaddr", () => [{ peerId: id(0), address: "10.0.0.1:7700" }], /10\.0\.0\.1:7700/],
      ["an address naming another peer", () => [{ peerId: id(0), address: `/ip4/10.0.0.1/tcp/1/p2p/${id(1)}` }], /names another peer/],
      ["one peer at two addresses", () => [at(id(0), "10.0.0.1"), at(id(0), "10.0.0.2")], /listed twice/],
    ];
    for (const [name, list, names] of bad) {
      it(`refuses ${name} with a CONFIG error`, () => {
        assert.throws(
          () => parsePeerList(self, list()),
          (err: unknown) => err instanceof LedgerError && err.code === "CONFIG" && names.test(err.message),
        );
      });
    }
  });

  it("the gater follows a replaced set at once, in both directions", () => {
    const peers = new ConfiguredPeers(self, [at(id(0), "10.0.0.1")]);
    const gater = createConnectionGater({
      peers,
      penalties: new PeerPenalties(),
      admission: new InboundAdmission({ maxPendingPerUnknownAddress: 2, maxPendingUnknown: 8, maxPendingPerPeer: 2 }, peers.hostCounts()),
      clock: systemClock,
      log: createLogger("test"),
      isIsolated: () => false,
    });
    const denied = (i: number): boolean[] => {
      const peer = peerIdFromString(id(i));
      return [gater.denyDialPeer?.(peer), gater.denyOutboundEncryptedConnection?.(peer, undefined as never)] as boolean[];
    };
    assert.deepEqual(denied(0), [false, false], "configured: allowed");
    assert.deepEqual(denied(1), [true, true], "not yet configured: refused");
    peers.replace(parsePeerList(self, [at(id(1), "10.0.0.2")]));
    assert.deepEqual(denied(0), [true, true], "removed: refused");
    assert.deepEqual(denied(1), [false, false], "added: allowed");
  });

  it("admission budgets follow the new set, and a handshake admitted before keeps its slot's class", () => {
    const admission = new InboundAdmission({ maxPendingPerUnknownAddress: 1, maxPendingUnknown: 1, maxPendingPerPeer: 2 }, new Map());
    assert.equal(admission.admit("10.0.0.2"), true, "an unknown address gets one");
    assert.equal(admission.admit("10.0.0.3"), false, "the unknown total is one");
    // 10.0.0.2 becomes a peer's address while its handshake is pending.
    admission.setPeersPerHost(new Map([["10.0.0.2", 1]]));
    assert.equal(admission.admit("10.0.0.2"), true, "a peer's address gets two");
    assert.equal(admission.admit("10.0.0.2"), false);
    admission.release("10.0.0.2");
    assert.equal(admission.admit("10.0.0.3"), true, "releasing the one admitted as unknown freed the unknown total");
    assert.equal(admission.budgetWith(3), 1 + 2 * (1 + 3), "budgets with room for three more peers");
  });
});
