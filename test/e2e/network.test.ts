/**
 * Real libp2p between in-process nodes on 127.0.0.1: connection, gossip (once, no self-delivery,
 * rejection), request/response limits, the permissioning gater, redial after a restart, and a peer
 * set replaced at run time.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { type AddressInfo, type Server, type Socket, connect, createServer } from "node:net";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Connection, PrivateKey } from "@libp2p/interface";
import { systemClock } from "../../node/clock.js";
import { type GossipVerdict, LedgerError } from "../../node/errors.js";
import { setLogLevel } from "../../node/logger.js";
import { peerIdOf } from "../../node/network/identity.js";
import { MAX_GOSSIP_BYTES, Network, type NetworkHandlers, type NetworkOptions, type NetworkPeer } from "../../node/network/network.js";

const PREFIX = "/certchain/test-net";
const REQUESTS = ["status", "fail", "slow", "big"];

/** Poll `cond` every 20 ms until it holds; fail after `timeoutMs`. */
async function waitFor(cond: () => boolean, timeoutMs: number, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function listenOnFreePort(): Promise<Server> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => resolve(srv));
  });
}

/** Distinct free loopback ports, all held open at once so none is handed out twice. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, listenOnFreePort));
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

interface Delivery {
  topic: "txs" | "consensus";
  text: string;
  from: string;
}

/** A node's identity and fixed address: its peers must know both before anything starts. */
interface Identity {
  name: string;
  key: PrivateKey;
  peerId: string;
  address: string;
}

/** A running node and what its gossip handlers saw. */
interface TestNode extends Identity {
  got: Delivery[];
  net: Network;
}

/** Every Network a test started, stopped in the outermost `after`. */
const running = new Set<Network>();

const text = (b: Uint8Array): string => Buffer.from(b).toString("utf8");
const bytes = (s: string): Uint8Array => Buffer.from(s, "utf8");

/** "bad…" is rejected, "throw…" makes the handler throw, anything else is accepted. */
function gossipHandler(got: Delivery[], topic: Delivery["topic"]): (data: Uint8Array, from: string) => GossipVerdict {
  return (data, from) => {
    const t = text(data);
    got.push({ topic, text: t, from });
    if (t.startsWith("throw")) throw new Error("handler blew up");
    return t.startsWith("bad") ? "reject" : "accept";
  };
}

function handlersFor(got: Delivery[]): NetworkHandlers {
  return {
    onTransactions: gossipHandler(got, "txs"),
    onConsensus: gossipHandler(got, "consensus"),
    onRequest: async (name, body, from) => {
      if (name === "fail") throw new Error("handler failed on purpose");
      if (name === "slow") await new Promise((r) => setTimeout(r, 1_200));
      if (name === "big") return new Uint8Array(2 * 1024 * 1024);
      return bytes(`${name} from ${from.slice(-6)}: ${text(body)}`);
    },
  };
}

/** Identities sorted by peer id, so each one is the lower id (the dialler) towards those after it. */
async function makeIdentities(names: string[]): Promise<Identity[]> {
  const keys = await Promise.all(names.map(() => generateKeyPair("Ed25519")));
  keys.sort((a, b) => (peerIdOf(a) < peerIdOf(b) ? -1 : 1));
  const ports = await freePorts(names.length);
  return names.map((name, i) => {
    const key = keys[i] as PrivateKey;
    return { name, key, peerId: peerIdOf(key), address: `/ip4/127.0.0.1/tcp/${ports[i] as number}` };
  });
}

async function startNode(id: Identity, peers: Identity[], extra: Partial<NetworkOptions> = {}): Promise<TestNode> {
  const peerList: NetworkPeer[] = peers.map((p) => ({ peerId: p.peerId, address: p.address }));
  const got: Delivery[] = [];
  const net = new Network(
    { privateKey: id.key, listen: [id.address], peers: peerList, topicPrefix: PREFIX, requestNames: REQUESTS, ...extra },
    { ...handlersFor(got), clock: systemClock },
  );
  running.add(net);
  await net.start();
  return { ...id, got, net };
}

const count = (node: TestNode, topic: Delivery["topic"], t: string): number => node.got.filter((d) => d.topic === topic && d.text === t).length;

async function rejects(promise: Promise<unknown>, code?: string): Promise<LedgerError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof LedgerError, `expected a LedgerError, got ${String(err)}`);
    if (code !== undefined) assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail("expected the promise to reject");
}

describe("network (e2e, libp2p on 127.0.0.1)", () => {
  before(() => {
    if (process.env.CERTCHAIN_LOG === undefined) setLogLevel("error");
  });
  after(async () => {
    await Promise.all([...running].map((net) => net.stop()));
    setLogLevel((process.env.CERTCHAIN_LOG as "info" | undefined) ?? "info");
  });

  describe("a full mesh of three", clusterTests);
  describe("gossip forwarding along a line X - Y - Z", lineTests);
  describe("a validator restarted while silent connections flood its peers", floodTests);
  describe("a peer set changed at run time", peerSetTests);
});

function clusterTests(this: Mocha.Suite): void {
  this.timeout(15_000);
  let a: TestNode;
  let b: TestNode;
  let c: TestNode;
  // B and C get other limits than A so one cluster exercises both sides of every size check.
  const bOptions: Partial<NetworkOptions> = { maxGossipBytes: 1024 * 1024 };
  const cOptions: Partial<NetworkOptions> = { maxRequestBytes: 1024 * 1024, maxResponseBytes: 1024 * 1024, requestTimeoutMs: 600 };

  before(async () => {
    const [ia, ib, ic] = (await makeIdentities(["a", "b", "c"])) as [Identity, Identity, Identity];
    [a, b, c] = await Promise.all([startNode(ia, [ib, ic]), startNode(ib, [ia, ic], bOptions), startNode(ic, [ia, ib], cOptions)]);
  });

  it("listens only on the given address and connects every configured pair", async () => {
    for (const n of [a, b, c]) assert.deepEqual(n.net.listenAddresses(), [`${n.address}/p2p/${n.peerId}`], n.name);
    await waitFor(() => [a, b, c].every((n) => n.net.connectedPeers().length === 2 && n.net.gossipPeers().length === 2), 5_000, "full mesh");
    for (const n of [a, b, c]) assert.equal(n.net.stats().connected, 2, n.name);
  });

  for (const topic of ["txs", "consensus"] as const) {
    it(`delivers a ${topic} message to the other nodes exactly once, never to the publisher`, async () => {
      const publish = async (n: TestNode, t: string): Promise<void> => {
        await (topic === "txs" ? n.net.publishTransactions(bytes(t)) : n.net.publishConsensus(bytes(t)));
      };
      await publish(a, `${topic}-batch-1`);
      await waitFor(() => count(b, topic, `${topic}-batch-1`) === 1 && count(c, topic, `${topic}-batch-1`) === 1, 3_000, "delivery");
      // A later message over the same paths is a barrier: any duplicate of the first would be in by now.
      await publish(a, `${topic}-barrier`);
      await waitFor(() => count(b, topic, `${topic}-barrier`) === 1 && count(c, topic, `${topic}-barrier`) === 1, 3_000, "barrier");
      for (const n of [b, c]) {
        assert.equal(count(n, topic, `${topic}-batch-1`), 1, `${n.name} got it once`);
        const from = n.got.find((d) => d.text === `${topic}-batch-1`)?.from;
        assert.ok(from === a.peerId || from === b.peerId || from === c.peerId, `${n.name}: from is a peer`);
        assert.notEqual(from, n.peerId);
      }
      assert.equal(count(a, topic, `${topic}-batch-1`), 0, "the publisher's own handler is not called");
      // Publishing the same bytes again is a silent duplicate, not an error.
      await publish(a, `${topic}-batch-1`);
    });
  }

  it("rejects what a handler refuses or throws on, keeps running, and counts it", async () => {
    const before = { b: b.net.stats().rejected, c: c.net.stats().rejected };
    await a.net.publishConsensus(bytes("bad-1"));
    await a.net.publishTransactions(bytes("throw-1"));
    await waitFor(() => b.net.stats().rejected === before.b + 2 && c.net.stats().rejected === before.c + 2, 3_000, "rejections");
    await a.net.publishConsensus(bytes("good-after-bad"));
    await waitFor(() => count(b, "consensus", "good-after-bad") === 1 && count(c, "consensus", "good-after-bad") === 1, 3_000, "good message");
    for (const n of [a, b, c]) assert.equal(n.net.connectedPeers().length, 2, `${n.name} still connected`);
    assert.ok(a.net.stats().published >= 5);
    assert.ok(b.net.stats().received >= 5);
  });

  it("refuses to publish an oversized message and rejects one over the receiver's limit", async () => {
    await rejects(a.net.publishTransactions(new Uint8Array(MAX_GOSSIP_BYTES + 1)), "BODY_TOO_LARGE");
    const rejectedByB = b.net.stats().rejected;
    const seenByB = b.got.length;
    // 2 MiB: within A's and C's limits, over B's 1 MiB.
    await a.net.publishTransactions(new Uint8Array(2 * 1024 * 1024).fill(7));
    await waitFor(() => c.got.some((d) => d.text.length === 2 * 1024 * 1024), 3_000, "C receives 2 MiB");
    await waitFor(() => b.net.stats().rejected === rejectedByB + 1, 3_000, "B rejects 2 MiB");
    assert.equal(b.got.length, seenByB, "B's handler never saw it");
  });

  it("answers a request and keeps serving after failures", async () => {
    const res = await a.net.request(b.peerId, "status", bytes("hello"));
    assert.equal(text(res), `status from ${a.peerId.slice(-6)}: hello`);
    const unknown = await rejects(a.net.request(b.peerId, "nope", bytes("x")));
    assert.notEqual(unknown.code, "TIMEOUT", "an unsupported protocol fails fast");
    const failed = await rejects(a.net.request(b.peerId, "fail", bytes("x")));
    assert.notEqual(failed.code, "TIMEOUT", "a handler error resets the stream at once");
    await rejects(a.net.request("12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq", "status", bytes("x")), "NOT_FOUND");
    assert.equal(text(await b.net.request(a.peerId, "status", bytes("again"))), `status from ${b.peerId.slice(-6)}: again`);
  });

  it("enforces request and response size limits on both sides", async () => {
    const body = new Uint8Array(100 * 1024);
    // A's own limit (64 KiB): refused before anything is sent.
    await rejects(a.net.request(b.peerId, "status", body), "BODY_TOO_LARGE");
    // C may send 100 KiB, but A's server refuses to read it.
    const refused = await rejects(c.net.request(a.peerId, "status", body));
    assert.notEqual(refused.code, "TIMEOUT");
    // A answers 2 MiB; C accepts at most 1 MiB.
    await rejects(c.net.request(a.peerId, "big", bytes("")), "BODY_TOO_LARGE");
    // B accepts 32 MiB, so the same answer goes through.
    assert.equal((await b.net.request(a.peerId, "big", bytes(""))).byteLength, 2 * 1024 * 1024);
    assert.equal(text(await a.net.request(c.peerId, "status", bytes("ok"))), `status from ${a.peerId.slice(-6)}: ok`);
  });

  it("times out a slow request", async () => {
    const t0 = Date.now();
    await rejects(c.net.request(a.peerId, "slow", bytes("")), "TIMEOUT");
    const took = Date.now() - t0;
    assert.ok(took >= 550 && took < 3_000, `timed out after ${took} ms`);
  });

  it("does not let an unconfigured peer connect", async () => {
    const [outsiderId] = await makeIdentities(["outsider"]);
    // The outsider knows A and will dial it; A's gater must refuse the authenticated id.
    const outsider = await startNode(outsiderId as Identity, [a]);
    await rejects(outsider.net.request(a.peerId, "status", bytes("let me in")));
    assert.deepEqual(outsider.net.connectedPeers(), []);
    assert.deepEqual(a.net.connectedPeers().sort(), [b.peerId, c.peerId].sort());
    await rejects(a.net.request(outsider.peerId, "status", bytes("x")), "NOT_FOUND");
    await outsider.net.stop();
  });

  it("reconnects a restarted node (same key and port) and gossips to it", async () => {
    await b.net.stop();
    await b.net.stop(); // idempotent
    await waitFor(() => !a.net.connectedPeers().includes(b.peerId) && !c.net.connectedPeers().includes(b.peerId), 5_000, "disconnect");
    // A < B < C: A must redial B (B started later than A), and B dials C.
    b = await startNode(b, [a, c], bOptions);
    await waitFor(() => [a, c].every((n) => n.net.gossipPeers().includes(b.peerId)) && b.net.gossipPeers().length === 2, 8_000, "reconnect");
    await a.net.publishTransactions(bytes("after-restart"));
    await waitFor(() => count(b, "txs", "after-restart") === 1, 3_000, "gossip to restarted node");
  });
}

function lineTests(this: Mocha.Suite): void {
  this.timeout(15_000);

  it("forwards accepted messages through the middle node but not rejected ones", async () => {
    // Y has the median id, so it dials one neighbour and is dialled by the other.
    const [ix, iy, iz] = (await makeIdentities(["x", "y", "z"])) as [Identity, Identity, Identity];
    const [x, y, z] = await Promise.all([startNode(ix, [iy]), startNode(iy, [ix, iz]), startNode(iz, [iy])]);
    await waitFor(() => y.net.gossipPeers().length === 2 && x.net.gossipPeers().length === 1 && z.net.gossipPeers().length === 1, 5_000, "line");
    await x.net.publishConsensus(bytes("bad-line"));
    await waitFor(() => y.net.stats().rejected === 1, 3_000, "Y rejects");
    await x.net.publishConsensus(bytes("good-line"));
    await waitFor(() => count(z, "consensus", "good-line") === 1, 5_000, "forwarded to Z");
    assert.equal(count(z, "consensus", "bad-line"), 0, "a rejected message is not forwarded");
    assert.equal(z.got.find((d) => d.text === "good-line")?.from, y.peerId, "Z heard it from Y");
  });
}

/**
 * Holds `perPort` raw TCP connections to each port that never send a byte (hardening finding 8 #6),
 * replacing each one a second after the server closes it (refused, or its handshake timed out): about
 * one new connection per port per second while libp2p holds them 10 s, under its per-host rate limit.
 */
class SilentFlood {
  private readonly open = new Map<number, Set<Socket>>();
  private stopped = false;
  /** Connections opened so far. */
  opened = 0;

  constructor(
    private readonly ports: number[],
    private readonly perPort: number,
  ) {
    for (const port of ports) this.open.set(port, new Set());
  }

  start(): void {
    for (const port of this.ports) for (let i = 0; i < this.perPort; i++) this.openOne(port);
  }

  stop(): void {
    this.stopped = true;
    for (const sockets of this.open.values()) for (const s of sockets) s.destroy();
  }

  private openOne(port: number): void {
    const sockets = this.open.get(port) as Set<Socket>;
    const socket = connect({ host: "127.0.0.1", port });
    this.opened++;
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => {
      sockets.delete(socket);
      if (!this.stopped) setTimeout(() => this.stopped || this.openOne(port), 1_000);
    });
  }
}

function floodTests(this: Mocha.Suite): void {
  this.timeout(90_000);
  const floods: SilentFlood[] = [];
  after(() => {
    for (const f of floods) f.stop();
  });

  it("rejoins all three peers within 5 s while 11 silent connections per port are held", async () => {
    // Sorted ids: v dials the two above it and is dialled by the one below (the finding's shape).
    const ids = (await makeIdentities(["n0", "v", "n2", "n3"])) as [Identity, Identity, Identity, Identity];
    const others = (me: Identity): Identity[] => ids.filter((i) => i !== me);
    const nodes = await Promise.all(ids.map((id) => startNode(id, others(id))));
    await waitFor(() => nodes.every((n) => n.net.connectedPeers().length === 3), 10_000, "full mesh of four");
    const v = nodes[1] as TestNode;
    // Every p2p port, the restarted validator's own too (as in the finding): the others' ports are what
    // keeps it out, its own port what keeps the others' fallback dials out.
    const flood = new SilentFlood(
      ids.map((i) => Number(i.address.split("/").at(-1))),
      11,
    );
    floods.push(flood);
    flood.start();
    // Let the flood take hold. With libp2p's defaults it fills the ~10 pending-handshake slots of each node
    // within 2 s and holds them 10 s; at 14 s the first wave has timed out and been replaced, so the
    // restart meets slots held for another 6 s or so.
    await new Promise((r) => setTimeout(r, 14_000));
    await v.net.stop();
    running.delete(v.net);
    const restartedAt = Date.now();
    const restarted = await startNode(v, others(v));
    const peersOfV = nodes.filter((n) => n !== v);
    // Before the fix the restarted validator stayed at 1 of 3 peers or fewer for many seconds.
    await waitFor(
      () => restarted.net.connectedPeers().length === 3 && peersOfV.every((n) => n.net.connectedPeers().includes(v.peerId)),
      5_000 - (Date.now() - restartedAt),
      "the restarted validator to rejoin all three peers under the flood",
    );
    if (process.env.MEASURE_REJOIN) console.log(`rejoined in ${Date.now() - restartedAt} ms; the flood opened ${flood.opened} connections`);
    flood.stop();
  });
}

/** The open libp2p connections of `node` to `peer` (the host is private to the Network; tests look through it). */
function connectionsTo(node: TestNode, peer: TestNode): Connection[] {
  const host = (node.net as unknown as { host: { getConnections(): Connection[] } | null }).host;
  return (host?.getConnections() ?? []).filter((c) => c.remotePeer.toString() === peer.peerId && c.status === "open");
}

/** Hold for `ms`, failing as soon as `bad` is true (watch a whole window, not one instant). */
async function neverFor(ms: number, bad: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    assert.ok(!bad(), what);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function peerSetTests(this: Mocha.Suite): void {
  this.timeout(20_000);
  let a: TestNode;
  let b: TestNode;
  let c: TestNode;
  const quick: Partial<NetworkOptions> = { redialIntervalMs: 200 };
  const entry = (n: Identity): NetworkPeer => ({ peerId: n.peerId, address: n.address });

  before(async () => {
    // A < B < C. A knows only B at first; C already lists A (a follower with a bootstrap peer).
    const [ia, ib, ic] = (await makeIdentities(["a", "b", "c"])) as [Identity, Identity, Identity];
    [a, b, c] = await Promise.all([startNode(ia, [ib], quick), startNode(ib, [ia], quick), startNode(ic, [ia], quick)]);
    await waitFor(() => a.net.gossipPeers().length === 1 && b.net.gossipPeers().length === 1, 5_000, "A and B connected");
    assert.deepEqual(c.net.connectedPeers(), [], "A refuses C before it is added");
  });

  it("allows and dials an added peer, keeps the unchanged one's connection, and gossips to both", async () => {
    const kept = connectionsTo(a, b).map((conn) => conn.id);
    assert.equal(kept.length, 1, "one connection A-B");
    const diff = await a.net.updatePeers([entry(b), entry(c)]);
    assert.deepEqual(diff, { added: [c.peerId], removed: [], readdressed: [], unchanged: [b.peerId] });
    assert.equal(a.net.configuredPeerCount, 2);
    await waitFor(() => a.net.gossipPeers().length === 2 && c.net.gossipPeers().length === 1, 5_000, "A and C connected and gossiping");
    assert.deepEqual(
      connectionsTo(a, b).map((conn) => conn.id),
      kept,
      "the A-B connection is the same one",
    );
    await a.net.publishConsensus(bytes("after-add"));
    await waitFor(() => count(b, "consensus", "after-add") === 1 && count(c, "consensus", "after-add") === 1, 3_000, "gossip reaches B and C");
  });

  it("disconnects a removed peer and refuses it from then on, keeping the others", async () => {
    const keptC = connectionsTo(a, c).map((conn) => conn.id);
    const diff = await a.net.updatePeers([entry(c)]);
    assert.deepEqual(diff, { added: [], removed: [b.peerId], readdressed: [], unchanged: [c.peerId] });
    await waitFor(() => connectionsTo(a, b).length === 0 && b.net.connectedPeers().length === 0, 5_000, "A and B apart");
    // B still lists A and redials every 200 ms (the fallback dial of the higher id after 1 s): A's gater refuses it.
    await neverFor(1_500, () => connectionsTo(a, b).length > 0 || b.net.connectedPeers().length > 0, "B stays out");
    await rejects(a.net.request(b.peerId, "status", bytes("x")), "NOT_FOUND");
    assert.deepEqual(
      connectionsTo(a, c).map((conn) => conn.id),
      keptC,
      "the A-C connection is untouched",
    );
  });

  it("applies concurrent updates in call order and refuses a bad list whole", async () => {
    const [first, second] = await Promise.all([a.net.updatePeers([entry(b), entry(c)]), a.net.updatePeers([entry(c)])]);
    assert.deepEqual(first.added, [b.peerId], "the first call adds B");
    assert.deepEqual(second.removed, [b.peerId], "the second, applied after it, removes B again");
    assert.equal(a.net.configuredPeerCount, 1);
    const bad = await rejects(a.net.updatePeers([entry(b), { peerId: "not-a-peer-id", address: "/ip4/127.0.0.1/tcp/1" }]), "CONFIG");
    assert.match(bad.message, /not-a-peer-id/);
    assert.equal(a.net.configuredPeerCount, 1, "nothing of the bad list was applied");
    await neverFor(600, () => connectionsTo(a, b).length > 0, "B is still refused");
  });
}
